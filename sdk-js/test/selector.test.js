import { h, matchAll, page, walk } from './fakes.js'; // first: defines CSS.escape
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { selectorOf } from '../src/selector.js';

/** Asserts that `selector` matches exactly `el` in the tree under root (short failure output). */
function assertOnly(root, selector, el) {
  const found = matchAll(root, selector);
  assert.ok(found.length == 1 && found[0] === el, `${selector.slice(0, 80)} matched ${found.length} element(s), not just its own`);
}

describe('selectorOf', () => {
  test('an element with a stable id is just #id', () => {
    const target = h('button', { id: 'checkout', class: 'btn' });
    page(h('main', {}, h('div', {}, target)));
    assert.equal(selectorOf(target), '#checkout');
  });

  test('a stable id on an ancestor ends the path there', () => {
    const target = h('span');
    page(h('section', { id: 'pricing' }, h('div', {}, target)));
    assert.equal(selectorOf(target), '#pricing>div>span');
  });

  test('ids that look generated are skipped (3+ digits, not starting with a letter)', () => {
    for (const id of ['ember123', 'item-2024', '_a1b2', '1abc', 'react:r1:']) {
      const target = h('a', { id });
      page(h('nav', { id: 'menu' }, target));
      assert.equal(selectorOf(target), '#menu>a', `id ${id}`);
    }
  });

  test(
    'an id like css-1x2y3z (three digits, not adjacent) is treated as generated',
    () => {
      const target = h('a', { id: 'css-1x2y3z' });
      page(h('nav', { id: 'menu' }, target));
      assert.equal(selectorOf(target), '#menu>a');
    },
  );

  test('data-testid ends the path as tag[data-testid="..."]', () => {
    const target = h('span', { class: 'label' });
    page(h('div', {}, h('form', { testid: 'signup' }, h('div', {}, target))));
    assert.equal(selectorOf(target), 'form[data-testid="signup"]>div>span.label');
  });

  test('data-testid on the element itself, with characters escaped', () => {
    const target = h('button', { testid: 'buy "now"' });
    page(target);
    assert.equal(selectorOf(target), 'button[data-testid="buy\\ \\"now\\""]');
    assertOnly(target.parentElement.parentElement, selectorOf(target), target);
  });

  test('a stable id wins over data-testid; a generated id falls through to data-testid', () => {
    const a = h('div', { id: 'hero', testid: 'hero-box' });
    const b = h('div', { id: 'ember456', testid: 'promo' });
    page(a, b);
    assert.equal(selectorOf(a), '#hero');
    assert.equal(selectorOf(b), 'div[data-testid="promo"]');
  });

  test('at most 2 classes, generated-looking ones dropped, in their order', () => {
    const target = h('button', { class: 'css-a123 btn _x1 primary large' });
    page(target);
    assert.equal(selectorOf(target), 'body>button.btn.primary');
  });

  test('class names with characters outside [A-Za-z0-9_-] are dropped', () => {
    const target = h('div', { class: 'md:flex w-1/2' });
    page(target);
    assert.equal(selectorOf(target), 'body>div');
    const other = h('div', { class: 'w-full' });
    page(other);
    assert.equal(selectorOf(other), 'body>div.w-full');
  });

  test(':nth-child only when siblings share the tag, counting all siblings', () => {
    const lone = h('p');
    const li2 = h('li');
    const list = h('ul', {}, h('li'), h('span'), li2);
    page(lone, list, h('div'));
    assert.equal(selectorOf(lone), 'body>p');
    assert.equal(selectorOf(list), 'body>ul');
    assert.equal(selectorOf(list.children[1]), 'body>ul>span');
    // the second li is the 3rd child of the ul
    assert.equal(selectorOf(li2), 'body>ul>li:nth-child(3)');
    assert.equal(selectorOf(list.children[0]), 'body>ul>li:nth-child(1)');
  });

  test(':nth-child is added even when the classes already differ', () => {
    const a = h('li', { class: 'active' });
    const b = h('li');
    page(h('ul', {}, a, b));
    assert.equal(selectorOf(a), 'body>ul>li.active:nth-child(1)');
    assert.equal(selectorOf(b), 'body>ul>li:nth-child(2)');
  });

  test('the path stops at body (and html alone is html)', () => {
    const target = h('em');
    const body = page(h('div', {}, h('p', {}, target)));
    assert.equal(selectorOf(target), 'body>div>p>em');
    assert.equal(selectorOf(body), 'body');
    assert.equal(selectorOf(body.parentElement), 'html');
  });

  test('at most 8 steps, the element itself last', () => {
    let target = h('b');
    let node = target;
    for (let i = 0; i < 12; i++) node = h('div', {}, node);
    page(node);
    const s = selectorOf(target);
    const steps = s.split('>');
    assert.equal(steps.length, 8);
    assert.deepEqual(steps, ['div', 'div', 'div', 'div', 'div', 'div', 'div', 'b']);
  });

  test('exactly 8 steps up to body keeps body', () => {
    let target = h('b');
    let node = target;
    for (let i = 0; i < 6; i++) node = h('div', {}, node);
    page(node);
    assert.equal(selectorOf(target), 'body>' + 'div>'.repeat(6) + 'b');
  });

  const longChain = () => {
    // 8 steps, each with two long stable classes: far over 512 characters
    const cls = (i) => `c${i}-${'x'.repeat(70)} d${i}-${'y'.repeat(70)}`;
    const target = h('a', { class: 'own-link own-extra' });
    let node = target;
    for (let i = 0; i < 10; i++) node = h('div', { class: cls(i) }, node);
    page(node);
    return target;
  };

  test('at most 512 characters, keeping the end of the path (the element itself)', () => {
    const s = selectorOf(longChain());
    assert.ok(s.length <= 512 && s.length > 256, `length ${s.length}`);
    assert.ok(s.endsWith('>a.own-link.own-extra'), s.slice(-40));
  });

  test(
    'a selector cut to 512 characters starts at a step boundary (stays a valid selector)',
    () => {
      const target = longChain();
      const s = selectorOf(target);
      assert.ok(s.length <= 512);
      // whole steps only: the kept part still finds the element
      let root = target;
      while (root.parentElement) root = root.parentElement;
      assertOnly(root, s, target);
    },
  );

  test('every element of a realistic tree gets a selector matching only itself', () => {
    const body = page(
      h('header', {}, h('nav', {}, h('a', { class: 'logo' }), h('a'), h('a', { class: 'link' }))),
      h('main', {},
        h('ul', { class: 'cards' },
          h('li', { class: 'card' }, h('h2'), h('button', { class: 'btn' })),
          h('li', { class: 'card' }, h('h2'), h('button', { class: 'btn' })),
          h('li', { class: 'card css-9x8y777' }, h('h2'), h('button', { class: 'btn', testid: 'buy' }))),
        h('div', { id: 'footer-2024' }, h('span'), h('span'), h('p')),
        h('div', { id: 'aside' }, h('div'), h('div', { class: 'x' }, h('i'), h('i')))),
    );
    const all = walk(body.parentElement);
    for (const el of all) {
      if (el.tagName == 'HEAD') continue; // not under body
      const s = selectorOf(el);
      assertOnly(body.parentElement, s, el);
    }
  });

  test('same-tag siblings get different selectors', () => {
    const items = [h('li'), h('li'), h('li')];
    page(h('ul', {}, ...items));
    const sels = items.map(selectorOf);
    assert.equal(new Set(sels).size, 3, sels.join(' | '));
    items.forEach((el, i) => assertOnly(el.parentElement, sels[i].split('>').pop(), el));
  });

  test('a table cell deep in same-tag rows is unique', () => {
    const cell = h('td');
    const rows = [h('tr', {}, h('td'), h('td')), h('tr', {}, h('td'), cell), h('tr', {}, h('td'), h('td'))];
    const body = page(h('table', {}, h('tbody', {}, ...rows)));
    const s = selectorOf(cell);
    assert.equal(s, 'body>table>tbody>tr:nth-child(2)>td:nth-child(2)');
    assertOnly(body, s, cell);
  });
});
