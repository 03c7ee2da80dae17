// Page views, including single-page-app navigations (pushState, replaceState, popstate,
// hashchange: whenever the URL changes), each with its own context and its own batches.

import { now, on, rid } from './util.js';

/** The session id: shared by the site's tabs, new after 30 minutes without a batch. */
export function sessionId(storage, time = now()) {
  let s = storage('ff_s');
  if (!(time - s?.at < 18e5)) s = { id: rid() };
  s.at = time;
  storage('ff_s', s);
  return s.id;
}

export function installPages(t) {
  const { win, doc } = t;
  const loc = win.location;
  const begin = (ref) => {
    const url = loc.href;
    const pv = rid();
    t.page = {
      url,
      fields: () => ({ v: 1, site: t.site, sid: sessionId(t.store), pv, vid: t.vid || undefined, url, ref,
        vw: win.innerWidth, vh: win.innerHeight, sw: screen.width, sh: screen.height }), // utm_*: from url, by the collector
    };
    t.add({ t: 'pageview', title: doc.title });
  };
  // The page view ends and the next begins; `between` runs in between (footfall('reset')).
  const next = (t.next = (between) => {
    t.ends.forEach((end) => end());
    between?.();
    begin(t.page.url);
    t.starts.forEach((start) => start());
  });
  const changed = () => loc.href != t.page.url && next();
  ['pushState', 'replaceState'].forEach((name) => {
    const original = history[name];
    history[name] = function () {
      const result = original.apply(this, arguments);
      try {
        changed();
      } catch (x) {
        // the navigation happened; only its page view is lost
      }
      return result;
    };
  });
  on(win, 'popstate', changed);
  on(win, 'hashchange', changed);
  begin(doc.referrer);
}
