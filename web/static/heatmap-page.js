// The heatmaps page (/sites/{key}/heatmaps): fetches the page snapshot and the map with the user's
// session, hands them to the viewer (heatmap.js, in an opaque-origin frame two levels down, which reads
// nothing of this page) by postMessage. The viewer answers with where the clicked elements are in the
// snapshot; the click map is then asked for with that layout, so clicks land on their elements.
// No build step; plain ES2017.
(function () {
  'use strict';

  var root = document.getElementById('heatmap');
  if (!root) return;
  var frame = document.getElementById('heatmap-frame');
  var status = document.getElementById('heatmap-status');
  var opacity = document.getElementById('h-opacity');
  var api = root.getAttribute('data-api');
  var query = root.getAttribute('data-query');
  var kind = root.getAttribute('data-kind');
  var width = +root.getAttribute('data-width');
  var height = +root.getAttribute('data-height');
  var selectors = JSON.parse(root.getAttribute('data-selectors') || '[]');
  var snapshot = null;
  var shown = false;
  var ready = false;
  var blank = false;
  var layers = 0; // how many layers the map has; the page is drawn once every one has loaded
  var loaded = 0;
  root.style.width = width + 'px'; // the device's viewport (set here: the dashboard allows no inline style)
  root.style.height = height + 'px';

  function say(text) {
    status.textContent = text;
  }

  function viewer() {
    return frame.contentWindow && frame.contentWindow.frames[0];
  }

  function send(message) {
    var target = viewer();
    message.ff = 'dashboard';
    // The viewer's origin is opaque: '*' is the only target origin that reaches it, and the target is
    // always this page's own frame's frame (the shell may only be framed by this origin).
    if (target) target.postMessage(message, '*');
  }

  /** A page with nothing in it, for a page never recorded: the map shows by page position. */
  function blankPage() {
    var t = Date.now();
    return [
      { type: 4, timestamp: t, data: { href: 'about:blank', width: width, height: height } },
      { type: 2, timestamp: t, data: { initialOffset: { left: 0, top: 0 }, node: { type: 0, id: 1, childNodes: [
        { type: 2, id: 2, tagName: 'html', attributes: {}, childNodes: [
          { type: 2, id: 3, tagName: 'head', attributes: {}, childNodes: [] },
          { type: 2, id: 4, tagName: 'body', attributes: { style: 'margin:0;background:#fff' }, childNodes: [] }] }] } } },
    ];
  }

  function show() {
    if (!snapshot || !ready || shown) return;
    shown = true;
    send({ type: 'show', events: snapshot, width: width, height: height, selectors: kind === 'click' ? selectors : [] });
  }

  function fetchSnapshot() {
    fetch(api + '/heatmaps/snapshot?' + query + '&optional=true', { credentials: 'same-origin' })
      .then(function (r) {
        if (r.status === 204) return null;
        if (!r.ok) throw new Error('The page snapshot could not be loaded (' + r.status + ').');
        return r.json();
      })
      .then(function (found) {
        blank = !found;
        snapshot = found ? found.events : blankPage();
        say(blank ? 'No snapshot of this page was taken on this device class yet: the map is drawn on a blank page, '
          + 'by where on the page each event was.'
          : 'Drawing the map…');
        show();
      })
      .catch(function (x) { say(x.message); });
  }

  function layer(url, options, name, w, h) {
    return fetch(url, options)
      .then(function (r) {
        if (!r.ok) throw new Error('The map could not be drawn (' + r.status + ').');
        var cell = +(r.headers.get('X-Heatmap-Cell') || 0);
        return r.blob().then(function (image) {
          // Cell maps cover whole cells; the scroll band is stretched over the page as laid out.
          send({ type: 'draw', kind: kind, layer: name, image: image, opacity: +opacity.value, cover: !cell,
            width: Math.ceil(w / (cell || 1)) * (cell || 1), height: Math.ceil(h / (cell || 1)) * (cell || 1) });
        });
      });
  }

  /** The map for the measured page: for clicks, one layer that scrolls with the page and, when the
   * page has elements fixed to the viewport, one that stays in the viewport with them. */
  function fetchMap(page, layout, fixed) {
    var w = Math.max(page.width, width);
    var h = Math.max(page.height, height);
    var url = api + '/heatmaps/' + kind + '?' + query + '&format=png';
    var drawn;
    layers = kind === 'click' && fixed.length ? 2 : 1;
    loaded = 0;
    if (kind === 'click') {
      var post = function (name, lw, lh) {
        return layer(url + '&layer=' + name + '&width=' + lw + '&height=' + lh, { method: 'POST',
          credentials: 'same-origin', body: JSON.stringify({ layout: layout, fixed: fixed }),
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': root.getAttribute('data-csrf') } },
        name, lw, lh);
      };
      drawn = Promise.all([post('page', w, h)].concat(fixed.length ? [post('fixed', width, height)] : []));
    } else {
      drawn = layer(url + '&width=' + w + '&height=' + h, { credentials: 'same-origin' }, 'page', w, h);
    }
    drawn.catch(function (x) { say(x.message); });
  }

  addEventListener('message', function (e) {
    if (e.source !== viewer() || !e.data || e.data.ff !== 'heatmap') return;
    var m = e.data;
    if (m.type === 'ready') {
      ready = true;
      show();
    }
    else if (m.type === 'layout') fetchMap(m.page, m.layout, m.fixed || []);
    else if (m.type === 'drawn') {
      loaded += 1;
      if (loaded < layers) return;
      root.setAttribute('data-state', 'drawn');
      if (!blank) say('The map is drawn over the newest recorded snapshot of this page. Scroll inside it to see more.');
    } else if (m.type === 'error') say('The viewer failed: ' + m.message);
  });

  opacity.addEventListener('input', function () { send({ type: 'opacity', opacity: +opacity.value }); });
  frame.addEventListener('load', function () { send({ type: 'hello' }); });
  fetchSnapshot();
})();
