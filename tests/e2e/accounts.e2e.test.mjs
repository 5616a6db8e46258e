// The account flows in a real browser (headless Chromium): a person signs
// up, reads the emailed code, confirms, logs in, changes the password, logs
// out and back in, by typing into labelled fields and clicking buttons.
// Every page reached is checked for console errors and CSP violations, for
// its styling, and kept as a screenshot under tests/artifacts/e2e/.
// The protocol-level details (cookie flags, status codes, CSRF) are the
// integration tests' (tests/integration/accounts.test.mjs); these check what
// a person sees and can do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueEmail, PASSWORD, cognitoLocal, stackInfo } from '../integration/helpers.mjs';
import { openBrowser, Visitor, SITE, signUp, confirm, logIn, logOut } from './browser.mjs';

const NEW_PASSWORD = 'Another-Passw0rd?';
const REMEMBER_DAYS = 30;
const DAY_S = 24 * 3600;
// A stuck browser fails its test instead of hanging `make test`.
const TEST = { timeout: 120000 };

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { if (browser) await browser.close(); });

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('a person signs up, confirms, logs in, changes the password, logs out and back in', TEST, async () => {
  const v = await Visitor.open(browser, 'accounts-flow');
  const page = v.page;
  const email = uniqueEmail('e2e');
  try {
    await v.goto('/signup');
    await v.check('sign-up form');
    assert.ok(await page.getByRole('heading', { name: 'Create your account' }).isVisible());

    assert.equal(await signUp(v, { email, name: 'Ada Browser', password: PASSWORD, tier: 'Premium' }), 200);
    assert.equal(v.path, `/confirm?email=${encodeURIComponent(email)}`);
    await v.check('confirm form');
    assert.deepEqual(await v.flashes(),
      ['We emailed a 6-digit confirmation code to this address: enter it below to activate your account. If you already have an account, log in or reset your password instead.']);
    assert.match(await page.locator('.gh-auth-lead').innerText(), new RegExp(escape(email)), 'the page names the address');
    assert.equal(await page.locator('input[name=email]').inputValue(), email, 'the email is sent along');
    assert.equal(await page.getByLabel('Email address').count(), 0, 'and not asked again');

    assert.equal(await confirm(v, email), 200);
    assert.equal(new URL(page.url()).pathname, '/login');
    await v.check('login after confirming');
    assert.deepEqual(await v.flashes(), ['Your email is confirmed. You can log in now.']);

    assert.equal(await logIn(v, email, PASSWORD, { remember: true }), 200);
    assert.equal(v.path, '/account');
    await v.check('account page');
    assert.deepEqual(await v.flashes(), ['Welcome back.']);
    assert.ok(await page.getByRole('heading', { name: 'Your account', level: 1 }).isVisible());
    const profile = page.getByRole('region', { name: 'Profile' });
    const tier = profile.locator('dt:has-text("Tier") + dd');
    assert.equal((await tier.innerText()).trim().toLowerCase(), 'premium', 'the tier chosen at sign-up');
    assert.ok(await profile.getByText(email, { exact: true }).isVisible(), 'the profile shows the email');
    // The profile's Name comes from the id token's `name` claim, which
    // cognito-local leaves out of its tokens (real Cognito includes it), so
    // locally it reads "Not set" and is not asserted here.
    assert.ok(await page.getByRole('navigation', { name: 'Main' }).getByText(email).isVisible(),
      'the navbar says who is signed in');
    const session = (await v.context.cookies(SITE)).find((c) => c.name === '__Host-gh_session');
    assert.ok(session, 'a session cookie is kept');
    const daysLeft = (session.expires - Date.now() / 1000) / DAY_S;
    assert.ok(daysLeft > REMEMBER_DAYS - 1 && daysLeft <= REMEMBER_DAYS,
      `remember me keeps the cookie for ${REMEMBER_DAYS} days (${daysLeft.toFixed(2)})`);

    const form = page.getByRole('region', { name: 'Change password' });
    const order = await v.tabOrder((el) => el.tag === 'button' && el.text === 'Update password');
    const at = (id) => order.findIndex((el) => el.id === id);
    assert.ok(at('f-current_password') >= 0 && at('f-current_password') < at('f-password') &&
      at('f-password') < at('f-confirm_password') && at('f-confirm_password') < order.length - 1,
      `Tab goes through the password form in order: ${order.map((e) => e.id || e.text).join(', ')}`);
    await form.getByLabel('Current password').fill(PASSWORD);
    await form.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await form.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    assert.equal(await v.submitWith('Update password', form), 200);
    assert.equal(v.path, '/account');
    await v.check('password changed');
    assert.deepEqual(await v.flashes(), ['Your password has been changed. Other sessions have been signed out.']);

    assert.equal(await logOut(v), 200);
    assert.equal(v.path, '/');
    await v.check('logged out');
    assert.deepEqual(await v.flashes(), ['You have been logged out.']);
    assert.ok(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Log in' }).isVisible());
    assert.equal((await v.context.cookies(SITE)).find((c) => c.name === '__Host-gh_session'), undefined,
      'the session cookie is gone');

    assert.equal(await logIn(v, email, PASSWORD), 401, 'the old password no longer works');
    await v.check('old password refused', { status: 401 });
    assert.equal((await page.locator('.gh-form-error').innerText()).trim(), 'Incorrect email or password.');
    assert.equal(await page.getByLabel('Email address').inputValue(), email, 'the email is kept');
    assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is not');

    assert.equal(await logIn(v, email, NEW_PASSWORD), 200);
    assert.equal(v.path, '/account');
    await v.check('account with the new password');
    assert.deepEqual(await v.flashes(), ['Welcome back.']);
    const plain = (await v.context.cookies(SITE)).find((c) => c.name === '__Host-gh_session');
    assert.equal(plain?.expires, -1, 'without remember me the cookie lasts the browser session');
  } finally {
    await v.close();
  }
});

test('a bad sign-up shows what is wrong beside each field and keeps what was typed', TEST, async () => {
  const v = await Visitor.open(browser, 'accounts-bad-signup');
  const page = v.page;
  const email = uniqueEmail('e2e-bad');
  try {
    await v.goto('/signup');
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Full name').fill('Weak Password');
    await page.getByLabel('Password', { exact: true }).fill('weakpassword');
    await page.getByLabel('Confirm password').fill('weakpassword2');
    await page.getByRole('radio', { name: /^Premium/ }).check();
    await page.getByRole('checkbox', { name: /accept the terms/ }).check();
    assert.equal(await v.submitWith('Create account'), 400);
    assert.equal(v.path, '/signup');
    await v.check('weak and mismatched password', { status: 400 });

    assert.match(await v.fieldError('Password'), /^Your password needs an uppercase letter/);
    assert.equal(await v.fieldError('Confirm password'), 'The two passwords do not match.');
    assert.equal(await page.getByLabel('Email address').getAttribute('aria-invalid'), null, 'the email was fine');
    assert.equal(await page.getByLabel('Email address').inputValue(), email, 'what was typed is kept');
    assert.equal(await page.getByLabel('Full name').inputValue(), 'Weak Password');
    assert.ok(await page.getByRole('radio', { name: /^Premium/ }).isChecked(), 'the tier picked is kept');
    assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'passwords are never sent back');
    assert.equal(await page.getByLabel('Confirm password').inputValue(), '');

    // Fixing the password alone leaves only the confirmation wrong.
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill(`${PASSWORD}x`);
    assert.equal(await v.submitWith('Create account'), 400);
    await v.check('mismatched confirmation', { status: 400 });
    assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid'), null);
    assert.equal(await v.fieldError('Confirm password'), 'The two passwords do not match.');

    await assert.rejects(cognitoLocal('AdminGetUser', { UserPoolId: stackInfo().COGNITO_USER_POOL_ID, Username: email }),
      /UserNotFound/, 'no account was made');
  } finally {
    await v.close();
  }
});

