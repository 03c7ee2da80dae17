// The visited page's query string and fragment never leave the browser in a recording: they often
// carry emails, tokens or search terms (docs/privacy.md). rrweb writes the page's address in every
// Meta event, and writes relative links such as "#top" as the page's whole address followed by
// "#top", so every address the page had while recording is cut out of the JSON of each chunk before
// it is sent. The collector does the same again for the Meta events it sees (collector/urls.py).

/** The page address as Footfall stores it: no query string, no fragment but a #/route. */
export function pageUrl(href) {
  const cut = href.search(/[?#]/);
  if (cut < 0) return href;
  const hash = href.indexOf('#');
  return href.slice(0, cut) + (hash >= 0 && href[hash + 1] == '/' ? href.slice(hash).split('?')[0] : '');
}

const escaped = (text) => JSON.stringify(text).slice(1, -1);
const MAX_SEEN = 50;

/** `see(href)` notes an address the page had; `scrub(json)` cuts each one's query and fragment. */
export function createScrubber() {
  const seen = new Set();
  return {
    see(href) {
      if (seen.has(href) || !/[?#]/.test(href)) return;
      if (seen.size >= MAX_SEEN) seen.delete(seen.values().next().value);
      seen.add(href);
    },
    scrub(json) {
      for (const href of seen) {
        json = json.split(escaped(href)).join(escaped(pageUrl(href)));
        const base = href.split('#')[0];
        const query = base.slice(base.indexOf('?') >>> 0); // '' without one
        if (query.length > 1) json = json.split(escaped(query)).join('');
      }
      return json;
    },
  };
}
