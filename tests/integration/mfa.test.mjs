// MFA: TOTP two-step verification (issue 14) — enrolment on
// /account/security, the /login/mfa step with its sealed challenge cookie,
// a wrong code, remember-me through the challenge, turning it off after the
// password again (/account/reauth), and the same through the JSON API.
// Codes are computed here with RFC 6238 (totp.mjs).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  Browser, request, uniqueEmail, PASSWORD, cognitoLocal, stackInfo, gatehouseCli, psql, sleep, HTTPS_PORT,
} from './helpers.mjs';
import { totp, wrongCode } from './totp.mjs';

const HOST = `localhost:${HTTPS_PORT}`;
const POOL = stackInfo().COGNITO_USER_POOL_ID;
const MFA_COOKIE = /^__Host-gh_session_mfa$|_mfa$/;

// The default tenant offers TOTP (its pool OPTIONAL with software tokens).
before(() => {
  const r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--mfa', 'optional']);
  assert.equal(r.status, 0, r.stderr);
});

async function newUser(tag = 'mfa') {
  const email = uniqueEmail(tag);
  await cognitoLocal('AdminCreateUser', {
    UserPoolId: POOL, Username: email, MessageAction: 'SUPPRESS', TemporaryPassword: 'Temp-Passw0rd!x',
    UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' },
      { Name: 'name', Value: 'Two Step' }, { Name: 'custom:user_tier', Value: 'standard' }],
  });
  await cognitoLocal('AdminSetUserPassword', { UserPoolId: POOL, Username: email, Password: PASSWORD, Permanent: true });
  return email;
}

async function pageLogin(email, { remember = false } = {}) {
  const b = new Browser();
  await b.get('/login');
  const form = { email, password: PASSWORD };
  if (remember) form.remember = 'on';
  const r = await b.post('/login', form);
  return { b, r };
}

// enrolPage turns TOTP on through the security page and returns the secret.
async function enrolPage(b) {
  let r = await b.get('/account/security');
  assert.equal(r.status, 200, r.body.slice(0, 300));
  assert.match(r.body, /id="gh-mfa-state"><strong>Off\./);
  r = await b.post('/account/security/mfa/start', {});
  assert.equal(r.status, 200, r.body.slice(0, 300));
  assert.match(r.headers['cache-control'], /no-store/, 'the secret is not cached');
  const secret = (r.body.match(/id="gh-mfa-secret"[^>]*>([A-Z2-7]+)</) || [])[1];
  assert.ok(secret, 'the page shows the secret as text');
  assert.match(r.body, /<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*role="img"[^>]*><rect[^>]*\/><path fill="#000" d="M/,
    'the QR code is inline SVG drawn by the server');
  assert.match(r.body, /autocomplete="one-time-code"/);
  r = await b.post('/account/security/mfa/verify', { code: wrongCode(secret), device_name: 'test phone' });
  assert.equal(r.status, 400, 'a wrong first code is refused');
  r = await b.post('/account/security/mfa/verify', { code: totp(secret), device_name: 'test phone' });
  assert.equal(r.status, 303, r.body.slice(0, 300));
  r = await b.follow(r);
  assert.match(r.body, /id="gh-mfa-state"><strong>On\./);
  return secret;
}

function mfaCookie(b) {
  for (const [name, c] of b.jar) if (name.endsWith('_mfa') && c.value) return { name, ...c };
  return null;
}

function sessionCookie(b) {
  for (const [name, c] of b.jar) if (/^__Host-gh_session(-|$)/.test(name) && !name.endsWith('_mfa') &&
    !name.endsWith('_reauth') && c.value) return { name, ...c };
  return null;
}

