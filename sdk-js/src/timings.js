// How the page loaded: Navigation Timing phases, Web Vitals through the web-vitals package (the
// LCP element and the slow interaction's target named from the metric's own entries, rather
// than with the larger attribution build), and the 5 slowest resources. All of it belongs to
// the page view of the initial load.

import { onCLS, onFCP, onINP, onLCP, onTTFB } from 'web-vitals';
import { selectorOf } from './selector.js';
import { now, on, round } from './util.js';

const ms = (n) => (n > 0 ? round(n) : 0);

/** A Navigation Timing Level 2 entry as the wire's phases, in milliseconds. */
export function phases(n) {
  const tls = n.secureConnectionStart > 0 ? n.connectEnd - n.secureConnectionStart : 0;
  return {
    t: 'nav', ts: now(),
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
    t.add({ t: 'vital', ts: now(), n: name, v: round(value * 1e3) / 1e3, r: rating,
      target: node?.isConnected ? selectorOf(node) : '' }, page);
  };
  [onTTFB, onFCP, onLCP, onCLS, onINP].forEach((subscribe) => subscribe(vital));

  // The slowest resources (URLs as they are: the collector drops query strings), once: 3 s after
  // load (late images and requests count), or when the
  // page view ends first.
  let resourcesSent;
  const resources = () => resourcesSent || (resourcesSent = perf.getEntriesByType('resource')
    .filter((r) => !r.name.startsWith(t.host))
    .sort((a, b) => b.duration - a.duration)
    .slice(0, 5)
    .map((r) => t.add({ t: 'res', ts: now(), url: r.name, kind: r.initiatorType, dur: ms(r.duration),
      size: r.transferSize || 0 }, page)));
  t.ends.push(resources);
  const loaded = () => setTimeout(() => {
    const [nav] = perf.getEntriesByType('navigation');
    if (nav) t.add(phases(nav), page);
    setTimeout(resources, 3e3);
  });
  if (document.readyState == 'complete') loaded();
  else on(t.win, 'load', loaded);
}
