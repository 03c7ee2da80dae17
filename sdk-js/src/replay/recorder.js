// replay.js: loaded by f.js only for sessions the collector sampled in (the site's replay rate).
// Records the page with @rrweb/record, privacy first: every input masked (hidden inputs' values not
// recorded at all), the text of [data-footfall-mask] and of editable ([contenteditable]) elements
// masked, [data-footfall-block] not recorded, no canvas, no fonts, and the page's query string and
// fragment cut out of every chunk (urls.js).
// Loaded as replay.js#snapshot (the collector wants the page for heatmaps, the session is not
// recorded), it takes one snapshot of the page with the same masking, sends it and stops.

import { record } from '@rrweb/record';
import { createChunker, gzipBase64 } from './chunks.js';
import { createMutationGuard } from './guard.js';
import { PRIVACY } from './masking.js';
import { createScrubber, pageUrl } from './urls.js';

const CHECKOUT_MS = 3 * 60 * 1000; // a new full snapshot every 3 minutes keeps seeking fast

/** One snapshot (rrweb's Meta and FullSnapshot events) for heatmaps, then nothing more. */
function snapshotOnce(site, sid, post) {
  const taken = [];
  const scrubber = createScrubber();
  let stop = null;
  let done = false;
  const send = async () => {
    const text = scrubber.scrub(JSON.stringify(taken));
    const gzip = typeof CompressionStream == 'function';
    post({ v: 1, site, sid, seq: 0, snap: true, url: pageUrl(location.href), vw: innerWidth,
      data: gzip ? await gzipBase64(text) : text, enc: gzip ? 'gzip-base64' : 'json' });
  };
  stop = record({
    ...PRIVACY,
    emit(event) {
      if (done) return;
      scrubber.see(location.href);
      taken.push(event);
      if (event.type != 2) return; // rrweb's FullSnapshot: the page, as the Meta before it says
      done = true;
      setTimeout(() => stop && stop()); // record() has not returned yet when it emits the first one
      send();
    },
  });
}

(() => {
  try {
    const script = document.currentScript;
    const host = new URL(script.src).origin;
    const endpoint = host + '/i/v1/replay';
    const storage = (key, value) => {
      try {
        if (value === undefined) return JSON.parse(localStorage[key]);
        localStorage[key] = JSON.stringify(value);
      } catch (x) {
        return null;
      }
    };
    const session = storage('ff_s'); // f.js's session, which the collector sampled in
    const tag = document.querySelector('script[data-site][src$="/f.js"]');
    const site = tag && tag.getAttribute('data-site');
    if (!session || !session.id || !site) return;
    const post = (chunk, leaving) => {
      if (storage('ff_consent') === false) return stopRecording && stopRecording(); // footfall('consent', false)
      const body = new Blob([JSON.stringify(chunk)], { type: 'text/plain' });
      if (leaving && navigator.sendBeacon(endpoint, body)) return;
      fetch(endpoint, { method: 'POST', body, keepalive: body.size < 6e4, credentials: 'omit' }).catch(() => 0);
    };
    if (new URL(script.src).hash == '#snapshot') return snapshotOnce(site, session.id, post);
    let stopRecording = null;
    let ended = false;
    const scrubber = createScrubber();
    const chunker = createChunker({
      site, sid: session.id, storage, send: post, scrub: scrubber.scrub,
      stop: () => stopRecording && stopRecording(),
    });
    const guard = createMutationGuard({ onStorm: () => stopRecording && stopRecording() });
    stopRecording = record({
      emit(event) {
        if (ended) return;
        // footfall('reset') (or 30 minutes without a batch) started another session: what was
        // recorded goes with the session it belongs to, and this recording ends there.
        const now = storage('ff_s');
        if (!now || now.id != session.id) {
          ended = true;
          chunker.flush();
          return setTimeout(() => stopRecording && stopRecording());
        }
        scrubber.see(location.href);
        const kept = guard(event);
        if (kept) chunker.add(kept);
      },
      ...PRIVACY,
      checkoutEveryNms: CHECKOUT_MS,
      sampling: { mousemove: 100, scroll: 150, media: 800, input: 'last' },
    });
    setInterval(() => chunker.flush(), 5000);
    const leave = () => chunker.leave();
    addEventListener('pagehide', leave);
    document.addEventListener('visibilitychange', () => document.visibilityState == 'hidden' && leave());
  } catch (x) {
    // never into the host page
  }
})();