test('TOTP in the browser: enrol with the QR page, log in through /login/mfa, a wrong code stays, off after the password again', async () => {
  const email = await newUser();
  let { b, r } = await pageLogin(email);
  assert.equal(r.status, 303);
  const secret = await enrolPage(b);

  // Log out; the password alone now leads to the code page, not a session.
  r = await b.post('/logout', {});
  ({ b, r } = await pageLogin(email, { remember: true }));
  assert.equal(r.status, 303, r.body.slice(0, 300));
  assert.match(r.headers.location, /\/login\/mfa$/, 'no challenge in the URL');
  assert.equal(sessionCookie(b), null, 'no session before the code');
  const challenge = mfaCookie(b);
  assert.ok(challenge, 'the challenge is kept in a cookie');
  assert.match(challenge.raw, /^__Host-/);
  assert.ok(challenge.attrs.includes('httponly') && challenge.attrs.includes('secure'));
  assert.ok(challenge.attrs.some((a) => /^max-age=(\d+)$/.test(a) && Number(a.split('=')[1]) <= 180),
    'short-lived');
  r = await b.follow(r);
  assert.equal(r.status, 200);
  assert.match(r.body, /autocomplete="one-time-code"/);
  assert.match(r.body, /inputmode="numeric"/);
  assert.doesNotMatch(r.body, new RegExp(challenge.value.slice(0, 40)), 'the challenge is not in the page');

  // A wrong code keeps the person on the page, with a message.
  r = await b.post('/login/mfa', { code: wrongCode(secret) });
  assert.equal(r.status, 400);
  assert.match(r.body, /That code is not right/);
  assert.equal(sessionCookie(b), null);
  // Malformed input is a 400 too, never a 500.
  r = await b.post('/login/mfa', { code: '12ab' });
  assert.equal(r.status, 400);

  // The right code starts the session, remember-me kept.
  r = await b.post('/login/mfa', { code: totp(secret) });
  assert.equal(r.status, 303, r.body.slice(0, 300));
  const session = sessionCookie(b);
  assert.ok(session, 'signed in');
  assert.ok(session.attrs.some((a) => a.startsWith('max-age=')), 'remember-me survived the challenge');
  assert.equal(mfaCookie(b), null, 'the challenge cookie is gone');
  r = await b.get('/account');
  assert.equal(r.status, 200);

  // Turning it off needs the password again: the session is young, so
  // age it past the window first.
  // (An idle deadline moved earlier tells the workers' session cache.)
  psql(`UPDATE gatehouse.sessions SET created_at = now() - interval '10 minutes',
        idle_expires_at = idle_expires_at - interval '1 second' WHERE email = '${email}'`);
  await sleep(300);
  r = await b.get('/account/security');
  r = await b.post('/account/security/mfa/disable', {});
  assert.equal(r.status, 303);
  assert.match(r.headers.location, /\/account\/reauth\?return=\/account\/security$/);
  r = await b.follow(r);
  assert.equal(r.status, 200);
  r = await b.post('/account/reauth', { password: 'Not-The-Passw0rd!', return: '/account/security' });
  assert.equal(r.status, 401, 'a wrong password stays on the page');
  r = await b.post('/account/reauth', { password: PASSWORD, return: '/account/security' });
  assert.equal(r.status, 303);
  assert.match(r.headers.location, /\/account\/security$/);
  r = await b.follow(r);
  r = await b.post('/account/security/mfa/disable', {});
  assert.equal(r.status, 303);
  r = await b.follow(r);
  assert.match(r.body, /id="gh-mfa-state"><strong>Off\./);

  // And the password alone signs in again.
  ({ b, r } = await pageLogin(email));
  assert.equal(r.status, 303);
  assert.ok(sessionCookie(b));
});

test('a forged or missing MFA challenge cookie starts over at the password step', async () => {
  const b = new Browser();
  let r = await b.get('/login/mfa');
  assert.equal(r.status, 303);
  assert.match(r.headers.location, /\/login$/);
  b.remember('__Host-gh_session_mfa=AAAAtampered; Path=/; Secure; HttpOnly');
  r = await b.get('/login/mfa');
  assert.equal(r.status, 303, 'a forged challenge starts over');
  await b.get('/login');
  r = await b.post('/login/mfa', { code: '123456' });
  assert.equal(r.status, 303);
  assert.match(r.headers.location, /\/login$/);
});

