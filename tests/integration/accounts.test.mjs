// Every browser account flow against the real stack: nginx over TLS, the
// pool, PostgreSQL, and cognito-local (through the shim, which passes the
// happy paths through unchanged). Codes are read from cognito-local's data
// folder, as a person would read the email.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Browser, emailedCode, uniqueEmail, PASSWORD, psql, cognitoLocal, fault, stackInfo, BIN, withEnumeration, waitFor,
} from './helpers.mjs';

after(async () => { await fault({ reset: true }); });

const NEW_PASSWORD = 'Another-Passw0rd?';

// signUp walks sign-up and confirmation; it returns the browser and email.
async function signUp({ tier = 'standard', confirm = true } = {}) {
  const b = new Browser();
  const email = uniqueEmail(tier);
  await b.get('/signup');
  const r = await b.post('/signup', {
    email, name: 'Test Person', password: PASSWORD, confirm_password: PASSWORD, tier, terms: '1',
    company: 'Acme', role: 'Engineer',
  });
  assert.equal(r.status, 303, `sign-up redirects: ${r.body.slice(0, 300)}`);
  if (confirm) {
    await b.follow(r);
    const c = await b.post('/confirm', { email, code: await emailedCode(email) });
    assert.equal(c.status, 303);
  }
  return { b, email };
}

async function logIn(b, email, password = PASSWORD, extra = {}) {
  await b.get('/login');
  return b.post('/login', { email, password, ...extra });
}

function fieldError(body, field) {
  const m = body.match(new RegExp(`id="f-${field}-error"[^>]*>([^<]*)<`));
  return m ? m[1] : null;
}

function sessionRow(email) {
  return psql(`SELECT encode(id_hash, 'hex'), encode(access_token_enc, 'hex'), refresh_token_enc IS NOT NULL,
    extract(epoch FROM access_expires_at)::bigint, tier FROM gatehouse.sessions WHERE email = '${email}'`);
}

test('the browser /confirm marks the user confirmed in the users mirror, before any login', async () => {
  const { email } = await signUp({ confirm: false });
  assert.equal(psql(`SELECT status FROM t_default.users WHERE email = '${email}'`)[0][0], 'UNCONFIRMED');
  const b = new Browser();
  await b.get(`/confirm?email=${encodeURIComponent(email)}`);
  const c = await b.post('/confirm', { email, code: await emailedCode(email) });
  assert.equal(c.status, 303);
  assert.equal(psql(`SELECT status FROM t_default.users WHERE email = '${email}'`)[0][0], 'CONFIRMED',
    'the mirror says what Cognito says, with nothing left for users sync to correct');
});

