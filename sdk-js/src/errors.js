// JavaScript errors and unhandled promise rejections: de-duplicated (message, source, line)
// and capped at 20 per page view.

import { on } from './util.js';

export function installErrors(t) {
  let seen = {};
  let count = 0;
  const report = (kind, msg, stack, src, line, col) => {
    msg += ''; // the collector cuts long messages and drops the source's query string
    const key = msg + src + line;
    if (seen[key] || count > 19) return;
    seen[key] = ++count;
    // What is undefined is left out of the JSON: the wire's defaults ('' and 0) apply.
    const event = { t: 'error', kind, msg, stack: stack ? (stack + '').slice(0, 8192) : '', src, line, col };
    t.add(event);
    t.signals.emit('error', { ...event });
  };
  on(t.win, 'error', (e) => report('error', e.message, e.error?.stack, e.filename, e.lineno, e.colno));
  on(t.win, 'unhandledrejection', ({ reason }) =>
    report('rejection', reason?.message || reason, reason?.stack));
  t.starts.push(() => (seen = {}, count = 0));
}
