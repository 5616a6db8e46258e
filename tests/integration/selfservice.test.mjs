// Account self-service (issue 14): "Your devices", the profile, the email,
// deleting the account, and re-authentication, against the real stack
// (nginx, the pool, PostgreSQL, cognito-local behind the Cognito double).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  Browser, request, emailedCode, uniqueEmail, PASSWORD, psql, cognitoLocal, stackInfo, waitFor, HTTPS_PORT,
} from './helpers.mjs';

const HOST = `localhost:${HTTPS_PORT}`;
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';

// A browser that always sends one User-Agent.
class Device extends Browser {
  constructor(ua) { super(); this.ua = ua; }
  send(method, p, opts = {}) {
    return super.send(method, p, { ...opts, headers: { 'user-agent': this.ua, ...(opts.headers || {}) } });
  }
}

async function confirmedUser(tag) {
  const email = uniqueEmail(tag);
  const b = new Browser();
  await b.get('/signup');
  const r = await b.post('/signup', {
    email, name: 'Self Service', password: PASSWORD, confirm_password: PASSWORD, terms: '1', company: 'Acme',
  });
  assert.equal(r.status, 303, r.body.slice(0, 300));
  await b.follow(r);
  assert.equal((await b.post('/confirm', { email, code: await emailedCode(email) })).status, 303);
  return email;
}

async function logIn(email, { ua = FIREFOX, remember = false, password = PASSWORD } = {}) {
  const b = new Device(ua);
  await b.get('/login');
  const r = await b.post('/login', { email, password, ...(remember ? { remember: 'on' } : {}) });
  return { b, status: r.status };
}

async function signedIn(email, opts) {
  const { b, status } = await logIn(email, opts);
  assert.equal(status, 303, `login of ${email}`);
  return b;
}

async function api(method, p, { json, token, ua } = {}) {
  const headers = { host: HOST, accept: 'application/json' };
  if (json !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  if (ua) headers['user-agent'] = ua;
  const r = await request(method, p, { headers, body: json === undefined ? undefined : JSON.stringify(json) });
  let body = null;
  try { body = JSON.parse(r.body); } catch { /* not JSON */ }
  return { status: r.status, json: body, body: r.body };
}

async function apiLogin(email, password = PASSWORD) {
  const r = await api('POST', '/api/v1/auth/login', { json: { email, password }, ua: 'curl/8.5.0' });
  assert.equal(r.status, 200, r.body);
  return r.json;
}

// refreshAtCognito trades a refresh token at the local Cognito itself.
async function refreshAtCognito(refreshToken) {
  const info = stackInfo();
  const res = await fetch(info.COGNITO_LOCAL, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth' },
    body: JSON.stringify({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: info.COGNITO_CLIENT_ID,
      AuthParameters: { REFRESH_TOKEN: refreshToken } }),
  });
  return res.status;
}

// The devices listed on the page, as {handle, kind, text}.
function devicesOn(body) {
  const out = [];
  const re = /<li class="card gh-card mb-3">([\s\S]*?)<\/li>/g;
  let m;
  while ((m = re.exec(body))) {
    const handle = (m[1].match(/name="handle" value="([0-9a-f]+)"/) || [])[1] || null;
    const kind = (m[1].match(/name="kind" value="(\w+)"/) || [])[1] || null;
    out.push({ handle, kind, text: m[1].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim() });
  }
  return out;
}

const sessionRows = (email) => Number(psql(`SELECT count(*) FROM gatehouse.sessions WHERE email = '${email}'`)[0][0]);

