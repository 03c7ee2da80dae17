import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { phases } from '../src/timings.js'; // also imports web-vitals: it must load in Node

const NOW = 1_767_225_600_010;

// A PerformanceNavigationTiming-like entry (times relative to navigation start).
const ENTRY = {
  redirectStart: 5, redirectEnd: 25,
  domainLookupStart: 30, domainLookupEnd: 45,
  connectStart: 45, secureConnectionStart: 60, connectEnd: 100,
  requestStart: 101, responseStart: 181, responseEnd: 231,
  domComplete: 731, loadEventStart: 731, loadEventEnd: 741,
  duration: 741, transferSize: 18423,
};

describe('phases', () => {
  beforeEach(() => mock.method(Date, 'now', () => NOW));
  afterEach(() => mock.restoreAll());

  test('every phase from its marks', () => {
    assert.deepEqual(phases(ENTRY), { // its time is stamped by the tracker when it is added
      t: 'nav',
      redirect: 20, dns: 15,
      connect: 15, // 45 -> 100 minus the 40 ms of TLS
      tls: 40, // secureConnectionStart 60 -> connectEnd 100
      req: 80, // requestStart -> responseStart
      res: 50,
      dom: 500, // responseEnd -> domComplete
      load: 10,
      total: 741, // loadEventEnd
      size: 18423,
    });
  });

  test('no TLS (secureConnectionStart 0): tls 0, connect is the whole connection', () => {
    const p = phases({ ...ENTRY, secureConnectionStart: 0 });
    assert.equal(p.tls, 0);
    assert.equal(p.connect, 55);
  });

  test('negative differences are clamped to 0', () => {
    const p = phases({ ...ENTRY, redirectStart: 50, redirectEnd: 0, domainLookupEnd: 10, responseEnd: 800,
      loadEventEnd: 0 });
    assert.equal(p.redirect, 0);
    assert.equal(p.dns, 0);
    assert.equal(p.dom, 0); // domComplete 731 before responseEnd 800
    assert.equal(p.load, 0); // load not finished: loadEventEnd 0
    for (const [k, v] of Object.entries(p)) if (typeof v == 'number') assert.ok(v >= 0, k);
  });

  test('a phase over a day is capped at one day (the wire bound), and NaN reads as 0', () => {
    const p = phases({ ...ENTRY, loadEventEnd: 2 * 864e5, domComplete: Infinity, requestStart: NaN });
    assert.equal(p.total, 864e5);
    assert.equal(p.load, 864e5);
    assert.equal(p.dom, 864e5);
    assert.equal(p.req, 0);
  });

  test('an unfinished load: total falls back to duration', () => {
    assert.equal(phases({ ...ENTRY, loadEventEnd: 0, duration: 650.4 }).total, 650);
  });

  test('fractional marks are rounded to whole milliseconds', () => {
    const p = phases({ ...ENTRY, domainLookupStart: 30.2, domainLookupEnd: 42.9, requestStart: 100.5, responseStart: 181 });
    assert.equal(p.dns, 13);
    assert.equal(p.req, 81);
  });

  test('missing transferSize or marks read as 0', () => {
    const p = phases({ ...ENTRY, transferSize: undefined, redirectStart: undefined, redirectEnd: undefined });
    assert.equal(p.size, 0);
    assert.equal(p.redirect, 0);
    assert.deepEqual(phases({}), { t: 'nav', redirect: 0, dns: 0, connect: 0, tls: 0, req: 0, res: 0, dom: 0,
      load: 0, total: 0, size: 0 });
  });
});
