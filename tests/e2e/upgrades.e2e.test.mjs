// Upgrade requests in a real browser (headless Chromium, issue 15): a
// standard user meets the upsell page, asks for Premium with a note; an
// admin sees the badge, opens the requests, approves one (the user then
// sees Premium and opens their files) and declines another with a reason
// (the user reads it on their account page); the admin finds both in the
// audit log, filtered. Every page is checked with axe-core at 1280×800 and
// 390×844 (no serious or critical violation) and must not scroll sideways
// at 390 px; the audit rows are read with psql.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueEmail, PASSWORD, psql } from '../integration/helpers.mjs';
import { confirmedUser, subOf } from '../integration/admin-helpers.mjs';
import { openBrowser, Visitor, logIn, accessible } from './browser.mjs';

const TEST = { timeout: 180000 };

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { if (browser) await browser.close(); });

const actionsOf = (sub) => psql(`SELECT action, coalesce(before_value, '-'), coalesce(after_value, '-'), coalesce(detail, '-')
  FROM t_default.admin_actions WHERE target_sub = '${sub}' ORDER BY id`);
const tierOn = (v) => v.page.getByRole('region', { name: 'Profile' }).locator('dt:has-text("Tier") + dd').innerText();

// asks: the user meets the upsell page and asks for Premium.
async function asks(user, note) {
  assert.equal(await user.goto('/files'), 403);
  await user.check('upsell page', { status: 403 });
  await accessible(user, 'upsell page', { sideways: true });
  if (note) await user.page.getByLabel('A note for the administrator').fill(note);
  assert.equal(await user.submitWith('Ask for Premium'), 200);
  await user.check('asked');
  assert.equal(user.path, '/account/upgrade');
  assert.match((await user.flashes()).join(' '), /Your request for Premium has been sent/);
  assert.match(await user.page.locator('#gh-upgrade-state').innerText(), /waiting for an administrator/);
  await accessible(user, 'upgrade page, pending', { sideways: true });
}

