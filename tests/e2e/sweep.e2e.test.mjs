// Every page state in a real browser (headless Chromium), issues 15 and 16:
// forms empty, with errors and after success; a person's account pages; each
// admin page; the error pages and the "Log out?" page — each checked with
// axe-core at a desktop (1280×800) and a phone (390×844) viewport, in the
// light and the dark scheme, with no serious or critical violation and no
// sideways scrolling. Beside the sweep, what a person sees of two things
// the pages learned in issue 16: error pages know who is signed in, GET
// /logout asks before it signs out, and a tenant's terms and privacy links
// and logo reach the sign-up and sign-in pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, cognitoLocal, gatehouseCli, stackInfo, uniqueEmail, waitFor } from '../integration/helpers.mjs';
import { confirmedUser } from '../integration/admin-helpers.mjs';
import { openBrowser, Visitor, logIn, accessible } from './browser.mjs';

const TEST = { timeout: 600000 };
// Colours ease over .15 s (buttons, cards): read them once that is over.
const EVERY_WAY = { sideways: true, schemes: ['light', 'dark'], settleMs: 300 };

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { if (browser) await browser.close(); });


// sweep opens each path (or runs each step) and checks the page it shows.
async function sweep(v, steps) {
  for (const [what, step] of steps) {
    if (typeof step === 'string') await v.goto(step);
    else await step();
    await accessible(v, what, EVERY_WAY);
  }
}

// fillAndSend fills the fields ([label, value]; a RegExp label matches the
// start of a longer one) and presses the named button. The
// browser's own checks are switched off, so the server's refusals show.
async function fillAndSend(v, fields, button) {
  for (const [label, value] of fields) await v.page.getByLabel(label, { exact: typeof label === 'string' }).fill(value);
  await v.page.evaluate(() => document.querySelectorAll('form').forEach((f) => { f.noValidate = true; }));
  await v.submitWith(button, v.page.locator('main'));
}

test('every page state: no serious axe violation, no sideways scrolling, at both sizes, light and dark', TEST, async () => {
  const plain = uniqueEmail('sweep-plain');
  const admin = uniqueEmail('sweep-admin');
  await confirmedUser(plain, { name: 'Sweep Person' });
  await confirmedUser(admin, { group: 'admin', name: 'Sweep Person' });
  const v = await Visitor.open(browser, 'sweep-anonymous');
  try {
    await sweep(v, [
      ['home', '/'], ['login', '/login'], ['sign-up', '/signup'], ['confirm', '/confirm'],
      ['forgot', '/forgot'], ['reset', '/reset'], ['a missing page', '/no-such-page'],
      ['login with an error', async () => {
        await v.goto('/login');
        await fillAndSend(v, [['Email address', plain], ['Password', 'Wrong-Passw0rd!']], 'Log in');
      }],
      ['sign-up with errors', async () => {
        await v.goto('/signup');
        await fillAndSend(v, [['Email address', 'not-an-email'], ['Full name', 'X'], ['Password', 'short'],
          ['Confirm password', 'other']], 'Create account');
      }],
      ['forgot after sending', async () => {
        await v.goto('/forgot');
        await fillAndSend(v, [['Email address', uniqueEmail('sweep-nobody')]], 'Send reset code');
      }],
    ]);
  } finally { await v.close(); }

  const person = await Visitor.open(browser, 'sweep-person');
  try {
    assert.equal(await logIn(person, plain, PASSWORD), 200);
    await sweep(person, [
      ['account', '/account'], ['security', '/account/security'], ['devices', '/account/sessions'],
      ['profile', '/account/profile'], ['email', '/account/email'], ['delete', '/account/delete'],
      ['premium upsell', '/account/upgrade'], ['files (upsell)', '/files'],
      ['log out?', '/logout'], ['a missing page, signed in', '/no-such-page'], ['admin, refused', '/admin'],
      ['profile saved', async () => {
        await person.goto('/account/profile');
        await fillAndSend(person, [[/^Company/, 'Sweep Co']], 'Save profile');
      }],
    ]);
  } finally { await person.close(); }

  const boss = await Visitor.open(browser, 'sweep-admin');
  try {
    assert.equal(await logIn(boss, admin, PASSWORD), 200);
    await sweep(boss, [
      ['admin overview', '/admin'], ['user list', '/admin/users'],
      ['user list, filtered', `/admin/users?q=sweep&tier=standard&sort=created&dir=desc`],
      ['user list, a bad filter', '/admin/users?sort=nope'],
      ['a user', `/admin/users/${encodeURIComponent(plain)}`],
      ['disable, confirm step', async () => {
        await boss.goto(`/admin/users/${encodeURIComponent(plain)}`);
        await boss.submitWith('Disable', boss.page.locator('main'));
      }],
      ['audit', '/admin/audit'], ['audit, filtered', '/admin/audit?action=tier_changed'],
      ['upgrade requests', '/admin/requests'], ['invite', '/admin/invite'], ['import', '/admin/import'],
      ['invite with an error', async () => {
        await boss.goto('/admin/invite');
        await fillAndSend(boss, [[/^Email address/, 'nope']], 'Send the invitation');
      }],
    ]);
  } finally { await boss.close(); }
});

test('error pages know who is signed in, and GET /logout asks before it signs out', TEST, async () => {
  const email = uniqueEmail('sweep-nav');
  await confirmedUser(email, { name: 'Sweep Person' });
  const v = await Visitor.open(browser, 'sweep-nav');
  try {
    assert.equal(await logIn(v, email, PASSWORD), 200);
    await v.goto('/no-such-page');
    const nav = v.page.getByRole('navigation', { name: 'Main' });
    assert.equal(await nav.getByRole('button', { name: 'Log out' }).count(), 1, 'the signed-in navbar on a 404');
    assert.equal(await nav.getByRole('link', { name: 'Log in' }).count(), 0);
    await v.goto('/logout');
    assert.match(await v.page.getByRole('heading', { level: 1 }).innerText(), /Log out/);
    await v.goto('/account');
    assert.match(v.path, /^\/account/, 'opening /logout signed nobody out');
    await v.goto('/logout');
    await v.submitWith('Log out', v.page.locator('main'));
    await v.goto('/account');
    assert.match(v.path, /^\/login/, 'its button did');
  } finally { await v.close(); }
});

test("a tenant's terms and privacy links and its logo reach the sign-up and sign-in pages", TEST, async () => {
  const v = await Visitor.open(browser, 'sweep-links');
  try {
    let r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--terms-url', 'https://example.com/terms',
      '--privacy-url', '/legal/privacy', '--logo', '/static/favicon.svg']);
    assert.equal(r.status, 0, r.stderr);
    await waitFor(async () => {
      await v.goto('/signup');
      return (await v.page.getByRole('link', { name: 'terms of service' }).count()) === 1;
    }, 10000, 'the terms link on the sign-up form');
    assert.equal(await v.page.getByRole('link', { name: 'terms of service' }).getAttribute('href'), 'https://example.com/terms');
    assert.equal(await v.page.getByRole('link', { name: 'privacy policy' }).getAttribute('href'), '/legal/privacy');
    await v.goto('/login');
    assert.equal(await v.page.locator('img.gh-auth-mark[src="/static/favicon.svg"]').count(), 1, "the tenant's logo in the card");
    await accessible(v, 'login with a tenant logo', EVERY_WAY);
  } finally {
    gatehouseCli(['tenant', 'set', '--slug', 'default', '--terms-url', '', '--privacy-url', '', '--logo', '']);
    await v.close();
  }
});