test('the full flow: sign up, confirm, log in, account, change password, log out, log in again', async () => {
  const b = new Browser();
  const email = uniqueEmail('flow');
  let r = await b.get('/signup');
  assert.equal(r.status, 200);
  assert.match(r.body, /name="csrf" value="[A-Za-z0-9_-]{43}"/);
  r = await b.post('/signup', {
    email, name: 'Flow Person', password: PASSWORD, confirm_password: PASSWORD, tier: 'premium', terms: '1',
    department: 'Research', unexpected_field: 'must not reach Cognito',
  });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, `/confirm?email=${encodeURIComponent(email)}`);
  r = await b.follow(r);
  assert.match(r.body, /6-digit code/);
  assert.match(r.body, new RegExp(email.replace(/[.+]/g, '\\$&')), 'the confirm page names the address');

  r = await b.post('/confirm', { email, code: await emailedCode(email) });
  assert.equal(r.status, 303);
  r = await b.follow(r);
  assert.match(r.body, /Your email is confirmed/);

  r = await b.post('/login', { email, password: PASSWORD });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/account');
  const session = b.cookie('__Host-gh_session');
  assert.ok(session, 'a session cookie was set');
  assert.match(session.raw, /; Secure/);
  assert.match(session.raw, /; HttpOnly/);
  assert.match(session.raw, /SameSite=Lax/);
  assert.match(session.raw, /Path=\//);
  assert.doesNotMatch(session.raw, /Domain=/i);
  assert.doesNotMatch(session.raw, /Max-Age/, 'without remember me the cookie dies with the browser');

  r = await b.follow(r);
  assert.equal(r.status, 200);
  assert.match(r.body, /Welcome back/);
  assert.match(r.body, /gh-tier-premium/, 'the tier chosen at sign-up, written by gatehouse');
  assert.match(r.body, /Research/, 'custom attributes are shown');

  const user = await cognitoLocal('AdminGetUser', { UserPoolId: stackInfo().COGNITO_USER_POOL_ID, Username: email });
  const attrs = Object.fromEntries(user.UserAttributes.map((a) => [a.Name, a.Value]));
  assert.equal(attrs['custom:user_tier'], 'premium');
  assert.equal(attrs['custom:department'], 'Research');
  assert.ok(!Object.keys(attrs).some((k) => k.includes('unexpected')), 'unknown fields are not forwarded');
  const mirror = psql(`SELECT tier, status, last_login_at IS NOT NULL FROM t_default.users WHERE email = '${email}'`);
  assert.deepEqual(mirror, [['premium', 'CONFIRMED', 't']]);

  r = await b.post('/account/password', { current_password: PASSWORD, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
  assert.equal(r.status, 303);
  r = await b.follow(r);
  assert.match(r.body, /Your password has been changed/);

  r = await b.post('/logout', {});
  assert.equal(r.status, 303);
  assert.equal(b.cookie('__Host-gh_session'), undefined, 'the session cookie is deleted');
  assert.equal(sessionRow(email).length, 0, 'the session row is deleted');

  r = await logIn(b, email, PASSWORD);
  assert.equal(r.status, 401, 'the old password no longer works');
  assert.equal((r.body.match(/Incorrect email or password/) || []).length, 1);
  r = await logIn(b, email, NEW_PASSWORD);
  assert.equal(r.status, 303);
});

test('a wrong confirmation code is a field error; the right one still works', async () => {
  const { b, email } = await signUp({ confirm: false });
  await b.get(`/confirm?email=${encodeURIComponent(email)}`);
  const real = await emailedCode(email);
  const wrong = real === '000000' ? '111111' : '000000';
  let r = await b.post('/confirm', { email, code: wrong });
  assert.equal(r.status, 400);
  assert.match(fieldError(r.body, 'code') || '', /not correct/);
  assert.match(r.body, new RegExp(`value="${email.replace(/[.+]/g, '\\$&')}"`), 'the email is kept');
  r = await b.post('/confirm', { email, code: 'abc' });
  assert.equal(r.status, 400, 'a malformed code never reaches Cognito');
  r = await b.post('/confirm', { email, code: real });
  assert.equal(r.status, 303);
});

// Only where the tenant reveals accounts: by default a taken email answers
// as a new one (enumeration.test.mjs).
test('a duplicate email is a 409 field error where the tenant reveals accounts', async () => {
  const { email } = await signUp();
  await withEnumeration('default', 'reveal', async () => {
    const b = new Browser();
    await b.get('/signup');
    const r = await b.post('/signup', { email, name: 'Again', password: PASSWORD, confirm_password: PASSWORD, tier: 'standard', terms: '1' });
    assert.equal(r.status, 409);
    assert.match(fieldError(r.body, 'email') || '', /already exists/);
    assert.doesNotMatch(r.body, /UsernameExists/, 'no raw Cognito text');
  });
});

test('bad sign-up input is answered field by field and nothing is created', async () => {
  const b = new Browser();
  await b.get('/signup');
  const email = uniqueEmail('bad');
  let r = await b.post('/signup', { email, name: 'Weak', password: 'weakpass', confirm_password: 'weakpass', tier: 'standard', terms: '1' });
  assert.equal(r.status, 400);
  assert.equal(fieldError(r.body, 'password'), 'Your password needs at least 12 characters, an uppercase letter, a number and a symbol such as ! - # or a space.');
  assert.doesNotMatch(r.body, /weakpass/, 'the password is never sent back');
  assert.match(r.body, /value="Weak"/, 'what was typed is kept');

  r = await b.post('/signup', { email, name: 'Gold', password: PASSWORD, confirm_password: PASSWORD, tier: 'gold', terms: '1' });
  assert.equal(r.status, 400);
  assert.match(fieldError(r.body, 'tier') || '', /Standard or Premium/);

  r = await b.post('/signup', { email, name: 'X', password: PASSWORD, confirm_password: 'Different-1!', tier: 'standard' });
  assert.equal(r.status, 400);
  assert.match(fieldError(r.body, 'confirm_password') || '', /do not match/);
  assert.match(fieldError(r.body, 'terms') || '', /accept the terms/);

  r = await b.post('/signup', { email: 'not-an-email', name: '', password: PASSWORD, confirm_password: PASSWORD, tier: 'standard', terms: '1' });
  assert.equal(r.status, 400);
  assert.match(fieldError(r.body, 'email') || '', /valid email/);
  assert.match(fieldError(r.body, 'name') || '', /required/);

  await assert.rejects(cognitoLocal('AdminGetUser', { UserPoolId: stackInfo().COGNITO_USER_POOL_ID, Username: email }),
    /UserNotFound/, 'no user was created');
});

test('forgot answers the same for known and unknown emails, and reset works', async () => {
  const { email } = await signUp();
  const b = new Browser();
  await b.get('/forgot');
  const answer = async (address) => {
    await b.get('/forgot');
    const r = await b.post('/forgot', { email: address });
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, `/reset?email=${encodeURIComponent(address)}`);
    const page = await b.follow(r);
    assert.match(page.body, /If an account uses that email/);
    // The page, without the address and the per-request values, is the same.
    return page.body.split(address).join('EMAIL').replace(/value="[A-Za-z0-9_-]{43}"/g, '').replace(/[0-9a-f]{32}/g, '');
  };
  assert.equal(await answer(email), await answer(uniqueEmail('nobody')));
  const code = await emailedCode(email);
  await b.get(`/reset?email=${encodeURIComponent(email)}`);
  let r = await b.post('/reset', { email, code, password: 'short', confirm_password: 'short' });
  assert.equal(r.status, 400);
  r = await b.post('/reset', { email, code, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
  assert.equal(r.status, 303);
  r = await logIn(new Browser(), email, NEW_PASSWORD);
  assert.equal(r.status, 303, 'the new password works');
});

test('remember me makes a 30-day cookie; a plain login a browser-session one', async () => {
  const { b, email } = await signUp();
  let r = await logIn(b, email, PASSWORD, { remember: '1' });
  assert.equal(r.status, 303);
  const remembered = b.cookie('__Host-gh_session').raw;
  assert.match(remembered, /Max-Age=2592000/);
  assert.match(remembered, /Expires=/);
  const plain = new Browser();
  r = await logIn(plain, email);
  assert.doesNotMatch(plain.cookie('__Host-gh_session').raw, /Max-Age|Expires/);
  const rows = psql(`SELECT remember, round(extract(epoch FROM absolute_expires_at - created_at) / 3600)
    FROM gatehouse.sessions WHERE email = '${email}' ORDER BY remember`);
  assert.equal(rows.length, 2);
  assert.equal(rows[0][0], 'f');
  assert.equal(rows[1][0], 't');
  assert.equal(Number(rows[1][1]), 720, 'remember me: 30 days absolute');
  assert.ok(Number(rows[0][1]) < 720);
});

test('sessions: new id at each login, only its hash stored, refresh token sealed, tenant-bound', async () => {
  const { b, email } = await signUp();
  await logIn(b, email);
  const first = b.cookie('__Host-gh_session').value;
  await logIn(b, email);
  const second = b.cookie('__Host-gh_session').value;
  assert.notEqual(first, second);
  assert.match(second, /^[A-Za-z0-9_-]{43}$/, '256 random bits');
  const hashes = psql(`SELECT encode(id_hash, 'hex') FROM gatehouse.sessions WHERE email = '${email}'`).map((r) => r[0]);
  const crypto = await import('node:crypto');
  const raw = Buffer.from(second, 'base64url');
  assert.ok(hashes.includes(crypto.createHash('sha256').update(second).digest('hex')) ||
    hashes.includes(crypto.createHash('sha256').update(raw).digest('hex')), 'the SHA-256 of the id is the key');
  const dump = psql(`SELECT row_to_json(s)::text FROM gatehouse.sessions s WHERE email = '${email}'`).map((r) => r[0]).join('\n');
  assert.ok(!dump.includes(second), 'the id itself is not stored');
  const refresh = psql(`SELECT encode(refresh_token_enc, 'escape') FROM gatehouse.sessions WHERE email = '${email}' LIMIT 1`)[0][0];
  assert.doesNotMatch(refresh, /eyJ/, 'the refresh token is not stored in clear');
});

test('an idle session expires and the cookie leads to the login page', async () => {
  const { b, email } = await signUp();
  await logIn(b, email);
  let r = await b.get('/account');
  assert.equal(r.status, 200);
  psql(`UPDATE gatehouse.sessions SET idle_expires_at = now() - interval '1 second' WHERE email = '${email}'`);
  // A change made behind the pool's back reaches its cache through
  // PostgreSQL's notification, a moment after the statement (not before the
  // next request, as a change the pool makes itself would).
  await waitFor(async () => (r = await b.get('/account')).status !== 200, 2000, 'the expired session is dropped');
  assert.equal(r.status, 303);
  assert.match(r.headers.location, /^\/login\?next=%2Faccount$/);
});

// makeDue makes the access token of email's sessions due for a refresh
// (extra: more SET clauses).
function makeDue(email, extra = '') {
  psql(`UPDATE gatehouse.sessions SET access_expires_at = now() - interval '5 minutes'${extra}
    WHERE email = '${email}'`);
}

// refreshedOn signs a new user in, makes the access token due, opens path
// (which must answer status) and checks a refresh came first.
async function refreshedOn(path, status) {
  const { b, email } = await signUp();
  await logIn(b, email);
  const before = sessionRow(email)[0];
  makeDue(email);
  const r = await b.get(path);
  assert.equal(r.status, status);
  const after = sessionRow(email)[0];
  assert.ok(Number(after[3]) > Date.now() / 1000, 'the new access token is valid');
  assert.notEqual(after[1], before[1], 'a new access token was stored');
  return { b, email };
}

test('an expired access token is refreshed with the refresh token', async () => {
  await refreshedOn('/account', 200);
});

test('every signed-in route refreshes a due token before its handler; a refresh refused ends the session there', async () => {
  // /files is a signed-in page whose handler knows nothing of tokens: the
  // pipeline refreshes for it as for /account (a standard user still meets
  // the upsell page).
  const { b, email } = await refreshedOn('/files', 403);

  // A refresh token that cannot be used: the session ends on that route.
  makeDue(email, ", refresh_token_enc = '\\x00'::bytea");
  let r = await b.get('/files');
  assert.equal(r.status, 303);
  assert.match(r.headers.location, /^\/login\?next=%2Ffiles$/);
  assert.match(r.headers['set-cookie'].join('\n'), /__Host-gh_session=;.*Max-Age=0/);
  assert.equal(sessionRow(email).length, 0, 'the session row is gone');
  r = await b.get('/login');
  assert.match(r.body, /Your session has ended/);
});

test('a logged-out cookie replayed leads to the login page, never the account', async () => {
  const { b, email } = await signUp();
  await logIn(b, email);
  const stolen = b.cookie('__Host-gh_session').value;
  await b.get('/account');
  await b.post('/logout', {});
  const replay = new Browser();
  replay.jar.set('__Host-gh_session', { value: stolen });
  const r = await replay.get('/account');
  assert.equal(r.status, 303);
  assert.match(r.headers.location, /^\/login/);
  assert.match(r.headers['set-cookie'].join('\n'), /__Host-gh_session=;.*Max-Age=0/);
});

test('CSRF: a missing or wrong token, or a foreign Origin, is a 403 page', async () => {
  const { b, email } = await signUp();
  await b.get('/login');
  let r = await b.post('/login', { email, password: PASSWORD, csrf: null });
  assert.equal(r.status, 403);
  assert.match(r.body, /<nav\b/);
  r = await b.post('/login', { email, password: PASSWORD, csrf: 'x'.repeat(43) });
  assert.equal(r.status, 403);
  r = await b.post('/login', { email, password: PASSWORD }, { headers: { origin: 'https://evil.example' } });
  assert.equal(r.status, 403);
  r = await b.post('/login', { email, password: PASSWORD }, { headers: { origin: null } });
  assert.equal(r.status, 403, 'no Origin and no Referer is refused');
  r = await b.post('/login', { email, password: PASSWORD });
  assert.equal(r.status, 303, 'the real form still works');
  const other = new Browser();
  await other.get('/login');
  r = await b.post('/logout', { csrf: other.lastCsrf });
  assert.equal(r.status, 403, "another visitor's token is refused");
});

test('login sends back to a local page only (no open redirect)', async () => {
  const { email } = await signUp();
  for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', '/\r\nSet-Cookie: x=1', 'javascript:alert(1)']) {
    const b = new Browser();
    await b.get(`/login?next=${encodeURIComponent(next)}`);
    const r = await b.post('/login', { email, password: PASSWORD, next });
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/account', `refused ${next}`);
  }
  const b = new Browser();
  let r = await b.get('/account');
  assert.equal(r.status, 303);
  r = await b.follow(r);
  const next = r.body.match(/name="next" value="([^"]*)"/)[1];
  assert.equal(next, '/account');
  r = await b.post('/login', { email, password: PASSWORD, next });
  assert.equal(r.headers.location, '/account');
});

test('an unconfirmed user who logs in gets a fresh code and the confirm page', async () => {
  const { b, email } = await signUp({ confirm: false });
  const first = await emailedCode(email);
  const r = await logIn(b, email);
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, `/confirm?email=${encodeURIComponent(email)}`);
  const fresh = await emailedCode(email, first);
  assert.notEqual(fresh, first);
  const c = await b.post('/confirm', { email, code: fresh });
  assert.equal(c.status, 303, 'the fresh code confirms the account');
});

