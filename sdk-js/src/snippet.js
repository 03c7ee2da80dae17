// The script tag's entry: <script defer src=".../f.js" data-site="KEY">. Replays the calls the
// queue stub collected, then takes its place. The only global it touches is `footfall`. An automated
// browser (navigator.webdriver: Selenium, Puppeteer, Playwright) is not a visitor: there it does
// nothing, unless the tag has data-allow-automation.

import { start } from './tracker.js';

(() => {
  try {
    const script = document.currentScript;
    const site = script.getAttribute('data-site');
    const stub = window.footfall;
    if (!site || stub?.api || (navigator.webdriver && !script.hasAttribute('data-allow-automation'))) return;
    const api = start(window, {
      site,
      host: new URL(script.src).origin,
      respectDnt: script.getAttribute('data-respect-dnt') != 'false',
    });
    const footfall = (name, ...args) => {
      try {
        return api[name](...args);
      } catch (x) {
        // an unknown call or a bad argument must not reach the page
      }
    };
    footfall.api = api;
    window.footfall = footfall;
    stub?.q?.forEach((args) => footfall(...args));
  } catch (x) {
    // never into the host page
  }
})();
