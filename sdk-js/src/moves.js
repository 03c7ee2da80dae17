// Mouse movement for move heatmaps (fine pointers only): sampled in time and distance,
// quantised to a 4 px grid, capped per page view, sent as trails of up to 100 points.

import { cap, now, on } from './util.js';

export const MAX_POINTS = 600;

/** The point to keep for a sample (on a 4 px grid), or null: under 50 ms or 8 px from the last
 * kept one, or MAX_POINTS already kept. */
export function createSampler() {
  let last;
  let kept = 0;
  const feed = (x, y, time) => {
    if (kept >= MAX_POINTS || (last && (time - last[2] < 50 || Math.hypot(x - last[0], y - last[1]) < 8))) return null;
    last = [x, y, time];
    kept++;
    return [x, y].map((n) => cap(n / 4, 25e5, -25e3) * 4); // within the px bounds, on the grid
  };
  feed.reset = () => (kept = 0);
  return feed;
}

export function installMoves(t) {
  if (!matchMedia('(pointer:fine)').matches) return;
  const feed = createSampler();
  let trail = [];
  let started;
  const send = () => {
    if (trail.length) t.add({ t: 'move', ts: started, p: trail });
    trail = [];
  };
  on(t.doc, 'mousemove', (e) => {
    const point = feed(e.pageX, e.pageY, now());
    if (!point) return;
    if (!trail.length) started = now();
    if (trail.push(point) > 99) send();
  });
  t.ticks.push(send);
  t.ends.push(send);
  t.starts.push(feed.reset);
}