test('resend gives a new code, and the same answer for an unknown email', async () => {
  const { b, email } = await signUp({ confirm: false });
  const first = await emailedCode(email);
  await b.get(`/confirm?email=${encodeURIComponent(email)}`);
  let r = await b.post('/confirm/resend', { email });
  assert.equal(r.status, 303);
  const second = await emailedCode(email, first);
  assert.notEqual(second, first);
  r = await b.post('/confirm/resend', { email: uniqueEmail('ghost') });
  assert.equal(r.status, 303, 'same answer for an unknown email');
});

test('an admin-created user sets a new password at first login', async () => {
  const email = uniqueEmail('invited');
  const temp = 'Temp-Passw0rd!';
  await cognitoLocal('AdminCreateUser', {
    UserPoolId: stackInfo().COGNITO_USER_POOL_ID, Username: email, TemporaryPassword: temp,
    UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' }],
    MessageAction: 'SUPPRESS',
  });
  const b = new Browser();
  let r = await logIn(b, email, temp);
  assert.equal(r.status, 200);
  assert.match(r.body, /action="\/login\/new-password"/);
  assert.doesNotMatch(r.body, /Temp-Passw0rd/);
  r = await b.post('/login/new-password', {
    email, challenge: r.body.match(/name="challenge" value="([^"]*)"/)[1],
    password: NEW_PASSWORD, confirm_password: NEW_PASSWORD,
  });
  assert.equal(r.status, 303);
  r = await b.follow(r);
  assert.equal(r.status, 200);
  assert.match(r.body, /Your account/);
});

