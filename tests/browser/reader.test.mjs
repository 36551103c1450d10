#!/usr/bin/env node
// The reader library in a real browser: headless Chromium opens a library
// that `samvydav unpack` wrote and checks what a reader sees.
//
//     node tests/browser/reader.test.mjs LIBRARY_DIR      (from file://)
//     node tests/browser/reader.test.mjs http://HOST:PORT/ (served; the daemon)
//
// Or SVD_LIBRARY=DIR / SVD_READER_BASE=URL. SVD_READER_OUT=DIR keeps the
// screenshots there (default: a new folder under the system's temp dir).
// SVD_READER_UNDATED=N: the library holds N items without a publication
// date (rows with data-year="undated"), which the year filter must find.
//
// The library must hold an item in Ukrainian (lang uk), one in Greek (el),
// and one whose title is `<script>alert(1)</script>` (tests/cli/browser.sh
// makes such a library). Prints "ok N - ..." lines like tests/cli/lib.sh
// and exits 1 when any check failed.
//
// Expected search results come from an oracle in this file: it matches
// with the library's own data, read here in Node, and the page must show
// exactly what the oracle says. A library unpack writes is paged (SPEC.md
// 11.2): the oracle reads rows/*.js and the dictionary (search/dict.js,
// dNNNNN.js, pNNNNN.js) and ranks as 11.5 says; the checks add the index
// with JavaScript off (the note, the first page, the pager), ranking,
// suggestions, "more", facets and the random item. The daemon still serves
// the one-page index (every row, search/sNN.js): the older checks, whose
// oracle reads the shards and the index's titles.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { launch, baseOf, readText } from './browser.mjs';

// the reader's near forms (SPEC.md 11.6, 11.7), the page's own code
const lex = createRequire(import.meta.url)('../../archive-format/reader/lex.js');

const here = path.dirname(fileURLToPath(import.meta.url));
const FOLD_CASES = process.env.SVD_FOLD_CASES || path.join(here, '..', 'data', 'fold-cases.txt');
const HOSTILE = '<script>alert(1)</script>';

let passed = 0;
let failed = 0;
function ok(what) {
  passed++;
  console.log(`ok ${passed + failed} - ${what}`);
}
function notOk(what, why) {
  failed++;
  console.log(`not ok ${passed + failed} - ${what}`);
  if (why)
    console.log(`#   ${String(why).split('\n').join('\n#   ')}`);
}
function check(cond, what, why) {
  if (cond)
    ok(what);
  else
    notOk(what, why);
  return !!cond;
}
function same(a, b, what) {
  const x = JSON.stringify(a), y = JSON.stringify(b);
  return check(x === y, what, `got ${x.slice(0, 400)}, expected ${y.slice(0, 400)}`);
}

// ---- the oracle: the library's data, matched in Node ----

// Fold and tokens as SPEC.md 11.3/11.4 say, over the library's fold.js.
function makeFolder(foldJs) {
  let table = null;
  vm.runInNewContext(foldJs, { svdFold: (t) => { table = t; } }, { timeout: 5000 });
  if (!table)
    throw new Error('search/fold.js did not call svdFold()');
  const fold = (s) => {
    let out = '';
    for (const ch of s.normalize('NFC')) {
      if (Object.prototype.hasOwnProperty.call(table, ch))
        out += table[ch];
      else if (ch >= 'A' && ch <= 'Z')
        out += ch.toLowerCase();
      else
        out += ch;
    }
    return out;
  };
  const isTok = (c) => {
    if (c < 0x80)
      return /[0-9A-Za-z]/.test(String.fromCodePoint(c));
    return !(c < 0xc0 || c === 0xd7 || c === 0xf7 || c === 0xfffd ||
      (c >= 0x2000 && c <= 0x206f) || (c >= 0x3000 && c <= 0x303f) || (c >= 0xd800 && c <= 0xdfff));
  };
  // all: every run (a query); else only 2..32 code points (what is indexed)
  const tokens = (s, all) => {
    const out = [];
    let tok = '';
    for (const ch of (s + ' ').normalize('NFC')) {
      if (isTok(ch.codePointAt(0))) {
        tok += fold(ch);
        continue;
      }
      const n = [...tok].length;
      if (tok && (all || (n >= 2 && n <= 32)))
        out.push(tok);
      tok = '';
    }
    return out;
  };
  const shardOf = (t) => {
    let h = 2166136261;
    for (const b of Buffer.from([...t].slice(0, 2).join(''), 'utf8')) {
      h ^= b;
      h = Math.imul(h, 16777619) >>> 0;
    }
    return h % 64;
  };
  return { fold, tokens, shardOf, table };
}

async function loadShards(base) {
  const shards = [];
  for (let n = 0; n < 64; n++) {
    const rel = `search/s${String(n).padStart(2, '0')}.js`;
    const src = await readText(base, rel);
    let got = null;
    vm.runInNewContext(src, { svdShard: (k, m) => { got = [k, m]; } }, { timeout: 20000 });
    if (!got || got[0] !== n)
      throw new Error(`${rel} does not call svdShard(${n}, ...)`);
    shards[n] = got[1];
  }
  return shards;
}

// expected(query, filters): the data-n of the rows that must show
function makeOracle(F, shards, rows) {
  return (query, filters = {}) => {
    const toks = F.tokens(query, true);
    const sets = toks.map((t) => {
      const s = new Set();
      rows.forEach((r) => { if (r.text.includes(t)) s.add(r.n); });
      if ([...t].length >= 2) {
        const sh = shards[F.shardOf(t)];
        for (const w of Object.keys(sh))
          if (w.startsWith(t))
            sh[w].forEach((n) => s.add(n));
      }
      return s;
    });
    return rows.filter((r) =>
      Object.entries(filters).every(([k, v]) => !v || r[k] === v) &&
      sets.every((s) => s.has(r.n))).map((r) => r.n);
  };
}

// ---- the browser ----

