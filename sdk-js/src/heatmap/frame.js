// heatmap.js: runs only in the dashboard's heatmap viewer document, a data: URL framed by the heatmap
// frame shell (GET /sites/{key}/heatmaps/frame; web/dashboard/heatmaps_page.py), so its origin is
// opaque, as the replay player's (sdk-js/src/player/frame.js): it reads nothing of the dashboard and
// fetches nothing. The dashboard page sends the page snapshot (rrweb Meta + FullSnapshot events) by
// postMessage; rrweb's Replayer rebuilds it in an iframe sandboxed with allow-same-origin only, at the
// device class's viewport size, so `100vh` means what it meant on the device and the page scrolls
// inside. This document then measures where the clicked elements are (the layout the click map
// places clicks by) and lays the map the dashboard drew over the rebuilt page.

import { Replayer } from '@rrweb/replay';
import { sanitizeEvents } from '../player/sanitize.js';

(() => {
  const stage = document.getElementById('stage');
  const DASHBOARD = stage.dataset.dashboard;
  // The site's own origins: what the rebuilt page may load (the frame's policy says the same).
  const ORIGINS = (stage.dataset.origins || '').split(' ').filter(Boolean);
  const page = parent.parent;
  let replayer = null;
  const overlays = {}; // layer -> the <img> drawn in the rebuilt page
  let size = { width: 1280, height: 800 };

  const post = (message) => page.postMessage({ ff: 'heatmap', ...message }, DASHBOARD);
  const doc = () => (replayer && replayer.iframe.contentDocument) || null;

  /** The rebuilt page is for looking at: links and forms do nothing. */
  const inert = (d) => {
    ['click', 'submit', 'auxclick'].forEach((type) => d.addEventListener(type, (e) => e.preventDefault(), true));
  };

  /** Whether the element stays put when the page scrolls (it or an ancestor is position: fixed). */
  const isFixed = (el, win) => {
    for (let node = el; node && node.nodeType == 1; node = node.parentElement) {
      if (win.getComputedStyle(node).position == 'fixed') return true;
    }
    return false;
  };

  /** Each selector's box [left, top, width, height] for those found in the page: in page pixels,
   * or in viewport pixels for the elements fixed to the viewport (listed in `fixed`). */
  const measure = (selectors) => {
    const d = doc();
    const found = {};
    const fixed = [];
    if (!d) return { layout: found, fixed };
    const win = d.defaultView;
    for (const selector of selectors) {
      let el = null;
      try {
        el = d.querySelector(selector);
      } catch (x) {
        continue; // not a selector this browser reads
      }
      if (!el) continue;
      const box = el.getBoundingClientRect();
      if (!box.width && !box.height) continue; // hidden in the snapshot: the page position is better
      if (isFixed(el, win)) {
        fixed.push(selector);
        found[selector] = [box.left, box.top, box.width, box.height];
      } else {
        found[selector] = [box.left + win.scrollX, box.top + win.scrollY, box.width, box.height];
      }
    }
    return { layout: found, fixed };
  };

  const extent = () => {
    const d = doc();
    const root = d && (d.documentElement || d.body);
    return root ? { width: root.scrollWidth, height: root.scrollHeight } : size;
  };

  const show = (message) => {
    if (replayer) replayer.destroy();
    Object.keys(overlays).forEach((layer) => delete overlays[layer]);
    size = { width: message.width, height: message.height };
    const events = sanitizeEvents(message.events || [], ORIGINS);
    replayer = new Replayer(events, {
      root: stage, mouseTail: false, showWarning: false, triggerFocus: false, pauseAnimation: true,
      UNSAFE_replayCanvas: false, // would add allow-scripts to the rebuilt page's iframe: never
    });
    const frame = replayer.iframe;
    frame.style.width = size.width + 'px';
    frame.style.height = size.height + 'px';
    frame.setAttribute('width', size.width);
    frame.setAttribute('height', size.height);
    replayer.wrapper.style.transform = 'none';
    let measured = false;
    // Measured once the page is rebuilt and laid out (its styles in place): two frames later.
    const report = () => {
      if (measured) return;
      measured = true;
      const d = doc();
      if (d) inert(d);
      requestAnimationFrame(() => requestAnimationFrame(() =>
        post({ type: 'layout', page: extent(), ...measure(message.selectors || []) })));
    };
    replayer.on('fullsnapshot-rebuilded', report);
    replayer.pause(0);
    replayer.enableInteract(); // the visitor of the map scrolls the page
    setTimeout(report, 2000); // should the event never come, measure what there is
  };

  /** Lays one layer of the map over the page: `page` scrolls with it, `fixed` stays in the viewport. */
  const draw = (message) => {
    const d = doc();
    if (!d || !d.documentElement) return;
    const layer = message.layer || 'page';
    if (overlays[layer]) overlays[layer].remove();
    const overlay = (overlays[layer] = d.createElement('img'));
    overlay.alt = '';
    overlay.setAttribute('data-footfall-heatmap', message.kind + ' ' + layer);
    const s = overlay.style;
    s.cssText = `position:${layer == 'fixed' ? 'fixed' : 'absolute'};left:0;top:0;margin:0;padding:0;border:0;` +
      'max-width:none;max-height:none;pointer-events:none;z-index:2147483647;display:block';
    // A band (the scroll map) covers the page as it is laid out now; a cell map has its own size.
    const cover = message.cover ? extent() : message;
    s.width = cover.width + 'px';
    s.height = cover.height + 'px';
    s.opacity = message.opacity;
    overlay.src = URL.createObjectURL(message.image);
    overlay.onload = () => post({ type: 'drawn', kind: message.kind, layer });
    d.documentElement.appendChild(overlay);
  };

  const commands = {
    hello: () => post({ type: 'ready' }),
    show,
    draw,
    opacity(message) {
      Object.values(overlays).forEach((overlay) => (overlay.style.opacity = message.opacity));
    },
  };

  addEventListener('message', (e) => {
    if (e.source !== page || e.origin !== DASHBOARD || !e.data || e.data.ff !== 'dashboard') return;
    const command = Object.hasOwn(commands, e.data.type) && commands[e.data.type];
    if (!command) return;
    try {
      command(e.data);
    } catch (x) {
      post({ type: 'error', message: String((x && x.message) || x) });
    }
  });
  post({ type: 'ready' });
})();