test('tenant set --mfa: the pool follows, a bad value is refused', async () => {
  let r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--mfa', 'sometimes']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--mfa takes off, optional or required/);
  r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--mfa', 'off']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((await cognitoLocal('DescribeUserPool', { UserPoolId: POOL })).UserPool.MfaConfiguration, 'OFF');
  assert.equal(psql("SELECT mfa FROM gatehouse.tenants WHERE slug = 'default'")[0][0], 'off');
  r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--mfa', 'optional']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((await cognitoLocal('DescribeUserPool', { UserPoolId: POOL })).UserPool.MfaConfiguration, 'OPTIONAL');
});

// ---- the JSON API ----------------------------------------------------------

const apiCalls = new Set(); // "METHOD path status" of every API answer seen

async function api(method, urlPath, { json, token } = {}) {
  const headers = { host: HOST, accept: 'application/json' };
  if (json !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await request(method, urlPath, { headers, body: json === undefined ? undefined : JSON.stringify(json) });
  let body = null;
  try { body = JSON.parse(r.body); } catch { /* not JSON */ }
  apiCalls.add(`${method} ${urlPath} ${r.status}`);
  return { ...r, json: body };
}

test('TOTP through the JSON API: enrol under /api/v1/me/mfa, login answers a challenge, /api/v1/auth/mfa completes it, off with the password', async () => {
  const email = await newUser('mfaapi');
  let r = await api('POST', '/api/v1/auth/login', { json: { email, password: PASSWORD } });
  assert.equal(r.status, 200, r.body);
  let token = r.json.access_token;
  assert.ok(token);

  r = await api('GET', '/api/v1/me/mfa', { token });
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(r.json, { enabled: false, setting: 'optional' });
  r = await api('GET', '/api/v1/me/mfa');
  assert.equal(r.status, 401, 'needs a bearer token');

  r = await api('POST', '/api/v1/me/mfa', { token, json: {} });
  assert.equal(r.status, 200, r.body);
  const { secret, otpauth_uri: uri } = r.json;
  assert.match(secret, /^[A-Z2-7]+$/);
  assert.equal(uri, `otpauth://totp/default:${encodeURIComponent(email)}?secret=${secret}&issuer=default`);
  r = await api('POST', '/api/v1/me/mfa/verify', { token, json: { code: wrongCode(secret) } });
  assert.equal(r.status, 400, r.body);
  assert.equal(r.json.error, 'code_mismatch');
  r = await api('POST', '/api/v1/me/mfa/verify', { token, json: { code: 'abc' } });
  assert.equal(r.status, 400);
  assert.equal(r.json.field, 'code');
  r = await api('POST', '/api/v1/me/mfa/verify', { token, json: { code: totp(secret), device_name: 'api phone' } });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.enabled, true);

  // The password alone now gets a challenge, no tokens.
  r = await api('POST', '/api/v1/auth/login', { json: { email, password: PASSWORD } });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.challenge, 'mfa');
  assert.equal(r.json.access_token, undefined);
  const session = r.json.session;
  assert.ok(session && session.length > 40);
  r = await api('POST', '/api/v1/auth/mfa', { json: { session, code: wrongCode(secret) } });
  assert.equal(r.status, 400, r.body);
  assert.equal(r.json.error, 'code_mismatch');
  // A tampered challenge is refused, not a 500.
  const tampered = session.slice(0, 20) + (session[20] === 'A' ? 'B' : 'A') + session.slice(21);
  r = await api('POST', '/api/v1/auth/mfa', { json: { session: tampered, code: totp(secret) } });
  assert.equal(r.status, 401, r.body);
  assert.equal(r.json.error, 'challenge_expired');
  r = await api('POST', '/api/v1/auth/mfa', { json: { session, code: totp(secret) } });
  assert.equal(r.status, 200, r.body);
  assert.ok(r.json.access_token && r.json.refresh_token);
  token = r.json.access_token;

  // Off needs the password.
  r = await api('DELETE', '/api/v1/me/mfa', { token, json: {} });
  assert.equal(r.status, 400, r.body);
  r = await api('DELETE', '/api/v1/me/mfa', { token, json: { password: 'Wrong-Passw0rd!' } });
  assert.equal(r.status, 403, r.body);
  assert.equal(r.json.error, 'reauthentication_failed');
  r = await api('DELETE', '/api/v1/me/mfa', { token, json: { password: PASSWORD } });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.enabled, false);
  r = await api('POST', '/api/v1/auth/login', { json: { email, password: PASSWORD } });
  assert.equal(r.status, 200);
  assert.ok(r.json.access_token, 'the password alone signs in again');
});

