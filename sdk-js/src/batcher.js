// Events wait here, one queue per page view, until a timer, a size threshold or the page being
// left sends them. One batch carries one page view's context (wire format: Batch).

import { now, rid } from './util.js';

export const MAX_EVENTS = 50;

/** `deliver(batch)` sends during the visit (with retries), `leave(batch)` when the page is
 * being left (sendBeacon). `page.fields()` gives the page view's batch fields. */
export function createBatcher({ deliver, leave, max = MAX_EVENTS }) {
  let queues = new Map();
  let count = 0;
  const flush = (leaving) => {
    const ready = queues;
    queues = new Map();
    count = 0;
    ready.forEach((events, page) =>
      (leaving ? leave : deliver)({ ...page.fields(), id: rid(), sent: now(), e: events }));
  };
  return {
    add(page, event) {
      if (!queues.has(page)) queues.set(page, []);
      queues.get(page).push(event);
      if (++count >= max) flush();
    },
    flush,
    clear() {
      queues = new Map();
      count = 0;
    },
  };
}
