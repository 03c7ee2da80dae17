// The viewers' pass over recorded events (player/sanitize.js, player/remote.js): nothing that could
// run, and, given the site's origins, nothing loaded from anywhere else: a placeholder instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanAttribute, sanitizeEvents } from '../src/player/sanitize.js';
import { allowedUrl, cleanCss, cleanSrcset, PLACEHOLDER } from '../src/player/remote.js';

const SITE = ['http://127.0.0.1:5000'];
const OWN = 'http://127.0.0.1:5000/logo.png';
const AWAY = 'http://127.0.0.1:5001/track.png';
let ids = 1;
const el = (tagName, attributes = {}, ...childNodes) => ({ type: 2, id: ids++, tagName, attributes, childNodes });
const text = (textContent, extra = {}) => ({ type: 3, id: ids++, textContent, ...extra });

test('frames of data: URLs are dangerous whatever their type', () => {
  for (const tag of ['iframe', 'frame', 'embed', 'object']) {
    const name = tag == 'object' ? 'data' : 'src';
    assert.equal(cleanAttribute(tag, name, 'data:image/svg+xml,<svg onload=alert(1)>'), null, tag);
    assert.equal(cleanAttribute(tag, name, ' DATA:text/plain,hi'), null, tag);
  }
  assert.equal(cleanAttribute('iframe', 'rr_src', 'data:text/plain,x'), null);
  assert.equal(cleanAttribute('img', 'src', 'data:image/png;base64,AAAA'), undefined); // an image stays
  assert.equal(cleanAttribute('iframe', 'src', 'https://shop.test/embed'), undefined);
});

test('only data:, blob:, relative URLs and the site\'s origins may load', () => {
  assert.ok(allowedUrl(OWN, SITE) && allowedUrl('HTTP://127.0.0.1:5000/x', SITE));
  assert.ok(allowedUrl('data:image/png;base64,AA', SITE) && allowedUrl('blob:http://x/1', SITE));
  assert.ok(allowedUrl('/relative.png', SITE));
  for (const url of [AWAY, 'https://127.0.0.1:5000/x', '//evil.test/x', 'http://10.0.0.1/admin', 'ftp://x/y']) {
    assert.equal(allowedUrl(url, SITE), false, url);
  }
  assert.equal(allowedUrl(OWN, []), false); // a site listed only as '*' gets nothing from it
});

test('CSS: url() in every quoting, @import and image-set strings from elsewhere become the placeholder', () => {
  const css = `a{background:url(${AWAY})} b{background:url('${OWN}')} @import "${AWAY}";` +
    ` @font-face{src:url("http://fonts.evil/f.woff2") format("woff2")} c{background:image-set("${AWAY}" 1x)}`;
  const clean = cleanCss(css, SITE);
  assert.ok(!clean.includes('5001') && !clean.includes('fonts.evil'), clean);
  assert.ok(clean.includes(`url('${OWN}')`));
  assert.equal(clean.split(PLACEHOLDER).length - 1, 4);
});

test('srcset: each candidate judged on its own, descriptors kept', () => {
  assert.equal(cleanSrcset(`${OWN} 1x, ${AWAY} 2x`, SITE), `${OWN} 1x, ${PLACEHOLDER} 2x`);
});

test('a recording pointing elsewhere rebuilds with placeholders, in the snapshot and in every later change', () => {
  const img = el('img', { src: AWAY, srcset: `${AWAY} 2x`, alt: 'tracker' });
  const own = el('img', { src: OWN });
  const style = el('style', {}, text(`body{background:url(${AWAY})}`, { isStyle: true }));
  const link = el('link', { rel: 'stylesheet', href: 'http://cdn.evil/x.css' });
  const video = el('video', { poster: AWAY }, el('source', { src: 'http://media.evil/v.mp4' }));
  const framed = el('iframe', { src: 'data:text/html,<p>hi' });
  const styled = el('div', { style: `background-image:url("${AWAY}")` });
  const canvas = el('canvas', { rr_dataURL: AWAY });
  const full = { type: 2, data: { node: el('html', {}, style, link, img, own, video, framed, styled, canvas) } };
  const later = el('img', { src: 'http://192.168.0.1/router.png' });
  const mutation = { type: 3, data: { source: 0, adds: [{ parentId: 1, node: later }],
    attributes: [{ id: own.id, attributes: { src: AWAY } }, { id: styled.id, attributes: { style: `background:url(${AWAY})` } }],
    texts: [{ id: style.childNodes[0].id, value: `p{background:url(${AWAY})}` }], removes: [] } };
  const rule = { type: 3, data: { source: 8, id: 1, adds: [{ rule: `q{background:url(${AWAY})}`, index: 0 }] } };
  const declaration = { type: 3, data: { source: 13, id: 1, index: [0], set: { property: 'background', value: `url(${AWAY})` } } };
  const adopted = { type: 3, data: { source: 15, id: 1, styleIds: [1], styles: [{ styleId: 1, rules: [{ rule: `r{background:url(${AWAY})}` }] }] } };
  const font = { type: 3, data: { source: 10, family: 'X', fontSource: `url(http://fonts.evil/x.woff)`, buffer: false } };
  const events = sanitizeEvents([full, mutation, rule, declaration, adopted, font], SITE);
  const json = JSON.stringify(events);
  for (const away of ['5001', 'cdn.evil', 'media.evil', '192.168.0.1', 'fonts.evil', 'data:text/html']) {
    assert.ok(!json.includes(away), away);
  }
  assert.equal(img.attributes.src, PLACEHOLDER);
  assert.equal(own.attributes.src, OWN); // the site's own image loads
  assert.equal(later.attributes.src, PLACEHOLDER);
  assert.equal(mutation.data.attributes[0].attributes.src, PLACEHOLDER);
  assert.ok(!('href' in link.attributes) && !('src' in framed.attributes) && !('rr_dataURL' in canvas.attributes));
});

test('without the site\'s origins the pass changes no address (the old behaviour)', () => {
  const img = el('img', { src: AWAY });
  sanitizeEvents([{ type: 2, data: { node: el('html', {}, img) } }]);
  assert.equal(img.attributes.src, AWAY);
});