// The folding table, by the page's own function, against tests/data/fold-cases.txt.
async function foldChecks(page, F) {
  if (fs.existsSync(FOLD_CASES)) {
    // input<TAB>folded a line; lines starting with # and empty lines are not cases
    const cases = fs.readFileSync(FOLD_CASES, 'utf8').split('\n')
      .filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t'));
    const malformed = cases.filter((c) => c.length !== 2);
    check(malformed.length === 0, `every case line of ${path.basename(FOLD_CASES)} is input<TAB>folded`,
      malformed.map((c) => c.join('<TAB>')).join('\n'));
    const got = await page.evaluate((cs) => cs.map((c) => window.svdReader.fold(c[0])), cases);
    const bad = cases.map((c, i) => [c, got[i]]).filter(([c, g]) => g !== c[1])
      .map(([c, g]) => `${c[0]} -> ${JSON.stringify(g)}, expected ${c[1]}`);
    check(cases.length > 0 && bad.length === 0, `the page folds ${cases.length} cases of ${path.basename(FOLD_CASES)} as listed`, bad.join('\n'));
    const badNode = cases.filter((c) => F.fold(c[0]) !== c[1]).map((c) => `${c[0]} -> ${F.fold(c[0])}`);
    check(badNode.length === 0, 'search/fold.js\'s table folds the same cases', badNode.join('\n'));
  } else {
    notOk(`fold cases at ${FOLD_CASES}`, 'missing');
  }
  // decomposed input is composed first (NFC), as the C side's text is
  const nfd = [['Krako\u0301w', 'krakow'], ['\u0406\u0308', '\u0457'], ['\u041a\u0438\u0457\u0432'.normalize('NFD'), '\u043a\u0438\u0457\u0432'],
    ['\u039f\u0301\u0394\u039f\u03a3', '\u03bf\u03b4\u03bf\u03c3']];
  same(await page.evaluate((cs) => cs.map((c) => window.svdReader.fold(c[0])), nfd), nfd.map((c) => c[1]),
    'the page folds decomposed text as its composed form (NFC first)');
}

// ---- the paged library (SPEC.md 11.2, 11.5) ----

// Every rows/NNNNN.js, the dictionary (root, blocks, lists in their own
// files) and the facets, read in Node.
const LIST_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
function decodeList(s) {
  const out = [];
  let v = -1, d = 0;
  for (const ch of s) {
    const x = LIST_DIGITS.indexOf(ch);
    if (x < 0)
      throw new Error(`a list holds ${JSON.stringify(ch)}`);
    if (x < 32) {
      d = d * 32 + x;
    } else {
      v += d * 32 + (x - 32) + 1;
      out.push(v);
      d = 0;
    }
  }
  return out;
}

function runJs(src, name, args) {
  let got = null;
  vm.runInNewContext(src, { [name]: (...a) => { got = a; } }, { timeout: 20000 });
  if (!got)
    throw new Error(`${name}() was not called`);
  return got;
}

