// An admin's user page and each action on one user, in a real browser
// (headless Chromium; issue 15, part B). The admin works the buttons and the
// confirmation pages as a person would, without any script of the page's;
// the affected user, in a browser of their own, then sees what the action
// means for them (signed out, refused at sign-in with a clear message, no
// MFA step, the new name, the admin panel given and taken). Every admin page
// reached is checked with axe-core at 1280×800 and 390×844 (no serious or
// critical violation), for horizontal scrolling at 390 px, and the action
// bar must be on the first screen of a phone. Each action's row is read
// from t_default.admin_actions. Status codes, CSRF and the refusals are the
// integration tests' (tests/integration/adminuser.test.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueEmail, PASSWORD, gatehouseCli, psql, request, HTTPS_PORT } from '../integration/helpers.mjs';
import { totp } from '../integration/totp.mjs';
import { confirmedUser } from '../integration/admin-helpers.mjs';
import { openBrowser, Visitor, logIn, accessible, VIEWPORTS } from './browser.mjs';

const TEST = { timeout: 240000 };
const enc = encodeURIComponent;
const sql = (s) => `'${String(s).replace(/'/g, "''")}'`;

let browser, admin, adminEmail;

before(async () => {
  const m = gatehouseCli(['tenant', 'set', '--slug', 'default', '--mfa', 'optional']);
  assert.equal(m.status, 0, m.stderr);
  browser = await openBrowser();
  adminEmail = uniqueEmail('e2e-useradmin');
  await confirmedUser(adminEmail, { group: 'admin', name: 'Ada Admin' });
  admin = await Visitor.open(browser, 'adminuser-admin');
  assert.equal(await logIn(admin, adminEmail, PASSWORD), 200);
  await admin.page.waitForLoadState('networkidle');
});
after(async () => {
  if (admin) await admin.close();
  if (browser) await browser.close();
});

// signedInUser is a new user signed in in a browser of their own.
async function signedInUser(tag) {
  const email = uniqueEmail(`e2e-${tag}`);
  await confirmedUser(email);
  const v = await Visitor.open(browser, `adminuser-${tag}`);
  assert.equal(await logIn(v, email, PASSWORD), 200);
  assert.equal(v.path, '/account');
  await v.check('signed in');
  // The page's last requests (the favicon) end before the test moves on,
  // so leaving the page aborts nothing.
  await v.page.waitForLoadState('networkidle');
  return { email, v };
}

// openUser opens the user page as the list links to it, and checks it.
async function openUser(email, step) {
  await admin.page.waitForLoadState('networkidle'); // leaving the last page aborts nothing
  assert.equal(await admin.goto(`/admin/users/${enc(email)}?back=${enc('q=e2e')}`), 200);
  await admin.check(step);
  await accessible(admin, `user page (${step})`, { sideways: true });
  // The action bar is on the first screen of a phone, whole.
  await admin.page.setViewportSize(VIEWPORTS[1]);
  await admin.page.evaluate(() => window.scrollTo(0, 0));
  const bar = await admin.page.locator('#gh-actions').boundingBox();
  assert.ok(bar && bar.y + bar.height <= VIEWPORTS[1].height,
    `the action bar ends at ${bar && bar.y + bar.height} px, below the first screen`);
  await admin.page.setViewportSize(VIEWPORTS[0]);
}

// act presses the action's button on the user page, and on the
// confirmation (when one comes, checked like every page) its button.
async function act(button, confirm) {
  const status = await admin.submitWith(button, admin.page.locator('#gh-actions'));
  if (!confirm) return status;
  assert.equal(status, 200);
  await admin.check(`confirm: ${button}`);
  await accessible(admin, `confirmation of "${button}"`, { sideways: true });
  return admin.submitWith(confirm);
}

async function notice() {
  return (await admin.page.locator('#gh-notice').innerText()).trim();
}

function audited(email, action) {
  const rows = psql(`SELECT actor_email, coalesce(before_value, ''), coalesce(after_value, '')
    FROM t_default.admin_actions WHERE target_email = ${sql(email)} AND action = ${sql(action)} ORDER BY id DESC LIMIT 1`);
  assert.equal(rows.length, 1, `an admin_actions row ${action} for ${email}`);
  assert.equal(rows[0][0], adminEmail);
  return { before: rows[0][1], after: rows[0][2] };
}

