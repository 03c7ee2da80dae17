import { fakeStorage, seededRandom, WIRE_ID } from './fakes.js';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { sessionId } from '../src/pages.js';

const T0 = 1_767_225_600_000;
const MIN = 60_000;

describe('sessionId', () => {
  let clock;
  beforeEach(() => {
    clock = T0;
    mock.method(Date, 'now', () => clock);
    mock.method(Math, 'random', seededRandom(3));
  });
  afterEach(() => mock.restoreAll());

  test('a first call makes an id matching the wire pattern and stores it with the time', () => {
    const storage = fakeStorage();
    const id = sessionId(storage, T0);
    assert.match(id, WIRE_ID);
    assert.deepEqual(storage('ff_s'), { id, at: T0 });
  });

  test('the same id within 30 minutes of the last call', () => {
    const storage = fakeStorage();
    const id = sessionId(storage, T0);
    assert.equal(sessionId(storage, T0 + 10 * MIN), id);
    assert.equal(sessionId(storage, T0 + 10 * MIN + 30 * MIN - 1), id);
  });

  test('each call refreshes the time: a long but active session keeps its id', () => {
    const storage = fakeStorage();
    const id = sessionId(storage, T0);
    for (let i = 1; i <= 10; i++) {
      assert.equal(sessionId(storage, T0 + i * 25 * MIN), id); // 250 minutes in all
      assert.equal(storage('ff_s').at, T0 + i * 25 * MIN);
    }
  });

  test('a new id after 30 minutes idle', () => {
    const storage = fakeStorage();
    const id = sessionId(storage, T0);
    clock = T0 + 30 * MIN + 1;
    const next = sessionId(storage, clock);
    assert.notEqual(next, id);
    assert.match(next, WIRE_ID);
    assert.deepEqual(storage('ff_s'), { id: next, at: clock });
    assert.equal(sessionId(storage, clock + MIN), next);
  });

  test('time defaults to the clock', () => {
    const storage = fakeStorage();
    const id = sessionId(storage);
    assert.equal(storage('ff_s').at, T0);
    clock += 29 * MIN;
    assert.equal(sessionId(storage), id);
    clock += 31 * MIN;
    assert.notEqual(sessionId(storage), id);
  });

  test('shared storage (two tabs) shares the session', () => {
    const storage = fakeStorage();
    const a = sessionId(storage, T0);
    const b = sessionId(storage, T0 + 5);
    assert.equal(a, b);
  });

  test('missing or damaged storage starts a new session', () => {
    for (const stored of [null, {}, { id: 'old' }, { id: 'old', at: 'yesterday' }]) {
      const storage = fakeStorage(stored === null ? {} : { ff_s: stored });
      const id = sessionId(storage, T0);
      assert.notEqual(id, 'old');
      assert.match(id, WIRE_ID);
    }
  });
});