// code point order = the UTF-8 byte order of the keys
const cmpKey = (a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

async function loadPaged(base) {
  const [root] = runJs(await readText(base, 'search/dict.js'), 'svdDictRoot');
  lex.svdTranslit(root.translit);
  const rows = [];
  for (let n = 0; n * root.chunkRows < root.rows; n++) {
    const [k, list] = runJs(await readText(base, `rows/${String(n).padStart(5, '0')}.js`), 'svdRows');
    if (k !== n)
      throw new Error(`rows/${n} calls svdRows(${k})`);
    list.forEach((r, i) => rows.push({ n: n * root.chunkRows + i, id: r[0], date: r[1], title: r[2],
      authors: r[3], lang: r[4], kind: r[5], region: r[6] }));
  }
  const dict = new Map();
  const keys = [];
  const firsts = [];
  const list = async (v) => {
    if (typeof v === 'string')
      return decodeList(v);
    const [k, text] = runJs(await readText(base, `search/p${String(v).padStart(5, '0')}.js`), 'svdPost');
    if (k !== v)
      throw new Error(`search/p${v} calls svdPost(${k})`);
    return decodeList(text);
  };
  for (let b = 0; b < root.blocks.length; b++) {
    const [k, entries] = runJs(await readText(base, `search/d${String(b).padStart(5, '0')}.js`), 'svdDict');
    if (k !== b)
      throw new Error(`search/d${b} calls svdDict(${k})`);
    firsts.push(entries[0][0]);
    for (const [key, t, bd] of entries) {
      dict.set(key, { t: await list(t), b: await list(bd), block: b });
      keys.push(key);
    }
  }
  const [facets] = runJs(await readText(base, 'search/facets.js'), 'svdFacets');
  return { root, rows, dict, keys, firsts, facets };
}

// The ranking SPEC.md 11.5 gives: per word the best of title exact (0),
// title near (1), title prefix (2), body the same plus 3; every word and
// filter must match; by the sum, then by row. Also the suggestions.
function makePagedOracle(F, D) {
  return (query, filters = {}) => {
    const words = [...new Set(F.tokens(query, true).filter((w) => [...w].length >= 2))];
    const levels = words.map((w, i) => {
      const lv = new Map();
      const put = (e, l) => {
        if (!e)
          return;
        e.t.forEach((r) => { if (!(lv.get(r) <= l)) lv.set(r, l); });
        e.b.forEach((r) => { if (!(lv.get(r) <= l + 3)) lv.set(r, l + 3); });
      };
      put(D.dict.get(w), 0);
      // near forms, level 1: "=" + w; a Cyrillic word's Latin forms, as
      // keys and under "="; for w and those, its stems' "~" keys, the stems
      // themselves and their "=" keys (reader.js: matchWord)
      const near = new Set();
      const forms = [w];
      near.add('=' + w);
      for (const f of lex.svdTranslitForms(w)) {
        if (forms.includes(f))
          continue;
        forms.push(f);
        near.add(f);
        near.add('=' + f);
      }
      for (const x of forms)
        for (const st of lex.svdStemForms(x, D.root.stems))
          [`~${st}`, st, `=${st}`].forEach((k) => near.add(k));
      near.delete(w);
      near.forEach((k) => put(D.dict.get(k), 1));
      if (i === words.length - 1) {
        // the first 100 keys of the prefix, from the block it falls in and the next
        let b = 0;
        D.firsts.forEach((k, j) => { if (cmpKey(k, w) <= 0) b = j; });
        const pre = D.keys.filter((k) => k.startsWith(w) && D.dict.get(k).block <= b + 1 &&
          D.dict.get(k).block >= b).slice(0, 100);
        pre.filter((k) => k !== w).forEach((k) => put(D.dict.get(k), 2));
      }
      return lv;
    });
    const fsets = Object.entries(filters).filter(([, v]) => v)
      .map(([k, v]) => new Set((D.dict.get(`#${k}=${v}`) || { t: [] }).t));
    const out = [];
    for (const r of D.rows) {
      if (!fsets.every((s) => s.has(r.n)))
        continue;
      let score = 0, ok = true, title = true;
      for (const lv of levels) {
        const l = lv.get(r.n);
        if (l === undefined) {
          ok = false;
          break;
        }
        score += l;
        title = title && l < 3;
      }
      if (ok)
        out.push({ n: r.n, score, title });
    }
    out.sort((a, b) => a.score - b.score || a.n - b.n);
    return {
      rows: out.map((x) => x.n),
      score: new Map(out.map((x) => [x.n, x.score])),
      suggest: words.length ? out.filter((x) => x.title).map((x) => x.n).sort((a, b) => a - b).slice(0, 8) : [],
    };
  };
}

async function pagedChecks(base, page, context, F, out) {
  const D = await loadPaged(base);
  const M = D.rows.length;
  const K = Math.max(1, Math.ceil(M / 100));
  const expected = makePagedOracle(F, D);
  const idle = () => page.evaluate(() => window.svdReader.idle());
  const visible = () => page.$$eval('#items tbody tr', (rs) => rs.map((r) => Number(r.getAttribute('data-n'))));
  const count = () => page.textContent('#count');
  const search = async (q) => {
    await page.fill('#q', q);
    await idle();
    return visible();
  };
  const rows = D.rows;
  rows.forEach((r) => { r.text = F.fold(r.title + '\n' + r.authors); });
  same(D.root.rows, M, `search/dict.js counts the rows of rows/*.js (${M})`);
  same(rows.map((r) => r.n), rows.map((_, i) => i), 'the rows files number the rows from 0');

  // without JavaScript: the note, the first page, the pager to page 2
  {
    const nojs = await launch({ javaScriptEnabled: false });
    try {
      const p = await nojs.context.newPage();
      await p.goto(new URL('index.html', base).href, { waitUntil: 'load' });
      check(await p.isVisible('noscript p, #noscript').catch(() => false) ||
        /Search and filters need JavaScript/.test(await p.textContent('body')),
      'with JavaScript off, index.html says that search and filters need it');
      check(!(await p.isVisible('#filters')), 'with JavaScript off, the search form stays hidden');
      const first = await p.$$eval('#items tbody tr', (rs) => rs.map((r) => Number(r.getAttribute('data-n'))));
      same(first, rows.slice(0, 100).map((r) => r.n), `with JavaScript off, index.html lists the first ${Math.min(M, 100)} rows`);
      check((await p.textContent('.pager')).includes(`Page 1 of ${K}`), `the pager says page 1 of ${K}`);
      if (K > 1) {
        await Promise.all([p.waitForURL(/list\/00002\.html$/), p.click('.pager a[rel="next"] >> nth=0')]);
        const second = await p.$$eval('#items tbody tr', (rs) => rs.map((r) => Number(r.getAttribute('data-n'))));
        same(second, rows.slice(100, 200).map((r) => r.n), 'the pager\'s Next goes to list/00002.html, rows 100 on');
        check((await p.textContent('.pager')).includes(`Page 2 of ${K}`), `it says page 2 of ${K}`);
        await Promise.all([p.waitForURL(/pages\/[0-9a-f]{64}\.html$/), p.click('#items tbody tr td:nth-child(2) a >> nth=0')]);
        same(new URL(p.url()).pathname.split('/').pop(), `${rows[100].id}.html`, 'a list page links its items\' pages');
        await p.goBack();
        await Promise.all([p.waitForURL(/index\.html$/), p.click('.pager a[rel="prev"] >> nth=0')]);
        ok('and Previous goes back to index.html');
      }
      await p.close();
    } finally {
      await nojs.close();
    }
  }

  await page.goto(new URL('index.html', base).href, { waitUntil: 'load' });
  await page.waitForFunction(() => window.svdReader && window.svdReader.foldLoaded(), null, { timeout: 10000 })
    .then(() => ok('reader.js runs and has the folding table'),
      (e) => notOk('reader.js runs and has the folding table', e.message));
  await idle().catch(() => {});
  await page.screenshot({ path: path.join(out, 'index.png'), fullPage: false });
  check(await page.isVisible('#filters'), 'the filter form is shown (hidden removed)');
  check(await page.isVisible('#random'), 'the random item button is shown');
  same(await visible(), rows.slice(0, 100).map((r) => r.n), 'the first page\'s rows are shown at first');
  same(await count(), `${M} of ${M} items`, 'the count says every item at first');
  const langOpts = await page.$$eval('#f-lang option', (os) => os.map((o) => o.value).filter(Boolean));
  same(langOpts, D.facets.lang.map((v) => v[0]), 'the language filter offers the values of search/facets.js');
  await foldChecks(page, F);

  // a Ukrainian title word in three casings; title before body, exact before prefix, newer first
  const ukWord = rows.some((r) => r.lang === 'uk' && F.tokens(r.title, false).includes('київ'))
    ? { word: rows.find((r) => r.lang === 'uk' && F.tokens(r.title, false).includes('київ')).title.match(/[^\s]+/u)[0], row: rows.find((r) => r.lang === 'uk' && F.tokens(r.title, false).includes('київ')).n }
    : null;
  if (check(ukWord, 'the library has an item in Ukrainian with "Київ" in its title')) {
    const forms = ['київ', 'Київ', 'КИЇВ', 'КИЇВ'.normalize('NFD')];
    const want = expected('київ');
    const results = [];
    for (const f of forms)
      results.push(await search(f));
    same(results[0], want.rows.slice(0, 50), `"київ" shows the ranked rows (${want.rows.length})`);
    same(results[1], results[0], '"Київ" the same');
    same(results[2], results[0], '"КИЇВ" the same');
    same(results[3], results[0], '"КИЇВ" typed decomposed (NFD) the same');
    same(await count(), `${want.rows.length} of ${M} items`, 'the count says how many match');
    const titled = want.rows.filter((n) => want.score.get(n) === 0);
    const bodyOnly = want.rows.filter((n) => want.score.get(n) === 3);
    const prefixed = want.rows.filter((n) => want.score.get(n) === 2);
    if (check(titled.length && bodyOnly.length && Math.min(...bodyOnly) < Math.max(...titled),
      'some item has "київ" only in its body and is newer than one with it in the title')) {
      const pos = (n) => results[0].indexOf(n);
      check(bodyOnly.every((b) => titled.every((t) => pos(t) < pos(b))),
        'every item with the word in its title ranks above those with it only in the body, newer or not');
    }
    if (check(prefixed.length && Math.min(...prefixed) < Math.max(...titled),
      'some newer item has a title word that "київ" is only a prefix of')) {
      const pos = (n) => results[0].indexOf(n);
      check(prefixed.every((p) => titled.every((t) => pos(t) < pos(p))), 'the exact word ranks above the prefix');
    }
    same(titled, results[0].slice(0, titled.length), 'at equal rank, newer first (ascending rows)');
    check(decodeURIComponent((await page.evaluate(() => location.hash))).includes('q='), 'the search is in the URL\'s fragment');

    // typed key by key: suggestions of titles, newest first, each a link
    await page.fill('#q', '');
    await idle();
    await page.locator('#q').pressSequentially('Київ', { delay: 30 });
    await idle();
    same(await visible(), results[0], 'typing the word key by key gives the same rows');
    const sugg = await page.$$eval('#suggest a', (as) => as.map((a) => [Number(a.getAttribute('data-n')), a.getAttribute('href'), a.textContent]));
    same(sugg.map((x) => x[0]), want.suggest, `typing suggests the titles that hold the words, newest first (${want.suggest.length})`);
    check(sugg.length > 0 && sugg.every((x) => x[1] === `pages/${rows[x[0]].id}.html` && x[2] === rows[x[0]].title),
      'each suggestion is the item\'s title, linking its page');
    check(await page.isVisible('#suggest'), 'the suggestions are shown');
    const url = await page.evaluate(() => location.href);
    const p2 = await context.newPage();
    await p2.goto(url, { waitUntil: 'load' });
    await p2.waitForFunction(() => window.svdReader && window.svdReader.foldLoaded(), null, { timeout: 10000 }).catch(() => {});
    await p2.evaluate(() => window.svdReader.idle());
    same(await p2.$$eval('#items tbody tr', (rs) => rs.map((r) => Number(r.getAttribute('data-n')))), results[0],
      'opening the bookmarked URL shows the same rows');
    await p2.close();
    if (sugg.length) {
      await Promise.all([page.waitForURL(/pages\/[0-9a-f]{64}\.html$/), page.click('#suggest a >> nth=0')]);
      same(new URL(page.url()).pathname.split('/').pop(), `${rows[sugg[0][0]].id}.html`, 'a suggestion opens its item\'s page');
      await page.goto(new URL('index.html', base).href, { waitUntil: 'load' });
      await idle();
    }
  }

  // a word that only a body has, and its prefix
  const body = [...D.dict.entries()].find(([k, e]) => !'#~='.includes(k[0]) && [...k].length >= 6 && e.t.length === 0 &&
    e.b.length === 1 && !rows.some((r) => r.text.includes(k)));
  if (check(body, 'some word is only in one body')) {
    const [word, e] = body;
    const got = await search(word.toUpperCase());
    // its item first; near forms (another word's stem or Latin form) may add others after it
    same(got, expected(word).rows.slice(0, 50), `"${word.toUpperCase()}" (body only) shows the ranked rows`);
    same(got[0], e.b[0], `and finds its item first`);
    const prefix = [...word].slice(0, 4).join('');
    same(await search(prefix), expected(prefix).rows.slice(0, 50), `its prefix "${prefix}" shows the ranked rows`);
  }
  same(await search('київ zzqxjv'), [], 'a second word nothing has shows no row');
  same(await count(), `0 of ${M} items`, 'the count says 0');

  // more than 50 results: "more" shows the next ones
  const many = D.keys.find((k) => !'#~='.includes(k[0]) && D.dict.get(k).t.length + D.dict.get(k).b.length > 60 &&
    D.keys.filter((x) => x.startsWith(k)).length === 1);
  if (check(many, 'some word is in over 60 items')) {
    const want = expected(many).rows;
    same(await search(many), want.slice(0, 50), `"${many}" shows its first 50 results`);
    check(await page.isVisible('#more'), 'and a "more" button');
    await page.click('#more button');
    await idle();
    same(await visible(), want.slice(0, 100), 'which shows 50 more');
  }

  // filters, alone, together, with a search
  await search('');
  for (const [name, sel] of [['lang', '#f-lang'], ['kind', '#f-kind'], ['region', '#f-region'], ['year', '#f-year']]) {
    const vals = D.facets[name];
    if (!vals.length)
      continue;
    const v = name === 'lang' && vals.some((x) => x[0] === 'uk') ? 'uk' : vals[0][0];
    await page.selectOption(sel, v);
    await idle();
    const want = expected('', { [name]: v }).rows;
    same(await visible(), want.slice(0, 50), `the ${name} filter "${v}" shows its rows`);
    same(await count(), `${want.length} of ${M} items`, `and counts them (${want.length}, facets.js says ${vals.find((x) => x[0] === v)[1]})`);
    same(want.length, vals.find((x) => x[0] === v)[1], `search/facets.js counts the ${name} "${v}" right`);
    await page.selectOption(sel, '');
  }
  // items without a publication date: no date, after every dated row, the year "undated" (No date)
  const undated = rows.filter((r) => r.date === '');
  if (process.env.SVD_READER_UNDATED !== undefined)
    same(undated.length, Number(process.env.SVD_READER_UNDATED),
      'as many rows without a date as items without a publication date');
  if (undated.length) {
    const firstUndated = rows.findIndex((r) => r.date === '');
    check(rows.slice(firstUndated).every((r) => r.date === ''),
      `the ${undated.length} undated rows come after every dated one`);
    const label = await page.$eval('#f-year option:last-child', (o) => [o.value, o.textContent]);
    same(label, ['undated', `No date (${undated.length})`], 'the year filter\'s last option is the undated items');
    await page.selectOption('#f-year', 'undated');
    await idle();
    same(await visible(), undated.map((r) => r.n).slice(0, 50), `the year filter "undated" shows the ${undated.length} undated rows`);
    same(await count(), `${undated.length} of ${M} items`, 'and counts only them');
    await page.selectOption('#f-year', '');
  }
  await page.selectOption('#f-lang', 'uk');
  await page.selectOption('#f-kind', 'article');
  await idle();
  same(await visible(), expected('', { lang: 'uk', kind: 'article' }).rows.slice(0, 50), 'language and kind combine');
  await page.selectOption('#f-kind', '');
  same(await search('київ'), expected('київ', { lang: 'uk' }).rows.slice(0, 50), 'a search within a language filter');
  check(/lang=uk/.test(await page.evaluate(() => location.hash)), 'the filter is in the fragment');
  await page.selectOption('#f-lang', '');
  await search('');
  same(await visible(), rows.slice(0, 100).map((r) => r.n), 'clearing everything shows the first page again');
  check(await page.isVisible('.pager'), 'and its pager');
  same(await page.evaluate(() => location.hash), '', 'and empties the fragment');

  // the hostile title
  const hostile = rows.find((r) => r.title === HOSTILE);
  if (check(hostile, `an item is titled ${HOSTILE}`)) {
    const got = await search(HOSTILE);
    check(got.includes(hostile.n), 'searching for the hostile title finds it');
    same(got, expected(HOSTILE).rows.slice(0, 50), 'and exactly the ranked rows');
    same(await page.$eval(`#items tr[data-n="${hostile.n}"] td:nth-child(2) a`, (a) => [...a.querySelectorAll('*')].map((e) => e.tagName).join(',')),
      'BDI', 'its result row holds its title as text, in a <bdi>');
    same(await page.$$eval('body script', (x) => x.length), 0, 'no <script> in the page\'s body');
    await search('');
  }

  // phone, dark, print
  await page.setViewportSize({ width: 360, height: 740 });
  same(await page.$eval('#items tbody tr', (r) => getComputedStyle(r).display), 'block', 'on a phone, rows are blocks');
  check(await page.$eval('#items', (t) => t.scrollWidth <= document.documentElement.clientWidth + 1),
    'on a phone, the list fits the screen\'s width');
  await page.screenshot({ path: path.join(out, 'index-phone.png') });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ media: 'print' });
  same(await page.$eval('#filters', (f) => getComputedStyle(f).display), 'none', 'printing hides the filters');
  await page.emulateMedia({ media: 'screen' });

  // a random item
  await Promise.all([page.waitForURL(/pages\/[0-9a-f]{64}\.html$/), page.click('#random')]);
  const rid = new URL(page.url()).pathname.split('/').pop().replace(/\.html$/, '');
  check(rows.some((r) => r.id === rid), `"Random item" opens an item's page (${rid.slice(0, 12)}...)`);
  check(await page.isVisible('#verdict'), 'which shows its verdict');
  await page.goto(new URL('index.html', base).href, { waitUntil: 'load' });
  await idle();
  return { rows, ukWord, hostile };
}

