// Small helpers shared by every capture module.

export const now = () => Date.now();

/** A random id that matches the wire format's id pattern (letters and digits). */
export const rid = () => Math.random().toString(36).slice(2, 10) + now().toString(36);

export const round = Math.round;

/** A number as the wire bounds it: rounded, within [lo, hi]; NaN (and anything not a number) is lo.
 * Every bounded field goes through it or ratio(): one value out of bounds would cost the whole batch. */
export const cap = (n, hi, lo = 0) => (n > lo ? (n < hi ? round(n) : hi) : lo);

/** a / b as a wire ratio: 0 to 1 in thousandths (0 for NaN, as when both are 0). */
export const ratio = (a, b) => cap((a / b) * 1e3, 1e3) / 1e3;

/** A page coordinate or height within the wire's px bounds (Chromium lays out pages up to 33,554,428 px). */
export const px = (n) => cap(n, 1e7, -1e5);

/** Listens so that nothing a handler does can throw into the host page. (No `passive`: it only
 * matters for touch and wheel events, which the snippet does not listen to.) */
export const on = (target, type, fn, capture) =>
  target.addEventListener(type, (e) => {
    try {
      fn(e);
    } catch (x) {
      // analytics must never break the page it measures
    }
  }, capture);

/** URL without query string or fragment: query strings often carry personal data. */
export const bare = (url) => url.split(/[?#]/)[0];

/** localStorage read (one argument) or write (two); storage that is missing, full or
 * forbidden (private modes, quotas) reads as empty and keeps nothing. */
export function store(key, value) {
  try {
    if (arguments.length < 2) return JSON.parse(localStorage[key]);
    localStorage[key] = JSON.stringify(value);
  } catch (x) {
    return null;
  }
}
