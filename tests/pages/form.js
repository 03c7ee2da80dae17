document.getElementById('grow').addEventListener('click', function () {
  var li = document.createElement('li');
  li.textContent = 'Line ' + (document.querySelectorAll('#lines li').length + 1);
  document.getElementById('lines').appendChild(li);
});
