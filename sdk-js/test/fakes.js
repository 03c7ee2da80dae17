// Shared fakes for the unit tests: a tiny DOM, a CSS.escape stand-in, localStorage-like
// storage, a manual scheduler and a seeded Math.random. Import this module before any src/
// module that needs `CSS` at call time (ES modules evaluate imports in order).

if (typeof globalThis.CSS == 'undefined') {
  globalThis.CSS = { escape: (s) => String(s).replace(/[^\w-]/g, (c) => '\\' + c) };
}

/** The wire format's id pattern (docs/wire-format.md, "Types and bounds"). */
export const WIRE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A fake element: h('li', { id, testid, class: 'a b', attrs: {...} }, ...children).
 * Has what selectorOf reads: nodeType, tagName (upper case), id, getAttribute, classList,
 * parentElement, children.
 */
export function h(tag, props = {}, ...children) {
  const attrs = { ...(props.attrs || {}) };
  if (props.testid != null) attrs['data-testid'] = props.testid;
  const el = {
    nodeType: 1,
    tagName: tag.toUpperCase(),
    id: props.id || '',
    classList: (props.class || '').split(/\s+/).filter(Boolean),
    getAttribute: (name) => (name in attrs ? attrs[name] : null),
    parentElement: null,
    children: [],
  };
  for (const child of children) {
    child.parentElement = el;
    el.children.push(child);
  }
  return el;
}

/** html > body > ...children, returning the body. */
export function page(...children) {
  const body = h('body', {}, ...children);
  h('html', {}, h('head'), body);
  return body;
}

/** Every element under (and including) root, depth first. */
export function walk(root, out = []) {
  out.push(root);
  root.children.forEach((c) => walk(c, out));
  return out;
}

// A small matcher for the selectors selectorOf produces (child combinators only; steps are
// `#id`, `tag[data-testid="v"]` or `tag.class...:nth-child(n)`), to check that a selector
// points at exactly one element of a fake tree.
const unescape = (s) => s.replace(/\\(.)/g, '$1');

function splitSteps(selector) {
  const steps = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c == '\\') {
      cur += c + selector[++i];
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (c == '>' && !quoted) {
      steps.push(cur);
      cur = '';
    } else cur += c;
  }
  steps.push(cur);
  return steps;
}

function parseStep(step) {
  let m = /^#((?:\\.|[\w-])+)$/.exec(step);
  if (m) return { id: unescape(m[1]) };
  m = /^([a-z][a-z0-9]*)\[data-testid="((?:\\.|[^"\\])*)"\]$/.exec(step);
  if (m) return { tag: m[1], testid: unescape(m[2]) };
  m = /^([a-z][a-z0-9]*)((?:\.(?:\\.|[\w-])+)*)(?::nth-child\((\d+)\))?$/.exec(step);
  if (!m) throw new Error('unparseable selector step: ' + JSON.stringify(step));
  const classes = m[2] ? m[2].slice(1).split(/(?<!\\)\./).map(unescape) : [];
  return { tag: m[1], classes, nth: m[3] ? +m[3] : 0 };
}

function stepMatches(el, s) {
  if (s.id != null) return el.id == s.id;
  if (el.tagName.toLowerCase() != s.tag) return false;
  if (s.testid != null) return el.getAttribute('data-testid') == s.testid;
  if (!s.classes.every((c) => [...el.classList].includes(c))) return false;
  if (s.nth) return !!el.parentElement && el.parentElement.children.indexOf(el) + 1 == s.nth;
  return true;
}

/** The elements of the tree under root that `selector` matches (like querySelectorAll). */
export function matchAll(root, selector) {
  const steps = splitSteps(selector).map(parseStep);
  const matches = (el, i) =>
    !!el && el.nodeType == 1 && stepMatches(el, steps[i]) && (i == 0 || matches(el.parentElement, i - 1));
  return walk(root).filter((el) => matches(el, steps.length - 1));
}

/** localStorage through util.js's store(): storage(key) reads, storage(key, value) writes,
 * values go through JSON like the real one. */
export function fakeStorage(initial = {}) {
  const map = new Map(Object.entries(initial).map(([k, v]) => [k, JSON.stringify(v)]));
  const storage = function (key, value) {
    if (arguments.length < 2) return map.has(key) ? JSON.parse(map.get(key)) : null;
    map.set(key, JSON.stringify(value));
  };
  storage.map = map;
  return storage;
}

/** A setTimeout stand-in: records (fn, ms); run them by hand. */
export function fakeWait() {
  const calls = [];
  const wait = (fn, ms) => calls.push({ fn, ms });
  wait.calls = calls;
  /** Runs and removes the oldest scheduled call. */
  wait.runNext = () => {
    const call = calls.shift();
    if (!call) throw new Error('nothing scheduled');
    return call.fn();
  };
  return wait;
}

/** A deterministic Math.random replacement (mulberry32). */
export function seededRandom(seed = 1) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lets pending promise callbacks (an awaited post) run. */
export const settle = () => new Promise((resolve) => setImmediate(resolve));
