#!/usr/bin/env node
// The reader's index in headless Chromium: how long a big library takes to
// open, and how long a search or a filter takes to show its rows.
//
//     node tests/bench/bench_reader.mjs LIBRARY_DIR|URL [--query WORD] [--cpu-slowdown N] [--runs N]
//
// Prints, for a desktop window and a phone-sized one:
//   DOMContentLoaded and load (navigation timing),
//   the time until the form is shown and the folding table is loaded,
//   for each action (a typed query, cold and warm; a filter; clearing it):
//     the time from the input event to the rows being updated and painted
//     (the 180 ms typing debounce included, and shown apart),
//   and the longest main-thread task (PerformanceObserver "longtask")
//   during each action.
// --cpu-slowdown N asks Chromium to run the page's CPU N times slower
// (an old laptop or a phone: try 4). Figures, not a test: read them.
// Normally run through bench_reader.sh, which makes the library.
import { launch, baseOf } from '../browser/browser.mjs';

function parseArgs(argv) {
  const o = { query: null, slowdown: 1, runs: 3, lib: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--query') o.query = argv[++i];
    else if (a === '--cpu-slowdown') o.slowdown = Number(argv[++i]);
    else if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a.startsWith('-')) usage();
    else o.lib = a;
  }
  if (!o.lib || !(o.slowdown >= 1) || !(o.runs >= 1))
    usage();
  return o;
}

function usage() {
  console.error('usage: node bench_reader.mjs LIBRARY_DIR|URL [--query WORD] [--cpu-slowdown N] [--runs N]');
  process.exit(2);
}

// Installed before any of the page's scripts: collect long tasks.
function observeLongTasks() {
  window.__svdLong = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        window.__svdLong.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) {
    window.__svdLong = null;
  }
}

// In the page: do something to the form, then wait until the reader is
// idle and two frames have been painted. Returns the times in ms.
async function act(page, what, value) {
  return page.evaluate(async ([what, value]) => {
    const r = window.svdReader;
    const frame = () => new Promise((res) => requestAnimationFrame(() => setTimeout(res, 0)));
    await r.idle();
    await frame();
    window.__svdLong && (window.__svdLong.length = 0);
    const t0 = performance.now();
    let el;
    if (what === 'q') {
      el = document.getElementById('q');
      el.value = value;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    } else {
      el = document.getElementById(what);
      el.value = value;
      el.dispatchEvent(new Event('change', { bubbles: true }));
    }
    await r.idle(true);   /* the typing debounce included */
    const tIdle = performance.now();
    await frame();
    await frame();
    const tPaint = performance.now();
    const long = window.__svdLong ? window.__svdLong.filter((e) => e.start + e.duration >= t0) : null;
    return {
      idle: tIdle - t0,
      painted: tPaint - t0,
      longest: long ? long.reduce((m, e) => Math.max(m, e.duration), 0) : -1,
      longCount: long ? long.length : -1,
      count: document.getElementById('count').textContent,
    };
  }, [what, value]);
}

const fmt = (x) => (x < 0 ? 'n/a' : `${x.toFixed(0)} ms`);
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function session(base, opts, viewport, label) {
  const browser = await launch({ viewport });
  try {
    const page = await browser.context.newPage();
    await page.addInitScript(observeLongTasks);
    if (opts.slowdown > 1) {
      const cdp = await browser.context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: opts.slowdown });
    }
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const t0 = Date.now();
    await page.goto(new URL('index.html', base).href, { waitUntil: 'load', timeout: 300000 });
    await page.waitForFunction(() => window.svdReader && window.svdReader.foldLoaded() &&
      !document.getElementById('filters').hidden, null, { timeout: 300000 });
    const wall = Date.now() - t0;
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0];
      const long = window.__svdLong || [];
      return {
        dcl: n.domContentLoadedEventEnd,
        load: n.loadEventEnd,
        rows: document.querySelectorAll('#items tbody tr').length,
        bytes: n.decodedBodySize,
        longest: long.reduce((m, e) => Math.max(m, e.duration), 0),
      };
    });
    console.log(`\n== ${label}: ${viewport.width}x${viewport.height}, CPU slowdown ${opts.slowdown}x, ${nav.rows} rows, index.html ${(nav.bytes / 1048576).toFixed(1)} MiB`);
    console.log(`   DOMContentLoaded ${fmt(nav.dcl)}   load ${fmt(nav.load)}   ready (form shown, fold.js in) ${wall} ms wall   longest task while loading ${fmt(nav.longest)}`);

    const query = opts.query;
    const prefix = [...query].slice(0, 3).join('');
    const lang = await page.$eval('#f-lang', (s) => (s.options[1] ? s.options[1].value : ''));
    const steps = [
      { name: `type "${query}" (cold: shard and row text not read yet)`, act: ['q', query], once: true },
      { name: `type "${prefix}" (a prefix: more words)`, setup: [['q', '']], act: ['q', prefix] },
      { name: `type "${query}" again (warm)`, setup: [['q', '']], act: ['q', query] },
      { name: 'clear the query (every row back)', setup: [['q', query]], act: ['q', ''] },
      { name: `filter language = ${lang}`, setup: [['q', ''], ['f-lang', '']], act: ['f-lang', lang] },
      { name: `"${query}" within language ${lang}`, setup: [['f-lang', lang], ['q', '']], act: ['q', query] },
      { name: 'clear the language (query stays)', setup: [['f-lang', lang], ['q', query]], act: ['f-lang', ''] },
    ];
    console.log(`   ${'action'.padEnd(52)} ${'rows done'.padStart(10)}  ${'painted'.padStart(10)}  ${'longest task'.padStart(12)}  tasks>50ms  count`);
    for (const st of steps) {
      const runs = [];
      for (let i = 0; i < (st.once ? 1 : opts.runs); i++) {
        for (const [w, v] of st.setup || [])
          await act(page, w, v);
        runs.push(await act(page, st.act[0], st.act[1]));
      }
      const r = runs[Math.floor(runs.length / 2)];
      console.log(`   ${st.name.padEnd(52)} ${fmt(median(runs.map((x) => x.idle))).padStart(10)}  ${fmt(median(runs.map((x) => x.painted))).padStart(10)}  ${fmt(Math.max(...runs.map((x) => x.longest))).padStart(12)}  ${String(Math.max(...runs.map((x) => x.longCount))).padStart(10)}  ${r.count}`);
    }
    console.log('   (times are medians of the runs, from the input event; a typed query includes the 180 ms debounce; longest task is the worst run)');
    if (errors.length)
      console.log(`   page errors: ${errors.join('; ')}`);
  } finally {
    await browser.close();
  }
}

const opts = parseArgs(process.argv.slice(2));
const base = baseOf(opts.lib);
if (!opts.query)
  opts.query = 'херсон';
await session(base, opts, { width: 1280, height: 900 }, 'desktop');
await session(base, opts, { width: 390, height: 844 }, 'phone');
