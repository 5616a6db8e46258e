// The admin tier panel in a real browser (headless Chromium): a new admin
// signs in with the temporary password an operator gave them and chooses
// their own, opens the panel, finds a user by the start of their email,
// changes the tier, and sees the change in the audit log; the user, signed in
// all along, sees the new tier on their next page. Every page reached is
// checked for console errors and CSP violations (the charts are inline SVG,
// no script, no style attribute) and kept as a screenshot under
// tests/artifacts/e2e/. Status codes, CSRF and the database are the
// integration tests' (tests/integration/admin.test.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueEmail, PASSWORD, cognitoLocal, stackInfo } from '../integration/helpers.mjs';
import { openBrowser, Visitor, logIn } from './browser.mjs';

const TEMPORARY = 'Temp-Adm1n-Passw0rd!';
const TEST = { timeout: 120000 };

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { if (browser) await browser.close(); });

async function makeUser(email, { temporary, group } = {}) {
  const pool = stackInfo().COGNITO_USER_POOL_ID;
  await cognitoLocal('AdminCreateUser', {
    UserPoolId: pool, Username: email, MessageAction: 'SUPPRESS', TemporaryPassword: TEMPORARY,
    UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' },
      { Name: 'name', Value: 'Browser Person' }, { Name: 'custom:user_tier', Value: 'standard' }],
  });
  if (!temporary) await cognitoLocal('AdminSetUserPassword', { UserPoolId: pool, Username: email, Password: PASSWORD, Permanent: true });
  if (group) await cognitoLocal('AdminAddUserToGroup', { UserPoolId: pool, Username: email, GroupName: group });
}

test('an admin finds a user, changes the tier and sees the audit entry; the user sees the new tier', TEST, async () => {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const adminEmail = uniqueEmail('e2e-admin');
  const userEmail = `e2e-tier-${run}@example.com`;
  await makeUser(adminEmail, { temporary: true, group: 'admin' });
  await makeUser(userEmail);

  const user = await Visitor.open(browser, 'admin-user');
  const admin = await Visitor.open(browser, 'admin-panel');
  try {
    assert.equal(await logIn(user, userEmail, PASSWORD), 200);
    await user.check('user account before');
    const tier = () => user.page.getByRole('region', { name: 'Profile' }).locator('dt:has-text("Tier") + dd').innerText();
    assert.equal((await tier()).trim().toLowerCase(), 'standard');

    // First login with the temporary password: the admin chooses their own.
    assert.equal(await logIn(admin, adminEmail, TEMPORARY), 200);
    await admin.check('choose a new password');
    await admin.page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await admin.page.getByLabel('Confirm new password').fill(PASSWORD);
    assert.equal(await admin.submitWith('Save and continue'), 200);
    assert.equal(admin.path, '/account');

    const nav = admin.page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Admin' }).click();
    await admin.page.waitForLoadState('load');
    assert.equal(admin.path, '/admin');
    await admin.check('admin overview');
    assert.ok(await admin.page.getByRole('img', { name: /Users per tier/ }).isVisible(), 'the tier chart');
    assert.ok(await admin.page.getByRole('img', { name: /Sign-ups per day/ }).isVisible(), 'the sign-up chart');

    await admin.page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Users' }).click();
    await admin.page.waitForLoadState('load');
    await admin.page.getByLabel('Email or name contains').fill(`e2e-tier-${run}`);
    assert.equal(await admin.submitWith('Search'), 200);
    await admin.check('search result');
    const rows = admin.page.locator('#gh-users tbody tr');
    assert.equal(await rows.count(), 1);
    await rows.first().locator('th a').click();
    await admin.page.waitForLoadState('load');
    await admin.check('user page');
    assert.equal((await admin.page.locator('#gh-user-tier').innerText()).trim().toLowerCase(), 'standard');

    await admin.page.getByRole('radio', { name: 'Premium' }).check();
    assert.equal(await admin.submitWith('Save the tier'), 200);
    await admin.check('tier changed');
    assert.match(await admin.page.locator('#gh-notice').innerText(), /The tier was changed/);
    assert.equal((await admin.page.locator('#gh-user-tier').innerText()).trim().toLowerCase(), 'premium');
    assert.match(await admin.page.locator('#gh-history').innerText(), /standard\s*→\s*premium/);

    await admin.page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Audit log' }).click();
    await admin.page.waitForLoadState('load');
    await admin.check('audit log');
    const first = admin.page.locator('#gh-audit tbody tr').first();
    const cells = (await first.locator('td').allInnerTexts()).map((s) => s.trim());
    assert.deepEqual(cells.slice(1, 5), [adminEmail, userEmail, 'standard', 'premium'], 'the newest entry is this change');

    // The user's next page shows the new tier, with no new sign-in.
    await user.page.reload();
    await user.check('user account after');
    assert.equal((await tier()).trim().toLowerCase(), 'premium');
  } finally {
    await user.close();
    await admin.close();
  }
});
