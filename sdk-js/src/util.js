// Small helpers shared by every capture module.

export const now = () => Date.now();

/** A random id that matches the wire format's id pattern (letters and digits). */
export const rid = () => Math.random().toString(36).slice(2, 10) + now().toString(36);

export const round = Math.round;

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
