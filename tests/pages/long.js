// Ten thousand pixels of paragraphs: room to race down the page.
var body = document.getElementById('body');
for (var i = 0; i < 200; i++) {
  var p = document.createElement('p');
  p.style.height = '50px';
  p.textContent = 'Paragraph ' + (i + 1);
  body.appendChild(p);
}