async function main() {
  const arg = process.argv[2] || process.env.SVD_READER_BASE || process.env.SVD_LIBRARY;
  if (!arg || arg === '-h' || arg === '--help') {
    console.error('usage: node reader.test.mjs LIBRARY_DIR | http://HOST:PORT/BASE/');
    process.exit(2);
  }
  const base = baseOf(arg);
  const mode = base.startsWith('file:') ? 'file' : 'http';
  const origin = mode === 'http' ? new URL(base).origin : null;
  const out = process.env.SVD_READER_OUT || fs.mkdtempSync(path.join(os.tmpdir(), 'svd-reader-'));
  fs.mkdirSync(out, { recursive: true });
  console.log(`# library ${base} (${mode}); screenshots in ${out}`);

  const F = makeFolder(await readText(base, 'search/fold.js'));
  // the paged library (SPEC.md 11.2) or the one-page index the daemon serves
  const paged = /data-pages="/.test(await readText(base, 'index.html'));
  const shards = paged ? null : await loadShards(base);
  console.log(`# ${paged ? 'paged library' : 'one-page index'}`);
  // what unpack writes is paged, and what samvydavd serves (SPEC.md 11.5.2)
  check(paged, 'the library is paged: index.html has data-pages (SPEC.md 11.2)');

  const browser = await launch();
  const { context } = browser;
  const dialogs = [];
  const leaks = [];
  const errors = [];
  const watch = (page) => {
    page.on('dialog', (d) => { dialogs.push(`${d.type()}: ${d.message()}`); d.dismiss().catch(() => {}); });
    page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error')
        console.log(`# console error on ${page.url()}: ${m.text()}`);
    });
  };
  // nothing may leave the library: no http(s) from file://, no other origin over HTTP
  context.on('request', (r) => {
    const u = r.url();
    if (/^(file|data|blob|about):/i.test(u))
      return;
    if (origin && u.startsWith(origin + '/'))
      return;
    leaks.push(u);
  });
  context.on('page', watch);

  try {
    const page = await context.newPage();
    const idle = () => page.evaluate(() => window.svdReader.idle());
    const visible = () => page.$$eval('#items tbody tr:not([hidden])',
      (rs) => rs.map((r) => Number(r.getAttribute('data-n'))));
    const count = () => page.textContent('#count');
    const search = async (q) => {
      await page.fill('#q', q);
      await idle();
      return visible();
    };

    let rows, ukWord, hostile;
    if (paged) {
      ({ rows, ukWord, hostile } = await pagedChecks(base, page, context, F, out));
    } else {
      await page.goto(new URL('index.html', base).href, { waitUntil: 'load' });
      await page.waitForFunction(() => window.svdReader && window.svdReader.foldLoaded(), null, { timeout: 10000 })
        .then(() => ok('reader.js runs and has the folding table'),
          (e) => notOk('reader.js runs and has the folding table', e.message));
      await idle().catch(() => {});
      await page.screenshot({ path: path.join(out, 'index.png'), fullPage: false });
      ok(`screenshot ${path.join(out, 'index.png')}`);
      check(await page.isVisible('#filters'), 'the filter form is shown (hidden removed)');
      check(await page.isVisible('#q'), 'the search box is visible');

      // the rows, as the page has them
      rows = await page.$$eval('#items tbody tr', (rs) => rs.map((r) => ({
        n: Number(r.getAttribute('data-n')),
        id: r.getAttribute('data-id'),
        lang: r.getAttribute('data-lang') || '',
        kind: r.getAttribute('data-kind') || '',
        region: r.getAttribute('data-region') || '',
        year: r.getAttribute('data-year') || '',
        date: r.cells[0] ? r.cells[0].textContent : '',
        title: r.cells[1] ? r.cells[1].textContent : '',
        authors: r.cells[2] ? r.cells[2].textContent : '',
      })));
      rows.forEach((r) => { r.text = F.fold(r.title + '\n' + r.authors); });
      const M = rows.length;
      const expected = makeOracle(F, shards, rows);
      check(M > 0, `the index has rows (${M})`);
      same(rows.map((r) => r.n), rows.map((_, i) => i), 'data-n numbers the rows from 0');
      same(await count(), `${M} of ${M} items`, 'the count says every item at first');
      same((await visible()).length, M, 'every row is shown at first');

      await foldChecks(page, F);
      // the page's tokens and shards agree with the oracle's
      const probe = 'Київ, «ΑΘΉΝΑ» — Kraków 2024 Straße x';
      same(await page.evaluate((s) => window.svdReader.tokens(s), probe), F.tokens(probe, false),
        'the page splits tokens as the spec says');
      const shardProbe = ['київ', 'αθηνα', 'krakow', 'ab', 'z9'];
      same(await page.evaluate((ts) => ts.map((t) => window.svdReader.shardOf(t)), shardProbe),
        shardProbe.map(F.shardOf), 'the page picks the shards as the spec says');

      // a Ukrainian title word in three casings
      const uk = rows.filter((r) => r.lang === 'uk');
      ukWord = null;
      for (const r of uk) {
        const w = r.title.normalize('NFC').match(/[\u0400-\u04ff]{4,}/gu) || [];
        const pick = w.find((x) => F.fold(x) === 'київ') || w.find((x) => x.toLowerCase() !== x.toUpperCase());
        if (pick && (!ukWord || F.fold(pick) === 'київ'))
          ukWord = { word: pick, row: r.n };
      }
      if (check(ukWord, 'the library has an item in Ukrainian with a Cyrillic title word')) {
        const w = ukWord.word.toLowerCase();
        const forms = [w, w[0].toUpperCase() + w.slice(1), w.toUpperCase(), w.toUpperCase().normalize('NFD')];
        const results = [];
        for (const f of forms)
          results.push(await search(f));
        const want = expected(forms[0]);
        check(results[0].includes(ukWord.row), `"${forms[0]}" finds the item with that word in its title`);
        same(results[0], want, `"${forms[0]}" shows exactly the matching rows (${want.length})`);
        same(results[1], results[0], `"${forms[1]}" finds the same rows`);
        same(results[2], results[0], `"${forms[2]}" finds the same rows`);
        same(results[3], results[0], `"${forms[2]}" typed decomposed (NFD) finds the same rows`);
        same(await count(), `${want.length} of ${M} items`, 'the count says how many match');
        check(decodeURIComponent((await page.evaluate(() => location.hash)).replace(/\+/g, ' ')).includes(`q=${forms[3]}`),
          'the search is in the URL\'s fragment');

        // typed key by key (debounced), the result is the same
        await page.fill('#q', '');
        await idle();
        await page.locator('#q').pressSequentially(forms[1], { delay: 30 });
        await idle();
        same(await visible(), results[0], 'typing the word key by key gives the same rows');

        // a bookmark restores the search
        const url = await page.evaluate(() => location.href);
        const p2 = await context.newPage();
        await p2.goto(url, { waitUntil: 'load' });
        await p2.waitForFunction(() => window.svdReader && window.svdReader.foldLoaded(), null, { timeout: 10000 }).catch(() => {});
        await p2.evaluate(() => window.svdReader.idle());
        same(await p2.inputValue('#q'), forms[1], 'opening the bookmarked URL puts the query back');
        same(await p2.$$eval('#items tbody tr:not([hidden])', (rs) => rs.map((r) => Number(r.getAttribute('data-n')))),
          results[0], 'and shows the same rows');
        await p2.close();
      }

      // a Greek title word: accented, capitals, without accents
      const el = rows.filter((r) => r.lang === 'el');
      let elWord = null;
      for (const r of el) {
        const w = (r.title.normalize('NFC').match(/[\u0370-\u03ff]{4,}/gu) || [])[0];
        if (w && !elWord)
          elWord = { word: w, row: r.n };
      }
      if (check(elWord, 'the library has an item in Greek with a Greek title word')) {
        const bare = elWord.word.normalize('NFD').replace(/[\u0300-\u036f]/g, '').normalize('NFC');
        const forms = [elWord.word, elWord.word.toUpperCase(), bare.toUpperCase()];
        const want = expected(forms[0]);
        for (const f of forms) {
          const got = await search(f);
          check(got.includes(elWord.row), `"${f}" finds the Greek item`);
          same(got, want, `"${f}" shows exactly the matching rows (${want.length})`);
        }
      }

      // a word that only a body has
      let bodyWord = null;
      const indexed = new Map();   // word -> rows, from every shard
      shards.forEach((sh) => Object.entries(sh).forEach(([w, ns]) => indexed.set(w, ns)));
      for (const r of rows) {
        if (bodyWord)
          break;
        let body;
        try {
          body = await readText(base, `items/${r.id.slice(0, 2)}/${r.id}/body.md`);
        } catch {
          continue;
        }
        for (const t of F.tokens(body, false)) {
          if ([...t].length >= 5 && !rows.some((x) => x.text.includes(t)) &&
              (indexed.get(t) || []).includes(r.n)) {
            bodyWord = { word: t, row: r.n };
            break;
          }
        }
      }
      if (check(bodyWord, 'some item has a body word that no title or author has, and the index lists it')) {
        const got = await search(bodyWord.word.toUpperCase());
        check(got.includes(bodyWord.row), `"${bodyWord.word.toUpperCase()}" (body only) finds its item`);
        same(got, expected(bodyWord.word), 'and exactly the rows the index lists');
        const prefix = [...bodyWord.word].slice(0, 4).join('');
        const gotp = await search(prefix);
        check(gotp.includes(bodyWord.row), `its prefix "${prefix}" finds it too`);
        same(gotp, expected(prefix), 'and exactly the rows whose words start so');
      }

      // two tokens: both must match; a token that matches nothing empties the list
      if (ukWord) {
        const q = `${ukWord.word} zzqxjv`;
        same(await search(q), [], `"${q}" (a second word nothing has) shows no row`);
        same(await count(), `0 of ${M} items`, 'the count says 0');
      }

      // filters narrow the count and combine with the search
      await search('');
      const langs = [...new Set(rows.map((r) => r.lang))].filter(Boolean);
      const lang = (uk.length ? 'uk' : langs[0]);
      await page.selectOption('#f-lang', lang);
      await idle();
      const byLang = await visible();
      const wantLang = expected('', { lang });
      same(byLang, wantLang, `the language filter "${lang}" shows its ${wantLang.length} rows`);
      check(wantLang.length < M, `and the count narrows (${await count()})`);
      same(await count(), `${wantLang.length} of ${M} items`, 'the count says so');
      const kinds = [...new Set(rows.filter((r) => r.lang === lang).map((r) => r.kind))];
      if (kinds.length) {
        await page.selectOption('#f-kind', kinds[0]);
        await idle();
        same(await visible(), expected('', { lang, kind: kinds[0] }), `language and kind "${kinds[0]}" combine`);
        await page.selectOption('#f-kind', '');
      }
      const years = [...new Set(rows.map((r) => r.year))].filter(Boolean);
      if (years.length) {
        await page.selectOption('#f-lang', '');
        await page.selectOption('#f-year', years[0]);
        await idle();
        same(await visible(), expected('', { year: years[0] }), `the year filter ${years[0]} shows its rows`);
        await page.selectOption('#f-year', '');
      }
      // items without a publication date: no date, after every dated row, a year of their own
      const undated = rows.filter((r) => r.year === 'undated');
      if (process.env.SVD_READER_UNDATED !== undefined)
        same(undated.length, Number(process.env.SVD_READER_UNDATED),
          'as many rows with data-year="undated" as items without a publication date');
      if (undated.length) {
        const firstUndated = rows.findIndex((r) => r.year === 'undated');
        check(rows.slice(firstUndated).every((r) => r.year === 'undated'),
          `the ${undated.length} undated rows come after every dated one`);
        check(undated.every((r) => r.date === '') &&
          rows.slice(0, firstUndated).every((r) => r.date.slice(0, 4) === r.year),
        'an undated row shows no date; a dated one its year\'s date');
        const label = await page.$eval('#f-year option:last-child', (o) => [o.value, o.textContent]);
        same(label, ['undated', `No date (${undated.length})`], 'the year filter\'s last option is the undated items');
        await page.selectOption('#f-year', 'undated');
        await idle();
        const got = await visible();
        same(got, expected('', { year: 'undated' }), `the year filter "undated" shows the ${undated.length} undated rows`);
        same(got.length, undated.length, 'and only them');
        await page.selectOption('#f-year', '');
      }
      if (ukWord) {
        await page.selectOption('#f-lang', 'uk');
        const got = await search(ukWord.word);
        same(got, expected(ukWord.word, { lang: 'uk' }), 'a search within a language filter');
        const h = await page.evaluate(() => location.hash);
        check(/lang=uk/.test(h), `the filter is in the fragment (${decodeURIComponent(h)})`);
        await page.selectOption('#f-lang', '');
      }
      await search('');
      same(await count(), `${M} of ${M} items`, 'clearing everything shows every row again');
      same(await page.evaluate(() => location.hash), '', 'and empties the fragment');

      // the hostile title is text, and searching for it is harmless
      hostile = rows.find((r) => r.title === HOSTILE);
      if (check(hostile, `an item is titled ${HOSTILE}, and the index shows that as text`)) {
        const link = page.locator(`#items tr[data-n="${hostile.n}"] td:nth-child(2) a`);
        same(await link.evaluate((a) => [...a.querySelectorAll('*')].map((e) => e.tagName).join(',')),
          'BDI', 'its title link holds no element but the <bdi> that isolates it (SPEC 13)');
        same(await page.$$eval('body script', (s) => s.length), 0, 'the index has no <script> in its body');
        const got = await search(HOSTILE);
        check(got.includes(hostile.n), 'searching for the hostile title finds it');
        same(got, expected(HOSTILE), 'and exactly the rows the oracle finds');
        await search('');
      }

      // narrow (phone): rows are stacked blocks; dark mode; print
      await page.setViewportSize({ width: 360, height: 740 });
      same(await page.$eval('#items tbody tr', (r) => getComputedStyle(r).display), 'block', 'on a phone, rows are blocks');
      check(await page.$eval('#items', (t) => t.scrollWidth <= document.documentElement.clientWidth + 1),
        'on a phone, the list fits the screen\'s width');
      await page.screenshot({ path: path.join(out, 'index-phone.png') });
      await page.setViewportSize({ width: 1280, height: 900 });
      const light = await page.$eval('body', (b) => getComputedStyle(b).backgroundColor);
      await page.emulateMedia({ colorScheme: 'dark' });
      const dark = await page.$eval('body', (b) => getComputedStyle(b).backgroundColor);
      check(light !== dark, `dark mode changes the background (${light} -> ${dark})`);
      await page.screenshot({ path: path.join(out, 'index-dark.png') });
      await page.emulateMedia({ colorScheme: 'light', media: 'print' });
      same(await page.$eval('#filters', (f) => getComputedStyle(f).display), 'none', 'printing hides the filters');
      await page.emulateMedia({ media: 'screen' });

    }
    await page.goto(new URL('index.html', base).href, { waitUntil: 'load' });
    // follow a link to an item page: its verdict
    const target = ukWord ? ukWord.row : 0;
    const row = rows[target];
    await Promise.all([
      page.waitForURL(/pages\/[0-9a-f]{64}\.html$/),
      page.click(`#items tr[data-n="${target}"] td:nth-child(2) a`),
    ]);
    same(new URL(page.url()).pathname.split('/').pop(), `${row.id}.html`, 'the title links to the item\'s page');
    same(await page.getAttribute('html', 'lang'), row.lang, 'the page says its language');
    const verdict = (await page.textContent('#verdict').catch(() => '')) || '';
    check(await page.isVisible('#verdict'), 'the item page shows #verdict');
    check(/Accepted|Not accepted|Not checked/.test(verdict), 'the verdict says in words whether the item was accepted', verdict.slice(0, 200));
    check(/\b[0-9A-F]{16}\b/.test(verdict), 'the verdict names the signing key id', verdict.slice(0, 300));
    if (/Accepted/.test(verdict)) {
      const c = await page.$eval('#verdict .ok', (p) => getComputedStyle(p).borderLeftColor).catch(() => null);
      check(c && c !== 'rgba(0, 0, 0, 0)', `an accepted verdict is styled (${c})`);
    }
    await page.screenshot({ path: path.join(out, 'item.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    const after = await page.$$eval('#verdict a[href], #attachments a[href]', (as) =>
      as.map((a) => getComputedStyle(a, '::after').content));
    check(after.length === 0 || after.every((c) => c.includes('..') || c.includes('/')),
      'printed, links in the verdict and attachments show where they point');
    await page.emulateMedia({ media: 'screen' });
    await Promise.all([page.waitForURL(/index\.html/), page.click('a[href="../index.html"] >> nth=0')]);
    ok('the item page links back to the index');

    // a correction's page links to what it supersedes, and back
    const fix = rows.find((r) => r.kind === 'correction');
    if (fix) {
      await page.goto(new URL(`pages/${fix.id}.html`, base).href, { waitUntil: 'load' });
      const sup = page.locator('#relations .supersedes a');
      if (check(await sup.count() === 1, 'a correction\'s page says what it supersedes, with a link')) {
        await Promise.all([page.waitForURL(/pages\/[0-9a-f]{64}\.html$/), sup.click()]);
        const back = await page.$$eval('#relations .superseded a', (as) => as.map((a) => a.getAttribute('href')));
        same(back, [`${fix.id}.html`], 'and that page says it is superseded, linking back');
      }
    }

    // attachments: shown, and their links point at the item's files
    let withFiles = null;
    for (const r of rows.slice(0, 300)) {
      const html = await readText(base, `pages/${r.id}.html`).catch(() => '');
      if (html.includes('id="attachments"')) {
        withFiles = r;
        break;
      }
    }
    if (withFiles) {
      await page.goto(new URL(`pages/${withFiles.id}.html`, base).href, { waitUntil: 'load' });
      const hrefs = await page.$$eval('#attachments figcaption a', (as) => as.map((a) => a.href));
      let missing = [];
      for (const h of hrefs) {
        const rel = h.slice(new URL(base).href.length);
        await readText(base, decodeURI(rel)).catch(() => missing.push(rel));
      }
      check(hrefs.length > 0 && missing.length === 0 &&
        hrefs.every((h) => h.includes(`/items/${withFiles.id.slice(0, 2)}/${withFiles.id}/`)),
      `an item's attachments link to its own files (${hrefs.length})`, missing.join(' '));
      await page.emulateMedia({ media: 'print' });
      const shownHref = await page.$eval('#attachments figcaption a', (a) => getComputedStyle(a, '::after').content);
      check(/items\//.test(shownHref), `printed, an attachment shows its link target (${shownHref.slice(0, 60)}...)`);
      await page.emulateMedia({ media: 'screen' });
      await page.screenshot({ path: path.join(out, 'item-attachments.png'), fullPage: true });
    }

    // the hostile item's own page
    if (hostile) {
      await page.goto(new URL(`pages/${hostile.id}.html`, base).href, { waitUntil: 'load' });
      same(await page.textContent('h1'), HOSTILE, 'the hostile item\'s page shows its title as text');
      same(await page.$$eval('script', (s) => s.length), 0, 'and runs no script');
    }
    await page.close();
  } finally {
    await browser.close();
  }
  same(dialogs, [], 'no dialog (alert, confirm, prompt) ever opened');
  same(errors, [], 'no script error on any page');
  same(leaks, [], mode === 'file' ? 'no request left file://' : `no request left ${origin}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log(`not ok - ${e && e.stack || e}`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
