// A stable CSS selector for a clicked element, so heatmaps can find it again in a snapshot:
// an id or a test attribute ends the path; otherwise tag, classes and, among same-tag siblings,
// :nth-child per step; at most 8 steps and the last 512 characters.

// Generated names (css-1x2y3z, ember123, _a1b2) change between builds: not stable.
const stable = (name) => /^[a-z][\w-]*$/i.test(name) && !/\d{3}|\d[a-z]+\d/i.test(name);

const classes = (el) =>
  [...el.classList].filter(stable).slice(0, 2).map((c) => '.' + CSS.escape(c)).join('');

/** The selector of `el`: unique among its siblings at every step. */
export function selectorOf(el) {
  const parts = [];
  for (let depth = 0; el?.nodeType == 1 && depth < 8; depth++, el = el.parentElement) {
    const tag = el.tagName.toLowerCase();
    const test = el.getAttribute('data-testid');
    if (el.id && stable(el.id)) {
      parts.unshift('#' + CSS.escape(el.id));
      break;
    }
    if (test || tag == 'body' || tag == 'html') {
      parts.unshift(test ? tag + '[data-testid="' + CSS.escape(test) + '"]' : tag);
      break;
    }
    const siblings = [...el.parentElement.children];
    const twins = siblings.filter((c) => c.tagName == el.tagName).length;
    parts.unshift(tag + classes(el) + (twins > 1 ? ':nth-child(' + (siblings.indexOf(el) + 1) + ')' : ''));
  }
  while (parts.join('>').length > 512 && parts[1]) parts.shift(); // keep the element's own end
  return parts.join('>').slice(0, 512);
}
