// Account self-service in a real browser (headless Chromium): "Your
// devices", the profile, re-authentication, the email page and deleting the
// account (issue 14). Each new page is checked with axe-core at a desktop
// (1280×800) and a phone (390×844) viewport, with no serious or critical
// violation allowed, and each is used with the keyboard alone: Tab to a
// control, type, Enter or Space.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueEmail, PASSWORD, psql } from '../integration/helpers.mjs';
import { openBrowser, Visitor, signUp, confirm, logIn, accessible } from './browser.mjs';

const TEST = { timeout: 180000 };

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { if (browser) await browser.close(); });

// tabTo presses Tab from the top until the control with this id has focus.
async function tabTo(v, id) {
  const order = await v.tabOrder((el) => el.id === id || el.text === id);
  assert.ok(order[order.length - 1].visible, `${id} is visible when focused`);
}

// keyboardSubmit presses a key and waits for the page it leads to.
async function press(v, key) {
  const loaded = v.page.waitForEvent('load');
  await v.page.keyboard.press(key);
  await loaded;
  return v.lastDocument.status;
}

test('your devices, profile, re-authentication, email and deletion pages: accessible and usable with the keyboard alone', TEST, async () => {
  const email = uniqueEmail('e2e-self');
  const v = await Visitor.open(browser, 'selfservice');
  const other = await Visitor.open(browser, 'selfservice-other-device');
  try {
    assert.equal(await signUp(v, { email, name: 'Kay Board', password: PASSWORD }), 200);
    assert.equal(await confirm(v, email), 200);
    assert.equal(await logIn(v, email, PASSWORD), 200);
    assert.equal(await logIn(other, email, PASSWORD, { remember: true }), 200);
    const page = v.page;

    // The account page links to the new pages.
    await v.goto('/account');
    for (const name of ['Edit your profile', 'Change your email', 'Your devices', 'Delete your account'])
      assert.ok(await page.getByRole('link', { name }).isVisible(), `the account page links to "${name}"`);

    // Your devices: this one marked, the other listed; signed out by keyboard.
    await v.goto('/account/sessions');
    await v.check('your devices');
    await accessible(v, '/account/sessions');
    assert.equal(await page.getByText('This device', { exact: true }).count(), 1);
    assert.equal(await page.locator('li.gh-card').count(), 2);
    await tabTo(v, 'Sign out all other devices');
    assert.equal(await press(v, 'Enter'), 200);
    await v.check('other devices signed out');
    assert.deepEqual(await v.flashes(), ['Every other device has been signed out.']);
    assert.equal(await page.locator('li.gh-card').count(), 1);
    await other.goto('/account');
    assert.equal(new URL(other.page.url()).pathname, '/login', 'the other device is signed out');

    // Your profile, by keyboard.
    await v.goto('/account/profile');
    await v.check('your profile');
    await accessible(v, '/account/profile');
    await tabTo(v, 'f-department');
    await page.keyboard.type('Research');
    assert.equal(await press(v, 'Enter'), 200);
    assert.equal(v.path, '/account');
    await v.check('profile updated');
    assert.deepEqual(await v.flashes(), ['Your profile has been updated.']);
    assert.ok(await page.getByText('Research', { exact: true }).isVisible());

    // The email page asks for the password first once the sign-in is more
    // than five minutes old (made so here), and comes back.
    psql(`UPDATE gatehouse.sessions SET created_at = now() - interval '6 minutes',
    idle_expires_at = idle_expires_at - interval '1 second' WHERE email = '${email}'`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await v.goto('/account/email');
    assert.equal(v.path, '/account/reauth?return=/account/email');
    await v.check('re-authentication');
    await accessible(v, '/account/reauth');
    await tabTo(v, 'f-password');
    await page.keyboard.type('Wrong-Passw0rd!');
    assert.equal(await press(v, 'Enter'), 401);
    await v.check('re-authentication refused', { status: 401 });
    assert.match(await v.fieldError('Password'), /not the right password/);
    await tabTo(v, 'f-password');
    await page.keyboard.type(PASSWORD);
    assert.equal(await press(v, 'Enter'), 200);
    assert.equal(v.path, '/account/email');
    await v.check('your email');
    await accessible(v, '/account/email');
    await tabTo(v, 'f-email');
    // The browser checks the address's shape itself; the server refuses
    // the one the account already has.
    await page.keyboard.type(email);
    assert.equal(await press(v, 'Enter'), 400);
    await v.check('email refused', { status: 400 });
    assert.equal(await v.fieldError('New email address'), 'That is already your email address.');
    await accessible(v, '/account/email with an error');

    // Delete my account, by keyboard: the email typed, the password, Enter.
    await v.goto('/account/delete');
    await v.check('delete your account');
    await accessible(v, '/account/delete');
    await tabTo(v, 'f-confirm_email');
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Show password',
      'the password\'s show/hide button comes next');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement.innerText.trim());
    assert.equal(focused, 'Delete my account', 'Tab reaches the button next');
    assert.equal(await press(v, 'Enter'), 200);
    assert.equal(v.path, '/');
    await v.check('account deleted');
    assert.deepEqual(await v.flashes(), ['Your account has been deleted. You can sign up again at any time.']);
  } finally {
    await v.close();
    await other.close();
  }
});