// signedOut: the user's next page is the login page.
async function assertSignedOut(v, what) {
  await v.page.waitForLoadState('networkidle');
  await v.goto('/account');
  await v.check(`${what}: signed out`);
  assert.match(v.path, /^\/login/, `${what}: the cookie leads to the login page`);
}

test('disable, then enable: the user is signed out at once, refused at sign-in with a clear message, then let in again', TEST, async () => {
  const u = await signedInUser('disable');
  try {
    await openUser(u.email, 'user page');
    assert.equal(await admin.page.locator('h1').innerText(), u.email, 'the email heads the page');
    assert.match(await admin.page.title(), new RegExp(`^${u.email.replace(/[.+]/g, '\\$&')}`));
    assert.equal(await admin.page.locator('#gh-back').getAttribute('href'), '/admin/users?q=e2e');
    assert.equal(await admin.page.locator('#gh-sessions li.gh-session').count(), 1, 'the browser session');

    assert.equal(await act('Disable', 'Disable the user'), 200);
    await admin.check('disabled');
    assert.match(await notice(), /disabled and has been signed out everywhere/);
    assert.equal(audited(u.email, 'user_disabled').after, 'disabled');
    await accessible(admin, 'user page, disabled', { sideways: true });

    await assertSignedOut(u.v, 'disabled');
    assert.equal(await logIn(u.v, u.email, PASSWORD), 403);
    await u.v.check('disabled login refused', { status: 403 });
    assert.match(await u.v.page.locator('main').innerText(), /This account has been disabled/);

    assert.equal(await act('Enable'), 200);
    await admin.check('enabled');
    assert.match(await notice(), /enabled: they can sign in again/);
    assert.equal(audited(u.email, 'user_enabled').after, 'enabled');
    assert.equal(await logIn(u.v, u.email, PASSWORD), 200);
    assert.equal(u.v.path, '/account');
  } finally {
    await u.v.close();
  }
});

test('reset password and sign out everywhere: the user is signed out; after a reset their old password is refused with the way out', TEST, async () => {
  const u = await signedInUser('reset');
  try {
    await openUser(u.email, 'before sign-out');
    assert.equal(await act('Sign out everywhere', 'Sign out everywhere'), 200);
    await admin.check('signed out everywhere');
    assert.match(await notice(), /signed out everywhere/);
    audited(u.email, 'signed_out_everywhere');
    await assertSignedOut(u.v, 'sign-out everywhere');

    assert.equal(await logIn(u.v, u.email, PASSWORD), 200, 'they can sign in again');
    await u.v.check('signed in again');
    await u.v.page.waitForLoadState('networkidle');
    await openUser(u.email, 'before reset');
    assert.equal(await act('Reset password', 'Reset the password'), 200);
    await admin.check('password reset');
    assert.match(await notice(), /emailed a code to choose a new one/);
    assert.deepEqual(audited(u.email, 'password_reset'), { before: 'CONFIRMED', after: 'RESET_REQUIRED' });
    assert.match(await admin.page.locator('#gh-user-status').innerText(), /Reset required/);
    await assertSignedOut(u.v, 'password reset');
    assert.equal(await logIn(u.v, u.email, PASSWORD), 403);
    await u.v.check('old password refused', { status: 403 });
    assert.match(await u.v.page.locator('main').innerText(), /choose a new password before you can log in/);
  } finally {
    await u.v.close();
  }
});

