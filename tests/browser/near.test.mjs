#!/usr/bin/env node
// Near forms in a real browser (SPEC.md 11.5 to 11.7): headless Chromium
// opens a library and types words in the other script, or in another form,
// than the titles hold, each after the word "nearcheck", which only the
// bodies of these items hold (tests/cli/reader_scale.sh adds them), so
// that a large library's other items with the words stay out:
//
//   Київ під обстрілом          uk   (Kyiv: its Latin form, 11.6)
//   Kyiv diary                  en   (Київ: the query's Latin form)
//   Херсон после освобождения   ru   (Kherson: its Latin form; херсона: a stem, 11.7)
//   Одеса вночі                 uk   (found by none of them)
//
//     node tests/browser/near.test.mjs LIBRARY_DIR | http://HOST:PORT/
//
// Each query must show exactly the rows it should, in order (the exact
// word first). Prints "ok N - ..." lines and "N passed, N failed"; exits 1
// when a check failed, so a library without the "~" and "=" keys, or a
// reader.js without lex.js, fails here.
import { launch, baseOf } from './browser.mjs';

const MARK = 'nearcheck'; // in each body: a query's first word
const CASES = [
  ['Kyiv', ['Kyiv diary', 'Київ під обстрілом'], 'a Latin word finds the Cyrillic title (the exact one first)'],
  ['kyiv', ['Kyiv diary', 'Київ під обстрілом'], 'in small letters the same'],
  ['Київ', ['Київ під обстрілом', 'Kyiv diary'], 'a Cyrillic word finds the Latin title'],
  ['Kherson', ['Херсон после освобождения'], 'a Latin word finds a Russian title'],
  ['херсона', ['Херсон после освобождения'], 'a word form finds its stem in a title'],
  ['KHERSONA', ['Херсон после освобождения'], 'a Latin word form too'],
  ['Kyiv pid obstrilom', ['Київ під обстрілом'], 'a whole title typed in Latin letters'],
  ['Odesa', ['Одеса вночі'], 'Odesa finds Одеса'],
  ['Paris', [], 'a word none of them has finds none'],
];

let passed = 0, failed = 0;
function check(cond, what, why) {
  if (cond) {
    passed++;
    console.log(`ok ${passed + failed} - ${what}`);
  } else {
    failed++;
    console.log(`not ok ${passed + failed} - ${what}${why ? `\n#   ${why}` : ''}`);
  }
  return cond;
}

async function main() {
  const arg = process.argv[2] || process.env.SVD_LIBRARY;
  if (!arg) {
    console.error('usage: node near.test.mjs LIBRARY_DIR | http://HOST:PORT/');
    process.exit(2);
  }
  const base = baseOf(arg);
  console.log(`# library ${base}`);
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(new URL('index.html', base).href, { waitUntil: 'load' });
    await page.waitForFunction(() => window.svdReader && window.svdReader.foldLoaded(), null, { timeout: 20000 });
    const idle = () => page.evaluate(() => window.svdReader.idle());
    await idle();
    const titles = () => page.$$eval('#items tbody tr', (rs) =>
      rs.map((r) => r.querySelector('td:nth-child(2) a').textContent));
    await page.fill('#q', MARK);
    await idle();
    const all = await titles();
    check(all.length === 4, `"${MARK}" finds the 4 items (${all.length})`, all.join(' | '));
    for (const [q, want, what] of CASES) {
      const t0 = Date.now();
      await page.fill('#q', `${MARK} ${q}`);
      await idle();
      const got = await titles();
      check(JSON.stringify(got) === JSON.stringify(want), `"${MARK} ${q}": ${what} (${Date.now() - t0} ms)`,
        `got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    }
    check(errors.length === 0, 'no script error', errors.join(' | '));
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  check(false, `the test ran to its end`, e && e.stack || String(e));
}).finally(() => {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
});