test('ask → badge → approve: the user sees Premium, the audit log has both rows', TEST, async () => {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const adminEmail = uniqueEmail('e2e-upg-admin');
  const userEmail = `e2e-upg-${run}@example.com`;
  await confirmedUser(adminEmail, { group: 'admin' });
  await confirmedUser(userEmail);
  const user = await Visitor.open(browser, 'upgrade-user');
  const admin = await Visitor.open(browser, 'upgrade-admin');
  try {
    assert.equal(await logIn(user, userEmail, PASSWORD), 200);
    await user.check('account before');
    assert.equal((await tierOn(user)).trim().toLowerCase(), 'standard');
    await asks(user, 'For the quarterly reports');

    assert.equal(await logIn(admin, adminEmail, PASSWORD), 200);
    await admin.check('admin signed in');
    assert.equal(await admin.goto('/admin'), 200);
    await admin.check('admin overview with the badge');
    const nav = admin.page.getByRole('navigation', { name: 'Admin sections' });
    const badge = await nav.locator('#gh-requests-badge').innerText();
    const pending = psql(`SELECT count(*) FROM t_default.upgrade_requests r WHERE state = 'pending'
      AND EXISTS (SELECT 1 FROM t_default.users u WHERE u.sub = r.user_sub AND u.deleted_at IS NULL)`)[0][0];
    assert.equal(badge.replace(/\D/g, ''), pending, 'the badge counts the waiting requests');
    await accessible(admin, 'admin overview', { sideways: true });
    await nav.getByRole('link', { name: /Requests/ }).click();
    await admin.page.waitForLoadState('load');
    await admin.check('requests');
    assert.equal(admin.path, '/admin/requests');
    await accessible(admin, 'requests', { sideways: true });
    const item = admin.page.locator('li.gh-request', { hasText: userEmail });
    assert.equal(await item.count(), 1);
    assert.match(await item.innerText(), /For the quarterly reports/);
    assert.equal(await admin.submitWith('Approve', item), 200);
    await admin.check('approved');
    assert.match(await admin.page.locator('#gh-notice').innerText(), /The request was approved/);
    assert.equal(await admin.page.locator('li.gh-request', { hasText: userEmail }).count(), 0);

    // The user's next page: Premium, and the files open.
    await user.page.goto(`${user.page.url().replace(/\/account\/upgrade.*/, '')}/account`);
    await user.check('account after');
    assert.equal((await tierOn(user)).trim().toLowerCase(), 'premium');
    assert.equal(await user.goto('/files'), 200);
    await user.check('files open');

    const sub = subOf(userEmail);
    assert.deepEqual(actionsOf(sub), [['tier_changed', 'standard', 'premium', '-'],
      ['upgrade_approved', 'pending', 'approved', 'For the quarterly reports']]);

    // The audit log, filtered by this user.
    await nav.getByRole('link', { name: 'Audit log' }).click();
    await admin.page.waitForLoadState('load');
    await admin.page.getByLabel("User's email").fill(userEmail);
    assert.equal(await admin.submitWith('Filter'), 200);
    await admin.check('audit filtered');
    await accessible(admin, 'audit log, filtered', { sideways: true });
    const rows = admin.page.locator('#gh-audit tbody tr');
    const cells = async (i) => (await rows.nth(i).locator('td').allInnerTexts()).map((s) => s.trim());
    assert.equal(await rows.count(), 2);
    assert.deepEqual((await cells(0)).slice(1, 6), [adminEmail, userEmail, 'pending', 'approved', 'Upgrade request approved']);
    assert.deepEqual((await cells(1)).slice(1, 6), [adminEmail, userEmail, 'standard', 'premium', 'Tier changed']);
    await admin.page.getByLabel('Action', { exact: true }).selectOption({ label: 'Tier changed' });
    assert.equal(await admin.submitWith('Filter'), 200);
    await admin.check('audit filtered by action');
    assert.equal(await rows.count(), 1);
  } finally {
    await user.close();
    await admin.close();
  }
});

test('ask → decline with a reason: the user reads it on their account page', TEST, async () => {
  const adminEmail = uniqueEmail('e2e-upg-admin');
  const userEmail = uniqueEmail('e2e-upg-declined');
  await confirmedUser(adminEmail, { group: 'admin' });
  await confirmedUser(userEmail);
  const user = await Visitor.open(browser, 'upgrade-declined-user');
  const admin = await Visitor.open(browser, 'upgrade-declined-admin');
  try {
    assert.equal(await logIn(user, userEmail, PASSWORD), 200);
    await user.check('signed in');
    await asks(user);
    assert.equal(await logIn(admin, adminEmail, PASSWORD), 200);
    await admin.check('admin signed in');
    assert.equal(await admin.goto('/admin/requests'), 200);
    await admin.check('requests');
    const item = admin.page.locator('li.gh-request', { hasText: userEmail });
    await item.getByLabel(/Reason for declining/).fill('Premium is for the finance team');
    assert.equal(await admin.submitWith('Decline', item), 200);
    await admin.check('declined');
    assert.match(await admin.page.locator('#gh-notice').innerText(), /The request was declined/);
    await accessible(admin, 'requests after a decline', { sideways: true });

    assert.equal(await user.goto('/account'), 200);
    await user.check('account, declined');
    assert.equal((await tierOn(user)).trim().toLowerCase(), 'standard');
    assert.match(await user.page.locator('#gh-account-upgrade').innerText(), /was declined: .?Premium is for the finance team/);
    await accessible(user, 'account, declined', { sideways: true });
    assert.deepEqual(actionsOf(subOf(userEmail)), [['upgrade_declined', 'pending', 'declined', 'Premium is for the finance team']]);
  } finally {
    await user.close();
    await admin.close();
  }
});