test('your devices: sessions and API sign-ins are listed in plain words, and one is signed out everywhere', async () => {
  const email = await confirmedUser('devices');
  const a = await signedIn(email, { ua: FIREFOX });
  const phone = await signedIn(email, { ua: ANDROID, remember: true });
  const tokens = await apiLogin(email);
  const r = await a.get('/account/sessions');
  assert.equal(r.status, 200);
  const list = devicesOn(r.body);
  assert.equal(list.length, 3, JSON.stringify(list));
  assert.match(list[0].text, /Firefox on Linux.*This device/);
  assert.equal(list[0].handle, null, 'this device has no Sign out button: it logs out');
  const android = list.find((d) => /Chrome on Android/.test(d.text));
  assert.ok(android, 'the phone, in plain words');
  assert.match(android.text, /Address: 127\.0\.0\.1/);
  assert.match(android.text, /Stays signed in: yes \(remember me\)/);
  assert.match(list[0].text, /Stays signed in: no/);
  const app = list.find((d) => d.kind === 'api');
  assert.ok(app && /curl/.test(app.text) && /App \(API\)/.test(app.text), JSON.stringify(list));

  // Another person cannot end this person's phone with its handle.
  const other = await signedIn(await confirmedUser('devices-other'));
  await other.get('/account/sessions');
  let s = await other.post('/account/sessions/end', { kind: 'browser', handle: android.handle });
  assert.equal(s.status, 303);
  assert.equal((await phone.get('/account')).status, 200, 'the phone lives on');
  // Nor may the handle be made up or malformed.
  s = await a.post('/account/sessions/end', { kind: 'browser', handle: '../../x' });
  assert.equal(s.status, 303);
  s = await a.post('/account/sessions/end', { kind: 'nonsense', handle: android.handle });
  assert.equal(s.status, 400);

  await a.get('/account/sessions');
  s = await a.post('/account/sessions/end', { kind: 'browser', handle: android.handle });
  assert.equal(s.status, 303);
  const shown = await a.follow(s);
  assert.match(shown.body, /That device has been signed out/);
  const gone = await phone.get('/account');
  assert.equal(gone.status, 303, 'the phone\'s cookie no longer opens the account');
  assert.equal(devicesOn(shown.body).length, 2);
  assert.equal((await a.get('/account')).status, 200, 'this device is still signed in');
  assert.equal((await api('GET', '/api/v1/me', { token: tokens.access_token })).status, 200, 'the app too');

  // The API sign-in, by its own handle: access and refresh tokens stop.
  await a.get('/account/sessions');
  s = await a.post('/account/sessions/end', { kind: 'api', handle: app.handle });
  assert.equal(s.status, 303);
  assert.equal((await api('GET', '/api/v1/me', { token: tokens.access_token })).status, 401);
  assert.equal((await api('POST', '/api/v1/auth/refresh', { json: { refresh_token: tokens.refresh_token } })).status, 401);
  assert.notEqual(await refreshAtCognito(tokens.refresh_token), 200, 'revoked at Cognito');
});

