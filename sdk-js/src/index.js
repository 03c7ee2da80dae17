// The ES module for bundlers: import { init } from '@footfall/sdk'; the same capture as f.js.

import { start } from './tracker.js';

let api;

/** Starts measuring once per page. Options: { site, host, respectDnt = true }. */
export const init = ({ site, host, respectDnt = true }) =>
  (api = api || start(window, { site, host: host.replace(/\/$/, ''), respectDnt }));
