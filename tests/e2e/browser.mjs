// The browser side of the end-to-end tests: Debian's headless Chromium driven
// by playwright-core (playwright's own browser download cannot run here).
//
// One Chromium per test file (openBrowser, in `before`), one Visitor per
// person in a test (a fresh browser context: its own cookies). A Visitor
// watches its page from the first byte: console errors, uncaught exceptions,
// failed requests and Content-Security-Policy violations are collected, and
// visitor.check(step) asserts, at each page a test reaches, that there were
// none, that the page really is styled (Bootstrap's and gatehouse's sheets
// loaded, images decoded), then keeps a full-page screenshot named by step
// under tests/artifacts/e2e/<visitor>/NN-<step>.png.
//
// TLS: the browser trusts the stack's own self-signed certificate and only
// that one, by the SHA-256 of its public key (--ignore-certificate-errors-
// spki-list); no ignoreHTTPSErrors. playwright's launch() gives every run a
// fresh temporary user-data dir of its own and removes it on close.
//
// The admin-panel and files-page tests are meant to reuse this as is: open a
// Visitor, logIn (or signUpAndConfirm), goto, fill by label, click by role,
// visitor.check('step').
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, STACK, HTTPS_PORT, emailedCode } from '../integration/helpers.mjs';

export const SITE = `https://localhost:${HTTPS_PORT}`;
export const ARTIFACTS = path.join(ROOT, 'tests', 'artifacts', 'e2e');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Closed network, running as root: no sandbox, no GPU, nothing phoning home.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const VIEWPORT = { width: 1280, height: 900 };
const ACTION_TIMEOUT_MS = 10000;
// How many Tab presses a focus-order walk may take before giving up.
const MAX_TABS = 60;
const CSP_PREFIX = 'CSP violation:';

// stackSpki is the base64 SHA-256 of the stack certificate's public key (its
// DER SubjectPublicKeyInfo), the form Chromium's SPKI allow-list takes; the
// same as `openssl x509 -pubkey | openssl pkey -pubin -outform der |
// openssl dgst -sha256 -binary | base64`.
export function stackSpki() {
  const cert = new crypto.X509Certificate(fs.readFileSync(path.join(STACK, 'tls', 'cert.pem')));
  const der = cert.publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(der).digest('base64');
}

// openBrowser starts headless Chromium trusting the stack's certificate.
export function openBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${stackSpki()}`],
  });
}

// Reported by the page itself, since playwright has no event for it; init
// scripts run outside the page's CSP.
function reportCspViolations() {
  document.addEventListener('securitypolicyviolation', (e) => {
    console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} ` +
      `at ${e.sourceFile || e.documentURI}:${e.lineNumber}`);
  });
}

const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

// A Visitor is one person's browser tab (its own context: cookies, storage).
export class Visitor {
  // Visitor.open(browser, name): name says whose screenshots these are; the
  // folder tests/artifacts/e2e/<name>/ is emptied first.
  static async open(browser, name) {
    const context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-GB' });
    context.setDefaultTimeout(ACTION_TIMEOUT_MS);
    await context.addInitScript(reportCspViolations);
    const page = await context.newPage();
    return new Visitor(name, context, page);
  }

