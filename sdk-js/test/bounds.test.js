// Every number the snippet sends is within the wire's bounds (docs/wire-format.md, the msgspec
// Structs of collector/wire.py): a single value out of them would cost the whole batch a 400.
// Forms first (issue 14: an autofocused field sent refocus -1), then the other capture modules fed
// what browsers and pages really produce: NaN from synthetic events, zero-height pages, pages
// taller than 10,000,000 px, thrown objects whose stack is not a string, fields open for days.
import { h, page } from './fakes.js';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { installClicks } from '../src/clicks.js';
import { installErrors } from '../src/errors.js';
import { installForms } from '../src/forms.js';
import { createSampler } from '../src/moves.js';
import { installScroll } from '../src/scroll.js';
import { cap, px, ratio } from '../src/util.js';

const MS = [0, 864e5];
const PX = [-1e5, 1e7];
const RATIO = [0, 1];
const COUNT = [0, 1e5];
const SIZE = [0, 1e5];
const U32 = [0, 2 ** 32 - 1];
// Bounded fields per event type, as in wire.py (ints where the Struct says int).
const BOUNDS = {
  click: { x: [...PX, 'int'], y: [...PX, 'int'], rx: RATIO, ry: RATIO, vw: [...SIZE, 'int'] },
  scroll: { d: [...PX, 'int'], pct: RATIO, h: [...PX, 'int'] },
  form: { first: MS, time: MS, changes: [...COUNT, 'int'], refocus: [...COUNT, 'int'] },
  error: { line: [...U32, 'int'], col: [...U32, 'int'] },
};
const STRINGS = { error: ['msg', 'stack', 'src'], form: ['s'], click: ['s', 'text'], custom: ['n'] };

/** Fails unless the event, once through JSON as it is sent, fits the wire. */
function assertWire(event) {
  const sent = JSON.parse(JSON.stringify(event));
  assert.ok(Number.isInteger(sent.ts) && sent.ts >= 0 && sent.ts <= 1e13, 'ts ' + sent.ts);
  for (const [field, [lo, hi, int]] of Object.entries(BOUNDS[sent.t] || {})) {
    if (!(field in sent)) continue;
    const v = sent[field];
    assert.equal(typeof v, 'number', `${sent.t}.${field} is ${JSON.stringify(v)}`);
    assert.ok(v >= lo && v <= hi, `${sent.t}.${field} = ${v} not in [${lo}, ${hi}]`);
    if (int) assert.ok(Number.isInteger(v), `${sent.t}.${field} = ${v} is not an integer`);
  }
  for (const field of STRINGS[sent.t] || []) {
    if (field in sent) assert.equal(typeof sent[field], 'string', `${sent.t}.${field} is ${JSON.stringify(sent[field])}`);
  }
  for (const field of ['hesitation', 'abandoned', 'dead', 'rage']) {
    if (field in sent) assert.equal(typeof sent[field], 'boolean', field);
  }
  if (sent.t == 'custom') assert.ok(sent.n.length >= 1);
  return sent;
}

/** A document that keeps its listeners, so a test can dispatch events as the browser would. */
function fakeDocument(activeElement = null) {
  const listeners = {};
  return {
    activeElement,
    listeners,
    addEventListener: (type, fn) => (listeners[type] ||= []).push(fn),
    dispatch(type, target, extra = {}) {
      (listeners[type] || []).forEach((fn) => fn({ type, target, ...extra }));
    },
  };
}

/** What a capture module is given: `added` collects the events, stamped as the tracker does. */
function fakeTracker(doc, win = {}) {
  let clock = 1_767_225_600_000;
  const t = {
    doc, win, added: [], signals: { emit: (name, detail) => t.emitted.push([name, detail]) }, emitted: [],
    starts: [], ends: [], ticks: [], page: {},
    add: (event) => t.added.push({ ts: clock, ...event }),
    end: () => t.ends.forEach((end) => end()),
  };
  return t;
}

/** A form field as forms.js reads it (tag, type, closest) with an id, so its selector is `#id`. */
function field(id, type = 'text', tag = 'input') {
  const el = h(tag, { id });
  el.type = type;
  el.closest = () => null;
  return el;
}

