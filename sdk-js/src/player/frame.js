// player.js: runs only in the dashboard's player document, a data: URL framed by the replay frame
// shell (GET /sites/{key}/replays/{sid}/frame; web/dashboard/replays_pages.py). A data: document
// has an opaque origin of its own: it can read neither the dashboard's cookies nor its DOM nor its
// API, and it fetches nothing (the shell's policy, inherited here, says connect-src 'none'). The
// dashboard page (two frames up) fetches the recording and sends it here with postMessage, then
// drives the player by messages; this document answers with where the replay is. rrweb's Replayer
// rebuilds the recorded page in its own nested iframe, sandboxed with allow-same-origin only (so it
// shares this opaque origin and runs no script), after sanitize.js took out what could run.

import { Replayer } from '@rrweb/replay';
import { sanitizeEvents } from './sanitize.js';

(() => {
  const stage = document.getElementById('stage');
  const DASHBOARD = stage.dataset.dashboard; // the page that frames the shell that frames this document
  // The site's own origins: what the rebuilt page may load (the frame's policy says the same).
  const ORIGINS = (stage.dataset.origins || '').split(' ').filter(Boolean);
  const page = parent.parent;
  let replayer = null;
  let size = { width: 1024, height: 768 };
  let skipping = false;
  let finished = false;
  let ticker = 0;

  const post = (message) => page.postMessage({ ff: 'player', ...message }, DASHBOARD);

  const playing = () => !!replayer && replayer.service.state.matches('playing');

  const report = () => {
    if (!replayer) return;
    const total = replayer.getMetaData().totalTime;
    post({ type: 'state', at: Math.max(0, Math.min(total, replayer.getCurrentTime())), total, playing: playing(),
      skipping, finished });
  };

  const watch = () => {
    clearInterval(ticker);
    if (playing()) ticker = setInterval(report, 100);
    report();
  };

  const fit = () => {
    if (!replayer) return;
    const scale = Math.min(innerWidth / size.width, innerHeight / size.height, 4) || 1;
    const wrapper = replayer.wrapper;
    wrapper.style.transform = `scale(${scale})`;
    wrapper.style.left = `${Math.max(0, (innerWidth - size.width * scale) / 2)}px`;
    wrapper.style.top = `${Math.max(0, (innerHeight - size.height * scale) / 2)}px`;
  };

  const seek = (at, play) => {
    finished = false;
    if (play) replayer.play(at);
    else replayer.pause(at);
    watch();
  };

  const load = (message) => {
    if (replayer) replayer.destroy();
    const events = sanitizeEvents(message.events, ORIGINS);
    replayer = new Replayer(events, {
      root: stage,
      speed: message.speed || 1,
      skipInactive: !!message.skip,
      mouseTail: false,
      showWarning: false,
      triggerFocus: false,
      pauseAnimation: true,
      UNSAFE_replayCanvas: false, // would add allow-scripts to the replay's iframe: never
      useVirtualDom: true,
    });
    replayer.on('resize', (dimension) => {
      size = dimension;
      fit();
    });
    replayer.on('skip-start', () => {
      skipping = true;
      report();
    });
    replayer.on('skip-end', () => {
      skipping = false;
      report();
    });
    replayer.on('finish', () => {
      finished = true;
      skipping = false;
      watch();
    });
    const first = events.find((e) => e.type == 4 && e.data && e.data.width);
    if (first) size = { width: first.data.width, height: first.data.height };
    fit();
    seek(Math.max(0, message.at || 0), !!message.play);
  };

  const commands = {
    hello: () => post({ type: 'ready' }),
    load,
    play() {
      const { totalTime } = replayer.getMetaData();
      const at = replayer.getCurrentTime();
      seek(finished || at >= totalTime ? 0 : at, true);
    },
    pause() {
      replayer.pause();
      watch();
    },
    seek: (message) => seek(Math.max(0, Number(message.at) || 0), !!message.play),
    speed(message) {
      replayer.setConfig({ speed: Number(message.speed) || 1 });
      report();
    },
    skip(message) {
      replayer.setConfig({ skipInactive: !!message.on });
      if (!message.on) skipping = false;
      report();
    },
  };

  addEventListener('message', (e) => {
    if (e.source !== page || e.origin !== DASHBOARD || !e.data || e.data.ff !== 'dashboard') return;
    const command = Object.hasOwn(commands, e.data.type) && commands[e.data.type];
    if (!command || (!replayer && e.data.type != 'load' && e.data.type != 'hello')) return;
    try {
      command(e.data);
    } catch (x) {
      post({ type: 'error', message: String((x && x.message) || x) });
    }
  });
  addEventListener('resize', fit);
  post({ type: 'ready' });
})();
