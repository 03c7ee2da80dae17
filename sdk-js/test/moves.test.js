import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSampler, MAX_POINTS } from '../src/moves.js';

const q = (v) => Math.round(v / 4) * 4;

/** A trail: a sample every 10 ms moving 3 px right and 1 px down; returns kept samples with
 * the raw input each came from. */
function trail(feed, n, t0 = 0) {
  const kept = [];
  for (let i = 0; i < n; i++) {
    const x = 10 + i * 3;
    const y = 7 + i;
    const time = t0 + i * 10;
    const point = feed(x, y, time);
    if (point) kept.push({ point, x, y, time });
  }
  return kept;
}

describe('createSampler', () => {
  test('MAX_POINTS is 600', () => {
    assert.equal(MAX_POINTS, 600);
  });

  test('the first sample is kept, quantised to the 4 px grid', () => {
    assert.deepEqual(createSampler()(101, 203, 0), [100, 204]);
    assert.deepEqual(createSampler()(6, 2, 0), [8, 4]); // Math.round: halves go up
    assert.deepEqual(createSampler()(5, 1, 0), [4, 0]);
  });

  test('under 50 ms from the last kept sample: dropped; at 50 ms: kept', () => {
    const feed = createSampler();
    feed(0, 0, 1000);
    assert.equal(feed(100, 100, 1049), null);
    assert.deepEqual(feed(100, 100, 1050), [100, 100]);
  });

  test('under 8 px from the last kept sample: dropped; at 8 px: kept (Euclidean)', () => {
    const feed = createSampler();
    feed(0, 0, 0);
    assert.equal(feed(7, 0, 100), null);
    assert.equal(feed(5, 6, 200), null); // 7.8 px
    assert.deepEqual(feed(8, 0, 300), [8, 0]);
    assert.deepEqual(feed(14, 6, 400), [16, 8]); // 8.5 px from (8, 0)
  });

  test('distance and time count from the last kept sample, not the last fed one', () => {
    const feed = createSampler();
    feed(0, 0, 0);
    // creeping 1 px every 100 ms: only every 8th sample is 8 px from the last kept one
    const kept = [];
    for (let i = 1; i <= 24; i++) if (feed(i, 0, i * 100)) kept.push(i);
    assert.deepEqual(kept, [8, 16, 24]);
  });

  test('a long trail: count, spacing and grid', () => {
    const feed = createSampler();
    const kept = trail(feed, 2000); // 20 s of movement, 3.16 px per 10 ms
    // 50 ms gives 15.8 px, so time decides: every 5th sample of 2000
    assert.equal(kept.length, 400);
    for (let i = 0; i < kept.length; i++) {
      const { point: [qx, qy], x, y } = kept[i];
      assert.equal(qx % 4, 0);
      assert.equal(qy % 4, 0);
      assert.deepEqual([qx, qy], [q(x), q(y)]);
      assert.ok(Math.abs(qx - x) <= 2 && Math.abs(qy - y) <= 2);
      if (i) {
        const prev = kept[i - 1];
        assert.ok(kept[i].time - prev.time >= 50, 'time spacing');
        assert.ok(Math.hypot(x - prev.x, y - prev.y) >= 8, 'distance spacing');
      }
    }
  });

  test('at most MAX_POINTS kept per page view; reset() lifts the cap', () => {
    const feed = createSampler();
    const first = trail(feed, 5000); // would keep 1000 without the cap
    assert.equal(first.length, MAX_POINTS);
    // capped: nothing more, however far and late
    assert.equal(feed(99_999, 99_999, 10_000_000), null);
    feed.reset();
    assert.deepEqual(feed(20_000, 20_000, 20_000_000), [20_000, 20_000]);
    const second = trail(feed, 5000, 30_000_000);
    assert.equal(second.length, MAX_POINTS - 1);
    assert.equal(feed(0, 0, 90_000_000), null);
  });

  test('samplers are independent', () => {
    const a = createSampler();
    const b = createSampler();
    a(0, 0, 0);
    assert.deepEqual(b(1, 1, 1), [0, 0]);
    assert.equal(a(1, 1, 1), null);
  });
});