// focusOrder walks the page with Tab up to its submit button and checks the
// fields come in reading order before it, all visible when focused.
async function focusOrder(v, ids, submit) {
  const order = await v.tabOrder((el) => el.tag === 'button' && el.text === submit);
  const names = order.map((e) => e.id || e.text || e.tag).join(', ');
  const at = ids.map((id) => order.findIndex((el) => el.id === id));
  assert.ok(at.every((i) => i >= 0), `every field gets focus (${names})`);
  assert.deepEqual([...at].sort((a, b) => a - b), at, `fields in reading order (${names})`);
  assert.ok(at[at.length - 1] < order.length - 1, `the submit button comes after the fields (${names})`);
  assert.deepEqual(order.filter((e) => !e.visible), [], 'nothing invisible takes focus');
  assert.equal(order[0].text, 'Skip to main content', 'the skip link comes first');
}

test('the keyboard reaches every field and then the submit button', TEST, async () => {
  const v = await Visitor.open(browser, 'accounts-keyboard');
  try {
    await v.goto('/signup');
    await v.check('sign-up form');
    await focusOrder(v, ['f-email', 'f-name', 'f-password', 'f-confirm_password', 'f-tier-standard', 'f-terms'],
      'Create account');

    await v.goto('/login');
    await v.check('login form');
    await focusOrder(v, ['f-email', 'f-password', 'f-remember'], 'Log in');

    await v.goto(`/confirm?email=${encodeURIComponent(uniqueEmail('e2e-keys'))}`);
    await v.check('confirm form');
    await focusOrder(v, ['f-code'], 'Confirm account');
    await v.goto('/confirm');
    await focusOrder(v, ['f-email', 'f-code'], 'Confirm account');
  } finally {
    await v.close();
  }
});

// The per-page checks above are only worth something if they can fail: the
// site's CSP must stop inline code in a real browser, and the checks must
// notice that, and a stylesheet that did not load.
test('the CSP blocks inline code, and the page checks notice it and a missing stylesheet', TEST, async () => {
  const v = await Visitor.open(browser, 'accounts-checks');
  try {
    await v.goto('/login');
    await v.check('login form');
    const ran = await v.page.evaluate(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
      const styled = document.createElement('div');
      styled.setAttribute('style', 'display: none');
      document.body.append(styled);
      await new Promise((r) => setTimeout(r, 100));
      return { script: window.inlineRan === true, style: getComputedStyle(styled).display === 'none' };
    });
    assert.deepEqual(ran, { script: false, style: false }, 'inline script and style are blocked');
    await assert.rejects(v.check('inline code'), /CSP violations/);

    await v.page.route('**/bootstrap.min.css', (route) =>
      route.fulfill({ status: 200, contentType: 'text/css', body: '' }));
    await v.goto('/login');
    await assert.rejects(v.check('no bootstrap'), /Bootstrap's CSS is loaded/);
  } finally {
    await v.close();
  }
});
