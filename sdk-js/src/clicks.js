// Clicks: where (selector, page position, offset inside the element as ratios), what (a link's
// or button's visible text, never an input's), and two frustration signals: rage clicks, flagged
// on the spot, and dead clicks: on something clickable, and neither the DOM nor the URL changed
// within DEAD_MS (docs/snippet.md has the thresholds and the false positives avoided).

import { selectorOf } from './selector.js';
import { now, on, px, ratio } from './util.js';

export const RAGE_COUNT = 3;
export const RAGE_MS = 1000;
export const RAGE_PX = 30;
export const DEAD_MS = 1000;

const LABELLED = 'a,button,[role=button],summary,label';
// Clicking these changes their own state (focus, value): never dead, and repeated clicks
// (number steppers, sliders) are not rage.
const SELF = 'input,select,textarea,[contenteditable]';

/** Rage: RAGE_COUNT or more clicks, each under RAGE_MS after the last, within RAGE_PX of the first. */
export function createRageDetector() {
  let burst = [];
  let last;
  return (x, y, time) => {
    const [first] = burst;
    if (!first || time - last >= RAGE_MS || Math.hypot(x - first[0], y - first[1]) > RAGE_PX) burst = [];
    last = time;
    return burst.push([x, y]) >= RAGE_COUNT;
  };
}

/** Dead: nothing in the DOM changed since the click and the URL is the same. */
export const isDead = (click, lastMutation, url) => lastMutation < click.at && url == click.url;

export function installClicks(t) {
  const { win, doc } = t;
  const rage = createRageDetector();
  let pending = [];
  let lastMutation = 0;
  const observer = new MutationObserver(() => (lastMutation = now()));
  const settle = (all) => {
    pending = pending.filter((click) => {
      if (!all && now() - click.at < DEAD_MS) return true;
      const dead = !all && isDead(click, lastMutation, win.location.href);
      click.e.dead = dead;
      if (dead) t.signals.emit('dead-click', { ...click.e });
      t.add(click.e, click.page);
    });
    if (!pending.length) observer.disconnect();
  };
  t.ends.push(() => settle(true)); // the page changed or is being left: not dead

  on(doc, 'click', (e) => {
    const el = e.target; // always an element for clicks
    const box = el.getBoundingClientRect();
    const at = now();
    const button = el.closest(LABELLED);
    const self = el.closest(SELF);
    const event = {
      t: 'click', ts: at, s: selectorOf(el), x: px(e.pageX), y: px(e.pageY),
      rx: ratio(e.clientX - box.left, box.width), ry: ratio(e.clientY - box.top, box.height), vw: win.innerWidth,
      text: button && !self && !button.closest('[data-footfall-mask]') ? button.innerText.trim().slice(0, 100) : '',
    };
    // A triple click that selected text is a reader selecting a paragraph, not rage.
    if (rage(e.clientX, e.clientY, at) && !self && !(e.detail > 2 && String(win.getSelection()))) {
      event.rage = true;
      t.signals.emit('rage-click', { ...event });
    }
    if (self || !button) return t.add(event);
    pending.push({ e: event, at, url: win.location.href, page: t.page });
    observer.observe(doc.documentElement, { childList: true, subtree: true, attributes: true, characterData: true });
    setTimeout(settle, DEAD_MS + 50);
  }, true);
}
