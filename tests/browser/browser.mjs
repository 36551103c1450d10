// Shared by the browser tests and tests/bench/bench_reader.mjs: start
// Debian's headless Chromium through playwright-core (never a downloaded
// browser), in a fresh profile that is removed afterwards, with everything
// that would talk to the network on its own switched off.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.SVD_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// launch(): { context, close() }, a persistent context in a new user-data-dir.
export async function launch(options = {}) {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set SVD_CHROMIUM)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'svd-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      ...options,
    });
  } catch (e) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// baseOf(arg): the library's base URL, ending in '/': a folder becomes a
// file:// URL, an http(s):// URL is taken as it is.
export function baseOf(arg) {
  if (/^https?:\/\//i.test(arg))
    return arg.endsWith('/') ? arg : arg + '/';
  const dir = path.resolve(arg);
  if (!fs.existsSync(path.join(dir, 'index.html')))
    throw new Error(`${dir}: no index.html (not a reader library)`);
  return pathToFileURL(dir).href + '/';
}

// readText(base, rel): a library file's text, from disk or over HTTP (from
// Node, not from the page: the page itself must never fetch).
export async function readText(base, rel) {
  const url = new URL(rel, base);
  if (url.protocol === 'file:')
    return fs.readFileSync(url, 'utf8');
  const r = await fetch(url);
  if (!r.ok)
    throw new Error(`${url}: HTTP ${r.status}`);
  return r.text();
}
