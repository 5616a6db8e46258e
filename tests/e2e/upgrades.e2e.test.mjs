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
import fs from 'node:fs';
import path from 'node:path';
import { uniqueEmail, PASSWORD, ROOT, cognitoLocal, psql, stackInfo } from '../integration/helpers.mjs';
import { openBrowser, Visitor, logIn } from './browser.mjs';

const TEST = { timeout: 180000 };
const VIEWPORTS = [{ width: 1280, height: 800 }, { width: 390, height: 844 }];
const AXE = fs.readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { if (browser) await browser.close(); });

async function makeUser(email, { group, tier = 'standard' } = {}) {
  const pool = stackInfo().COGNITO_USER_POOL_ID;
  await cognitoLocal('AdminCreateUser', {
    UserPoolId: pool, Username: email, MessageAction: 'SUPPRESS', TemporaryPassword: 'Temp-Passw0rd!x',
    UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' },
      { Name: 'name', Value: 'Browser Person' }, { Name: 'custom:user_tier', Value: tier }],
  });
  await cognitoLocal('AdminSetUserPassword', { UserPoolId: pool, Username: email, Password: PASSWORD, Permanent: true });
  if (group) await cognitoLocal('AdminAddUserToGroup', { UserPoolId: pool, Username: email, GroupName: group });
}

// fits checks axe-core at both sizes and that nothing scrolls sideways at
// the phone's width. axe is evaluated through the DevTools protocol, so the
// page's CSP (no inline script) is not loosened.
async function fits(v, what) {
  for (const size of VIEWPORTS) {
    await v.page.setViewportSize(size);
    await v.page.evaluate(AXE);
    const found = await v.page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')
        .map((x) => `${x.id} (${x.impact}): ${x.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    assert.deepEqual(found, [], `${what} at ${size.width}×${size.height}: axe violations`);
    if (size.width === 390) {
      const wide = await v.page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
      }));
      assert.ok(wide.scroll <= wide.client, `${what} at 390 px scrolls sideways (${wide.scroll} > ${wide.client})`);
    }
  }
  await v.page.setViewportSize(VIEWPORTS[0]);
}

const subOf = (email) => psql(`SELECT sub FROM t_default.users WHERE email = '${email}'`)[0][0];
const actionsOf = (sub) => psql(`SELECT action, coalesce(before_value, '-'), coalesce(after_value, '-'), coalesce(detail, '-')
  FROM t_default.admin_actions WHERE target_sub = '${sub}' ORDER BY id`);
const tierOn = (v) => v.page.getByRole('region', { name: 'Profile' }).locator('dt:has-text("Tier") + dd').innerText();

// asks: the user meets the upsell page and asks for Premium.
async function asks(user, note) {
  assert.equal(await user.goto('/files'), 403);
  await user.check('upsell page', { status: 403 });
  await fits(user, 'upsell page');
  if (note) await user.page.getByLabel('A note for the administrator').fill(note);
  assert.equal(await user.submitWith('Ask for Premium'), 200);
  await user.check('asked');
  assert.equal(user.path, '/account/upgrade');
  assert.match((await user.flashes()).join(' '), /Your request for Premium has been sent/);
  assert.match(await user.page.locator('#gh-upgrade-state').innerText(), /waiting for an administrator/);
  await fits(user, 'upgrade page, pending');
}

test('ask → badge → approve: the user sees Premium, the audit log has both rows', TEST, async () => {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const adminEmail = uniqueEmail('e2e-upg-admin');
  const userEmail = `e2e-upg-${run}@example.com`;
  await makeUser(adminEmail, { group: 'admin' });
  await makeUser(userEmail);
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
    await fits(admin, 'admin overview');
    await nav.getByRole('link', { name: /Requests/ }).click();
    await admin.page.waitForLoadState('load');
    await admin.check('requests');
    assert.equal(admin.path, '/admin/requests');
    await fits(admin, 'requests');
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
    await fits(admin, 'audit log, filtered');
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
  await makeUser(adminEmail, { group: 'admin' });
  await makeUser(userEmail);
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
    await fits(admin, 'requests after a decline');

    assert.equal(await user.goto('/account'), 200);
    await user.check('account, declined');
    assert.equal((await tierOn(user)).trim().toLowerCase(), 'standard');
    assert.match(await user.page.locator('#gh-account-upgrade').innerText(), /was declined: .?Premium is for the finance team/);
    await fits(user, 'account, declined');
    assert.deepEqual(actionsOf(subOf(userEmail)), [['upgrade_declined', 'pending', 'declined', 'Premium is for the finance team']]);
  } finally {
    await user.close();
    await admin.close();
  }
});
