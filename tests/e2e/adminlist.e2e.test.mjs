// The admin's user list in a real browser (headless Chromium), issue 15:
// axe-core at a desktop (1280×800) and a phone (390×844) viewport with no
// serious or critical violation, no horizontal scrolling on the phone even
// with long emails and names, and on the phone each row a card that is a
// link as a whole: a tap anywhere on it opens the user's page. Filters,
// sorts, pages and the sync are the integration tests'
// (tests/integration/adminlist.test.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PASSWORD, ROOT, cognitoLocal, psql, stackInfo, uniqueEmail } from '../integration/helpers.mjs';
import { confirmedUser } from '../integration/admin-helpers.mjs';
import { openBrowser, Visitor, logIn } from './browser.mjs';

const TEST = { timeout: 180000 };
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const AXE = fs.readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { if (browser) await browser.close(); });


// accessible runs axe-core at the viewport and asserts no serious or
// critical violation (evaluated through the DevTools protocol: the page's CSP
// stays as it is).
async function accessible(v, what, size) {
  await v.page.setViewportSize(size);
  await v.page.evaluate(AXE);
  const found = await v.page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')
      .map((x) => `${x.id} (${x.impact}): ${x.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(found, [], `${what} at ${size.width}×${size.height}: axe violations`);
}

const scrolls = (v) => v.page.evaluate(() => ({ width: document.documentElement.scrollWidth, inner: window.innerWidth }));

test('the users list: accessible at 1280 and 390 px, no sideways scrolling, a whole row is the link on a phone', TEST, async () => {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const adminEmail = uniqueEmail('e2e-list-admin');
  await confirmedUser(adminEmail, { group: 'admin', name: 'List Person' });
  // One real user to open, and enough long-named neighbours for two pages.
  const target = `e2e-list-${run}-target@example.com`;
  await confirmedUser(target, { name: 'List Person' });
  const [made] = (await cognitoLocal('AdminGetUser', { UserPoolId: stackInfo().COGNITO_USER_POOL_ID, Username: target }))
    .UserAttributes.filter((a) => a.Name === 'sub').map((a) => a.Value);
  psql(`INSERT INTO t_default.users (sub, email, name, tier, status, last_login_at) VALUES
    ('${made}', '${target}', 'Target Person', 'premium', 'CONFIRMED', now())`);
  psql(`INSERT INTO t_default.users (sub, email, name, tier, status, enabled)
    SELECT 'e2e-list-${run}-' || g, 'e2e-list-${run}-' || lpad(g::text, 3, '0') || '-a-rather-long-address-for-a-phone@subdomain.example.com',
      'Bartholomew Maximilian Featherstonehaugh-Cholmondeley ' || g,
      CASE WHEN g % 2 = 0 THEN 'premium' ELSE 'standard' END,
      CASE WHEN g % 3 = 0 THEN 'FORCE_CHANGE_PASSWORD' ELSE 'UNCONFIRMED' END, g % 5 <> 0
    FROM generate_series(1, 60) g`);
  psql(`UPDATE t_default.users SET created_at = now() - interval '1 day' WHERE email LIKE 'e2e-list-${run}-%' AND sub <> '${made}'`);

  const admin = await Visitor.open(browser, 'admin-list');
  try {
    assert.equal(await logIn(admin, adminEmail, PASSWORD), 200);
    // Newest first: the real user heads the first page.
    await admin.goto(`/admin/users?q=${encodeURIComponent(`e2e-list-${run}`)}&sort=created&dir=desc`);
    await admin.check('user list');
    assert.match(await admin.page.locator('#gh-users-total').innerText(), /61 users match/);
    await accessible(admin, 'the users list', DESKTOP);
    const wide = await scrolls(admin);
    assert.ok(wide.width <= wide.inner, `no sideways scrolling at 1280 px: ${JSON.stringify(wide)}`);

    await accessible(admin, 'the users list', PHONE);
    await admin.check('user list on a phone');
    const narrow = await scrolls(admin);
    assert.ok(narrow.width <= narrow.inner, `no sideways scrolling at 390 px: ${JSON.stringify(narrow)}`);
    // Each row's details are legible: stacked, inside the screen.
    const row = admin.page.locator('#gh-users tbody tr').filter({ hasText: target });
    const box = await row.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `the row fits: ${JSON.stringify(box)}`);
    for (const cell of ['th', 'td[data-label="Name"]', 'td[data-label="Status"]', 'td[data-label="Last sign-in"]']) {
      const box = await row.locator(cell).boundingBox();
      assert.ok(box && box.width > 0 && box.x + box.width <= PHONE.width, `${cell} shown within the screen`);
    }
    // The page after, from its link, is just as narrow.
    await admin.page.getByRole('link', { name: /Next/ }).click();
    await admin.page.waitForLoadState('load');
    await admin.check('user list page 2 on a phone');
    const next = await scrolls(admin);
    assert.ok(next.width <= next.inner, `page 2: ${JSON.stringify(next)}`);
    await admin.page.goBack();
    await admin.page.waitForLoadState('load');

    // A tap on the row's name (not on its email, the link) opens the user's page.
    // (The row's link lies over the whole card, so a tap there lands on it.)
    const cell = admin.page.locator('#gh-users tbody tr').filter({ hasText: target }).locator('td[data-label="Name"]');
    await cell.scrollIntoViewIfNeeded();
    const name = await cell.boundingBox();
    const [x, y] = [name.x + name.width / 2, name.y + name.height / 2];
    const href = await admin.page.evaluate(([px, py]) => document.elementFromPoint(px, py)?.closest('a')?.getAttribute('href'), [x, y]);
    assert.equal((href || '').split('?')[0], `/admin/users/${encodeURIComponent(target)}`, 'the point tapped is the row\'s link');
    const loaded = admin.page.waitForEvent('load');
    await admin.page.mouse.click(x, y);
    await loaded;
    assert.equal(decodeURIComponent(admin.path.split('?')[0]), `/admin/users/${target}`);
    await admin.check('user page from a tapped row');
    // Its breadcrumb goes back to the list as it was (search and order kept).
    const back = await admin.page.locator('#gh-back').getAttribute('href');
    assert.match(back, /^\/admin\/users\?q=/, 'the breadcrumb keeps the list\'s search');

    // On the desktop the Sync now button and the search form are reachable too.
    await admin.page.setViewportSize(DESKTOP);
    await admin.goto('/admin/users');
    assert.ok(await admin.page.getByRole('button', { name: 'Sync now' }).isVisible());
    assert.ok(await admin.page.getByLabel('Email or name contains').isVisible());
  } finally {
    await admin.close();
    psql(`DELETE FROM t_default.users WHERE email LIKE 'e2e-list-${run}-%'`);
  }
});