test('your devices: "sign out all other devices" ends every other cookie and every API token, not this one', async () => {
  const email = await confirmedUser('others');
  const a = await signedIn(email);
  const b2 = await signedIn(email, { ua: ANDROID, remember: true });
  const b3 = await signedIn(email, { ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15' });
  const t1 = await apiLogin(email);
  const t2 = await apiLogin(email);
  const page = await a.get('/account/sessions');
  assert.match(page.body, /Safari on macOS/);
  const r = await a.post('/account/sessions/end-others', {});
  assert.equal(r.status, 303);
  assert.match((await a.follow(r)).body, /Every other device has been signed out/);
  for (const b of [b2, b3]) assert.equal((await b.get('/account')).status, 303, 'another browser is out');
  for (const t of [t1, t2]) {
    assert.equal((await api('GET', '/api/v1/me', { token: t.access_token })).status, 401, 'its access token is refused');
    assert.equal((await api('POST', '/api/v1/auth/refresh', { json: { refresh_token: t.refresh_token } })).status, 401);
    assert.notEqual(await refreshAtCognito(t.refresh_token), 200, 'its refresh token is revoked at Cognito');
  }
  assert.equal((await a.get('/account')).status, 200, 'this device stays signed in');
  assert.match((await a.get('/account/security')).body, /data-kind="sessions_ended"/, 'the account activity shows it');
  assert.equal(sessionRows(email), 1);
  assert.equal(psql(`SELECT count(*) FROM gatehouse.api_signins s JOIN t_default.users u ON u.sub = s.user_sub WHERE u.email = '${email}'`)[0][0], '0');
  // A new API login after it works.
  await new Promise((res) => setTimeout(res, 1100));
  const t3 = await apiLogin(email);
  assert.equal((await api('GET', '/api/v1/me', { token: t3.access_token })).status, 200);
});

// attributeCode reads the code cognito-local keeps for an attribute change
// of the user with this (current) email, as a person would read the email.
async function attributeCode(email) {
  const info = stackInfo();
  const file = path.join(info.COGNITO_DB_DIR, `${info.COGNITO_USER_POOL_ID}.json`);
  let code;
  await waitFor(() => {
    let db;
    try { db = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { return false; }
    for (const u of Object.values(db.Users || {})) {
      const mail = (u.Attributes || []).find((a) => a.Name === 'email');
      if (mail && mail.Value === email && u.AttributeVerificationCode) { code = u.AttributeVerificationCode; return true; }
    }
    return false;
  }, 5000, `an attribute code for ${email}`);
  return code;
}

async function cognitoUser(email) {
  const info = stackInfo();
  const u = await cognitoLocal('AdminGetUser', { UserPoolId: info.COGNITO_USER_POOL_ID, Username: email });
  return Object.fromEntries(u.UserAttributes.map((x) => [x.Name, x.Value]));
}

// aged makes email's sessions' sign-ins six minutes old, and gives the pool
// a moment to hear of it (a change behind its back reaches its cache through
// PostgreSQL's notification).
async function aged(email) {
  psql(`UPDATE gatehouse.sessions SET created_at = now() - interval '6 minutes',
    idle_expires_at = idle_expires_at - interval '1 second' WHERE email = '${email}'`);
  await new Promise((resolve) => setTimeout(resolve, 300));
}

async function reauthenticate(b, back = '/account/email') {
  await b.get(`/account/reauth?return=${back}`);
  const r = await b.post('/account/reauth', { password: PASSWORD, return: back });
  assert.equal(r.status, 303, r.body.slice(0, 300));
  return r;
}

test('re-authentication: the email page needs the password entered on this session in the last 5 minutes', async () => {
  const email = await confirmedUser('reauth');
  const a = await signedIn(email);
  // The sign-in itself was a password entered: minutes later it no longer counts.
  assert.equal((await a.get('/account/email')).status, 200, 'a fresh sign-in counts');
  await aged(email);
  let r = await a.get('/account/email');
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/account/reauth?return=/account/email');
  r = await a.get('/account/reauth?return=/account/email');
  assert.equal(r.status, 200);
  assert.match(r.body, /Confirm it is you/);
  assert.match(r.body, /autocomplete="current-password"/);
  r = await a.post('/account/reauth', { password: 'Wrong-Passw0rd!', return: '/account/email' });
  assert.equal(r.status, 401);
  assert.match(r.body, /not the right password/);
  assert.equal((await a.get('/account/email')).status, 303, 'still not proven');
  r = await a.post('/account/reauth', { password: PASSWORD, return: '/account/email' });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/account/email');
  assert.equal((await a.get('/account/email')).status, 200);
  // The proof is this session's: another session of the same person has none.
  const b = await signedIn(email, { ua: ANDROID });
  await aged(email);
  assert.equal((await b.get('/account/email')).status, 303);
  // Five minutes later it has lapsed.
  psql(`UPDATE gatehouse.sessions SET reauth_at = now() - interval '301 seconds' WHERE email = '${email}' AND reauth_at IS NOT NULL`);
  assert.equal((await a.get('/account/email')).status, 303, 'an old proof is not enough');
  // The way back is only ever a local account page.
  for (const evil of ['//evil.example/x', 'https://evil.example/', '/account/../admin', '/\\evil.example', '/account//evil.example', '/accounts-not-ours']) {
    await a.get('/account/reauth');
    r = await a.post('/account/reauth', { password: PASSWORD, return: evil });
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/account', `return=${evil}`);
  }
  // A form without its CSRF token is refused.
  r = await a.post('/account/reauth', { password: PASSWORD, csrf: null });
  assert.equal(r.status, 403);
});

test('your profile: name and work details change at Cognito, in the mirror and on the page; the tier and tenant cannot be written', async () => {
  const email = await confirmedUser('profile');
  const a = await signedIn(email);
  const other = await signedIn(email, { ua: ANDROID });
  const before = await cognitoUser(email);
  let r = await a.get('/account/profile');
  assert.equal(r.status, 200);
  assert.match(r.body, /id="f-company"[^>]*value="Acme"/);
  r = await a.post('/account/profile', {
    name: 'Renamed Person', company: 'Globex', department: 'Research', role: 'Lead',
    tier: 'premium', 'custom:user_tier': 'premium', user_tier: 'premium',
    tenant: 'other', 'custom:tenant_id': '999', tenant_id: '999',
  });
  assert.equal(r.status, 303, r.body.slice(0, 400));
  const page = await a.follow(r);
  assert.match(page.body, /Your profile has been updated/);
  assert.match(page.body, /Renamed Person/);
  assert.match(page.body, /Globex/);
  assert.match(page.body, /Research/);
  assert.match(page.body, /gh-tier-standard/);
  const after = await cognitoUser(email);
  assert.equal(after.name, 'Renamed Person');
  assert.equal(after['custom:company'], 'Globex');
  assert.equal(after['custom:role'], 'Lead');
  assert.equal(after['custom:user_tier'], before['custom:user_tier'], 'the tier is untouched');
  assert.equal(after['custom:tenant_id'], before['custom:tenant_id'], 'the tenant is untouched');
  assert.deepEqual(psql(`SELECT name, tier FROM t_default.users WHERE email = '${email}'`), [['Renamed Person', 'standard']]);
  assert.match((await other.get('/account')).body, /Renamed Person/, 'the other session shows the new name');
  // A work detail emptied on the form is removed; an emptied name stays.
  await a.get('/account/profile');
  r = await a.post('/account/profile', { name: '', company: 'Globex', department: '', role: 'Lead' });
  assert.equal(r.status, 303, r.body.slice(0, 300));
  const cleared = await cognitoUser(email);
  assert.equal(cleared['custom:department'], undefined, 'the department is gone');
  assert.equal(cleared['custom:company'], 'Globex');
  assert.equal(cleared.name, 'Renamed Person');
  assert.doesNotMatch((await a.get('/account')).body, /Research/);
  // Bad input is a clear 400, never a 500.
  r = await a.post('/account/profile', { name: 'x'.repeat(500) });
  assert.equal(r.status, 400);
  assert.match(r.body, /id="f-name-error"/);
  r = await a.post('/account/profile', { company: 'bad\u0007bell' });
  assert.equal(r.status, 400);
});

test('your email: a code goes to the new address; the old email signs in until it is entered, then only the new one', async () => {
  const email = await confirmedUser('oldmail');
  const newEmail = uniqueEmail('newmail');
  const a = await signedIn(email);
  await reauthenticate(a);
  let r = await a.get('/account/email');
  assert.match(r.body, /Until then, keep signing in with/);
  r = await a.post('/account/email', { email: 'not an email' });
  assert.equal(r.status, 400);
  r = await a.post('/account/email', { email: newEmail });
  assert.equal(r.status, 200, r.body.slice(0, 300));
  assert.match(r.body, new RegExp(`We sent a 6-digit code to <strong>${newEmail}</strong>`));
  // Not yet verified: the old email still signs in, the new one does not.
  assert.equal((await logIn(email)).status, 303, 'the old email works until the code is entered');
  assert.notEqual((await logIn(newEmail)).status, 303, 'the new one does not yet');
  assert.equal((await cognitoUser(email)).email, email);
  r = await a.post('/account/email/verify', { code: '000000' });
  assert.equal(r.status, 400, 'a wrong code is refused on the form');
  const code = await attributeCode(email);
  r = await a.post('/account/email/verify', { code });
  assert.equal(r.status, 303, r.body.slice(0, 300));
  assert.match((await a.follow(r)).body, /Your email address has been changed/);
  assert.notEqual((await logIn(email)).status, 303, 'the old email no longer signs in');
  assert.equal((await logIn(newEmail)).status, 303, 'the new one does');
  assert.equal(psql(`SELECT count(*) FROM t_default.users WHERE email = '${newEmail}'`)[0][0], '1', 'the mirror follows');
  assert.match((await a.get('/account')).body, new RegExp(newEmail), 'the session shows the new address');
  const events = psql(`SELECT kind, user_email, detail FROM t_default.account_events WHERE user_email = '${email}' ORDER BY id`);
  assert.deepEqual(events, [['email_change_requested', email, newEmail], ['email_changed', email, newEmail]]);
  assert.match((await a.get('/account/security')).body, /data-kind="email_changed"/, 'the account activity shows it');
});

test('delete my account: the password and the email typed again; every sign-in ends; the email can sign up again', async () => {
  const email = await confirmedUser('delete');
  const a = await signedIn(email);
  const other = await signedIn(email, { ua: ANDROID, remember: true });
  const tokens = await apiLogin(email);
  const sub = psql(`SELECT sub FROM t_default.users WHERE email = '${email}'`)[0][0];
  let r = await a.get('/account/delete');
  assert.equal(r.status, 200);
  r = await a.post('/account/delete', { confirm_email: 'someone@example.com', password: PASSWORD });
  assert.equal(r.status, 400);
  assert.match(r.body, /Type the email address of this account/);
  r = await a.post('/account/delete', { confirm_email: email, password: 'Wrong-Passw0rd!' });
  assert.equal(r.status, 401);
  assert.match(r.body, /not the right password/);
  assert.equal((await a.get('/account')).status, 200, 'nothing happened yet');
  r = await a.post('/account/delete', { confirm_email: email.toUpperCase(), password: PASSWORD });
  assert.equal(r.status, 303, r.body.slice(0, 300));
  assert.equal(r.headers.location, '/');
  for (const b of [a, other]) assert.equal((await b.get('/account')).status, 303, 'every cookie is out');
  assert.equal((await api('GET', '/api/v1/me', { token: tokens.access_token })).status, 401);
  assert.equal((await api('POST', '/api/v1/auth/refresh', { json: { refresh_token: tokens.refresh_token } })).status, 401);
  assert.equal(sessionRows(email), 0);
  await assert.rejects(cognitoUser(email), /UserNotFound/);
  assert.deepEqual(psql(`SELECT deleted_at IS NOT NULL, enabled FROM t_default.users WHERE sub = '${sub}'`), [['t', 'f']]);
  assert.deepEqual(psql(`SELECT user_sub, user_email FROM t_default.account_events WHERE kind = 'account_deleted' AND user_sub = '${sub}'`), [[sub, email]]);
  // The same email signs up again, as a new user.
  const b = new Browser();
  await b.get('/signup');
  r = await b.post('/signup', { email, name: 'Back Again', password: PASSWORD, confirm_password: PASSWORD, terms: '1' });
  assert.equal(r.status, 303, r.body.slice(0, 300));
  await b.follow(r);
  assert.equal((await b.post('/confirm', { email, code: await emailedCode(email) })).status, 303);
  const again = await signedIn(email);
  assert.equal((await again.get('/account')).status, 200);
  assert.equal(psql(`SELECT count(*) FROM t_default.users WHERE email = '${email}' AND deleted_at IS NULL AND sub <> '${sub}'`)[0][0], '1');
  assert.deepEqual(psql(`SELECT deleted_at IS NOT NULL FROM t_default.users WHERE sub = '${sub}'`), [['t']],
    'the deleted account\'s row stays, marked, beside the new one');
});

test('the JSON API: PATCH /api/v1/me writes only the four profile fields; tier and tenant are refused, whatever the JSON holds', async () => {
  const email = await confirmedUser('apiprofile');
  const t = await apiLogin(email);
  const before = await cognitoUser(email);
  for (const body of [{ tier: 'premium' }, { name: 'X', 'custom:user_tier': 'premium' }, { tenant: 'acme' },
    { 'custom:tenant_id': '2' }, { company: 'Y', user_tier: 'premium' }]) {
    const r = await api('PATCH', '/api/v1/me', { token: t.access_token, json: body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.error, 'invalid_field');
    assert.ok(Object.keys(body).includes(r.json.field), r.body);
  }
  assert.deepEqual(await cognitoUser(email), before, 'nothing was written');
  assert.equal((await api('PATCH', '/api/v1/me', { token: t.access_token, json: { name: 7 } })).status, 400);
  assert.equal((await api('PATCH', '/api/v1/me', { token: t.access_token, json: { name: 'x'.repeat(300) } })).status, 400);
  assert.equal((await api('PATCH', '/api/v1/me', { json: { name: 'No Token' } })).status, 401);
  const r = await api('PATCH', '/api/v1/me', { token: t.access_token, json: { name: 'Api Renamed', company: 'Initech', role: 'Boss' } });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.tier, 'standard');
  const after = await cognitoUser(email);
  assert.equal(after.name, 'Api Renamed');
  assert.equal(after['custom:company'], 'Initech');
  assert.equal(after['custom:user_tier'], before['custom:user_tier']);
  assert.equal(after['custom:tenant_id'], before['custom:tenant_id']);
  assert.equal((await api('GET', '/api/v1/me', { token: t.access_token })).json.name, 'Api Renamed', 'the mirror follows');
});

test('the JSON API: /api/v1/me/sessions lists the devices and DELETE ends one; another person\'s id is not found', async () => {
  const email = await confirmedUser('apisessions');
  const phone = await signedIn(email, { ua: ANDROID });
  const t = await apiLogin(email);
  let r = await api('GET', '/api/v1/me/sessions', { token: t.access_token });
  assert.equal(r.status, 200, r.body);
  const browser = r.json.sessions.find((s) => s.kind === 'browser');
  assert.equal(browser.description, 'Chrome on Android');
  assert.match(browser.id, /^browser-[0-9a-f]{32}$/);
  assert.ok(r.json.sessions.some((s) => s.kind === 'api' && s.description === 'curl'));
  const stranger = await apiLogin(await confirmedUser('apisessions-other'));
  r = await api('DELETE', `/api/v1/me/sessions/${browser.id}`, { token: stranger.access_token });
  assert.equal(r.status, 404, 'not the stranger\'s to end');
  assert.equal((await phone.get('/account')).status, 200);
  assert.equal((await api('DELETE', '/api/v1/me/sessions/nonsense', { token: t.access_token })).status, 404);
  r = await api('DELETE', `/api/v1/me/sessions/${browser.id}`, { token: t.access_token });
  assert.equal(r.status, 204, r.body);
  assert.equal((await phone.get('/account')).status, 303, 'the phone is signed out');
  assert.equal((await api('DELETE', `/api/v1/me/sessions/${browser.id}`, { token: t.access_token })).status, 404);
});

test('the JSON API: an email change needs the password, then the code; deletion needs the password; the email can register again', async () => {
  const email = await confirmedUser('apiemail');
  const newEmail = uniqueEmail('apinew');
  const t = await apiLogin(email);
  let r = await api('POST', '/api/v1/me/email', { token: t.access_token, json: { email: newEmail } });
  assert.equal(r.status, 400);
  assert.equal(r.json.field, 'password');
  r = await api('POST', '/api/v1/me/email', { token: t.access_token, json: { email: newEmail, password: 'Wrong-Passw0rd!' } });
  assert.equal(r.status, 403);
  assert.equal(r.json.error, 'reauthentication_failed');
  r = await api('POST', '/api/v1/me/email', { token: t.access_token, json: { email: 'nope', password: PASSWORD } });
  assert.equal(r.status, 400);
  r = await api('POST', '/api/v1/me/email', { token: t.access_token, json: { email: newEmail, password: PASSWORD } });
  assert.equal(r.status, 200, r.body);
  assert.equal((await logIn(email)).status, 303, 'the old email signs in until the code is entered');
  r = await api('POST', '/api/v1/me/email/verify', { token: t.access_token, json: { code: await attributeCode(email) } });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.email, newEmail);
  assert.notEqual((await logIn(email)).status, 303);
  const t2 = await apiLogin(newEmail);

  r = await api('DELETE', '/api/v1/me', { token: t2.access_token, json: {} });
  assert.equal(r.status, 400);
  r = await api('DELETE', '/api/v1/me', { token: t2.access_token, json: { password: 'Wrong-Passw0rd!' } });
  assert.equal(r.status, 403);
  assert.equal(r.json.error, 'reauthentication_failed');
  r = await api('DELETE', '/api/v1/me', { token: t2.access_token, json: { password: PASSWORD } });
  assert.equal(r.status, 204, r.body);
  for (const tok of [t, t2]) assert.equal((await api('GET', '/api/v1/me', { token: tok.access_token })).status, 401);
  r = await api('POST', '/api/v1/auth/register', { json: { email: newEmail, password: PASSWORD, name: 'Again', accept_terms: true } });
  assert.equal(r.status, 201, r.body);
});

test('the JSON API: DELETE /api/v1/me/sessions signs out every other device and keeps the asking one, marked "this device", with new tokens', async () => {
  const email = await confirmedUser('apiothers');
  const phone = await signedIn(email, { ua: ANDROID });
  const other = await apiLogin(email);
  const me = await apiLogin(email);
  let r = await api('GET', '/api/v1/me/sessions', { token: me.access_token });
  assert.equal(r.status, 200, r.body);
  const current = r.json.sessions.filter((s) => s.current);
  assert.equal(current.length, 1, 'one device is this one');
  assert.equal(r.json.sessions[0], current[0], 'listed first');
  assert.equal(current[0].kind, 'api');
  assert.equal(r.json.sessions.filter((s) => s.kind === 'api').length, 2);
  // The other API sign-in sees itself as "this device", not the first.
  const theirs = await api('GET', '/api/v1/me/sessions', { token: other.access_token });
  assert.notEqual(theirs.json.sessions.find((s) => s.current).id, current[0].id);

  assert.equal((await api('DELETE', '/api/v1/me/sessions', {})).status, 401, 'a bearer token is needed');
  r = await api('DELETE', '/api/v1/me/sessions', { token: me.access_token });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.signed_out, 2, 'the phone and the other API sign-in');
  assert.ok(r.json.tokens && r.json.tokens.access_token, 'the asking device gets new tokens');
  assert.equal((await phone.get('/account')).status, 303, 'the browser is signed out');
  assert.equal((await api('GET', '/api/v1/me', { token: other.access_token })).status, 401);
  assert.equal((await api('POST', '/api/v1/auth/refresh', { json: { refresh_token: other.refresh_token } })).status, 401);
  assert.notEqual(await refreshAtCognito(other.refresh_token), 200, 'the other refresh token is revoked at Cognito');
  assert.equal((await api('GET', '/api/v1/me', { token: me.access_token })).status, 401,
    'every bearer token issued before is refused, the asking one\'s too');
  assert.equal((await api('GET', '/api/v1/me', { token: r.json.tokens.access_token })).status, 200, 'the new one works');
  const refreshed = await api('POST', '/api/v1/auth/refresh', { json: { refresh_token: me.refresh_token } });
  assert.equal(refreshed.status, 200, 'the asking device\'s sign-in lives on');
  r = await api('GET', '/api/v1/me/sessions', { token: refreshed.json.access_token });
  assert.deepEqual(r.json.sessions.map((s) => [s.kind, s.current]), [['api', true]]);
  assert.match(psql(`SELECT string_agg(kind, ',') FROM t_default.security_events e JOIN t_default.users u ON u.sub = e.user_sub
    WHERE u.email = '${email}'`)[0][0], /sessions_ended/);
});

test('the JSON API: PATCH /api/v1/me removes a work detail given null or ""; the name cannot be removed', async () => {
  const email = await confirmedUser('apiclear');
  const t = await apiLogin(email);
  let r = await api('PATCH', '/api/v1/me', { token: t.access_token, json: { company: 'Initech', department: 'Ops', role: 'Lead' } });
  assert.equal(r.status, 200, r.body);
  r = await api('PATCH', '/api/v1/me', { token: t.access_token, json: { company: null, department: '' } });
  assert.equal(r.status, 200, r.body);
  let attrs = await cognitoUser(email);
  assert.equal(attrs['custom:company'], undefined, 'null removes it');
  assert.equal(attrs['custom:department'], undefined, '"" removes it');
  assert.equal(attrs['custom:role'], 'Lead', 'a member left out stays');
  for (const name of [null, '']) {
    r = await api('PATCH', '/api/v1/me', { token: t.access_token, json: { name, role: null } });
    assert.equal(r.status, 400, JSON.stringify(name));
    assert.equal(r.json.field, 'name');
  }
  attrs = await cognitoUser(email);
  assert.equal(attrs.name, 'Self Service', 'the name stays');
  assert.equal(attrs['custom:role'], 'Lead', 'a refused patch changes nothing');
});
