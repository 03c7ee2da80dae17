// Recorded events come from visitors' browsers through a public endpoint, so the player treats them
// as hostile markup. The replay already runs where no script can (rrweb rebuilds the page in an
// iframe sandboxed without allow-scripts, under a policy without inline script, inside the player's
// opaque-origin frame); this pass also takes out what would run if that ever failed: event-handler
// attributes, javascript: (and vbscript:, data:text/html) URLs, srcdoc, <meta http-equiv>
// (refreshes), and scripts' text.

const ELEMENT = 2; // rrweb-snapshot NodeType.Element
const FULL_SNAPSHOT = 2;
const INCREMENTAL = 3;
const MUTATION = 0;
const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'background',
  'ping', 'codebase', 'cite', 'longdesc', 'manifest', 'srcset', 'imagesrcset']);
const ANIMATION_VALUES = new Set(['to', 'from', 'values', 'by']);

/** Whether a URL attribute's value would run script when followed or loaded. */
export function dangerousUrl(value) {
  if (typeof value != 'string') return false;
  // Browsers ignore ASCII whitespace and control characters inside the scheme: "java\tscript:".
  const squeezed = value.replace(/[\u0000-\u0020\u007f-\u00a0]+/g, '').toLowerCase();
  return /^(javascript|vbscript|livescript):/.test(squeezed) || /^data:(text\/html|application\/xhtml)/.test(squeezed);
}

/**
 * What to do with one attribute: undefined keeps the value, null removes the attribute, a string
 * replaces the value (a dangerous link keeps its look with href="#").
 */
export function cleanAttribute(tag, name, value) {
  const lower = String(name).toLowerCase();
  if (lower.startsWith('on') || lower == 'srcdoc') return null;
  if (tag == 'meta' && lower == 'http-equiv') return null;
  if (URL_ATTRIBUTES.has(lower) && dangerousUrl(value)) return lower == 'href' ? '#' : null;
  // SVG animation can set an href to a javascript: URL (<set attributeName="href" to="javascript:...">).
  if (ANIMATION_VALUES.has(lower) && String(value).split(';').some(dangerousUrl)) return null;
  return undefined;
}

function cleanAttributes(tag, attributes, removeAs) {
  if (!attributes) return;
  for (const name of Object.keys(attributes)) {
    const value = attributes[name];
    if (value === null) continue;
    const clean = cleanAttribute(tag, name, value);
    if (clean === null) removeAs(attributes, name);
    else if (clean !== undefined) attributes[name] = clean;
  }
}

const drop = (attributes, name) => delete attributes[name];
const unset = (attributes, name) => (attributes[name] = null); // in a mutation, null removes the attribute

/** Cleans a serialized node and its subtree in place; `tags` remembers element ids' tag names. */
export function cleanNode(node, tags) {
  const stack = [node];
  while (stack.length) {
    const n = stack.pop();
    if (!n || typeof n != 'object') continue;
    if (n.type == ELEMENT) {
      const tag = String(n.tagName || '').toLowerCase();
      if (tag == 'script') {
        n.tagName = 'noscript'; // rrweb does the same; its text goes too
        n.childNodes = [];
        n.attributes = {};
      }
      if (tags && n.id !== undefined) tags.set(n.id, n.tagName);
      cleanAttributes(String(n.tagName).toLowerCase(), n.attributes, drop);
    }
    if (Array.isArray(n.childNodes)) stack.push(...n.childNodes);
    if (n.contentDocument) stack.push(n.contentDocument);
  }
  return node;
}

/** The events, cleaned in place (and returned). */
export function sanitizeEvents(events) {
  const tags = new Map();
  for (const event of events) {
    if (!event || typeof event != 'object' || !event.data) continue;
    if (event.type == FULL_SNAPSHOT) cleanNode(event.data.node, tags);
    else if (event.type == INCREMENTAL && event.data.source == MUTATION) {
      for (const add of event.data.adds || []) cleanNode(add.node, tags);
      for (const change of event.data.attributes || []) {
        cleanAttributes(String(tags.get(change.id) || '').toLowerCase(), change.attributes, unset);
      }
    }
  }
  return events;
}