test('reset MFA: the user who lost their authenticator signs in with the password alone', TEST, async () => {
  const email = uniqueEmail('e2e-mfa');
  await confirmedUser(email);
  // TOTP on, through the API (the browser enrolment is mfa.e2e's).
  const api = async (p, json, token) => {
    const headers = { host: `localhost:${HTTPS_PORT}`, accept: 'application/json', 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const r = await request('POST', p, { headers, body: JSON.stringify(json) });
    return JSON.parse(r.body);
  };
  const token = (await api('/api/v1/auth/login', { email, password: PASSWORD })).access_token;
  const { secret } = await api('/api/v1/me/mfa', {}, token);
  assert.equal((await api('/api/v1/me/mfa/verify', { code: totp(secret) }, token)).enabled, true);
  const v = await Visitor.open(browser, 'adminuser-mfa');
  try {
    assert.equal(await logIn(v, email, PASSWORD), 200);
    assert.equal(v.path, '/login/mfa', 'MFA asks for a code');
    await v.check('MFA step');
    await v.page.waitForLoadState('networkidle');

    await openUser(email, 'MFA on');
    assert.equal(await admin.page.locator('#gh-user-mfa').innerText(), 'On');
    assert.equal(await act('Reset MFA', 'Reset two-step verification'), 200);
    await admin.check('MFA reset');
    assert.match(await notice(), /next sign-in asks for their password only/);
    assert.deepEqual(audited(email, 'mfa_reset'), { before: 'on', after: 'off' });
    assert.equal(await admin.page.locator('#gh-user-mfa').innerText(), 'Off');

    await v.goto('/login');
    assert.equal(await logIn(v, email, PASSWORD), 200);
    assert.equal(v.path, '/account', 'no MFA step');
    await v.check('signed in without MFA');
  } finally {
    await v.close();
  }
});

test('edit the profile: the user sees the new name on their account page', TEST, async () => {
  const u = await signedInUser('edit');
  try {
    await openUser(u.email, 'before edit');
    await admin.page.getByRole('link', { name: 'Edit profile' }).click();
    await admin.page.getByLabel('Name', { exact: true }).fill('Edited By Admin');
    await admin.page.getByLabel('Company').fill('Initech');
    assert.equal(await admin.submitWith('Save the profile'), 200);
    await admin.check('profile edited');
    assert.match(await notice(), /The profile was saved/);
    assert.equal(await admin.page.locator('#gh-user-name').innerText(), 'Edited By Admin');
    assert.match(audited(u.email, 'profile_edited').after, /name: Edited By Admin; company: Initech/);
    await u.v.goto('/account');
    await u.v.check('account after edit');
    assert.match(await u.v.page.locator('main').innerText(), /Edited By Admin/);
  } finally {
    await u.v.close();
  }
});

test('make admin gives the panel at once; remove admin takes it at once (signed out), and they sign in a plain user', TEST, async () => {
  const u = await signedInUser('promote');
  try {
    assert.equal(await u.v.goto('/admin'), 403);
    await u.v.check('a plain user has no panel', { status: 403 });
    await openUser(u.email, 'before grant');
    assert.equal(await act('Make admin'), 200);
    await admin.check('admin granted');
    assert.match(await notice(), /now an administrator/);
    assert.equal(audited(u.email, 'admin_granted').after, 'admin');
    assert.equal(await u.v.goto('/admin'), 200, 'their open session has the panel');
    await u.v.check('the new admin\'s panel');

    assert.equal(await act('Remove admin', 'Remove admin rights'), 200);
    await admin.check('admin revoked');
    assert.match(await notice(), /no longer an administrator/);
    assert.equal(audited(u.email, 'admin_revoked').after, 'not admin');
    await u.v.goto('/admin');
    await u.v.check('revoked admin');
    assert.match(u.v.path, /^\/login/, 'the panel is gone at once');
    // Signing in again from there leads back to /admin: a plain user's 403.
    assert.equal(await logIn(u.v, u.email, PASSWORD), 403, 'a plain user now');
    assert.equal(u.v.path, '/admin');
    await u.v.check('a plain user again', { status: 403 });
  } finally {
    await u.v.close();
  }
});

test('delete: the typed email must match; then the user is signed out and cannot sign in again', TEST, async () => {
  const u = await signedInUser('delete');
  try {
    await openUser(u.email, 'before delete');
    assert.equal(await admin.submitWith('Delete', admin.page.locator('#gh-actions')), 200);
    await admin.check('confirm delete');
    await accessible(admin, 'confirmation of the deletion', { sideways: true });
    await admin.page.getByLabel("Type the user's email address to confirm").fill('not-them@example.com');
    assert.equal(await admin.submitWith('Delete the user'), 400);
    await admin.check('wrong email typed', { status: 400 });
    assert.match(await admin.fieldError("Type the user's email address to confirm"), /not this user's email address/);
    await accessible(admin, 'the deletion with a wrong email', { sideways: true });
    await admin.page.getByLabel("Type the user's email address to confirm").fill(u.email);
    assert.equal(await admin.submitWith('Delete the user'), 200);
    await admin.check('deleted: the list');
    assert.equal(new URL(admin.page.url()).pathname, '/admin/users');
    assert.ok((await admin.flashes()).some((f) => /has been deleted/.test(f)));
    assert.equal(audited(u.email, 'user_deleted').after, 'deleted');
    await assertSignedOut(u.v, 'deleted');
    assert.equal(await logIn(u.v, u.email, PASSWORD), 401);
    await u.v.check('deleted user refused', { status: 401 });
  } finally {
    await u.v.close();
  }
});
