// footfall('reset') at logout: the identified id and the session are forgotten, what waits goes with
// the old session, and a new page view begins in a new session (tracker.js, pages.js).
import { fakeStorage, WIRE_ID } from './fakes.js';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { installPages, sessionId } from '../src/pages.js';
import { start } from '../src/tracker.js';
import { store } from '../src/util.js';

function fakeWindow(href) {
  return {
    location: { href },
    document: { title: 'Account', referrer: '' },
    navigator: { doNotTrack: '0', sendBeacon: () => true },
    innerWidth: 1280,
    innerHeight: 800,
    addEventListener: () => {},
  };
}

let saved;
beforeEach(() => {
  saved = { history: globalThis.history, screen: globalThis.screen, localStorage: globalThis.localStorage };
  globalThis.history = { pushState() {}, replaceState() {} };
  globalThis.screen = { width: 1920, height: 1080 };
  globalThis.localStorage = {};
});
afterEach(() => Object.assign(globalThis, saved));

test('the next page view: the old one ends, `between` runs, then a new one begins in the session then current', () => {
  const storage = fakeStorage();
  const order = [];
  const added = [];
  const t = { win: fakeWindow('https://shop.test/account'), store: storage, site: 's', ends: [() => order.push('end')],
    starts: [() => order.push('start')], add: (event) => added.push([event.t, t.page]) };
  t.doc = t.win.document;
  installPages(t);
  const first = t.page;
  const firstSession = first.fields().sid;
  t.next(() => {
    order.push('between');
    storage('ff_s', null); // what reset forgets
  });
  assert.deepEqual(order, ['end', 'between', 'start']);
  assert.notEqual(t.page, first);
  assert.deepEqual(added.map(([type, page]) => [type, page]), [['pageview', first], ['pageview', t.page]]);
  const second = t.page.fields();
  assert.notEqual(second.pv, first.fields().pv);
  assert.match(second.sid, WIRE_ID);
  assert.notEqual(second.sid, firstSession);
});

test('reset forgets the identified id and the session, and the next session id is new', () => {
  store('ff_consent', false); // nothing is captured or sent: only the stored ids matter here
  const api = start(fakeWindow('https://shop.test/account'), { site: 's', host: 'https://ff.test', respectDnt: true });
  api.identify('customer-7');
  const session = sessionId(store);
  assert.equal(store('ff_vid'), 'customer-7');
  assert.equal(sessionId(store), session);
  api.reset();
  assert.equal(store('ff_vid'), null);
  assert.equal(store('ff_s'), null);
  assert.notEqual(sessionId(store), session);
  assert.equal(store('ff_consent'), false); // the visitor's choice is not an identity: it stays
});