test('a made-up MFA challenge is refused as expired, not a 500', async () => {
  for (const session of ['A'.repeat(200), 'not base64url!', 'x'.repeat(9000)]) {
    const r = await api('POST', '/api/v1/auth/mfa', { json: { session, code: '123456' } });
    assert.equal(r.status, 401, `${session.slice(0, 10)}: ${r.body}`);
    assert.equal(r.json.error, 'challenge_expired');
  }
});

test('required MFA: a user without it enrols at log-in before any other page; the API asks for the website first', async () => {
  let r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--mfa', 'required']);
  assert.equal(r.status, 0, r.stderr);
  try {
    await sleep(1100); // the workers' tenant cache
    const email = await newUser('mfareq');
    let b;
    ({ b, r } = await pageLogin(email));
    assert.equal(r.status, 303);
    for (const page of ['/account', '/files', '/admin']) {
      r = await b.get(page);
      assert.equal(r.status, 303, `${page} waits for the enrolment`);
      assert.match(r.headers.location, /\/account\/security$/);
    }
    r = await b.follow(r);
    assert.equal(r.status, 200);
    assert.match(r.body, /id="gh-mfa-required"/);
    // A forged mark does not open the pages.
    b.remember('__Host-gh_session_mfadone=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; Path=/; Secure; HttpOnly');
    r = await b.get('/account');
    assert.equal(r.status, 303);
    r = await api('POST', '/api/v1/auth/login', { json: { email, password: PASSWORD } });
    assert.equal(r.status, 403, r.body);
    assert.equal(r.json.error, 'mfa_setup_required');
    assert.equal(r.json.access_token, undefined);

    const secret = await enrolPage(b);
    r = await b.get('/account');
    assert.equal(r.status, 200, 'enrolled: the account opens');
    r = await b.get('/account/security');
    assert.doesNotMatch(r.body, /mfa\/disable/, 'required: it cannot be turned off');
    r = await b.post('/account/security/mfa/disable', {});
    assert.equal(r.status, 403);

    // Next time: the code page, then straight in.
    ({ b, r } = await pageLogin(email));
    assert.match(r.headers.location, /\/login\/mfa$/);
    r = await b.post('/login/mfa', { code: totp(secret) });
    assert.equal(r.status, 303);
    r = await b.get('/account');
    assert.equal(r.status, 200);
  } finally {
    r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--mfa', 'optional']);
    assert.equal(r.status, 0, r.stderr);
    await sleep(1100); // the workers' tenant cache
  }
});

