// Shows what the route asks for; the Clear button exists on #/active only.
function show() {
  var active = location.hash === '#/active';
  document.getElementById('route').textContent = active ? 'active' : 'all';
  document.getElementById('clear-completed').hidden = !active;
}
window.addEventListener('hashchange', show);
document.getElementById('clear-completed').addEventListener('click', function () {
  document.getElementById('route').textContent = 'cleared';
});
show();
