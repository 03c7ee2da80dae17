// Scroll depth: the deepest point of the page seen (the viewport's bottom edge), in pixels and
// as a share of the page height; sampled while the visitor scrolls (at most every 500 ms, 40
// times per page view) and once more when the page view ends. The first sample is the fold.

import { now, on, px, ratio } from './util.js';

export function installScroll(t) {
  const { win } = t;
  let max;
  let sent;
  let samples;
  let last;
  let timer;
  const sample = (force) => {
    if (sent >= max || (!force && (samples > 39 || now() - last < 500))) return;
    const h = Math.max(document.documentElement.scrollHeight, max);
    t.add({ t: 'scroll', ts: (last = now()), d: px((sent = max)), pct: ratio(max, h), h: px(h) });
    samples++;
  };
  const measure = () => {
    timer = 0;
    max = Math.max(max, win.scrollY + win.innerHeight);
    sample();
  };
  const start = () => {
    max = win.scrollY + win.innerHeight;
    sent = samples = last = 0;
    sample(1);
  };
  on(win, 'scroll', () => (timer = timer || setTimeout(measure, 200)));
  t.ends.push(() => measure() + sample(1));
  t.starts.push(start);
  start();
}