test('the stack made an app client that cannot write the tier or the tenant', async () => {
  const info = stackInfo();
  const { UserPoolClient: c } = await cognitoLocal('DescribeUserPoolClient', { UserPoolId: info.COGNITO_USER_POOL_ID, ClientId: info.COGNITO_CLIENT_ID });
  assert.ok(Array.isArray(c.WriteAttributes) && c.WriteAttributes.length > 0);
  assert.ok(!c.WriteAttributes.includes('custom:user_tier'));
  assert.ok(!c.WriteAttributes.includes('custom:tenant_id'));
  assert.ok(c.ReadAttributes.includes('custom:user_tier'));
  assert.ok(c.ExplicitAuthFlows.includes('ALLOW_USER_PASSWORD_AUTH'));
  assert.ok(c.ExplicitAuthFlows.includes('ALLOW_REFRESH_TOKEN_AUTH'));
  assert.equal(c.PreventUserExistenceErrors, 'ENABLED');
});

// ---- faults cognito-local cannot produce, through the double ----------------------

test('Cognito throttling is a 429 page with Retry-After', async () => {
  const { email } = await signUp();
  await fault({ op: 'InitiateAuth', mode: 'throttle', count: 10 });
  try {
    const r = await logIn(new Browser(), email);
    assert.equal(r.status, 429);
    assert.ok(r.headers['retry-after']);
    assert.match(r.body, /<nav\b/);
    assert.doesNotMatch(r.body, /TooManyRequests/);
  } finally { await fault({ reset: true }); }
});

