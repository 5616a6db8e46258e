// Invitations, the CSV import and the bulk tier change in a real browser
// (headless Chromium), issue 15. An admin invites a person, who signs in with
// the emailed temporary password and chooses their own; imports a CSV file
// (preview, apply, results, and the same file again changing nothing); and
// changes the tier of users ticked on the list, who see it on their next
// page. Each page is checked with axe-core at 1280×800 and 390×844 (no
// serious or critical violation), for horizontal scrolling at 390 px, and
// the admin log rows are read with psql. Status codes, CSRF and refusals are
// the integration tests' (tests/integration/admininvite.test.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { uniqueEmail, PASSWORD, cognitoLocal, psql, stackInfo, waitFor } from '../integration/helpers.mjs';
import { confirmedUser } from '../integration/admin-helpers.mjs';
import { openBrowser, Visitor, logIn, accessible } from './browser.mjs';

const TEST = { timeout: 180000 };
const info = stackInfo();
const POOL = info.COGNITO_USER_POOL_ID;

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { if (browser) await browser.close(); });

// invitedPassword: the temporary password the invitation "emailed", read
// from cognito-local's data folder as the person reads their email.
async function invitedPassword(email) {
  const file = path.join(info.COGNITO_DB_DIR, `${POOL}.json`);
  let password;
  await waitFor(() => {
    let db;
    try { db = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { return false; }
    const u = Object.values(db.Users || {}).find((x) =>
      (x.Attributes || []).some((a) => a.Name === 'email' && a.Value.toLowerCase() === email.toLowerCase()));
    password = u && u.UserStatus === 'FORCE_CHANGE_PASSWORD' ? u.Password : undefined;
    return !!password;
  }, 5000, `the temporary password of ${email}`);
  return password;
}

const sqlText = (s) => `'${String(s).replace(/'/g, "''")}'`;

async function signedInAdmin(name) {
  const email = uniqueEmail('e2e-inv-admin');
  await confirmedUser(email, { group: 'admin' });
  const v = await Visitor.open(browser, name);
  assert.equal(await logIn(v, email, PASSWORD), 200);
  const sub = psql(`SELECT sub FROM t_default.users WHERE email = ${sqlText(email)}`)[0][0];
  return { v, email, sub };
}

async function accountTier(v) {
  await v.goto('/account');
  return (await v.page.getByRole('region', { name: 'Profile' }).locator('dt:has-text("Tier") + dd').innerText()).trim().toLowerCase();
}

test('an admin invites a person; they sign in with the temporary password and choose their own', TEST, async () => {
  const admin = await signedInAdmin('invite-admin');
  const person = await Visitor.open(browser, 'invite-person');
  const email = uniqueEmail('e2e-invited');
  try {
    const page = admin.v.page;
    await admin.v.goto('/admin/users');
    await page.getByRole('link', { name: 'Invite a user' }).click();
    await page.waitForLoadState('load');
    assert.equal(admin.v.path, '/admin/invite');
    await admin.v.check('the invitation form');
    await accessible(admin.v, '/admin/invite', { sideways: true });

    // A bad address first: told at the field.
    await page.getByLabel('Email address').fill('not-an-address');
    assert.equal(await admin.v.submitWith('Send the invitation'), 400);
    await admin.v.check('a bad address', { status: 400 });
    assert.match(await admin.v.fieldError('Email address'), /email/i);
    await accessible(admin.v, '/admin/invite with an error', { sideways: true });

    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Name (optional)').fill('Ines Invited');
    await page.getByRole('radio', { name: 'Premium' }).check();
    assert.equal(await admin.v.submitWith('Send the invitation'), 200);
    await admin.v.check('invitation sent');
    assert.match((await admin.v.flashes()).join(' '), /Invitation sent to/);
    await accessible(admin.v, 'invitation sent', { sideways: true });
    const [sub, tier, status] = psql(`SELECT sub, tier, status FROM t_default.users WHERE email = ${sqlText(email)}`)[0];
    assert.deepEqual([tier, status], ['premium', 'FORCE_CHANGE_PASSWORD']);
    assert.deepEqual(psql(`SELECT action, after_value, actor_sub FROM t_default.admin_actions WHERE target_sub = ${sqlText(sub)}`),
      [['invitation_sent', 'premium', admin.sub]]);

    // The invited person: the emailed password, then their own.
    assert.equal(await logIn(person, email, await invitedPassword(email)), 200);
    await person.check('choose a new password');
    await person.page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await person.page.getByLabel('Confirm new password').fill(PASSWORD);
    assert.equal(await person.submitWith('Save and continue'), 200);
    assert.equal(person.path, '/account');
    await person.check('the invited person\'s account');
    assert.equal(await accountTier(person), 'premium');
  } finally {
    await person.close();
    await admin.v.close();
  }
});

test('CSV import: preview, apply, results, and the same file again changes nothing', TEST, async () => {
  const admin = await signedInAdmin('import-admin');
  const fresh = uniqueEmail('e2e-csv-new');
  const existing = uniqueEmail('e2e-csv-old');
  await confirmedUser(existing);
  const csv = `email,name,tier\n${fresh},Carla Csv,standard\n${existing},,premium\nnope,Bad,standard\n`;
  try {
    const page = admin.v.page;
    await admin.v.goto('/admin/users');
    await page.getByRole('link', { name: 'Import CSV' }).click();
    await page.waitForLoadState('load');
    await admin.v.check('the import form');
    await accessible(admin.v, '/admin/import', { sideways: true });

    for (const run of [1, 2]) {
      await admin.v.goto('/admin/import');
      if (run === 1) {
        // As admins do: a file chosen from the disk, read into the text area.
        await page.getByLabel('CSV file', { exact: true }).setInputFiles({ name: 'users.csv', mimeType: 'text/csv', buffer: Buffer.from(`\uFEFF${csv}`) });
        await waitFor(async () => (await page.getByLabel('CSV', { exact: true }).inputValue()) === csv, 3000, 'the file in the text area');
      } else {
        await page.getByLabel('CSV', { exact: true }).fill(csv);
      }
      assert.equal(await admin.v.submitWith('Preview'), 200);
      await admin.v.check(`preview ${run}`);
      await accessible(admin.v, `the preview (${run})`, { sideways: true });
      const kinds = await page.locator('#gh-preview tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.kind));
      if (run === 1) {
        assert.deepEqual(kinds, ['invite', 'tier', 'invalid']);
        assert.equal(psql(`SELECT count(*) FROM t_default.users WHERE email = ${sqlText(fresh)}`)[0][0], '0', 'nothing done yet');
        assert.equal(await admin.v.submitWith('Apply: invite and change tiers'), 200);
        await admin.v.check('results');
        await accessible(admin.v, 'the results', { sideways: true });
        const results = await page.locator('#gh-results tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.result));
        assert.deepEqual(results, ['invited', 'tier_changed', 'skipped']);
      } else {
        assert.deepEqual(kinds, ['nothing', 'nothing', 'invalid']);
        assert.ok(await page.getByText('Nothing to do: every valid row is done already.').isVisible());
      }
    }
    const sub = psql(`SELECT sub FROM t_default.users WHERE email = ${sqlText(fresh)}`)[0][0];
    assert.deepEqual(psql(`SELECT action, after_value FROM t_default.admin_actions WHERE target_sub = ${sqlText(sub)}`),
      [['invitation_sent', 'standard']]);
    const oldSub = psql(`SELECT sub FROM t_default.users WHERE email = ${sqlText(existing)}`)[0][0];
    assert.deepEqual(psql(`SELECT old_tier, new_tier, changed_by_sub FROM t_default.tier_changes WHERE user_sub = ${sqlText(oldSub)}`),
      [['standard', 'premium', admin.sub]]);
  } finally {
    await admin.v.close();
  }
});

test('bulk tier change: the admin ticks users on the list; each sees the new tier, each change is audited', TEST, async () => {
  const tag = `e2ebulk${Date.now().toString(36)}`;
  const emails = [uniqueEmail(tag), uniqueEmail(tag)];
  for (const e of emails) await confirmedUser(e);
  const admin = await signedInAdmin('bulk-admin');
  const users = [];
  try {
    for (const [i, e] of emails.entries()) {
      const v = await Visitor.open(browser, `bulk-user-${i}`);
      assert.equal(await logIn(v, e, PASSWORD), 200);
      assert.equal(await accountTier(v), 'standard');
      users.push(v);
    }
    const page = admin.v.page;
    await admin.v.goto(`/admin/users?q=${encodeURIComponent(tag + '-')}`);
    await admin.v.check('the list with boxes');
    for (const e of emails) await page.getByRole('checkbox', { name: `Select ${e}` }).check();
    await page.getByLabel('Tier of the selected users').selectOption('premium');
    assert.equal(await admin.v.submitWith('Change the tier'), 200);
    await admin.v.check('bulk results');
    await accessible(admin.v, 'the bulk results', { sideways: true });
    assert.match(await page.locator('#gh-bulk-summary').innerText(), /2 of 2 selected users changed/);
    for (const [i, e] of emails.entries()) {
      assert.equal(await accountTier(users[i]), 'premium', `${e} sees the new tier`);
      const sub = psql(`SELECT sub FROM t_default.users WHERE email = ${sqlText(e)}`)[0][0];
      assert.deepEqual(psql(`SELECT old_tier, new_tier, changed_by_sub FROM t_default.tier_changes WHERE user_sub = ${sqlText(sub)}`),
        [['standard', 'premium', admin.sub]]);
    }
  } finally {
    for (const v of users) await v.close();
    await admin.v.close();
  }
});

// postFromPage sends, from the admin's page, the form the user page's button
// sends (an empty POST with the page's CSRF token) and waits for the page it
// leads to. The buttons themselves are the user page's (helper B's): once
// they are there, click them instead.
async function postFromPage(v, action) {
  const loaded = v.page.waitForEvent('load');
  await v.page.evaluate((target) => {
    const csrf = document.querySelector('input[name="csrf"]').value;
    const form = document.createElement('form');
    form.method = 'post';
    form.action = target;
    const token = document.createElement('input');
    token.type = 'hidden';
    token.name = 'csrf';
    token.value = csrf;
    form.appendChild(token);
    document.body.appendChild(form);
    form.submit();
  }, action);
  await loaded;
  return v.lastDocument.status;
}

test('resend an invitation and confirm a sign-up by hand: each person can then sign in', TEST, async () => {
  const admin = await signedInAdmin('resend-confirm-admin');
  const invitedEmail = uniqueEmail('e2e-resend');
  const waitingEmail = uniqueEmail('e2e-unconfirmed');
  const invited = await Visitor.open(browser, 'resend-person');
  const waiting = await Visitor.open(browser, 'unconfirmed-person');
  try {
    // The person invited; the invitation goes again with a new password.
    await admin.v.goto('/admin/invite');
    await admin.v.page.getByLabel('Email address').fill(invitedEmail);
    assert.equal(await admin.v.submitWith('Send the invitation'), 200);
    const first = await invitedPassword(invitedEmail);
    const user = await cognitoLocal('AdminGetUser', { UserPoolId: POOL, Username: invitedEmail });
    await admin.v.goto(`/admin/users/${encodeURIComponent(user.Username)}`);
    assert.equal(await postFromPage(admin.v, `/admin/users/${encodeURIComponent(user.Username)}/resend-invitation`), 200);
    await admin.v.check('invitation resent');
    assert.match((await admin.v.flashes()).join(' '), /invitation was sent again/);
    await accessible(admin.v, 'the user page after a resend', { sideways: true });
    let second;
    await waitFor(async () => { second = await invitedPassword(invitedEmail); return second !== first; }, 5000, 'a new password');
    assert.equal(await logIn(invited, invitedEmail, second), 200);
    await invited.check('the resent password asks for a new one');
    await invited.page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await invited.page.getByLabel('Confirm new password').fill(PASSWORD);
    assert.equal(await invited.submitWith('Save and continue'), 200);
    assert.equal(invited.path, '/account');
    const sub = user.UserAttributes.find((a) => a.Name === 'sub').Value;
    assert.deepEqual(psql(`SELECT action FROM t_default.admin_actions WHERE target_sub = ${sqlText(sub)} ORDER BY id`),
      [['invitation_sent'], ['invitation_resent']]);

    // A sign-up waiting for its code, confirmed by the admin.
    await waiting.goto('/signup');
    await waiting.page.getByLabel('Email address').fill(waitingEmail);
    await waiting.page.getByLabel('Full name').fill('Wai Ting');
    await waiting.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await waiting.page.getByLabel('Confirm password').fill(PASSWORD);
    await waiting.page.getByRole('checkbox', { name: /accept the terms/ }).check();
    assert.equal(await waiting.submitWith('Create account'), 200);
    const w = await cognitoLocal('AdminGetUser', { UserPoolId: POOL, Username: waitingEmail });
    assert.equal(w.UserStatus, 'UNCONFIRMED');
    await admin.v.goto(`/admin/users/${encodeURIComponent(w.Username)}`);
    assert.equal(await postFromPage(admin.v, `/admin/users/${encodeURIComponent(w.Username)}/confirm`), 200);
    await admin.v.check('sign-up confirmed');
    assert.match((await admin.v.flashes()).join(' '), /sign-up was confirmed/);
    await accessible(admin.v, 'the user page after a confirmation', { sideways: true });
    assert.equal(await logIn(waiting, waitingEmail, PASSWORD), 200);
    assert.equal(waiting.path, '/account');
    await waiting.check('the confirmed person\'s account');
    const wsub = w.UserAttributes.find((a) => a.Name === 'sub').Value;
    assert.deepEqual(psql(`SELECT action, before_value, after_value, actor_sub FROM t_default.admin_actions WHERE target_sub = ${sqlText(wsub)}`),
      [['signup_confirmed', 'UNCONFIRMED', 'CONFIRMED', admin.sub]]);
  } finally {
    await invited.close();
    await waiting.close();
    await admin.v.close();
  }
});
