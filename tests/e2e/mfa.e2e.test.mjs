// TOTP two-step verification in a real browser (issue 14, acceptance 1 and
// 3): a person enrols from /account/security by reading the key off the
// page (codes computed here with RFC 6238), logs out, logs in through the
// code page, is refused a wrong code, then turns it off after entering the
// password again. Each new page passes axe-core with no serious or critical
// violation at 1280×800 and 390×844, and the steps are done with the
// keyboard alone where a person would type.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueEmail, PASSWORD, gatehouseCli, psql, sleep } from '../integration/helpers.mjs';
import { totp, wrongCode } from '../integration/totp.mjs';
import { confirmedUser } from '../integration/admin-helpers.mjs';
import { openBrowser, Visitor, logIn, logOut, accessible } from './browser.mjs';

const TEST = { timeout: 180000 };

let browser;
before(async () => {
  const r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--mfa', 'optional']);
  assert.equal(r.status, 0, r.stderr);
  browser = await openBrowser();
});
after(async () => { if (browser) await browser.close(); });

// typeAndEnter Tabs from the top of the page to the control whose
// description satisfies `to` (unless the page focused it already, as the
// code page does), types text and presses Enter: keyboard only.
async function typeAndEnter(v, to, text) {
  const focused = await v.page.evaluate(() => {
    const e = document.activeElement;
    return e && e !== document.body ? { tag: e.tagName.toLowerCase(), id: e.id, text: (e.innerText || '').trim() } : null;
  });
  if (!focused || !to(focused)) {
    const order = await v.tabOrder(to);
    assert.ok(order.every((e) => e.visible), `every stop is visible: ${JSON.stringify(order)}`);
  }
  if (text !== undefined) await v.page.keyboard.type(text);
  const loaded = v.page.waitForEvent('load');
  await v.page.keyboard.press('Enter');
  await loaded;
  return v.lastDocument.status;
}

test('a person turns TOTP on from the security page, logs in with a code, and turns it off with the password', TEST, async () => {
  const email = uniqueEmail('mfae2e');
  await confirmedUser(email);
  const v = await Visitor.open(browser, 'mfa-flow');
  const page = v.page;
  try {
    assert.equal(await logIn(v, email, PASSWORD), 200);
    await page.getByRole('link', { name: 'Security and two-step verification' }).click();
    await page.waitForLoadState('load');
    assert.equal(v.path, '/account/security');
    await v.check('security page, off');
    await accessible(v, 'security page');

    // Keyboard only: Tab to the set-up button and press Enter.
    assert.equal(await typeAndEnter(v, (e) => e.tag === 'button' && /Set up two-step/.test(e.text)), 200);
    await v.check('enrolment with QR code');
    await accessible(v, 'enrolment');
    assert.ok(await page.getByRole('img', { name: /QR code/ }).isVisible(), 'the QR code is shown');
    const secret = (await page.locator('#gh-mfa-secret').innerText()).trim();
    assert.match(secret, /^[A-Z2-7]{16,}$/);

    // A wrong first code is refused with a message under the field.
    assert.equal(await typeAndEnter(v, (e) => e.id === 'f-code', wrongCode(secret)), 400);
    await v.check('enrolment, wrong code', { status: 400 });
    await accessible(v, 'enrolment, wrong code');
    assert.equal(await typeAndEnter(v, (e) => e.id === 'f-code', totp(secret)), 200);
    assert.equal(v.path, '/account/security');
    await v.check('security page, on');
    assert.match(await page.locator('#gh-mfa-state').innerText(), /^On\./);

    // Log out, log in: the code page.
    assert.equal(await logOut(v), 200);
    await v.check('logged out');
    assert.equal(await logIn(v, email, PASSWORD, { remember: true }), 200);
    assert.equal(v.path, '/login/mfa');
    await v.check('code page');
    await accessible(v, 'code page');
    const field = page.getByLabel('6-digit code');
    assert.equal(await field.getAttribute('autocomplete'), 'one-time-code');
    assert.equal(await field.getAttribute('inputmode'), 'numeric');
    // Refused with a wrong code: still on the code page, told why.
    assert.equal(await typeAndEnter(v, (e) => e.id === 'f-code', wrongCode(secret)), 400);
    assert.equal(v.path, '/login/mfa');
    await v.check('code page, wrong code', { status: 400 });
    assert.match(await v.fieldError('6-digit code'), /That code is not right/);
    await accessible(v, 'code page, wrong code');
    assert.equal(await typeAndEnter(v, (e) => e.id === 'f-code', totp(secret)), 200);
    assert.equal(v.path, '/account');
    await v.check('signed in through the code page');
    const cookies = await v.context.cookies();
    const session = cookies.find((c) => c.name === '__Host-gh_session');
    assert.ok(session && session.expires > Date.now() / 1000 + 3600, 'remember-me survived the code step');
    assert.ok(!cookies.some((c) => c.name.endsWith('_mfa')), 'the challenge cookie is gone');

    // Turning it off asks for the password when the sign-in is not recent.
    psql(`UPDATE gatehouse.sessions SET created_at = now() - interval '10 minutes',
          idle_expires_at = idle_expires_at - interval '1 second' WHERE email = '${email}'`);
    await sleep(300);
    await v.goto('/account/security');
    assert.equal(await typeAndEnter(v, (e) => e.tag === 'button' && /Turn off/.test(e.text)), 200);
    assert.equal(v.path, '/account/reauth?return=/account/security');
    await v.check('re-authentication');
    await accessible(v, 're-authentication');
    assert.equal(await typeAndEnter(v, (e) => e.id === 'f-password', 'Not-my-Passw0rd!'), 401);
    await v.check('re-authentication, wrong password', { status: 401 });
    assert.equal(await typeAndEnter(v, (e) => e.id === 'f-password', PASSWORD), 200);
    assert.equal(v.path, '/account/security');
    assert.equal(await typeAndEnter(v, (e) => e.tag === 'button' && /Turn off/.test(e.text)), 200);
    await v.check('security page, off again');
    assert.match(await page.locator('#gh-mfa-state').innerText(), /^Off\./);
  } finally {
    await v.close();
  }
});
