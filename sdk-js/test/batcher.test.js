import { seededRandom, WIRE_ID } from './fakes.js';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { createBatcher, MAX_EVENTS } from '../src/batcher.js';

const NOW = 1_767_225_600_000;

/** A page view object as installPages makes it: fields() gives the batch fields. */
const fakePage = (pv) => ({ fields: () => ({ v: 1, site: 'k7mq2x9pa4tr', sid: 's1', pv, url: 'https://x.example/' + pv }) });

function setup(max) {
  const delivered = [];
  const left = [];
  const batcher = createBatcher({ deliver: (b) => delivered.push(b), leave: (b) => left.push(b), ...(max ? { max } : {}) });
  return { batcher, delivered, left };
}

const ev = (n, pv = 'p1') => ({ t: 'custom', ts: NOW + n, n: 'e' + n, pv });

describe('createBatcher', () => {
  beforeEach(() => {
    mock.restoreAll();
    mock.method(Date, 'now', () => NOW);
    mock.method(Math, 'random', seededRandom(7));
  });
  afterEach(() => mock.restoreAll());

  test('MAX_EVENTS is 50', () => {
    assert.equal(MAX_EVENTS, 50);
  });

  test('flush() delivers one batch per page: fields, id, sent and the events in order', () => {
    const { batcher, delivered, left } = setup();
    const page = fakePage('p1');
    batcher.add(page, ev(1));
    batcher.add(page, ev(2));
    batcher.add(page, ev(3));
    assert.equal(delivered.length, 0, 'nothing sent before a flush');
    batcher.flush();
    assert.equal(left.length, 0);
    assert.equal(delivered.length, 1);
    const [batch] = delivered;
    const { id, ...rest } = batch;
    assert.match(id, WIRE_ID);
    assert.deepEqual(rest, { ...page.fields(), sent: NOW, e: [ev(1), ev(2), ev(3)] });
  });

  test('flush(true) hands the batches to leave() instead of deliver()', () => {
    const { batcher, delivered, left } = setup();
    const a = fakePage('a');
    const b = fakePage('b');
    batcher.add(a, ev(1, 'a'));
    batcher.add(b, ev(2, 'b'));
    batcher.flush(true);
    assert.equal(delivered.length, 0);
    assert.deepEqual(left.map((x) => [x.pv, x.e]), [['a', [ev(1, 'a')]], ['b', [ev(2, 'b')]]]);
  });

  test('a flush with nothing pending sends nothing; a flush empties the queues', () => {
    const { batcher, delivered, left } = setup();
    batcher.flush();
    batcher.flush(true);
    assert.equal(delivered.length + left.length, 0);
    batcher.add(fakePage('p1'), ev(1));
    batcher.flush();
    batcher.flush();
    batcher.flush(true);
    assert.equal(delivered.length, 1);
    assert.equal(left.length, 0);
  });

  test('events of different pages never share a batch', () => {
    const { batcher, delivered } = setup();
    const pages = ['p1', 'p2', 'p3'].map(fakePage);
    for (let i = 0; i < 30; i++) {
      const page = pages[(i * 7) % 3];
      batcher.add(page, ev(i, page.fields().pv));
    }
    batcher.flush();
    assert.equal(delivered.length, 3);
    for (const batch of delivered) {
      assert.equal(batch.e.length, 10);
      assert.ok(batch.e.every((e) => e.pv == batch.pv), `batch of ${batch.pv} has foreign events`);
      // in the order they were added
      assert.deepEqual(batch.e.map((e) => e.ts), [...batch.e.map((e) => e.ts)].sort((x, y) => x - y));
    }
  });

  test('the size threshold delivers on its own', () => {
    const { batcher, delivered } = setup(3);
    const page = fakePage('p1');
    batcher.add(page, ev(1));
    batcher.add(page, ev(2));
    assert.equal(delivered.length, 0);
    batcher.add(page, ev(3));
    assert.equal(delivered.length, 1);
    assert.deepEqual(delivered[0].e, [ev(1), ev(2), ev(3)]);
    batcher.add(page, ev(4));
    batcher.add(page, ev(5));
    assert.equal(delivered.length, 1, 'the count starts again after a send');
  });

  test('the threshold counts events of all pages and sends each page separately', () => {
    const { batcher, delivered } = setup(4);
    const a = fakePage('a');
    const b = fakePage('b');
    batcher.add(a, ev(1, 'a'));
    batcher.add(b, ev(2, 'b'));
    batcher.add(a, ev(3, 'a'));
    assert.equal(delivered.length, 0);
    batcher.add(b, ev(4, 'b'));
    assert.deepEqual(delivered.map((x) => [x.pv, x.e.map((e) => e.n)]), [['a', ['e1', 'e3']], ['b', ['e2', 'e4']]]);
  });

  test('the default threshold is MAX_EVENTS', () => {
    const { batcher, delivered } = setup();
    const page = fakePage('p1');
    for (let i = 0; i < MAX_EVENTS - 1; i++) batcher.add(page, ev(i));
    assert.equal(delivered.length, 0);
    batcher.add(page, ev(99));
    assert.equal(delivered.length, 1);
    assert.equal(delivered[0].e.length, MAX_EVENTS);
  });

  test('batch ids are unique and match the wire id pattern', () => {
    const { batcher, delivered, left } = setup(1);
    const page = fakePage('p1');
    for (let i = 0; i < 500; i++) batcher.add(page, ev(i)); // same millisecond: the random part decides
    assert.equal(delivered.length, 500);
    batcher.add(fakePage('p2'), ev(0));
    const ids = delivered.map((b) => b.id);
    ids.forEach((id) => assert.match(id, WIRE_ID));
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(left.length, 0);
  });

  test('sent is the clock at flush time', () => {
    const { batcher, delivered } = setup();
    batcher.add(fakePage('p1'), ev(1));
    Date.now.mock.mockImplementation(() => NOW + 4321);
    batcher.flush();
    assert.equal(delivered[0].sent, NOW + 4321);
  });

  test('clear() drops pending events', () => {
    const { batcher, delivered, left } = setup();
    const page = fakePage('p1');
    batcher.add(page, ev(1));
    batcher.add(fakePage('p2'), ev(2));
    batcher.clear();
    batcher.flush();
    batcher.flush(true);
    assert.equal(delivered.length + left.length, 0);
    batcher.add(page, ev(3));
    batcher.flush();
    assert.deepEqual(delivered.map((b) => b.e), [[ev(3)]]);
  });

  test(
    'clear() also resets the size threshold count',
    () => {
      const { batcher, delivered } = setup(5);
      const page = fakePage('p1');
      for (let i = 0; i < 4; i++) batcher.add(page, ev(i));
      batcher.clear();
      batcher.add(page, ev(10));
      batcher.add(page, ev(11));
      assert.equal(delivered.length, 0, `sent early with ${delivered[0]?.e.length} event(s)`);
    },
  );
});