  constructor(name, context, page) {
    this.name = name;
    this.context = context;
    this.page = page;
    this.dir = path.join(ARTIFACTS, slug(name));
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
    this.steps = 0;
    this.problems = [];      // since the last check: [{kind, text, url}]
    this.documents = [];     // main-frame document responses: [{method, status, url}]
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      const kind = text.startsWith(CSP_PREFIX) || text.includes('Content Security Policy') ? 'csp' : 'console';
      this.problems.push({ kind, text, url: msg.location().url || page.url() });
    });
    page.on('pageerror', (err) => this.problems.push({ kind: 'exception', text: String(err), url: page.url() }));
    page.on('requestfailed', (req) => {
      // The favicon, still loading when a form sends the page away, is
      // aborted by the navigation itself: that is not a failure of the page.
      if (req.failure()?.errorText === 'net::ERR_ABORTED' && req.url().endsWith('/static/favicon.svg')) return;
      this.problems.push({
        kind: 'request', text: `${req.method()} ${req.url()}: ${req.failure()?.errorText}`, url: page.url(),
      });
    });
    page.on('response', (res) => {
      const req = res.request();
      if (req.isNavigationRequest() && req.frame() === page.mainFrame())
        this.documents.push({ method: req.method(), status: res.status(), url: res.url() });
    });
  }

  // path is the current page's path and query, e.g. "/confirm?email=...".
  get path() { const u = new URL(this.page.url()); return u.pathname + u.search; }

  // lastDocument is the newest main-frame response (after any redirects).
  get lastDocument() { return this.documents[this.documents.length - 1]; }

  async goto(urlPath) {
    const res = await this.page.goto(SITE + urlPath);
    return res.status();
  }

  // submitWith clicks the named button and waits for the page it leads to;
  // it returns that page's status (a form re-rendered with errors is 400).
  async submitWith(buttonName, scope = this.page) {
    const loaded = this.page.waitForEvent('load');
    await scope.getByRole('button', { name: buttonName, exact: true }).click();
    await loaded;
    return this.lastDocument.status;
  }

  // check asserts the page is healthy and well dressed, then screenshots it.
  // expect.status: the document's status (default 200); Chromium logs a
  // document's own error status to the console, which is then expected.
  async check(step, expect = {}) {
    const status = expect.status ?? 200;
    await this.page.waitForLoadState('load');
    const where = `${this.name} / ${step} (${this.path})`;
    assert.equal(this.lastDocument?.status, status, `${where}: document status`);
    const expected = (p) => p.kind === 'console' && status >= 400 &&
      p.text.includes(`status of ${status}`) && p.url === this.lastDocument.url;
    const problems = this.problems.filter((p) => !expected(p));
    this.problems = [];
    assert.deepEqual(problems.filter((p) => p.kind === 'csp'), [], `${where}: CSP violations`);
    assert.deepEqual(problems, [], `${where}: console errors, exceptions or failed requests`);

    const look = await this.page.evaluate(() => ({
      primary: getComputedStyle(document.documentElement).getPropertyValue('--bs-primary').trim(),
      sheets: [...document.styleSheets].map((s) => ({ href: s.href, rules: s.cssRules.length })),
      brokenImages: [...document.images].filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.src),
      bodyFont: getComputedStyle(document.body).fontFamily,
    }));
    const sheet = (name) => look.sheets.find((s) => s.href && s.href.endsWith(name));
    assert.ok(sheet('/bootstrap.min.css')?.rules > 0, `${where}: Bootstrap's CSS is loaded`);
    assert.ok(sheet('/gatehouse.css')?.rules > 0, `${where}: gatehouse.css is loaded`);
    assert.ok(look.primary, `${where}: Bootstrap's custom properties apply`);
    assert.doesNotMatch(look.bodyFont, /^"?Times/, `${where}: not the browser's default font`);
    assert.deepEqual(look.brokenImages, [], `${where}: every image decodes`);

    const file = path.join(this.dir, `${String(++this.steps).padStart(2, '0')}-${slug(step)}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    return file;
  }

  // flashes are the texts of the page's flash messages (role alert, outside
  // any form's error).
  async flashes() {
    return this.page.locator('.gh-alert').allInnerTexts().then((t) => t.map((s) => s.trim()));
  }

  // fieldError is the message shown under the control labelled `label`,
  // found as a person's screen reader would: through aria-describedby.
  async fieldError(label) {
    const control = this.page.getByLabel(label, { exact: true });
    assert.equal(await control.getAttribute('aria-invalid'), 'true', `"${label}" is marked invalid`);
    const ids = (await control.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    const errorId = ids.find((id) => id.endsWith('-error'));
    assert.ok(errorId, `"${label}" is described by its error`);
    const error = this.page.locator(`[id="${errorId}"]`);
    assert.ok(await error.isVisible(), `the error of "${label}" is visible`);
    return (await error.innerText()).trim();
  }

  // tabOrder presses Tab from the top of the page until `stop` (a function
  // of the focused element's description) holds, and returns what got focus
  // in order: [{tag, id, name, type, text, visible}].
  async tabOrder(stop) {
    await this.page.evaluate(() => {
      if (document.activeElement) document.activeElement.blur();
      window.scrollTo(0, 0);
    });
    // Focusing the body, then Tab, starts at the first focusable element.
    // The body takes the focus only with a tabindex; without it the walk
    // would start after whatever had it (an autofocused code field).
    await this.page.evaluate(() => {
      document.body.setAttribute('tabindex', '-1');
      document.body.focus();
      document.body.removeAttribute('tabindex');
    });
    const seen = [];
    for (let i = 0; i < MAX_TABS; i++) {
      await this.page.keyboard.press('Tab');
      const el = await this.page.evaluate(() => {
        const e = document.activeElement;
        if (!e || e === document.body) return null;
        const r = e.getBoundingClientRect();
        return {
          tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute('name') || '',
          type: e.getAttribute('type') || '', text: (e.innerText || e.value || '').trim().slice(0, 60),
          visible: r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden',
        };
      });
      if (!el) break;
      seen.push(el);
      if (stop(el)) return seen;
    }
    assert.fail(`${this.name}: Tab never reached the end point on ${this.path}; focus went to ` +
      seen.map((e) => e.id || e.text || e.tag).join(', '));
  }

  async close() { await this.context.close(); }
}

// ---- account steps other browser tests start from ---------------------------

// signUp fills in and sends the sign-up form as a person would; the visitor
// ends on the confirm page (unchecked: the caller checks and screenshots).
export async function signUp(v, { email, name, password, tier = 'Standard' }) {
  await v.goto('/signup');
  const page = v.page;
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Full name').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByRole('radio', { name: new RegExp(`^${tier}`) }).check();
  await page.getByRole('checkbox', { name: /accept the terms/ }).check();
  return v.submitWith('Create account');
}

// confirm enters the emailed code on the confirm page the visitor is on.
export async function confirm(v, email) {
  await v.page.getByLabel('Confirmation code').fill(await emailedCode(email));
  return v.submitWith('Confirm account');
}

// logIn signs in from the login page (opening it unless the visitor is there).
export async function logIn(v, email, password, { remember = false } = {}) {
  if (!v.path.startsWith('/login')) await v.goto('/login');
  const page = v.page;
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('checkbox', { name: 'Remember me' }).setChecked(remember);
  return v.submitWith('Log in', page.locator('main'));
}

// logOut presses the navbar's Log out button.
export async function logOut(v) {
  return v.submitWith('Log out', v.page.getByRole('navigation', { name: 'Main' }));
}

// ---- accessibility ------------------------------------------------------------

// The two sizes every page is checked at: a laptop and a phone.
export const VIEWPORTS = [{ width: 1280, height: 800 }, { width: 390, height: 844 }];
const AXE = fs.readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

// seriousViolations runs axe-core on the page as it is and answers its
// serious and critical violations, one line each (rule, impact, where). axe
// is evaluated through the DevTools protocol, which the page's CSP (no inline
// script) does not govern, so the page stays as it is.
export async function seriousViolations(v) {
  await v.page.evaluate(AXE);
  return v.page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')
      .map((x) => `${x.id} (${x.impact}): ${x.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

// accessible asserts that the page has no serious or critical axe violation
// at each of VIEWPORTS and, with sideways, that it does not scroll sideways
// at any of them. With schemes (e.g. ['light', 'dark']) it checks each size
// in each emulated colour scheme, ending on light; settleMs waits after each
// resize for transitions to end before reading colours. The viewport is put
// back as it was found.
export async function accessible(v, what, { sideways = false, schemes = null, settleMs = 0 } = {}) {
  const page = v.page;
  const found = page.viewportSize();
  for (const scheme of schemes || [null]) {
    if (scheme) await page.emulateMedia({ colorScheme: scheme });
    const where = scheme ? `, ${scheme}` : '';
    for (const size of VIEWPORTS) {
      await page.setViewportSize(size);
      if (settleMs) await page.waitForTimeout(settleMs);
      assert.deepEqual(await seriousViolations(v), [], `${what} at ${size.width}×${size.height}${where}: axe violations`);
      if (!sideways) continue;
      const wide = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
      }));
      assert.ok(wide.scroll <= wide.client,
        `${what} at ${size.width} px scrolls sideways (${wide.scroll} > ${wide.client})`);
    }
  }
  if (schemes) await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(found);
}
