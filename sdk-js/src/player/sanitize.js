// Recorded events come from visitors' browsers through a public endpoint, so the player treats them
// as hostile markup. The replay already runs where no script can (rrweb rebuilds the page in an
// iframe sandboxed without allow-scripts, under a policy without inline script, inside the player's
// opaque-origin frame); this pass also takes out what would run if that ever failed: event-handler
// attributes, javascript: (and vbscript:, data:text/html) URLs, srcdoc, <meta http-equiv>
// (refreshes), scripts' text, and frames of data: URLs (a document of their own, whatever its type).
// Given the site's origins, it also rewrites what would load from anywhere else (remote.js).

import { cleanCss, localAttribute } from './remote.js';

const ELEMENT = 2; // rrweb-snapshot NodeType.Element
const TEXT = 3;
const FULL_SNAPSHOT = 2;
const INCREMENTAL = 3;
// rrweb's IncrementalSource values that carry markup or CSS.
const MUTATION = 0;
const STYLE_SHEET_RULE = 8;
const FONT = 10;
const STYLE_DECLARATION = 13;
const ADOPTED_STYLE_SHEET = 15;
const FRAMES = new Set(['iframe', 'frame', 'embed', 'object']);
const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'background',
  'ping', 'codebase', 'cite', 'longdesc', 'manifest', 'srcset', 'imagesrcset']);
const ANIMATION_VALUES = new Set(['to', 'from', 'values', 'by']);

/** Whether a URL attribute's value would run script when followed or loaded. */
// Browsers ignore ASCII whitespace and control characters inside the scheme: "java\tscript:".
const squeeze = (value) => String(value).replace(/[\u0000-\u0020\u007f-\u00a0]+/g, '').toLowerCase();

export function dangerousUrl(value) {
  if (typeof value != 'string') return false;
  const squeezed = squeeze(value);
  return /^(javascript|vbscript|livescript):/.test(squeezed) || /^data:(text\/html|application\/xhtml)/.test(squeezed);
}

/**
 * What to do with one attribute: undefined keeps the value, null removes the attribute, a string
 * replaces the value (a dangerous link keeps its look with href="#"). With `origins` (the site's),
 * an address elsewhere that the element would load is replaced by a placeholder or removed.
 */
export function cleanAttribute(tag, name, value, origins) {
  const lower = String(name).toLowerCase();
  if (lower.startsWith('on') || lower == 'srcdoc') return null;
  if (tag == 'meta' && lower == 'http-equiv') return null;
  if (URL_ATTRIBUTES.has(lower) && dangerousUrl(value)) return lower == 'href' ? '#' : null;
  if (FRAMES.has(tag) && /^(src|rr_src|data)$/.test(lower) && /^data:/.test(squeeze(value))) return null;
  // SVG animation can set an href to a javascript: URL (<set attributeName="href" to="javascript:...">).
  if (ANIMATION_VALUES.has(lower) && String(value).split(';').some(dangerousUrl)) return null;
  return origins ? localAttribute(tag, lower, value, origins) : undefined;
}

function cleanAttributes(tag, attributes, removeAs, origins) {
  if (!attributes) return;
  for (const name of Object.keys(attributes)) {
    const value = attributes[name];
    if (value === null) continue;
    const clean = cleanAttribute(tag, name, value, origins);
    if (clean === null) removeAs(attributes, name);
    else if (clean !== undefined) attributes[name] = clean;
  }
}

const drop = (attributes, name) => delete attributes[name];
const unset = (attributes, name) => (attributes[name] = null); // in a mutation, null removes the attribute

/**
 * Cleans a serialized node and its subtree in place. `seen` remembers element ids' tag names and
 * the ids of <style> elements' text nodes (for later mutations); `origins`, the site's, as above.
 */
export function cleanNode(node, seen, origins) {
  const { tags, styleTexts } = seen || {};
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
      cleanAttributes(String(n.tagName).toLowerCase(), n.attributes, drop, origins);
      if (tag == 'style' && styleTexts && Array.isArray(n.childNodes)) n.childNodes.forEach((c) => c && styleTexts.add(c.id));
    } else if (n.type == TEXT && origins && (n.isStyle || (styleTexts && styleTexts.has(n.id)))) {
      n.textContent = cleanCss(n.textContent, origins);
    }
    if (Array.isArray(n.childNodes)) stack.push(...n.childNodes);
    if (n.contentDocument) stack.push(n.contentDocument);
  }
  return node;
}

const cleanRules = (rules, origins) => (rules || []).forEach((r) => r && (r.rule = cleanCss(r.rule, origins)));

/** One incremental event's CSS (style sheet rules, declarations, fonts) cleaned for `origins`. */
function cleanStyles(data, origins) {
  if (data.source == STYLE_SHEET_RULE) {
    cleanRules(data.adds, origins);
    for (const key of ['replace', 'replaceSync']) if (data[key]) data[key] = cleanCss(data[key], origins);
  } else if (data.source == STYLE_DECLARATION && data.set) {
    data.set.value = cleanCss(data.set.value, origins);
  } else if (data.source == ADOPTED_STYLE_SHEET) {
    (data.styles || []).forEach((style) => style && cleanRules(style.rules, origins));
  } else if (data.source == FONT && !data.buffer) {
    data.fontSource = cleanCss(data.fontSource, origins);
  }
}

/**
 * The events, cleaned in place (and returned). With `origins` (the site's own, normalised as
 * scheme://host:port), what would load from elsewhere shows a placeholder instead (remote.js).
 */
export function sanitizeEvents(events, origins) {
  const seen = { tags: new Map(), styleTexts: new Set() };
  for (const event of events) {
    if (!event || typeof event != 'object' || !event.data) continue;
    const data = event.data;
    if (event.type == FULL_SNAPSHOT) cleanNode(data.node, seen, origins);
    else if (event.type == INCREMENTAL && data.source == MUTATION) {
      for (const add of data.adds || []) {
        if (add && add.node && seen.styleTexts && String(seen.tags.get(add.parentId) || '').toLowerCase() == 'style') {
          seen.styleTexts.add(add.node.id);
        }
        cleanNode(add && add.node, seen, origins);
      }
      for (const change of data.attributes || []) {
        cleanAttributes(String(seen.tags.get(change.id) || '').toLowerCase(), change.attributes, unset, origins);
      }
      if (origins) {
        for (const text of data.texts || []) {
          if (text && seen.styleTexts.has(text.id)) text.value = cleanCss(text.value, origins);
        }
      }
    } else if (event.type == INCREMENTAL && origins) {
      cleanStyles(data, origins);
    }
  }
  return events;
}
