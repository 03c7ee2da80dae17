// What a rebuilt page may fetch. A recording comes from a public endpoint: were the viewer to load
// its images, fonts, styles or media from wherever it points, whoever posted it would learn when it
// was watched (with the viewer's address and browser), and could make the viewer's browser request
// intranet addresses. The frame's policy allows only the site's own origins and data: (collector/
// dashboard/isolated_frames.py); this pass rewrites every other address before the page is rebuilt,
// so the viewer sees a placeholder where the recording pointed elsewhere instead of a broken fetch.

const SVG = "<svg xmlns='http://www.w3.org/2000/svg' width='64' height='64' viewBox='0 0 64 64' " +
  "preserveAspectRatio='none'><rect width='64' height='64' fill='#e8eaed'/>" +
  "<path d='M0 0L64 64M64 0L0 64' stroke='#9aa0a6' stroke-width='1.5' vector-effect='non-scaling-stroke'/></svg>";

/** Shown in place of an image (or any url()) from outside the site: a grey box, crossed. */
export const PLACEHOLDER = 'data:image/svg+xml,' + encodeURIComponent(SVG);

/**
 * Whether the viewer may load `value`: data: and blob: (which fetch nothing from a network), an
 * http(s) URL of one of `origins`, or a relative URL (the rebuilt page's document is under the
 * viewer's data: URL, against which no relative URL resolves, so it loads nothing).
 */
export function allowedUrl(value, origins) {
  const url = String(value).replace(/[\u0000-\u0020\u007f-\u00a0]+/g, '');
  if (/^(data|blob):/i.test(url)) return true;
  if (!/^([a-z][\w+.-]*:|[\\/]{2})/i.test(url)) return true;
  try {
    const parsed = new URL(url);
    return /^https?:$/.test(parsed.protocol) && origins.includes(parsed.origin);
  } catch (x) {
    return false;
  }
}

const keep = (url, origins) => (allowedUrl(url, origins) ? url : PLACEHOLDER);

/** A srcset with each candidate from elsewhere replaced by the placeholder, its descriptor kept (a
 * candidate's URL ends at whitespace; commas inside it, as in data: URLs, belong to it). */
export function cleanSrcset(value, origins) {
  const text = String(value);
  let out = '';
  let i = 0;
  while (i < text.length) {
    const lead = /^[\s,]*/.exec(text.slice(i))[0];
    i += lead.length;
    let url = /^\S*/.exec(text.slice(i))[0];
    i += url.length;
    let tail = /,+$/.exec(url)?.[0] || '';
    if (tail) url = url.slice(0, -tail.length);
    else {
      const end = text.indexOf(',', i);
      tail = text.slice(i, end < 0 ? text.length : end); // the descriptor
      i += tail.length;
    }
    out += lead + (url && keep(url, origins)) + tail;
  }
  return out;
}

// url(...) with or without quotes, @import "...", and a quoted absolute URL anywhere else in CSS
// (image-set("https://..." 1x) fetches without url()).
const CSS_URL = /url\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^)'"\s]*))\s*\)/gi;
const CSS_STRING = /(["'])((?:[a-z][\w+.-]*:|\/\/)(?:(?!\1)[^\\]|\\.)*)\1/gi;

/** CSS text with every address from elsewhere replaced by the placeholder. */
export function cleanCss(css, origins) {
  if (typeof css != 'string') return css;
  return css
    .replace(CSS_URL, (whole, double, single, bare) => {
      const url = double ?? single ?? bare;
      return allowedUrl(url.replace(/\\(.)/g, '$1'), origins) ? whole : `url("${PLACEHOLDER}")`;
    })
    .replace(CSS_STRING, (whole, quote, url) =>
      allowedUrl(url.replace(/\\(.)/g, '$1'), origins) ? whole : quote + PLACEHOLDER + quote);
}

// Attributes whose address an element loads as soon as it is in the page (not links: those load
// only when followed, which the viewers prevent).
const LOADED = new Set(['src', 'poster', 'background', 'data', 'xlink:href', 'lowsrc', 'dynsrc']);
const LOADED_HREF = new Set(['link', 'image', 'use', 'feimage']);

/**
 * An attribute's value as the viewer may rebuild it: undefined keeps it, null removes it (a
 * stylesheet or icon from elsewhere: nothing to show in its place), a string replaces it.
 */
export function localAttribute(tag, name, value, origins) {
  if (typeof value != 'string') return undefined;
  if (name == 'srcset' || name == 'imagesrcset') {
    const clean = cleanSrcset(value, origins);
    return clean == value ? undefined : clean;
  }
  if (name == 'rr_dataurl') return /^\s*data:/i.test(value) ? undefined : null; // rrweb's inlined image
  const loaded = LOADED.has(name) || (name == 'href' && LOADED_HREF.has(tag));
  if (loaded && !allowedUrl(value, origins)) return tag == 'link' ? null : PLACEHOLDER;
  if (/url\(|["']\s*(?:[a-z][\w+.-]*:|\/\/)/i.test(value)) {
    const clean = cleanCss(value, origins); // style="background:url(...)", fill="url(...)"
    return clean == value ? undefined : clean;
  }
  return undefined;
}
