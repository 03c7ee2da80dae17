// The replay player page (/sites/{key}/replays/{sid}): fetches the recording with the user's session,
// hands it to the player (player.js, in an opaque-origin frame two levels down, which reads nothing of
// this page) by postMessage, and drives it: play, pause, seek, speed, skip inactivity, a timeline with
// markers, deep links (?t=seconds from the start of the recording). No build step; plain ES2017.
(function () {
  'use strict';

  var root = document.getElementById('player');
  if (!root) return;
  var frame = document.getElementById('player-frame');
  var playButton = document.getElementById('play');
  var seekBar = document.getElementById('seek');
  var clock = document.getElementById('clock');
  var markers = document.getElementById('markers');
  var speed = document.getElementById('speed');
  var skip = document.getElementById('skip');
  var momentButton = document.getElementById('moment');
  var momentBox = document.getElementById('moment-box');
  var momentLink = document.getElementById('moment-link');
  var status = document.getElementById('player-status');

  var events = null;
  var ready = false;
  var loaded = false;
  var state = { at: 0, total: 0, playing: false };
  var dragging = false;
  var deepLink = Math.max(0, parseFloat(root.getAttribute('data-t')) || 0) * 1000;
  var CLICK = 2; // rrweb MouseInteractions.Click
  var KIND_CLASS = { page: 'mk-page', click: 'mk-click', rage_click: 'mk-rage_click', dead_click: 'mk-dead_click',
    error: 'mk-error' };
  var KIND_LABEL = { page: 'Page', click: 'Click', error: 'Error' };

  function player() {
    return frame.contentWindow && frame.contentWindow.frames[0];
  }

  function send(message) {
    var target = player();
    message.ff = 'dashboard';
    // The player document's origin is opaque, so '*' is the only target origin that reaches it; the
    // target is always this page's own frame's frame (the shell may only be framed by this origin).
    if (target) target.postMessage(message, '*');
  }

  function fmt(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    var rest = s % 60;
    var two = function (n) { return (n < 10 ? '0' : '') + n; };
    return h ? h + ':' + two(m) + ':' + two(rest) : m + ':' + two(rest);
  }

  function say(text) {
    status.textContent = text;
  }

  // -- the recording ------------------------------------------------------------------------------
  function parse(text) {
    var out = [];
    text.split('\n').forEach(function (line) {
      if (!line) return;
      try {
        var event = JSON.parse(line);
        if (event && typeof event.timestamp == 'number') out.push(event);
      } catch (x) { /* a line that is not JSON is skipped */ }
    });
    out.sort(function (a, b) { return a.timestamp - b.timestamp; });
    return out;
  }

  function fetchRecording() {
    if (root.getAttribute('data-has-replay') !== 'true') return;
    fetch(root.getAttribute('data-replay-url'), { credentials: 'same-origin' })
      .then(function (r) {
        if (r.status === 404) throw new Error('This session has no recording (it was not sampled, or its recording expired).');
        if (!r.ok) throw new Error('The recording could not be loaded (' + r.status + '). Reload the page to try again.');
        return r.text();
      })
      .then(function (text) {
        events = parse(text);
        if (events.length < 2 || !events.some(function (e) { return e.type === 2; })) {
          throw new Error('This recording has no complete snapshot of the page yet; it cannot be replayed.');
        }
        start();
      })
      .catch(function (x) { say(x.message); });
  }

  // -- markers --------------------------------------------------------------------------------------
  // Times on the page (pages, errors, signals) are the collector's: when a browser's clock was 2 s or
  // more off, the collector moved them, and the sidebar says by how much (data-skew-ms); the recorded
  // events keep the browser's clock.
  function drawMarkers(first, total) {
    var side = document.querySelector('[data-skew-ms]');
    var skew = (side && Number(side.getAttribute('data-skew-ms'))) || 0;
    var list = [];
    events.forEach(function (e) {
      if (e.type === 3 && e.data && e.data.source === 2 && e.data.type === CLICK) list.push({ at: e.timestamp - first, kind: 'click' });
    });
    document.querySelectorAll('[data-kind][data-at-ms]').forEach(function (item) {
      var at = Number(item.getAttribute('data-at-ms')) - skew - first;
      var kind = item.getAttribute('data-kind');
      list.push({ at: at, kind: kind, label: item.getAttribute('data-label') || '' });
      var button = item.querySelector('button.seek');
      var shown = item.querySelector('.at');
      if (button) {
        button.setAttribute('data-seek-ms', String(Math.max(0, at)));
        button.textContent = fmt(Math.max(0, at));
        button.hidden = false;
        if (shown) shown.hidden = true;
      }
    });
    // Clicks first, so that the rarer markers are drawn over them.
    list.sort(function (a, b) { return (a.kind === 'click' ? 0 : 1) - (b.kind === 'click' ? 0 : 1) || a.at - b.at; });
    markers.textContent = '';
    list.forEach(function (m) {
      var at = Math.max(0, Math.min(total, m.at));
      var mark = document.createElement('button');
      mark.type = 'button';
      mark.className = 'marker ' + (KIND_CLASS[m.kind] || 'mk-signal');
      mark.style.left = (total ? (at / total) * 100 : 0) + '%';
      var name = KIND_LABEL[m.kind] || (m.label || m.kind);
      mark.title = name + (m.kind === 'error' && m.label ? ': ' + m.label : '') + ' at ' + fmt(at);
      mark.setAttribute('aria-label', mark.title);
      mark.setAttribute('data-seek-ms', String(at));
      mark.setAttribute('data-kind', m.kind);
      if (m.kind === 'click') mark.tabIndex = -1; // many; the keyboard reaches moments from the lists instead
      markers.appendChild(mark);
    });
  }

  // -- the player -----------------------------------------------------------------------------------
  function start() {
    // After this page's load event: rrweb leaves its frame's document open (loading) once it rebuilt the
    // recorded page, which would otherwise hold this page's load (and its spinner) for good.
    if (!events || !ready || loaded || document.readyState !== 'complete') return;
    loaded = true;
    var first = events[0].timestamp;
    var total = events[events.length - 1].timestamp - first;
    var meta = events.filter(function (e) { return e.type === 4 && e.data && e.data.width; })[0];
    if (meta) frame.style.aspectRatio = meta.data.width + ' / ' + meta.data.height;
    seekBar.max = String(total);
    drawMarkers(first, total);
    var at = Math.min(deepLink, total);
    send({ type: 'load', events: events, at: at, play: false, speed: Number(speed.value), skip: skip.checked });
    events = null; // the player keeps them
    state = { at: at, total: total, playing: false };
    [playButton, seekBar, speed, skip, momentButton].forEach(function (c) { c.disabled = false; });
    show();
    say(deepLink ? 'Paused at ' + fmt(at) + '. Press Play to watch from there.' : 'Ready. Press Play to watch the session.');
  }

  function show() {
    playButton.textContent = state.playing ? 'Pause' : 'Play';
    playButton.setAttribute('aria-label', state.playing ? 'Pause' : 'Play');
    clock.textContent = fmt(state.at) + ' / ' + fmt(state.total);
    if (!dragging) seekBar.value = String(state.at);
    seekBar.setAttribute('aria-valuetext', fmt(state.at) + ' of ' + fmt(state.total));
  }

  function seekTo(ms, play) {
    var at = Math.max(0, Math.min(state.total, ms));
    state.at = at;
    send({ type: 'seek', at: at, play: play === undefined ? state.playing : play });
    show();
  }

  function toggle() {
    if (playButton.disabled) return;
    send({ type: state.playing ? 'pause' : 'play' });
  }

  window.addEventListener('message', function (e) {
    var target = player();
    if (!target || e.source !== target || !e.data || e.data.ff !== 'player') return;
    var m = e.data;
    if (m.type === 'ready') {
      ready = true;
      start();
    } else if (m.type === 'state') {
      var was = state.playing;
      state = { at: m.at, total: m.total, playing: m.playing };
      show();
      if (m.skipping) say('Skipping inactivity…');
      else if (m.finished) say('The end of the recording.');
      else if (was !== m.playing) say(m.playing ? 'Playing.' : 'Paused at ' + fmt(m.at) + '.');
    } else if (m.type === 'error') {
      say('The player stopped: ' + m.message);
    }
  });

  // The player says "ready" once it has loaded, or when asked (it may load before this script).
  var hellos = 0;
  (function hello() {
    if (ready || hellos++ > 60) return;
    send({ type: 'hello' });
    setTimeout(hello, 250);
  })();

  playButton.addEventListener('click', toggle);
  seekBar.addEventListener('input', function () {
    dragging = true;
    clock.textContent = fmt(Number(seekBar.value)) + ' / ' + fmt(state.total);
  });
  seekBar.addEventListener('change', function () {
    dragging = false;
    seekTo(Number(seekBar.value));
  });
  seekBar.addEventListener('keydown', function (e) {
    var step = { ArrowLeft: -5000, ArrowDown: -5000, ArrowRight: 5000, ArrowUp: 5000, PageDown: -30000, PageUp: 30000 }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    seekTo(state.at + step);
  });
  speed.addEventListener('change', function () { send({ type: 'speed', speed: Number(speed.value) }); });
  skip.addEventListener('change', function () { send({ type: 'skip', on: skip.checked }); });
  document.addEventListener('click', function (e) {
    var target = e.target.closest('[data-seek-ms]');
    if (target && !seekBar.disabled) seekTo(Number(target.getAttribute('data-seek-ms')));
  });
  // Space or k plays and pauses, unless a control has the focus (it has its own keys).
  document.addEventListener('keydown', function (e) {
    if ((e.key !== ' ' && e.key !== 'k') || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.closest('input, select, textarea, button, a, summary')) return;
    e.preventDefault();
    toggle();
  });

  momentButton.addEventListener('click', function () {
    var url = new URL(location.href);
    url.searchParams.set('t', (state.at / 1000).toFixed(1));
    history.replaceState(null, '', url.pathname + url.search);
    momentBox.hidden = false;
    momentLink.value = url.href;
    momentLink.select();
    var note = momentBox.querySelector('.copied');
    var done = function () { note.textContent = 'Copied to the clipboard.'; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url.href).then(done, function () { note.textContent = 'Select the link and copy it.'; });
    } else {
      note.textContent = document.execCommand('copy') ? 'Copied to the clipboard.' : 'Select the link and copy it.';
    }
  });

  window.addEventListener('load', start);
  fetchRecording();
})();
