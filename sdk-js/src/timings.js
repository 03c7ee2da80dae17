// How the page loaded: Navigation Timing phases, Web Vitals through the web-vitals package (the
// LCP element and the slow interaction's target named from the metric's own entries, rather
// than with the larger attribution build), and the 5 slowest resources. All of it belongs to
// the page view of the initial load.

import { onCLS, onFCP, onINP, onLCP } from 'web-vitals';
import { selectorOf } from './selector.js';
import { cap, now, on } from './util.js';

/** Milliseconds within the wire's bounds (0 to one day). */
const ms = (n) => cap(n, 864e5);

/** A Navigation Timing Level 2 entry as the wire's phases, in milliseconds. */
export function phases(n) {
  const tls = n.secureConnectionStart > 0 ? n.connectEnd - n.secureConnectionStart : 0;
  return {
    t: 'nav',
    redirect: ms(n.redirectEnd - n.redirectStart),
    dns: ms(n.domainLookupEnd - n.domainLookupStart),
    connect: ms(n.connectEnd - n.connectStart - tls),
    tls: ms(tls),
    req: ms(n.responseStart - n.requestStart),
    res: ms(n.responseEnd - n.responseStart),
    dom: ms(n.domComplete - n.responseEnd),
    load: ms(n.loadEventEnd - n.loadEventStart),
    total: ms(n.loadEventEnd || n.duration),
    size: n.transferSize || 0,
  };
}

export function installTimings(t) {
  const page = t.page;
  const perf = performance;
  const vital = ({ name, value, rating, entries }) => {
    const entry = entries[entries.length - 1] || {};
    const node = name == 'LCP' ? entry.element : name == 'INP' ? entry.target : null;
    t.add({ t: 'vital', n: name, v: cap(value * 1e3, 864e8) / 1e3, r: rating,
      target: node?.isConnected ? selectorOf(node) : '' }, page);
  };
  [onFCP, onLCP, onCLS, onINP].forEach((subscribe) => subscribe(vital));

  // The slowest resources (URLs as they are: the collector drops query strings), once: 3 s after
  // load (late images and requests count), or when the
  // page view ends first.
  let resourcesSent;
  const resources = () => resourcesSent || (resourcesSent = perf.getEntriesByType('resource')
    .filter((r) => !r.name.startsWith(t.host))
    .sort((a, b) => b.duration - a.duration)
    .slice(0, 5)
    .map((r) => t.add({ t: 'res', url: r.name, kind: r.initiatorType, dur: ms(r.duration),
      size: r.transferSize || 0 }, page)));
  t.ends.push(resources);
  const loaded = () => setTimeout(() => {
    const [nav] = perf.getEntriesByType('navigation');
    if (nav) {
      t.add(phases(nav), page);
      // TTFB as web-vitals measures it (from activation for a prerendered page; good up to 800 ms, poor
      // over 1800), from the entry at hand: web-vitals' onTTFB would cost f.js 100 bytes gzipped.
      const v = nav.responseStart - (nav.activationStart || 0);
      vital({ name: 'TTFB', value: v, rating: v > 1800 ? 'poor' : v > 800 ? 'needs-improvement' : 'good', entries: [] });
    }
    setTimeout(resources, 3e3);
  });
  if (document.readyState == 'complete') loaded();
  else on(t.win, 'load', loaded);
}
