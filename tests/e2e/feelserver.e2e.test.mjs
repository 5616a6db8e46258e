// The pages people feel, server side (issue 16, part F), in a real browser
// (headless Chromium) at a desktop (1280×800) and a phone (390×844): right
// after confirming, the login page has the email filled in and the focus on
// the password; and when Cognito fails, the login form comes back with the
// email kept, the password empty, and a message that sign-in is briefly
// unavailable — readable, and with no serious or critical axe violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueEmail, PASSWORD, fault } from '../integration/helpers.mjs';
import { openBrowser, Visitor, signUp, confirm, seriousViolations, VIEWPORTS } from './browser.mjs';

const TEST = { timeout: 180000 };

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => {
  await fault({ reset: true });
  if (browser) await browser.close();
});

const focused = (v) => v.page.evaluate(() => {
  const e = document.activeElement;
  return e ? { tag: e.tagName.toLowerCase(), name: e.getAttribute('name') || '' } : null;
});

for (const size of VIEWPORTS) {
  test(`after confirming at ${size.width}×${size.height}: the email is filled in, the focus is on the password`, TEST, async () => {
    const email = uniqueEmail('e2e-confirmed');
    const v = await Visitor.open(browser, `feelserver-confirmed-${size.width}`);
    try {
      await v.page.setViewportSize(size);
      assert.equal(await signUp(v, { email, name: 'Fo Cus', password: PASSWORD }), 200);
      assert.equal(await confirm(v, email), 200);
      assert.match(v.path, /^\/login\?email=/);
      await v.check('the login page after confirming');
      assert.match(await v.page.title(), /^Email confirmed/, 'a title of its own');
      assert.equal(await v.page.getByRole('heading', { level: 1 }).innerText(), 'Your email is confirmed');
      assert.equal(await v.page.getByLabel('Email address').inputValue(), email);
      assert.deepEqual(await focused(v), { tag: 'input', name: 'password' }, 'the focus is on the password');
      assert.deepEqual(await seriousViolations(v), [], 'axe');
      // Typing goes straight into the password, and Enter logs in.
      await v.page.keyboard.type(PASSWORD);
      const loaded = v.page.waitForEvent('load');
      await v.page.keyboard.press('Enter');
      await loaded;
      assert.match(v.path, /^\/account/);
    } finally { await v.close(); }
  });
}

test('Cognito failing: the login form comes back with the email kept and the password empty, at both sizes', TEST, async () => {
  const email = uniqueEmail('e2e-outage');
  const v = await Visitor.open(browser, 'feelserver-outage');
  await fault({ op: 'InitiateAuth', mode: 'error5xx' });
  try {
    for (const size of VIEWPORTS) {
      await v.page.setViewportSize(size);
      await v.goto('/login');
      await v.page.getByLabel('Email address').fill(email);
      await v.page.getByLabel('Password', { exact: true }).fill('Typed-Passw0rd!');
      assert.equal(await v.submitWith('Log in', v.page.locator('main')), 503);
      await v.check(`the login form during an outage at ${size.width}`, { status: 503 });
      assert.equal(await v.page.getByLabel('Email address').inputValue(), email, 'the email is kept');
      assert.equal(await v.page.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is not');
      const alert = v.page.locator('.gh-form-error');
      assert.ok(await alert.isVisible(), 'the message is visible');
      assert.match(await alert.innerText(), /briefly unavailable/);
      assert.equal(await v.page.getByRole('button', { name: 'Log in', exact: true }).count(), 1, 'the form is there to try again');
      assert.deepEqual(await seriousViolations(v), [], `axe at ${size.width}×${size.height}`);
      const wide = await v.page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= size.width, `no sideways scrolling (${wide} px)`);
    }
  } finally {
    await fault({ reset: true });
    await v.close();
  }
});

test('"send a new code" waits out the cool-down the server enforces, counting the seconds down', TEST, async () => {
  const email = uniqueEmail('e2e-countdown');
  const v = await Visitor.open(browser, 'feelserver-countdown');
  try {
    assert.equal(await signUp(v, { email, name: 'Count Down', password: PASSWORD }), 200);
    assert.match(v.path, /^\/confirm/);
    const button = v.page.getByRole('button', { name: 'Send a new code' });
    await v.submitWith('Send a new code');
    await v.check('the confirm page after a new code was sent');
    assert.ok(await button.isDisabled(), 'the button waits');
    const seconds = async () => Number(await v.page.locator('[data-countdown]').innerText());
    const first = await seconds();
    assert.ok(first > 0 && first <= 60, `a wait in seconds (${first})`);
    await v.page.waitForTimeout(2200);
    assert.ok(await seconds() <= first - 2, 'the seconds count down');
    // The wait is the server's too: a new code asked for without the page's
    // script is refused with 429 and the seconds left.
    const status = await v.page.evaluate(async () => {
      const form = document.querySelector('form.gh-form');
      const body = new URLSearchParams(new FormData(form));
      const r = await fetch(form.getAttribute('action') + '/resend', { method: 'POST', body, redirect: 'manual' });
      return { status: r.status, retry: r.headers.get('retry-after') };
    });
    assert.equal(status.status, 429);
    assert.ok(Number(status.retry) > 0);
  } finally { await v.close(); }
});