test('Cognito 5xx and timeouts are 503 pages and the worker stays free', async () => {
  const { email } = await signUp();
  await fault({ op: 'InitiateAuth', mode: 'error5xx' });
  try {
    let r = await logIn(new Browser(), email);
    assert.equal(r.status, 503);
    assert.match(r.body, /<nav\b/);
    await fault({ op: 'InitiateAuth', mode: 'timeout' });
    const slow = logIn(new Browser(), email);
    const page = await new Browser().get('/login');
    assert.equal(page.status, 200, 'pages render while a login hangs');
    r = await slow;
    assert.equal(r.status, 503);
  } finally { await fault({ reset: true }); }
});

test('a code that cannot be delivered and an expired code are told plainly', async () => {
  const { b, email } = await signUp({ confirm: false });
  await fault({ op: 'ResendConfirmationCode', mode: 'type', type: 'CodeDeliveryFailureException' });
  await fault({ op: 'ConfirmSignUp', mode: 'type', type: 'ExpiredCodeException' });
  try {
    await b.get(`/confirm?email=${encodeURIComponent(email)}`);
    let r = await b.post('/confirm/resend', { email });
    assert.equal(r.status, 503);
    assert.match(r.body, /could not send the email/);
    r = await b.post('/confirm', { email, code: '123456' });
    assert.equal(r.status, 400);
    assert.match(fieldError(r.body, 'code') || '', /expired/);
  } finally { await fault({ reset: true }); }
});

