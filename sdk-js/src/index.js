// The ES module for bundlers: import { init } from '@footfall/sdk'; the same capture as f.js.

import { start } from './tracker.js';

let api;

// What init gives an automated browser (navigator.webdriver), which is not a visitor: calls that do nothing.
const idle = { event() {}, identify() {}, reset() {}, consent() {}, on() {} };

/** Starts measuring once per page. Options: { site, host, respectDnt = true, allowAutomation = false }. */
export const init = ({ site, host, respectDnt = true, allowAutomation }) =>
  (api = api || (navigator.webdriver && !allowAutomation ? idle
    : start(window, { site, host: host.replace(/\/$/, ''), respectDnt })));
