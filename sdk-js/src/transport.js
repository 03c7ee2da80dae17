// Getting batches to the collector: fetch (gzipped when large) during the visit, sendBeacon
// when the page is being left. A batch keeps its id across retries, so the collector stores
// it once; batches not yet answered wait in localStorage (at most 30) and are sent again by
// the next page of the site.

export const OUTBOX = 'ff_out';

/** Worth another try: too many requests, overload, network failure (0). */
export const retryable = (status) => !status || status == 429 || status >= 500;

/** Retries with exponential backoff (1 s doubling to 60 s, jittered) until an answer that no
 * retry would change: 2xx, or a 4xx other than 429. */
export function createSender({ post, storage, wait = setTimeout }) {
  const outbox = () => storage(OUTBOX) || [];
  const keep = (batches) => storage(OUTBOX, batches.slice(-30));
  const attempt = async (batch, n = 0) => {
    if (retryable(await post(batch))) {
      wait(() => attempt(batch, n + 1), Math.min(6e4, 1e3 * 2 ** n) * (0.75 + Math.random() / 2));
    } else {
      keep(outbox().filter((b) => b.id != batch.id));
    }
  };
  return {
    send(batch) {
      keep(outbox().concat([batch]));
      attempt(batch);
    },
    resume: () => outbox().forEach((batch) => attempt(batch)),
  };
}

const blob = (body) => new Blob([body], { type: 'text/plain' }); // a simple request: no CORS preflight

/** POST one batch; resolves to the HTTP status, 0 when the network failed. The collector's
 * answer goes to `onAnswer` (it says, for one, whether the session is recorded for replay). */
export const httpPost = (endpoint, onAnswer) => async (batch) => {
  let body;
  try {
    body = JSON.stringify(batch);
    if (body.length > 1024 && self.CompressionStream) {
      body = await new Response(new Blob([body]).stream().pipeThrough(new CompressionStream('gzip'))).blob();
    }
    body = blob(body);
    const res = await fetch(endpoint, { method: 'POST', body, keepalive: body.size < 6e4 });
    if (res.ok && onAnswer) res.json().then(onAnswer, () => 0);
    return res.status;
  } catch (x) {
    return 0;
  }
};

/** Hands a batch to the browser, which sends it even after the page is gone. */
export const beaconPost = (endpoint, nav) => (batch) => {
  const body = blob(JSON.stringify(batch));
  nav.sendBeacon(endpoint, body) || fetch(endpoint, { method: 'POST', body, keepalive: true });
};
