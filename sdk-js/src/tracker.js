// Wires the capture modules to batching and delivery, behind the visitor's privacy choices,
// and returns the browser API documented in docs/snippet.md: event, identify, reset, consent, on.

import { createBatcher } from './batcher.js';
import { installClicks } from './clicks.js';
import { installErrors } from './errors.js';
import { installForms } from './forms.js';
import { installMoves } from './moves.js';
import { installPages } from './pages.js';
import { allowed } from './privacy.js';
import { installScroll } from './scroll.js';
import { createSignals } from './signals.js';
import { installTimings } from './timings.js';
import { beaconPost, createSender, httpPost, OUTBOX } from './transport.js';
import { now, on, store } from './util.js';

const ID = /^[\w-]{1,64}$/;

/** Custom event properties as the wire takes them: at most 50, strings, numbers, booleans and
 * null only (a function, symbol or BigInt would not even serialise). */
export const cleanProps = (props) =>
  Object.fromEntries(Object.entries(props || {}).filter(([, v]) => v === null || /^(st|n|bo)/.test(typeof v)).slice(0, 50));

/** cfg: { site, host, respectDnt }. */
export function start(win, { site, host, respectDnt }) {
  const endpoint = host + '/i/v1/batch';
  // A session the collector samples in for replay loads the recorder, once per page; a page the
  // collector wants for heatmaps loads it too, as replay.js#snapshot, for one snapshot.
  const replay = (answer) => {
    if (answer.replay && !t.recorder) {
      // it reads the site from f.js's tag
      t.doc.head.append(Object.assign((t.recorder = t.doc.createElement('script')), { src: host + '/replay.js#' + answer.replay }));
    }
  };
  const sender = createSender({ post: httpPost(endpoint, replay), storage: store });
  const batcher = createBatcher({ deliver: sender.send, leave: beaconPost(endpoint, win.navigator) });
  const signals = createSignals();
  let enabled;
  const t = {
    win, doc: win.document, site, host, store, signals,
    vid: ID.test(store('ff_vid')) && store('ff_vid'),
    next: (between) => between(), // the next page view, once pages.js is installed
    starts: [], // page-view start, end and timer hooks of the capture modules
    ends: [],
    ticks: [],
    // Stamps the event's time when its module did not (the moment it happened, for clicks, moves, scroll).
    add: (event, page) => ((event.ts ||= now()), enabled && batcher.add(page || t.page, event)),
  };
  const flush = () => {
    t.ticks.forEach((tick) => tick());
    batcher.flush();
  };
  const leave = () => {
    t.ends.forEach((end) => end());
    batcher.flush(1);
  };
  const begin = () => {
    if (enabled == null) {
      enabled = 1;
      installPages(t);
      installTimings(t);
      [installClicks, installScroll, installMoves, installErrors, installForms].forEach((install) => install(t));
      // On window, so it runs after every listener on document: web-vitals reports a hidden
      // page's metrics there (some only register once FCP is known), and they go in this batch.
      on(win, 'visibilitychange', () => t.doc.visibilityState == 'hidden' && leave());
      on(win, 'pagehide', leave);
      setTimeout(flush, 1e3);
      setInterval(flush, 5e3);
      sender.resume();
    }
    enabled = 1;
  };
  if (allowed(store('ff_consent'), win.navigator, respectDnt)) begin();

  return {
    event: (name, props) => name && (name += '') && t.add({ t: 'custom', n: name, p: cleanProps(props) }),
    identify: (id) => id != null && ID.test((id += '')) && store('ff_vid', (t.vid = id)),
    // Logout: what waits goes with the old session, which a new page view in a new session follows.
    reset: () =>
      t.next(() => {
        flush();
        store('ff_s', (t.vid = null));
        store('ff_vid', null);
      }),
    consent(yes) {
      store('ff_consent', !!yes);
      if (yes) return begin();
      enabled = 0;
      batcher.clear();
      store(OUTBOX, []);
    },
    on: signals.on,
  };
}
