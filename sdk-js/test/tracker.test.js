import './fakes.js';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cleanProps } from '../src/tracker.js';

describe('cleanProps', () => {
  test('keeps strings, numbers, booleans and null', () => {
    const props = { plan: 'pro', seats: 3, price: 9.5, trial: false, coupon: null, empty: '' };
    assert.deepEqual(cleanProps(props), props);
  });

  test('drops objects and arrays', () => {
    assert.deepEqual(cleanProps({ a: 1, o: { x: 1 }, l: [1, 2], d: new Date(0), b: 'x' }), { a: 1, b: 'x' });
  });

  test(
    'drops functions',
    () => {
      assert.deepEqual(cleanProps({ a: 1, f: () => 1 }), { a: 1 });
    },
  );

  test(
    'the result is always JSON-serialisable (a BigInt value must not poison the batch)',
    () => {
      assert.doesNotThrow(() => JSON.stringify(cleanProps({ n: 10n, a: 1 })));
    },
  );

  test('tolerates undefined and null props', () => {
    assert.deepEqual(cleanProps(undefined), {});
    assert.deepEqual(cleanProps(null), {});
    assert.deepEqual(cleanProps(), {});
  });

  test('at most 50 keys, the first 50 kept', () => {
    const props = Object.fromEntries(Array.from({ length: 60 }, (_, i) => ['k' + i, i]));
    const out = cleanProps(props);
    assert.equal(Object.keys(out).length, 50);
    assert.deepEqual(Object.keys(out), Array.from({ length: 50 }, (_, i) => 'k' + i));
  });

  test('dropped values do not count towards the 50', () => {
    const props = {};
    for (let i = 0; i < 60; i++) {
      props['o' + i] = { i };
      props['k' + i] = 'v' + i;
    }
    const out = cleanProps(props);
    assert.equal(Object.keys(out).length, 50);
    assert.ok(Object.keys(out).every((k) => k.startsWith('k')));
  });

  test('does not modify its argument', () => {
    const props = { a: 1, o: {} };
    cleanProps(props);
    assert.deepEqual(props, { a: 1, o: {} });
  });
});