describe('forms: every form event within the wire bounds', () => {
  let now;
  beforeEach(() => {
    now = 1_767_225_600_000;
    mock.method(Date, 'now', () => now);
    mock.timers.enable({ apis: ['setTimeout'] });
  });
  afterEach(() => {
    mock.timers.reset();
    mock.restoreAll();
  });
  const formEvents = (t) => t.added.filter((e) => e.t == 'form').map(assertWire);

  test('an autofocused field, typed into without a focusin reaching the snippet: refocus 0, time counted', () => {
    const input = field('new-todo');
    page(input);
    const doc = fakeDocument(input); // focused by autofocus before f.js listened
    const t = fakeTracker(doc);
    installForms(t);
    now += 1200;
    doc.dispatch('input', input);
    now += 300;
    doc.dispatch('input', input);
    doc.dispatch('change', input);
    now += 500;
    doc.dispatch('focusout', input);
    t.end();
    const [form] = formEvents(t);
    assert.equal(form.s, '#new-todo');
    assert.equal(form.refocus, 0);
    assert.equal(form.first, 1200); // from when the snippet found it focused
    assert.equal(form.time, 2000);
    assert.equal(form.changes, 1);
    assert.equal(form.abandoned, true); // the last field the visitor was in, no submit
  });

  test('focus() from a script is a focus like any other; focusing it again is a refocus', () => {
    const a = field('email');
    const b = field('name');
    page(a, b);
    const doc = fakeDocument();
    const t = fakeTracker(doc);
    installForms(t);
    doc.dispatch('focusin', a); // el.focus() fires focusin as a click does
    now += 400;
    doc.dispatch('input', a);
    now += 100;
    doc.dispatch('focusout', a);
    doc.dispatch('focusin', b);
    now += 1000;
    doc.dispatch('focusout', b);
    doc.dispatch('focusin', a);
    now += 50;
    doc.dispatch('submit', null);
    const forms = formEvents(t);
    const email = forms.find((f) => f.s == '#email');
    assert.deepEqual([email.refocus, email.first, email.time, email.abandoned], [1, 400, 550, false]);
    const name = forms.find((f) => f.s == '#name');
    assert.deepEqual([name.refocus, name.first, name.time], [0, 0, 1000]); // focused, never typed in
  });

  test('input and change without any focus (autofill, a script): changes counted, nothing negative or NaN', () => {
    const input = field('city');
    page(input);
    const doc = fakeDocument(); // the body has focus
    const t = fakeTracker(doc);
    installForms(t);
    now += 800;
    doc.dispatch('input', input);
    doc.dispatch('change', input);
    doc.dispatch('focusout', input); // a stray focusout of a field never entered
    t.end();
    const [form] = formEvents(t);
    assert.deepEqual([form.refocus, form.time, form.changes, form.first], [0, 0, 1, 0]);
    assert.equal(form.abandoned, false); // the visitor was never in it
  });

  test('a field removed while focused (no focusout): its time ends when the next field is focused', () => {
    const search = field('search');
    const other = field('other');
    page(search, other);
    const doc = fakeDocument();
    const t = fakeTracker(doc);
    installForms(t);
    doc.dispatch('focusin', search);
    now += 700;
    // the search box's dialog closes: the element is gone, Chromium sends no focusout
    doc.dispatch('focusin', other);
    now += 300;
    doc.dispatch('focusout', other);
    t.end();
    const forms = formEvents(t);
    assert.equal(forms.find((f) => f.s == '#search').time, 700);
    assert.equal(forms.find((f) => f.s == '#other').time, 300);
  });

  test('a field left focused for two days: time capped at one day', () => {
    const input = field('notes', undefined, 'textarea');
    page(input);
    const doc = fakeDocument();
    const t = fakeTracker(doc);
    installForms(t);
    doc.dispatch('focusin', input);
    now += 1000;
    doc.dispatch('input', input);
    now += 2 * 864e5;
    t.end();
    const [form] = formEvents(t);
    assert.equal(form.time, 864e5);
    assert.equal(form.first, 1000);
  });

  test('password, hidden and button inputs, and an active element that is no field, are not looked at', () => {
    const pw = field('pw', 'password');
    const button = field('go', 'submit');
    page(pw, button);
    const doc = fakeDocument(h('body'));
    const t = fakeTracker(doc);
    installForms(t);
    doc.dispatch('focusin', pw);
    doc.dispatch('input', pw);
    doc.dispatch('focusin', button);
    t.end();
    assert.deepEqual(t.added, []);
  });

  test('an empty document (activeElement null) does not stop the install', () => {
    const t = fakeTracker(fakeDocument(null));
    assert.doesNotThrow(() => installForms(t));
    assert.ok(t.ends.length);
  });
});

