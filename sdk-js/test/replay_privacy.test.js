// What a recording may hold: the page's query string and fragment cut from every chunk (urls.js),
// hidden inputs' values left out and other inputs masked (masking.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createChunker } from '../src/replay/chunks.js';
import { maskInput, PRIVACY } from '../src/replay/masking.js';
import { createScrubber, pageUrl } from '../src/replay/urls.js';

const PAGE = 'https://shop.test/account?email=alice%40example.com&token=SECRET#frag';
const MARKERS = ['alice', 'SECRET', 'frag', 'token='];
const clean = (text) => MARKERS.every((m) => !text.includes(m));

test('the page address keeps neither query string nor fragment, but a #/route', () => {
  assert.equal(pageUrl(PAGE), 'https://shop.test/account');
  assert.equal(pageUrl('https://a.test/app#/cart?x=1'), 'https://a.test/app#/cart');
  assert.equal(pageUrl('https://a.test/app?q=1#/cart'), 'https://a.test/app#/cart');
  assert.equal(pageUrl('https://a.test/p#top'), 'https://a.test/p');
  assert.equal(pageUrl('https://a.test/p'), 'https://a.test/p');
});

test('a chunk loses every address the page had, in the Meta and wherever rrweb repeated it', () => {
  const scrubber = createScrubber();
  scrubber.see(PAGE);
  scrubber.see('https://shop.test/next?q=a"quote\\'); // after a pushState; JSON escapes it
  scrubber.see('https://shop.test/plain');
  const events = [
    { type: 4, data: { href: PAGE, width: 800, height: 600 } },
    { type: 2, data: { node: { attributes: { href: 'https://shop.test/account?email=alice%40example.com&token=SECRET#top' } } } },
    { type: 4, data: { href: 'https://shop.test/next?q=a"quote\\' } },
  ];
  const text = scrubber.scrub(JSON.stringify(events));
  assert.ok(clean(text) && !text.includes('quote'), text);
  const [meta, full, next] = JSON.parse(text);
  assert.equal(meta.data.href, 'https://shop.test/account');
  assert.equal(full.data.node.attributes.href, 'https://shop.test/account#top');
  assert.equal(next.data.href, 'https://shop.test/next');
});

test('the chunker sends the scrubbed JSON, during the visit and when the page is left', async () => {
  const sent = [];
  const data = new Map();
  const storage = (key, value) => (value === undefined ? data.get(key) ?? null : data.set(key, value));
  const scrubber = createScrubber();
  scrubber.see(PAGE);
  const chunker = createChunker({ site: 's', sid: 's1', storage, send: (c) => sent.push(c), stop: () => {},
    scrub: scrubber.scrub });
  chunker.add({ type: 4, data: { href: PAGE }, timestamp: 1 });
  chunker.leave();
  assert.equal(sent.length, 1);
  assert.equal(sent[0].enc, 'json');
  assert.deepEqual(JSON.parse(sent[0].data), [{ type: 4, data: { href: 'https://shop.test/account' }, timestamp: 1 }]);
});

test('hidden inputs are recorded empty, other inputs as asterisks as long as the value', () => {
  assert.equal(maskInput('csrf-4242', { type: 'hidden' }), '');
  assert.equal(maskInput('hunter2', { type: 'text' }), '*******');
  assert.equal(maskInput('x', null), '*');
  // rrweb masks by tag name or by type; `input` covers every type, hidden included, and
  // maskAllInputs: true would make rrweb ignore these options.
  assert.equal(PRIVACY.maskAllInputs, false);
  assert.ok(PRIVACY.maskInputOptions.input && PRIVACY.maskInputOptions.textarea && PRIVACY.maskInputOptions.select);
  assert.equal(PRIVACY.maskInputFn, maskInput);
});

test('editable text is masked like an input: [contenteditable] besides [data-footfall-mask]', () => {
  const selectors = PRIVACY.maskTextSelector.split(',');
  assert.ok(selectors.includes('[data-footfall-mask]'));
  assert.ok(selectors.includes('[contenteditable]:not([contenteditable="false"])'));
});