test('gatehouse refuses to start against an app client that lets users write their tier', async () => {
  const { execFileSync } = await import('node:child_process');
  const os = await import('node:os');
  const path = await import('node:path');
  const info = stackInfo();
  const unsafe = [
    ['email', 'name', 'custom:user_tier'],
    ['email', 'custom:tenant_id'],
  ];
  for (const writes of unsafe) {
    const { UserPoolClient: c } = await cognitoLocal('CreateUserPoolClient', {
      UserPoolId: info.COGNITO_USER_POOL_ID, ClientName: 'unsafe',
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'], WriteAttributes: writes,
    });
    let status = 0, stderr = '';
    try {
      execFileSync(BIN, ['serve', '--env-file', info.GATEHOUSE_ENV_FILE], {
        env: { PATH: process.env.PATH, COGNITO_CLIENT_ID: c.ClientId,
          GATEHOUSE_LISTEN: path.join(os.tmpdir(), `gh-unsafe-${process.pid}.sock`), GATEHOUSE_PID_FILE: '' },
        stdio: 'pipe', timeout: 15000,
      });
    } catch (e) { status = e.status; stderr = String(e.stderr); }
    assert.notEqual(status, 0, `refused a client writing ${writes.join(',')}`);
    assert.match(stderr, /refusing to start: .*(custom:user_tier|custom:tenant_id)/);
  }
});
