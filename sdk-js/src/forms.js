// Form hesitation per field, never a value (password fields are not even looked at): time to
// first input, time in the field, changes, refocuses, whether the visitor hesitated (focused
// HESITATE_MS without typing), and the field the visitor was in when leaving without submitting.

import { selectorOf } from './selector.js';
import { now, on, round } from './util.js';

export const HESITATE_MS = 5000;

// Not password, hidden, submit, button, reset or image inputs (matched by the first letters of
// their type: no other input type starts with these).
const isField = (el) =>
  /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) && !/^(pas|hid|sub|but|res|ima)/.test(el.type) &&
  !el.closest('[data-footfall-block]');

export function installForms(t) {
  let fields = {};
  let current;
  let last;
  let timer;
  const track = (e) => {
    const el = e.target;
    if (!isField(el)) return;
    const s = selectorOf(el);
    // first and hesitation start undefined: left out of the JSON, the wire's defaults (0, false) apply.
    const f = (fields[s] ||= { s, time: 0, changes: 0, refocus: -1 });
    const at = now();
    if (e.type == 'focusin') {
      current = last = f;
      f.refocus++;
      f.at = at;
      f.since ||= at;
      f.typed = 0;
      clearTimeout(timer);
      timer = setTimeout(() => current == f && !f.typed && t.signals.emit('hesitation', { s, hesitation: (f.hesitation = true) }),
        HESITATE_MS);
    } else if (e.type == 'input') {
      f.typed = 1;
      f.first ||= at - f.since || 1;
    } else if (e.type == 'change') {
      f.changes++;
    } else if (current == f) {
      f.time += at - f.at;
      current = 0;
    }
  };
  ['focusin', 'focusout', 'input', 'change'].forEach((type) => on(t.doc, type, track, true));
  const emit = (submitted) => {
    if (current) current.time += now() - current.at;
    for (const s in fields) {
      const f = fields[s];
      t.add({ t: 'form', ts: now(), s, first: f.first, time: round(f.time), changes: f.changes, refocus: f.refocus,
        hesitation: f.hesitation, abandoned: !submitted && f == (current || last) });
    }
    fields = {};
    current = last = 0;
  };
  on(t.doc, 'submit', () => emit(1), true);
  t.ends.push(() => emit());
}
