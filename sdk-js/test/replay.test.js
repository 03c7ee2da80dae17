// The recorder's pure parts: chunk sequence numbers and caps, and the mutation guard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { createChunker, nextSeq, MAX_CHUNK_BYTES, MAX_SESSION_BYTES } from '../src/replay/chunks.js';
import { createMutationGuard, PER_NODE } from '../src/replay/guard.js';

const memory = () => {
  const data = new Map();
  return (key, value) => {
    if (value === undefined) return data.has(key) ? JSON.parse(data.get(key)) : null;
    data.set(key, JSON.stringify(value));
  };
};

test('sequence numbers continue across chunkers of one session (page loads) and differ per session', () => {
  const storage = memory();
  assert.equal(nextSeq(storage, 's1').seq, 0);
  assert.equal(nextSeq(storage, 's1').seq, 1);
  assert.equal(nextSeq(storage, 's2').seq, 0);
  assert.equal(nextSeq(storage, 's1', 500).bytes, 500);
});

test('a flushed chunk is gzip+base64 of the events, in order, with the next seq', async () => {
  const sent = [];
  const storage = memory();
  const chunker = createChunker({ site: 'shop', sid: 's1', storage, send: (c, leaving) => sent.push([c, leaving]),
    stop: () => {} });
  chunker.add({ type: 4, timestamp: 10 });
  chunker.add({ type: 2, timestamp: 11 });
  await chunker.flush();
  chunker.add({ type: 3, timestamp: 12 });
  chunker.leave();
  assert.equal(sent.length, 2);
  const [[first, firstLeaving], [second, secondLeaving]] = sent;
  assert.deepEqual([first.seq, first.enc, first.ts, first.site, first.sid, firstLeaving], [0, 'gzip-base64', 10, 'shop', 's1', false]);
  assert.deepEqual(JSON.parse(gunzipSync(Buffer.from(first.data, 'base64'))).map((e) => e.type), [4, 2]);
  assert.deepEqual([second.seq, second.enc, secondLeaving], [1, 'json', true]);
  assert.deepEqual(JSON.parse(second.data), [{ type: 3, timestamp: 12 }]);
  await chunker.flush();
  chunker.leave();
  assert.equal(sent.length, 2); // nothing pending: nothing sent
});

test('a chunk goes on its own once MAX_CHUNK_BYTES of events wait', async () => {
  const sent = [];
  const chunker = createChunker({ site: 'shop', sid: 's1', storage: memory(), send: (c) => sent.push(c), stop: () => {} });
  const big = 'x'.repeat(10_000);
  for (let i = 0; i < MAX_CHUNK_BYTES / 10_000 + 1; i++) chunker.add({ type: 3, timestamp: i, data: big });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(sent.length, 1);
});

test('recording stops once the session has sent MAX_SESSION_BYTES', () => {
  const storage = memory();
  storage('ff_r_s1', { seq: 3, bytes: MAX_SESSION_BYTES });
  let stopped = 0;
  const sent = [];
  const chunker = createChunker({ site: 'shop', sid: 's1', storage, send: (c) => sent.push(c), stop: () => stopped++ });
  chunker.add({ type: 3, timestamp: 1 });
  chunker.leave();
  chunker.add({ type: 3, timestamp: 2 });
  chunker.leave();
  assert.equal(stopped, 1);
  assert.equal(sent.length, 1); // the chunk that crossed the cap goes; nothing after it is kept
});

const mutation = (timestamp, attributes, adds = 0) => ({
  type: 3, timestamp,
  data: { source: 0, adds: Array.from({ length: adds }, (_, i) => ({ parentId: 1, nextId: null, node: { id: 1000 + i } })),
    removes: [], texts: [], attributes },
});

test('attribute changes beyond PER_NODE per node per second are dropped, other nodes kept', () => {
  const guard = createMutationGuard({ onStorm: () => {} });
  const kept = [];
  for (let i = 0; i < PER_NODE + 5; i++) {
    const out = guard(mutation(1000 + i, [{ id: 7, attributes: { style: String(i) } }, { id: i + 100, attributes: {} }]));
    kept.push(out.data.attributes.map((a) => a.id));
  }
  assert.equal(kept.filter((ids) => ids.includes(7)).length, PER_NODE);
  assert.ok(kept.every((ids, i) => ids.includes(i + 100)));
  const nextSecond = guard(mutation(2000, [{ id: 7, attributes: {} }]));
  assert.deepEqual(nextSecond.data.attributes.map((a) => a.id), [7]); // a new second, a new allowance
});

test('a mutation event left empty by thinning is dropped; other events pass untouched', () => {
  const guard = createMutationGuard({ onStorm: () => {} });
  for (let i = 0; i < PER_NODE; i++) guard(mutation(5000, [{ id: 1, attributes: {} }]));
  assert.equal(guard(mutation(5001, [{ id: 1, attributes: {} }])), null);
  const click = { type: 3, timestamp: 5002, data: { source: 2, type: 2, id: 4 } };
  assert.equal(guard(click), click);
});

test('recording stops after STORM_SECONDS seconds running of more than STORM_NODES changes', () => {
  let storms = 0;
  const guard = createMutationGuard({ onStorm: () => storms++, stormNodes: 100, stormSeconds: 3 });
  for (let second = 0; second < 3; second++) guard(mutation(second * 1000, [], 150));
  assert.equal(storms, 0); // the third second is judged when the fourth begins
  assert.equal(guard(mutation(3000, [], 1)), null);
  assert.equal(storms, 1);
  assert.equal(guard({ type: 3, timestamp: 3500, data: { source: 2 } }), null); // stopped for good
});

test('a quiet second in between resets the storm count', () => {
  let storms = 0;
  const guard = createMutationGuard({ onStorm: () => storms++, stormNodes: 100, stormSeconds: 3 });
  for (const [second, adds] of [[0, 150], [1, 150], [2, 10], [3, 150], [4, 150], [5, 1]]) {
    guard(mutation(second * 1000, [], adds));
  }
  assert.equal(storms, 0);
});
