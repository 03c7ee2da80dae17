// Form hesitation per field, never a value (password fields are not even looked at): time to
// first input, time in the field, changes, refocuses, whether the visitor hesitated (focused
// HESITATE_MS without typing), and the field the visitor was in when leaving without submitting.
// A field focused before f.js listened (autofocus) counts as entered when the snippet starts; one
// typed into or changed without being focused (autofill, a script) counts its changes only.

import { selectorOf } from './selector.js';
import { cap, now, on } from './util.js';

export const HESITATE_MS = 5000;

// Not password, hidden, submit, button, reset or image inputs (matched by the first letters of
// their type: no other input type starts with these).
const isField = (el) =>
  /^(INPUT|TEXTAREA|SELECT)$/.test(el?.tagName) && !/^(pas|hid|sub|but|res|ima)/.test(el.type) &&
  !el.closest('[data-footfall-block]');

export function installForms(t) {
  let fields = {};
  let current;
  let last;
  let timer;
  const close = (at) => current && (current.time += at - current.at);
  const track = ({ type, target: el }) => {
    if (!isField(el)) return;
    const s = selectorOf(el);
    // first and hesitation start undefined: left out of the JSON, the wire's defaults (0, false) apply.
    const f = (fields[s] ||= { s, time: 0, changes: 0, refocus: 0 });
    const at = now();
    if (type == 'focusin') {
      close(at); // a field left without a focusout (removed while focused) is left now
      current = last = f;
      f.since ? f.refocus++ : (f.since = at);
      f.at = at;
      f.typed = 0;
      clearTimeout(timer);
      timer = setTimeout(() => current == f && !f.typed && t.signals.emit('hesitation', { s, hesitation: (f.hesitation = true) }),
        HESITATE_MS);
    } else if (type == 'input') {
      f.typed = 1;
      f.first ||= f.since && (at - f.since || 1); // never focused (autofill, a script): no time to first input
    } else if (type == 'change') {
      f.changes++;
    } else if (current == f) {
      close(at);
      current = 0;
    }
  };
  ['focusin', 'focusout', 'input', 'change'].forEach((type) => on(t.doc, type, track, true));
  const emit = (submitted) => {
    close(now());
    for (const s in fields) {
      const f = fields[s];
      t.add({ t: 'form', s, first: cap(f.first, 864e5), time: cap(f.time, 864e5), changes: f.changes,
        refocus: f.refocus, hesitation: f.hesitation, abandoned: !submitted && f == (current || last) });
    }
    fields = {};
    current = last = 0;
  };
  on(t.doc, 'submit', () => emit(1), true);
  t.ends.push(() => emit());
  track({ type: 'focusin', target: t.doc.activeElement }); // autofocus: focused before f.js listened
}
