// Builds the script tag's f.js (IIFE) and the ES module: esbuild bundles, terser minifies (about
// 3% smaller than esbuild's own minifier here, which the 6 KB budget needs), and f.js is copied
// where the collector serves it. The size test (tests/sdk_js/test_size.py) enforces the budget.

import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { minify } from 'terser';

const TERSER = {
  ecma: 2022,
  toplevel: true,
  compress: { passes: 3, unsafe: true, unsafe_arrows: true },
  mangle: true,
  format: { comments: false },
};

async function bundle(entry, format, tight) {
  // For f.js, esbuild's syntax minification first and terser told that reading a property has no side
  // effects (the snippet reads no getter for its effect): 20 bytes fewer gzipped, which the budget needs.
  const out = await build({ entryPoints: [entry], bundle: true, format, target: ['es2022'], write: false,
    legalComments: 'none', logLevel: 'warning', minifySyntax: !!tight });
  const options = tight ? { ...TERSER, compress: { ...TERSER.compress, pure_getters: true } } : TERSER;
  return (await minify(out.outputFiles[0].text, { ...options, module: format == 'esm' })).code;
}

mkdirSync('dist', { recursive: true });
const snippet = await bundle('src/snippet.js', 'iife', true);
writeFileSync('dist/f.js', snippet);
writeFileSync('dist/footfall.esm.js', await bundle('src/index.js', 'esm', true));
copyFileSync('dist/f.js', '../web/static/f.js');
// The recorder, loaded by f.js only for sessions sampled in for replay.
const recorder = await bundle('src/replay/recorder.js', 'iife');
writeFileSync('dist/replay.js', recorder);
copyFileSync('dist/replay.js', '../web/static/replay.js');
// The dashboard's replay player (rrweb's Replayer), loaded only by the sandboxed replay frame: esbuild's
// own minifier is enough here (no size budget), and leaves the large library as its authors wrote it.
const player = await build({ entryPoints: ['src/player/frame.js'], bundle: true, format: 'iife', target: ['es2022'],
  minify: true, write: false, legalComments: 'none', logLevel: 'warning' });
writeFileSync('dist/player.js', player.outputFiles[0].text);
copyFileSync('dist/player.js', '../web/static/player.js');
// The dashboard's heatmap viewer: the same Replayer rebuilds the page snapshot the map is drawn over.
const viewer = await build({ entryPoints: ['src/heatmap/frame.js'], bundle: true, format: 'iife', target: ['es2022'],
  minify: true, write: false, legalComments: 'none', logLevel: 'warning' });
writeFileSync('dist/heatmap.js', viewer.outputFiles[0].text);
copyFileSync('dist/heatmap.js', '../web/static/heatmap.js');
const rrwebCss = 'node_modules/@rrweb/replay/dist/style.css'; // the replayer's cursor and wrapper
writeFileSync('../web/static/player.css',
  (existsSync(rrwebCss) ? readFileSync(rrwebCss, 'utf8') : '') + readFileSync('src/player/frame.css', 'utf8'));
console.log(`f.js: ${snippet.length} bytes, ${gzipSync(snippet, { level: 9 }).length} gzipped (budget 6144); ` +
  `replay.js: ${gzipSync(recorder, { level: 9 }).length} gzipped; ` +
  `player.js: ${gzipSync(player.outputFiles[0].text, { level: 9 }).length} gzipped`);
