import './fakes.js';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRageDetector, DEAD_MS, isDead, RAGE_COUNT, RAGE_MS, RAGE_PX } from '../src/clicks.js';

/** Feeds [x, y, time] clicks to a fresh detector; returns its answers. */
const run = (clicks) => {
  const rage = createRageDetector();
  return clicks.map(([x, y, time]) => rage(x, y, time));
};

describe('documented thresholds', () => {
  test('RAGE_COUNT 3, RAGE_MS 1000, RAGE_PX 30, DEAD_MS 1000', () => {
    assert.deepEqual({ RAGE_COUNT, RAGE_MS, RAGE_PX, DEAD_MS }, { RAGE_COUNT: 3, RAGE_MS: 1000, RAGE_PX: 30, DEAD_MS: 1000 });
  });
});

describe('createRageDetector', () => {
  test('three quick clicks on one spot: rage from the 3rd, and a 4th stays rage', () => {
    assert.deepEqual(run([[100, 100, 0], [100, 100, 200], [100, 100, 400], [100, 100, 600]]), [false, false, true, true]);
  });

  test('a single click and a double click are not rage', () => {
    assert.deepEqual(run([[5, 5, 0]]), [false]);
    assert.deepEqual(run([[5, 5, 0], [5, 5, 150]]), [false, false]);
  });

  test('999 ms between clicks keeps the burst, measured from the previous click', () => {
    // the whole burst spans 1998 ms: only the gaps count
    assert.deepEqual(run([[0, 0, 10_000], [0, 0, 10_999], [0, 0, 11_998]]), [false, false, true]);
  });

  test('1001 ms between clicks starts a new burst', () => {
    assert.deepEqual(run([[0, 0, 0], [0, 0, 500], [0, 0, 1501]]), [false, false, false]);
    // ...which needs 3 clicks of its own
    assert.deepEqual(run([[0, 0, 0], [0, 0, 500], [0, 0, 1501], [0, 0, 1600], [0, 0, 1700]]), [false, false, false, false, true]);
  });

  test(
    'exactly RAGE_MS (1000 ms) after the last click is no longer "under RAGE_MS"',
    () => {
      assert.deepEqual(run([[0, 0, 0], [0, 0, 500], [0, 0, 1500]]), [false, false, false]);
    },
  );

  test('29 px from the first click is the same spot, 31 px is not', () => {
    assert.deepEqual(run([[100, 100, 0], [129, 100, 100], [100, 129, 200]]), [false, false, true]);
    assert.deepEqual(run([[100, 100, 0], [131, 100, 100], [131, 100, 200]]), [false, false, false]);
    assert.deepEqual(run([[100, 100, 0], [100, 100, 100], [100, 69, 200]]), [false, false, false]);
  });

  test('distance is Euclidean: 20,20 (28.3 px) is in, 22,22 (31.1 px) is out', () => {
    assert.deepEqual(run([[0, 0, 0], [20, 20, 100], [20, 20, 200]]), [false, false, true]);
    assert.deepEqual(run([[0, 0, 0], [0, 0, 100], [22, 22, 200]]), [false, false, false]);
  });

  test('distance is measured from the first click of the burst, not the previous one', () => {
    // each click 20 px from the previous, but the 3rd is 40 px from the first
    assert.deepEqual(run([[0, 0, 0], [20, 0, 100], [40, 0, 200]]), [false, false, false]);
  });

  test('a far click starts a new burst of its own', () => {
    assert.deepEqual(
      run([[0, 0, 0], [0, 0, 100], [0, 0, 200], [500, 500, 300], [500, 500, 400], [500, 500, 500]]),
      [false, false, true, false, false, true],
    );
  });

  test('detectors are independent', () => {
    const a = createRageDetector();
    const b = createRageDetector();
    a(0, 0, 0);
    a(0, 0, 100);
    assert.equal(b(0, 0, 200), false);
    assert.equal(a(0, 0, 200), true);
  });
});

describe('isDead', () => {
  const click = { at: 5000, url: 'https://shop.example/cart' };

  test('no mutation since the click and the same URL: dead', () => {
    assert.equal(isDead(click, 0, click.url), true);
    assert.equal(isDead(click, 4999, click.url), true);
  });

  test('a mutation at or after the click: not dead', () => {
    assert.equal(isDead(click, 5000, click.url), false);
    assert.equal(isDead(click, 5600, click.url), false);
  });

  test('the URL changed: not dead', () => {
    assert.equal(isDead(click, 0, 'https://shop.example/checkout'), false);
    assert.equal(isDead(click, 0, 'https://shop.example/cart#shipping'), false);
  });
});
