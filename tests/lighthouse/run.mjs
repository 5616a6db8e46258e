// Lighthouse (npm lighthouse, driving Debian's chromium) on /login, /signup,
// /account and /admin of a running stack, on mobile and desktop: every
// category must score at least MIN_SCORE (issue 16, acceptance 3).
//
//   STACK_PROFILE=<name> make lighthouse      (or node tests/lighthouse/run.mjs)
//
// /account and /admin need a signed-in administrator: one is made in the
// stack's pool and signed in through the real pages (the new-password step
// included), and its cookies go with every request of those two pages as
// Lighthouse's extraHeaders. Debian's Chromium 156 under Lighthouse 12.2.3
// was seen not to send a Cookie given only that way (/account answered the
// redirect to log in), so the same cookies are also put in the browser's
// store (through the DevTools protocol) and Lighthouse is told not to clear
// it for those pages. The reports are written to
// tests/artifacts/lighthouse/ (HTML and JSON, one per page and form
// factor); the table of scores is printed. Exit status 1 when a score is
// below MIN_SCORE, 2 when the run itself failed.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import * as chromeLauncher from 'chrome-launcher';
import { chromium } from 'playwright-core';
import { adminSession, HTTPS_PORT, ROOT, STACK } from '../integration/helpers.mjs';

const MIN_SCORE = 95;
const SITE = `https://localhost:${HTTPS_PORT}`;
const OUT = path.join(ROOT, 'tests', 'artifacts', 'lighthouse');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PAGES = [
  { path: '/login', signedIn: false },
  { path: '/signup', signedIn: false },
  { path: '/account', signedIn: true },
  { path: '/admin', signedIn: true },
];
const FORM_FACTORS = [
  { name: 'mobile', config: undefined },  // Lighthouse's default: a throttled phone
  { name: 'desktop', config: desktopConfig },
];
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];

// The stack's certificate is its own: Chromium trusts its key alone.
function stackSpki() {
  const cert = new crypto.X509Certificate(fs.readFileSync(path.join(STACK, 'tls', 'cert.pem')));
  const der = cert.publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(der).digest('base64');
}

// cookieHeader is the Cookie header of a helpers Browser's jar.
function cookieHeader(b) {
  return [...b.jar].map(([name, c]) => `${name}=${c.value}`).join('; ');
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const { b } = await adminSession();
  const cookie = cookieHeader(b);
  const chrome = await chromeLauncher.launch({
    chromePath: CHROMIUM,
    chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--ignore-certificate-errors-spki-list=${stackSpki()}`],
  });
  // The signed-in cookies go in the browser's own store before a signed-in
  // page, as a browser that logged in would hold them (__Host-: secure,
  // path /, no domain); an anonymous page's run clears them again.
  const cdp = await chromium.connectOverCDP(`http://127.0.0.1:${chrome.port}`);
  const signIn = () => cdp.contexts()[0].addCookies([...b.jar].map(([name, c]) => ({
    name, value: c.value, url: `${SITE}/`, secure: true, httpOnly: true, sameSite: 'Lax',
  })));
  const rows = [];
  let low = 0;
  try {
    for (const page of PAGES) {
      for (const ff of FORM_FACTORS) {
        if (page.signedIn) await signIn();
        const flags = {
          port: chrome.port, output: ['html', 'json'], logLevel: 'error', onlyCategories: CATEGORIES,
          extraHeaders: page.signedIn ? { Cookie: cookie } : undefined,
          disableStorageReset: page.signedIn,
        };
        const result = await lighthouse(SITE + page.path, flags, ff.config);
        const lhr = result.lhr;
        const base = path.join(OUT, `${page.path.slice(1)}-${ff.name}`);
        fs.writeFileSync(`${base}.html`, result.report[0]);
        fs.writeFileSync(`${base}.json`, result.report[1]);
        if (lhr.runtimeError) throw new Error(`${page.path} ${ff.name}: ${lhr.runtimeError.message}`);
        const landed = new URL(lhr.finalDisplayedUrl).pathname;
        if (landed !== page.path) throw new Error(`${page.path} ${ff.name}: landed on ${landed} (not signed in?)`);
        const scores = Object.fromEntries(CATEGORIES.map((c) => [c, Math.round((lhr.categories[c]?.score ?? 0) * 100)]));
        const failing = CATEGORIES.filter((c) => scores[c] < MIN_SCORE);
        low += failing.length;
        const audits = failing.flatMap((c) => lhr.categories[c].auditRefs
          .filter((r) => r.weight > 0 && lhr.audits[r.id].score !== null && lhr.audits[r.id].score < 1)
          .map((r) => `${c}: ${r.id} (${lhr.audits[r.id].displayValue || lhr.audits[r.id].score})`));
        rows.push({ page: page.path, formFactor: ff.name, ...scores, below: audits.join('; ') });
      }
    }
  } finally {
    await cdp.close();
    await chrome.kill();
  }
  const head = ['page', 'formFactor', ...CATEGORIES];
  console.log(head.join('\t'));
  for (const r of rows) console.log(head.map((h) => r[h]).join('\t') + (r.below ? `\n  below ${MIN_SCORE}: ${r.below}` : ''));
  console.log(`reports: ${path.relative(ROOT, OUT)}/`);
  if (low) {
    console.error(`lighthouse: ${low} score(s) below ${MIN_SCORE}`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(`lighthouse: ${err.stack || err}`);
  process.exitCode = 2;
});