test('openapi.json documents the MFA routes at every status these tests met', async () => {
  const r = await request('GET', '/api/v1/openapi.json', { headers: { host: HOST } });
  assert.equal(r.status, 200);
  const doc = JSON.parse(r.body);
  for (const route of ['POST /api/v1/auth/mfa', 'GET /api/v1/me/mfa', 'POST /api/v1/me/mfa',
    'DELETE /api/v1/me/mfa', 'POST /api/v1/me/mfa/verify']) {
    const [method, path] = route.split(' ');
    assert.ok(doc.paths[path]?.[method.toLowerCase()], `${route} is documented`);
  }
  assert.ok(apiCalls.size > 10);
  for (const call of apiCalls) {
    const [method, path, status] = call.split(' ');
    const op = doc.paths[path]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${path} is documented`);
    assert.ok(op.responses[status], `${method} ${path} documents ${status}`);
  }
  const challenge = doc.components.schemas.MfaChallenge;
  assert.deepEqual(challenge.required, ['challenge', 'session', 'expires_in']);
});

test('account activity: the person\'s own last 20 security events on /account/security', async () => {
  const email = await newUser('mfaact');
  const other = await newUser('mfaact-other');
  let b, r;
  ({ b, r } = await pageLogin(other)); // someone else's sign-in must not show
  ({ b, r } = await pageLogin(email));
  // (A failed sign-in names someone once the users mirror knows the email.)
  const wrong = new Browser();
  await wrong.get('/login');
  r = await wrong.post('/login', { email, password: 'Wrong-Passw0rd!' });
  assert.equal(r.status, 401);
  const secret = await enrolPage(b);
  await b.post('/logout', {});
  ({ b, r } = await pageLogin(email));
  r = await b.post('/login/mfa', { code: wrongCode(secret) });
  assert.equal(r.status, 400);
  r = await b.post('/login/mfa', { code: totp(secret) });
  assert.equal(r.status, 303);
  r = await api('POST', '/api/v1/auth/login', { json: { email, password: PASSWORD } });
  r = await api('POST', '/api/v1/auth/mfa', { json: { session: r.json.session, code: totp(secret) } });
  assert.equal(r.status, 200);

  r = await b.get('/account/security');
  assert.equal(r.status, 200);
  const kinds = [...r.body.matchAll(/<tr data-kind="([a-z_]+)"><td>([^<]*)<\/td><td><time datetime="([^"]+)">[^<]*<\/time><\/td><td>([^<]*)<\/td>/g)]
    .map((m) => ({ kind: m[1], text: m[2], via: m[4] }));
  assert.deepEqual(kinds.map((k) => k.kind),
    ['sign_in', 'sign_in', 'mfa_failed', 'signed_out', 'mfa_on', 'sign_in_failed', 'sign_in'],
    'newest first: API sign-in, web sign-in, the wrong code, log-out, MFA on, the wrong password, first sign-in');
  assert.match(kinds[0].via, /^API/);
  assert.match(kinds[1].via, /^website/);
  assert.equal(kinds[2].text, 'Failed sign-in (wrong two-step code)');

  // At most 20, the newest.
  const sub = psql(`SELECT sub FROM t_default.users WHERE email = '${email}'`)[0][0];
  psql(`INSERT INTO t_default.security_events (user_sub, kind, at)
        SELECT '${sub}', 'sign_in', now() - interval '1 day' - n * interval '1 minute' FROM generate_series(1, 30) n`);
  r = await b.get('/account/security');
  assert.equal([...r.body.matchAll(/<tr data-kind=/g)].length, 20);
  assert.match(r.body, /data-kind="sign_in_failed"/, 'the newest 20 include the recent ones');
});

test('re-authentication: a fresh sign-in counts, a proof is bound to its session, the return path stays on this site', async () => {
  const email = await newUser('reauth');
  let { b, r } = await pageLogin(email);
  await enrolPage(b);
  // A sign-in minutes old counts as a recent password: no question asked.
  await b.get('/account/security');
  r = await b.post('/account/security/mfa/disable', {});
  assert.equal(r.status, 303);
  assert.match(r.headers.location, /\/account\/security$/, 'a fresh sign-in turns it off at once');
  // Turn it on again and age the sessions: now the password is asked.
  r = await b.get('/account/security');
  assert.match(r.body, /id="gh-mfa-state"><strong>Off\./);
  r = await b.post('/account/security/mfa/start', {});
  const secret2 = (r.body.match(/id="gh-mfa-secret"[^>]*>([A-Z2-7]+)</) || [])[1];
  r = await b.post('/account/security/mfa/verify', { code: totp(secret2) });
  assert.equal(r.status, 303);
  // A second browser of the same person, both aged.
  const second = await pageLogin(email);
  assert.match(second.r.headers.location, /\/login\/mfa$/);
  r = await second.b.post('/login/mfa', { code: totp(secret2) });
  assert.equal(r.status, 303);
  psql(`UPDATE gatehouse.sessions SET created_at = now() - interval '10 minutes',
        idle_expires_at = idle_expires_at - interval '1 second' WHERE email = '${email}'`);
  await sleep(300);

  // The return path is a local path only: elsewhere becomes /account.
  await b.get('/account/reauth?return=https://evil.example/');
  r = await b.post('/account/reauth', { password: PASSWORD, return: 'https://evil.example/' });
  assert.equal(r.status, 303);
  assert.match(r.headers.location, /^\/account$/);
  assert.equal(psql(`SELECT count(*) FROM gatehouse.sessions WHERE email = '${email}'
    AND reauth_at > now() - interval '5 minutes'`)[0][0], '1', 'the proof is kept on this session alone');

  // The proof of one session does not open another's sensitive step.
  await second.b.get('/account/security');
  r = await second.b.post('/account/security/mfa/disable', {});
  assert.equal(r.status, 303);
  assert.match(r.headers.location, /\/account\/reauth\?return=/, 'another session\'s proof is refused');
  // Its owner's works.
  await b.get('/account/security');
  r = await b.post('/account/security/mfa/disable', {});
  assert.match(r.headers.location, /\/account\/security$/);
  r = await b.follow(r);
  assert.match(r.body, /id="gh-mfa-state"><strong>Off\./);
});

test('a new tenant offers TOTP: its pool is made OPTIONAL and its setting is optional', async () => {
  const slug = `mfa-${process.pid}-${Date.now().toString(36)}`.slice(0, 40);
  let r = gatehouseCli(['tenant', 'create', '--slug', slug, '--name', 'MFA Tenant', '--admin-email', `admin@${slug}.example`]);
  try {
    assert.equal(r.status, 0, r.stderr);
    const pool = psql(`SELECT user_pool_id, mfa FROM gatehouse.tenants WHERE slug = '${slug}'`)[0];
    assert.equal(pool[1], 'optional');
    const described = await cognitoLocal('DescribeUserPool', { UserPoolId: pool[0] });
    assert.equal(described.UserPool.MfaConfiguration, 'OPTIONAL');
  } finally {
    gatehouseCli(['tenant', 'delete', '--slug', slug, '--yes']);
  }
});

test('guessing codes: wrong codes count as failed sign-ins of the account, and lock it like wrong passwords', async () => {
  const email = await newUser('mfaguess');
  let { b, r } = await pageLogin(email);
  const secret = await enrolPage(b);
  r = await api('POST', '/api/v1/auth/login', { json: { email, password: PASSWORD } });
  const session = r.json.session;
  const bad = wrongCode(secret);
  for (let i = 0; i < 5; i++) {
    r = await api('POST', '/api/v1/auth/mfa', { json: { session, code: bad } });
    assert.equal(r.status, 400, `guess ${i + 1}`);
  }
  // Locked now: even the right code is refused without asking Cognito,
  // and so is the password step, on the page too.
  r = await api('POST', '/api/v1/auth/mfa', { json: { session, code: totp(secret) } });
  assert.equal(r.status, 429, r.body);
  assert.ok(Number(r.headers['retry-after']) > 0);
  ({ b, r } = await pageLogin(email));
  assert.equal(r.status, 429);
  // The password step alone does not clear the count a code left.
  psql(`UPDATE t_default.login_failures SET locked_until = NULL WHERE kind = 'account'
        AND locked_until > now() AND last_failure > now() - interval '1 minute'`);
  ({ b, r } = await pageLogin(email));
  assert.equal(r.status, 303);
  r = await b.post('/login/mfa', { code: bad });
  assert.equal(r.status, 429, 'the count still stands: the next wrong code is refused as locked');
});
