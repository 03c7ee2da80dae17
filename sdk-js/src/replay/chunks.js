// Recording events into chunks for POST /i/v1/replay: a chunk goes every INTERVAL ms or when
// MAX_CHUNK_BYTES of events wait, gzipped and base64-encoded when the browser has
// CompressionStream; when the page is left, what waits goes at once as plain JSON by beacon.
// Each chunk has the next sequence number of its session, kept in localStorage, so a session
// continues across page loads and the collector stores a chunk sent twice once.

export const INTERVAL = 5000;
export const MAX_CHUNK_BYTES = 200_000; // JSON characters before compression
export const MAX_SESSION_BYTES = 8_000_000; // bytes sent per session, after which recording stops

/** The next sequence number of `sid` (and the bytes sent so far), from a shared store. */
export function nextSeq(storage, sid, bytes = 0) {
  const key = 'ff_r_' + sid;
  const state = storage(key) || { seq: -1, bytes: 0 };
  state.seq += 1;
  state.bytes += bytes;
  storage(key, state);
  return state;
}

export async function gzipBase64(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * `send(chunk, leaving)` posts one chunk; `storage(key[, value])` is the session's shared store;
 * `stop()` is called once the session's byte cap is reached; `scrub(json)` takes out of a chunk's JSON
 * what must not leave the browser (the page's query strings: urls.js).
 */
export function createChunker({ site, sid, storage, send, stop, now = Date.now, scrub = (json) => json }) {
  let events = [];
  let size = 0;
  let started = 0;
  let stopped = false;

  const take = () => {
    const taken = events;
    events = [];
    size = 0;
    return taken;
  };
  const chunkOf = (data, enc, bytes, first) => {
    const state = nextSeq(storage, sid, bytes);
    if (state.bytes > MAX_SESSION_BYTES && !stopped) {
      stopped = true;
      stop();
    }
    return { v: 1, site, sid, seq: state.seq, data, enc, ts: first, sent: now() };
  };

  async function flush() {
    if (!events.length) return;
    const first = events[0].timestamp;
    const text = scrub(JSON.stringify(take()));
    if (typeof CompressionStream == 'function') {
      const data = await gzipBase64(text);
      send(chunkOf(data, 'gzip-base64', data.length, first), false);
    } else {
      send(chunkOf(text, 'json', text.length, first), false);
    }
  }

  return {
    add(event) {
      if (stopped) return;
      events.push(event);
      size += JSON.stringify(event).length;
      if (!started) started = now();
      if (size >= MAX_CHUNK_BYTES) flush();
    },
    flush,
    /** The page is being left: no time for compression. */
    leave() {
      if (!events.length) return;
      const first = events[0].timestamp;
      const text = scrub(JSON.stringify(take()));
      send(chunkOf(text, 'json', text.length, first), true);
    },
    pending: () => events.length,
  };
}
