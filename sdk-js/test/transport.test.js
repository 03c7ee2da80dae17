import { fakeStorage, fakeWait, settle } from './fakes.js';
import assert from 'node:assert/strict';
import { afterEach, describe, mock, test } from 'node:test';
import { createSender, OUTBOX, retryable } from '../src/transport.js';

const batch = (id, n = 1) => ({ v: 1, site: 'k7mq2x9pa4tr', sid: 's1', pv: 'p1', url: 'https://x.example/', id, sent: 1,
  e: Array.from({ length: n }, (_, i) => ({ t: 'custom', ts: i, n: 'e' + i })) });

/** post answers from a script of statuses (the last one repeats); records what it was given. */
function scriptedPost(...statuses) {
  const posted = [];
  const post = async (b) => {
    posted.push(b);
    return statuses.length > 1 ? statuses.shift() : statuses[0];
  };
  post.posted = posted;
  return post;
}

function setup(post, initial) {
  const storage = fakeStorage(initial);
  const wait = fakeWait();
  const sender = createSender({ post, storage, wait });
  return { sender, storage, wait, outbox: () => storage(OUTBOX) || [] };
}

const ids = (batches) => batches.map((b) => b.id);

describe('retryable', () => {
  test('network failure, 429 and 5xx are worth another try', () => {
    for (const status of [0, 429, 500, 502, 503, 504]) assert.equal(retryable(status), true, String(status));
  });
  test('2xx and 4xx other than 429 are final', () => {
    for (const status of [200, 202, 204, 400, 403, 404, 413, 415]) assert.equal(retryable(status), false, String(status));
  });
});

describe('createSender', () => {
  afterEach(() => mock.restoreAll());

  test('OUTBOX is the storage key ff_out', () => {
    assert.equal(OUTBOX, 'ff_out');
  });

  test('a batch waits in the outbox until answered; 202 empties it', async () => {
    const post = scriptedPost(202);
    const { sender, outbox, wait } = setup(post);
    sender.send(batch('b1'));
    assert.deepEqual(outbox(), [batch('b1')], 'stored (JSON round trip) before the answer');
    await settle();
    assert.deepEqual(post.posted, [batch('b1')]);
    assert.deepEqual(outbox(), []);
    assert.equal(wait.calls.length, 0, 'no retry');
  });

  test('503: kept and retried with the same batch id until it succeeds', async () => {
    mock.method(Math, 'random', () => 0.5); // no jitter
    const post = scriptedPost(503, 503, 202);
    const { sender, outbox, wait } = setup(post);
    sender.send(batch('b1', 3));
    await settle();
    assert.deepEqual(ids(outbox()), ['b1']);
    assert.equal(wait.calls.length, 1);
    assert.equal(wait.calls[0].ms, 1000);

    await wait.runNext();
    await settle();
    assert.deepEqual(ids(outbox()), ['b1']);
    assert.equal(wait.calls.length, 1);
    assert.equal(wait.calls[0].ms, 2000);

    await wait.runNext();
    await settle();
    assert.equal(post.posted.length, 3);
    assert.deepEqual(ids(post.posted), ['b1', 'b1', 'b1']);
    post.posted.forEach((b) => assert.deepEqual(b, batch('b1', 3)));
    assert.deepEqual(outbox(), []);
    assert.equal(wait.calls.length, 0);
  });

  test('0 (network failure) and 429 are retried too', async () => {
    for (const status of [0, 429]) {
      const post = scriptedPost(status, 202);
      const { sender, outbox, wait } = setup(post);
      sender.send(batch('b1'));
      await settle();
      assert.equal(wait.calls.length, 1, String(status));
      assert.deepEqual(ids(outbox()), ['b1']);
      await wait.runNext();
      await settle();
      assert.deepEqual(outbox(), []);
    }
  });

  const delays = async (random) => {
    mock.method(Math, 'random', random);
    const post = scriptedPost(503);
    const { sender, wait } = setup(post);
    sender.send(batch('b1'));
    const out = [];
    for (let i = 0; i < 10; i++) {
      await settle();
      assert.equal(wait.calls.length, 1);
      out.push(wait.calls[0].ms);
      await wait.runNext();
    }
    return out;
  };
  const BASE = [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000];

  test('backoff doubles from 1 s and stops growing at 60 s', async () => {
    assert.deepEqual(await delays(() => 0.5), BASE);
  });

  test('jitter stays within ±25% of each step', async () => {
    const low = await delays(() => 0);
    const high = await delays(() => 0.999999);
    low.forEach((ms, i) => assert.equal(ms, BASE[i] * 0.75));
    high.forEach((ms, i) => assert.ok(ms <= BASE[i] * 1.25 && ms > BASE[i] * 1.2499, `${ms} vs ${BASE[i]}`));
    // growing until the cap, whatever the jitter
    for (let i = 1; i < 7; i++) assert.ok(low[i] > high[i - 1], `step ${i}: ${low[i]} <= ${high[i - 1]}`);
  });

  test('a 4xx other than 429 is not retried: the batch is dropped', async () => {
    for (const status of [400, 403, 413]) {
      const post = scriptedPost(status);
      const { sender, outbox, wait } = setup(post);
      sender.send(batch('bad'));
      await settle();
      assert.deepEqual(outbox(), [], String(status));
      assert.equal(wait.calls.length, 0, String(status));
      assert.equal(post.posted.length, 1);
    }
  });

  test('an answer removes only its own batch from the outbox', async () => {
    const answers = { ok: 202, busy: 503 };
    const post = async (b) => answers[b.id];
    const { sender, outbox } = setup(post);
    sender.send(batch('busy'));
    sender.send(batch('ok'));
    assert.deepEqual(ids(outbox()), ['busy', 'ok']);
    await settle();
    assert.deepEqual(ids(outbox()), ['busy']);
  });

  test('the outbox keeps at most 30 batches, dropping the oldest', () => {
    const post = () => new Promise(() => {}); // never answered
    const { sender, outbox } = setup(post);
    for (let i = 0; i < 35; i++) sender.send(batch('b' + i));
    const kept = ids(outbox());
    assert.equal(kept.length, 30);
    assert.deepEqual(kept, Array.from({ length: 30 }, (_, i) => 'b' + (i + 5)));
  });

  test('resume() sends again what a previous page left in storage', async () => {
    const post = scriptedPost(202);
    const { sender, outbox, wait } = setup(post, { [OUTBOX]: [batch('old1'), batch('old2', 2)] });
    assert.equal(post.posted.length, 0, 'nothing sent before resume()');
    sender.resume();
    await settle();
    assert.deepEqual(post.posted, [batch('old1'), batch('old2', 2)]);
    assert.deepEqual(outbox(), []);
    assert.equal(wait.calls.length, 0);
  });

  test('resume() with an empty or missing outbox sends nothing', async () => {
    const post = scriptedPost(202);
    setup(post).sender.resume();
    setup(post, { [OUTBOX]: [] }).sender.resume();
    await settle();
    assert.equal(post.posted.length, 0);
  });

  test('resume(): a batch still failing stays for the next page, with its id', async () => {
    mock.method(Math, 'random', () => 0.5);
    const post = scriptedPost(503);
    const { sender, outbox, wait } = setup(post, { [OUTBOX]: [batch('old1')] });
    sender.resume();
    await settle();
    assert.deepEqual(ids(outbox()), ['old1']);
    assert.deepEqual(wait.calls.map((c) => c.ms), [1000]);
  });
});