describe('clamping helpers', () => {
  test('cap: rounded, within bounds; NaN, undefined and -Infinity are the low bound', () => {
    assert.equal(cap(12.6, 100), 13);
    assert.equal(cap(-5, 100), 0);
    assert.equal(cap(500, 100), 100);
    assert.equal(cap(Infinity, 100), 100);
    assert.equal(cap(NaN, 100), 0);
    assert.equal(cap(undefined, 100), 0);
    assert.equal(cap(-Infinity, 100, -10), -10);
  });

  test('ratio: thousandths within 0 to 1; 0 / 0 is 0', () => {
    assert.equal(ratio(1, 3), 0.333);
    assert.equal(ratio(0, 0), 0);
    assert.equal(ratio(-4, 10), 0);
    assert.equal(ratio(15, 10), 1);
    assert.equal(ratio(5, 0), 1);
  });

  test('px: the wire bounds of a page coordinate', () => {
    assert.equal(px(33_554_428), 1e7); // Chromium lays out pages this tall
    assert.equal(px(-2e5), -1e5);
    assert.equal(px(NaN), -1e5);
    assert.equal(px(1234.4), 1234);
  });
});

describe('every capture module within the wire bounds', () => {
  beforeEach(() => {
    mock.method(Date, 'now', () => 1_767_225_600_000);
    mock.timers.enable({ apis: ['setTimeout'] });
  });
  afterEach(() => {
    mock.timers.reset();
    mock.restoreAll();
  });

  // A synthetic click (dispatchEvent(new Event('click'))) has no coordinates: it is placed off the page (the
  // lowest px), where no heatmap draws it, rather than sent as null (a 400) or in the page's corner.
  test('clicks: a click without coordinates, and one below the px bound', () => {
    const saved = globalThis.MutationObserver;
    globalThis.MutationObserver = class { observe() {} disconnect() {} };
    try {
      const doc = fakeDocument();
      const t = fakeTracker(doc, { innerWidth: 1280, location: { href: 'https://shop.test/' } });
      installClicks(t);
      const div = h('div', { id: 'area' });
      page(div);
      div.getBoundingClientRect = () => ({ left: 0, top: 0, width: 0, height: 0 });
      div.closest = () => null;
      doc.dispatch('click', div); // no pageX, clientX, detail
      const big = h('div', { id: 'far' });
      page(big);
      big.getBoundingClientRect = () => ({ left: 0, top: 0, width: 100, height: 100 });
      big.closest = () => null;
      doc.dispatch('click', big, { pageX: 50, pageY: 33_000_000, clientX: 150, clientY: -20 });
      const [first, second] = t.added.map(assertWire);
      assert.deepEqual([first.x, first.y, first.rx, first.ry], [-1e5, -1e5, 0, 0]);
      assert.deepEqual([second.y, second.rx, second.ry], [1e7, 1, 0]);
    } finally {
      globalThis.MutationObserver = saved;
    }
  });

  test('scroll: a page of no height (a hidden frame) and one taller than the px bound', () => {
    const saved = globalThis.document;
    try {
      for (const [height, scrollY, innerHeight] of [[0, 0, 0], [33_554_428, 30_000_000, 800]]) {
        globalThis.document = { documentElement: { scrollHeight: height } };
        const t = fakeTracker(fakeDocument(), { scrollY, innerHeight, addEventListener() {} });
        installScroll(t);
        t.end();
        for (const event of t.added.map(assertWire)) assert.ok(event.pct <= 1);
      }
    } finally {
      globalThis.document = saved;
    }
  });

  test('moves: a synthetic mousemove without coordinates, and points beyond the px bound', () => {
    const feed = createSampler();
    const points = [feed(undefined, undefined, 0), feed(4e7, -3e5, 100)];
    for (const [x, y] of points) {
      assertWire({ t: 'click', ts: 1, s: '', x, y }); // the same px bounds and integers
      assert.ok(x % 4 == 0 && y % 4 == 0); // still on the 4 px grid
    }
  });

  test('errors: a thrown object whose stack is an array, a number or null sends a string stack', () => {
    const win = fakeDocument();
    const t = fakeTracker(fakeDocument(), win);
    t.win = win;
    installErrors(t);
    win.dispatch('unhandledrejection', null, { reason: { message: 'a', stack: ['at x', 'at y'] } });
    win.dispatch('unhandledrejection', null, { reason: { message: 'b', stack: 42 } });
    win.dispatch('unhandledrejection', null, { reason: { message: 'c', stack: null } });
    win.dispatch('error', null, { message: 'd', error: { stack: { frames: [] } }, filename: 'https://shop.test/a.js',
      lineno: 3, colno: 9 });
    const sent = t.added.map(assertWire);
    assert.deepEqual(sent.map((e) => e.stack), ['at x,at y', '42', '', '[object Object]']);
  });

});
