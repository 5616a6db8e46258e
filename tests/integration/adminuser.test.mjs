// An admin's user page and actions on one user (issue 15, part B), against
// the real stack: nginx, the pool, PostgreSQL, cognito-local behind the
// Cognito double. Each action is taken as a browser takes it (the button,
// then the confirmation where there is one), and checked from the affected
// user's side — their cookie, their bearer token, their refresh token, their
// next sign-in — and in t_<slug>.admin_actions. A plain user's attempt at
// each route is a 403 that changes nothing.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  Browser, request, adminSession, cognitoLocal, emailedCode, gatehouseCli, psql, stackInfo, uniqueEmail,
  PASSWORD, HTTPS_PORT,
} from './helpers.mjs';
import { confirmedUser, makeTenant, subOf } from './admin-helpers.mjs';
import { totp } from './totp.mjs';

const info = stackInfo();
const POOL = info.COGNITO_USER_POOL_ID;
const HOST = `localhost:${HTTPS_PORT}`;
const ACTIONS = ['disable', 'enable', 'reset-password', 'sign-out', 'reset-mfa', 'edit', 'grant-admin',
  'revoke-admin', 'delete'];

let admin; // {b, email}: a default-tenant admin shared by the tests
let adminSub;

before(async () => {
  // The default tenant offers TOTP (its pool OPTIONAL), for the MFA reset.
  const m = gatehouseCli(['tenant', 'set', '--slug', 'default', '--mfa', 'optional']);
  assert.equal(m.status, 0, m.stderr);
  admin = await adminSession();
  adminSub = subOf(admin.email);
});

// ---- helpers ----------------------------------------------------------------

const sql = (s) => `'${String(s).replace(/'/g, "''")}'`;
const enc = encodeURIComponent;

// newUser makes a confirmed user in the pool (as an operator would) and
// signs them in through the login page: {email, b, sub}.
async function newUser(tag, { pool = POOL, base = '', name = 'Plain Person' } = {}) {
  const email = uniqueEmail(tag);
  await confirmedUser(email, { pool, name });
  const b = await login(email, PASSWORD, base);
  assert.equal(b.status, 303, `login of ${email}: ${b.body}`);
  const { Username } = await cognitoLocal('AdminGetUser', { UserPoolId: pool, Username: email });
  return { email, b: b.browser, username: Username, sub: sub(email, base ? base.slice(3) : 'default') };
}

function sub(email, slug = 'default') {
  const rows = psql(`SELECT sub FROM "t_${slug}".users WHERE email = ${sql(email)} AND deleted_at IS NULL`);
  return rows.length ? rows[0][0] : null;
}

async function login(email, password = PASSWORD, base = '') {
  const browser = new Browser();
  await browser.get(`${base}/login`);
  const r = await browser.post(`${base}/login`, { email, password });
  return { browser, status: r.status, body: r.body, headers: r.headers };
}

async function api(method, p, { json, token } = {}) {
  const headers = { host: HOST, accept: 'application/json' };
  if (json !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await request(method, p, { headers, body: json === undefined ? undefined : JSON.stringify(json) });
  let body = null;
  try { body = JSON.parse(r.body); } catch { /* not JSON */ }
  return { status: r.status, json: body, body: r.body };
}

async function apiLogin(email) {
  const r = await api('POST', '/api/v1/auth/login', { json: { email, password: PASSWORD } });
  assert.equal(r.status, 200, r.body);
  return r.json;
}

// signedInEverywhere is a user with a browser session and an API sign-in.
async function signedInEverywhere(tag) {
  const u = await newUser(tag);
  u.tokens = await apiLogin(u.email);
  assert.equal((await u.b.get('/account')).status, 200);
  assert.equal((await api('GET', '/api/v1/me', { token: u.tokens.access_token })).status, 200);
  return u;
}

// signedOut checks that every sign-in of u ended: the cookie leads to the
// login page, the bearer token is 401, the refresh token is refused.
async function assertSignedOut(u) {
  const r = await u.b.get('/account');
  assert.equal(r.status, 303, 'the cookie no longer opens the account');
  assert.match(r.headers.location, /^\/login/);
  assert.equal((await api('GET', '/api/v1/me', { token: u.tokens.access_token })).status, 401, 'bearer');
  assert.equal((await api('POST', '/api/v1/auth/refresh', { json: { refresh_token: u.tokens.refresh_token } })).status,
    401, 'refresh');
}

// act takes action on the user as the admin's browser does: the user page,
// the button, and the confirmation (when the answer is one) with extra.
async function act(b, username, action, extra = {}, base = '') {
  const page = await b.get(`${base}/admin/users/${enc(username)}`);
  assert.equal(page.status, 200, page.body.slice(0, 300));
  let r = await b.post(`${base}/admin/users/${enc(username)}/${action}`, action === 'edit' ? extra : {});
  if (r.status === 200 && /id="gh-confirm-form"/.test(r.body)) {
    const form = r.body.match(/<form method="post" action="([^"]*)"[^>]*id="gh-confirm-form"/);
    assert.ok(form, 'the confirmation has its form');
    const fields = Object.fromEntries([...r.body.slice(r.body.indexOf('id="gh-confirm-form"'))
      .matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
    r = await b.post(form[1].replace(/&amp;/g, '&'), { ...fields, ...extra });
  }
  return r;
}

function lastAction(targetSub, action, slug = 'default') {
  const rows = psql(`SELECT actor_sub, actor_email, target_email, coalesce(before_value, ''), coalesce(after_value, ''),
    coalesce(request_id, ''), coalesce(client_addr, '') FROM "t_${slug}".admin_actions
    WHERE target_sub = ${sql(targetSub)} AND action = ${sql(action)} ORDER BY id DESC LIMIT 1`);
  if (!rows.length) return null;
  const [actorSub, actorEmail, targetEmail, before, after, requestId, clientAddr] = rows[0];
  return { actorSub, actorEmail, targetEmail, before, after, requestId, clientAddr };
}

function countActions(targetSub, slug = 'default') {
  return Number(psql(`SELECT count(*) FROM "t_${slug}".admin_actions WHERE target_sub = ${sql(targetSub)}`)[0][0]);
}

function assertAudited(u, action, before, after) {
  const row = lastAction(u.sub, action);
  assert.ok(row, `an admin_actions row for ${action}`);
  assert.equal(row.actorSub, adminSub);
  assert.equal(row.actorEmail, admin.email);
  assert.equal(row.targetEmail, u.email);
  if (before !== undefined) assert.equal(row.before, before);
  if (after !== undefined) assert.equal(row.after, after);
  assert.ok(row.requestId, 'the request id');
  assert.ok(row.clientAddr, 'the address');
}

const notice = (body) => (body.match(/id="gh-notice">[\s\S]*?<div class="gh-alert-text">([^<]*)</) || [])[1];

// ---- the page ---------------------------------------------------------------------

test('the user page: the email heads it and names it, a breadcrumb back to the filtered list, summary, action bar, sessions; no lookup form', async () => {
  const u = await signedInEverywhere('page');
  const r = await admin.b.get(`/admin/users/${enc(u.email)}?back=${enc('tier=standard&q=page')}`);
  assert.equal(r.status, 200);
  assert.match(r.body, new RegExp(`<title>${u.email.replace(/[.+]/g, '\\$&')} &middot;`));
  assert.match(r.body, new RegExp(`<h1 class="gh-page-title mb-0">${u.email.replace(/[.+]/g, '\\$&')}</h1>`));
  assert.match(r.body, /<a href="\/admin\/users\?tier=standard&amp;q=page" id="gh-back">Users<\/a>/);
  assert.doesNotMatch(r.body, /Look up another user|action="\/admin\/user-info"/, 'no lookup form');
  assert.match(r.body, /id="gh-user-status">Confirmed</, 'the status in plain words');
  assert.match(r.body, /id="gh-user-mfa">Off</);
  assert.match(r.body, /id="gh-user-enabled">Yes</);
  for (const a of ['disable', 'reset-password', 'sign-out', 'grant-admin', 'delete'])
    assert.match(r.body, new RegExp(`action="/admin/users/${enc(u.username)}/${a}"`), a);
  assert.ok(r.body.indexOf('id="gh-actions"') < r.body.indexOf('id="gh-account"'), 'the action bar comes first');
  const sessions = r.body.slice(r.body.indexOf('id="gh-sessions"'), r.body.indexOf('id="gh-history-title"'));
  assert.equal((sessions.match(/class="gh-session /g) || []).length, 2, 'the browser and the API sign-in');
  // A back that is not a plain query string is dropped, never echoed.
  const odd = await admin.b.get(`/admin/users/${enc(u.email)}?back=${enc('"><script>x</script>')}`);
  assert.equal(odd.status, 200);
  assert.match(odd.body, /<a href="\/admin\/users" id="gh-back">/);
  assert.doesNotMatch(odd.body, /<script>x/);
  // The old lookup still answers with the page.
  const looked = await admin.b.post('/admin/user-info', { username: u.email });
  assert.equal(looked.status, 200);
  assert.match(looked.body, /id="gh-tier-form"/);
});

test('the page renders "Resend invitation" for an invited user and "Confirm sign-up" for an unconfirmed one', async () => {
  const invited = uniqueEmail('invited');
  await cognitoLocal('AdminCreateUser', {
    UserPoolId: POOL, Username: invited, TemporaryPassword: 'Temp-Passw0rd!x', MessageAction: 'SUPPRESS',
    UserAttributes: [{ Name: 'email', Value: invited }],
  });
  let r = await admin.b.get(`/admin/users/${enc(invited)}`);
  assert.equal(r.status, 200);
  assert.match(r.body, /action="\/admin\/users\/[^"]+\/resend-invitation"/);
  assert.doesNotMatch(r.body, /action="\/admin\/users\/[^"]+\/confirm"/);
  assert.match(r.body, /id="gh-user-status">Must change password</);
  const unconfirmed = uniqueEmail('unconfirmed');
  await cognitoLocal('SignUp', { ClientId: info.COGNITO_CLIENT_ID, Username: unconfirmed, Password: PASSWORD,
    UserAttributes: [{ Name: 'email', Value: unconfirmed }] });
  r = await admin.b.get(`/admin/users/${enc(unconfirmed)}`);
  assert.match(r.body, /action="\/admin\/users\/[^"]+\/confirm"/);
  assert.doesNotMatch(r.body, /resend-invitation/);
});

// ---- the actions ------------------------------------------------------------------

test('disable: a confirmation first; then every sign-in ends, the login is refused with a clear message, audited; enable lets them in again', async () => {
  const u = await signedInEverywhere('disable');
  await admin.b.get(`/admin/users/${enc(u.email)}`);
  const ask = await admin.b.post(`/admin/users/${enc(u.username)}/disable`, {});
  assert.equal(ask.status, 200, 'the button answers with a confirmation');
  assert.match(ask.body, /Disable this user\?/);
  assert.match(ask.body, /name="confirm" value="yes"/);
  assert.equal((await cognitoLocal('AdminGetUser', { UserPoolId: POOL, Username: u.email })).Enabled, true,
    'nothing happens before the confirmation');
  assert.equal(countActions(u.sub), 0);

  const r = await act(admin.b, u.username, 'disable');
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, `/admin/users/${enc(u.username)}?done=disabled`);
  assert.match(notice((await admin.b.follow(r)).body), /disabled and has been signed out everywhere/);
  assert.equal((await cognitoLocal('AdminGetUser', { UserPoolId: POOL, Username: u.email })).Enabled, false);
  assert.deepEqual(psql(`SELECT enabled FROM t_default.users WHERE sub = ${sql(u.sub)}`), [['f']]);
  assertAudited(u, 'user_disabled', 'enabled', 'disabled');
  await assertSignedOut(u);
  const again = await login(u.email);
  assert.equal(again.status, 403);
  assert.match(again.body, /This account has been disabled/);
  const viaApi = await api('POST', '/api/v1/auth/login', { json: { email: u.email, password: PASSWORD } });
  assert.equal(viaApi.status, 403);
  assert.equal(viaApi.json.error, 'user_disabled');
  // A wrong password still reads as one.
  const wrong = await login(u.email, 'Wrong-Passw0rd!1');
  assert.equal(wrong.status, 401);
  assert.doesNotMatch(wrong.body, /disabled/);

  const page = await admin.b.get(`/admin/users/${enc(u.email)}`);
  assert.match(page.body, /id="gh-act-enable"/);
  const en = await act(admin.b, u.username, 'enable');
  assert.equal(en.status, 303, 'enabling needs no confirmation');
  assert.equal(en.headers.location, `/admin/users/${enc(u.username)}?done=enabled`);
  assertAudited(u, 'user_enabled', 'disabled', 'enabled');
  assert.deepEqual(psql(`SELECT enabled FROM t_default.users WHERE sub = ${sql(u.sub)}`), [['t']]);
  assert.equal((await login(u.email)).status, 303, 'they sign in again');
});

test('reset password: the old password stops working with the reset message, every sign-in ends, the emailed code sets a new one; audited', async () => {
  const u = await signedInEverywhere('reset');
  const r = await act(admin.b, u.username, 'reset-password');
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, `/admin/users/${enc(u.username)}?done=password_reset`);
  await assertSignedOut(u);
  assertAudited(u, 'password_reset', 'CONFIRMED', 'RESET_REQUIRED');
  assert.deepEqual(psql(`SELECT status FROM t_default.users WHERE sub = ${sql(u.sub)}`), [['RESET_REQUIRED']]);
  const old = await login(u.email);
  assert.equal(old.status, 403);
  assert.match(old.body, /choose a new password before you can log in/);
  // The /forgot-style reset: a code to the email, then the new password.
  const b = new Browser();
  await b.get('/forgot');
  const previous = await emailedCode(u.email);
  assert.equal((await b.post('/forgot', { email: u.email })).status, 303);
  const code = await emailedCode(u.email, previous);
  await b.get(`/reset?email=${enc(u.email)}`);
  const NEW = 'Fresh-Passw0rd!2';
  const reset = await b.post('/reset', { email: u.email, code, password: NEW, confirm_password: NEW });
  assert.equal(reset.status, 303, reset.body.slice(0, 400));
  assert.equal((await login(u.email, NEW)).status, 303, 'the new password signs in');
  assert.equal((await login(u.email, PASSWORD)).status, 401, 'the old one does not');
});

test('sign out everywhere: the cookie, the bearer token and the refresh token end; they can sign in again; audited', async () => {
  const u = await signedInEverywhere('signout');
  const r = await act(admin.b, u.username, 'sign-out');
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, `/admin/users/${enc(u.username)}?done=signed_out`);
  await assertSignedOut(u);
  assertAudited(u, 'signed_out_everywhere');
  const page = await admin.b.get(`/admin/users/${enc(u.email)}`);
  assert.match(page.body, /Not signed in anywhere/);
  assert.match(page.body, /<code>signed_out_everywhere<\/code>/, 'the page lists the action');
  assert.equal((await login(u.email)).status, 303);
});

test('reset MFA: the lost authenticator is forgotten, the next login asks for no code; audited', async () => {
  const u = await newUser('mfa');
  const token = (await apiLogin(u.email)).access_token;
  let r = await api('POST', '/api/v1/me/mfa', { token, json: {} });
  assert.equal(r.status, 200, r.body);
  r = await api('POST', '/api/v1/me/mfa/verify', { token, json: { code: totp(r.json.secret) } });
  assert.equal(r.status, 200, r.body);
  const challenged = await login(u.email);
  assert.equal(challenged.status, 303);
  assert.match(challenged.headers.location, /^\/login\/mfa/, 'MFA is on: the login asks for a code');
  let page = await admin.b.get(`/admin/users/${enc(u.email)}`);
  assert.match(page.body, /id="gh-user-mfa">On</);

  r = await act(admin.b, u.username, 'reset-mfa');
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, `/admin/users/${enc(u.username)}?done=mfa_reset`);
  assertAudited(u, 'mfa_reset', 'on', 'off');
  const next = await login(u.email);
  assert.equal(next.status, 303);
  assert.doesNotMatch(next.headers.location, /mfa/, 'no MFA challenge');
  assert.equal((await next.browser.get('/account')).status, 200);
  page = await admin.b.get(`/admin/users/${enc(u.email)}`);
  assert.match(page.body, /id="gh-user-mfa">Off</);
  // Again: nothing to reset, nothing logged.
  const before = countActions(u.sub);
  r = await admin.b.post(`/admin/users/${enc(u.username)}/reset-mfa`, { confirm: 'yes' });
  assert.equal(r.headers.location, `/admin/users/${enc(u.username)}?done=unchanged`);
  assert.equal(countActions(u.sub), before);
});

test('edit: the name and work details at Cognito, in the mirror and on the user\'s /account; never the tier; bad input is a 400', async () => {
  const u = await newUser('edit');
  let r = await act(admin.b, u.username, 'edit', {
    name: 'Renamed Person', company: 'Initech', department: 'Billing', role: 'Clerk', tier: 'premium',
    'custom:user_tier': 'premium', 'custom:tenant_id': 'other',
  });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, `/admin/users/${enc(u.username)}?done=edited`);
  const got = await cognitoLocal('AdminGetUser', { UserPoolId: POOL, Username: u.email });
  const attr = (n) => (got.UserAttributes.find((a) => a.Name === n) || {}).Value;
  assert.equal(attr('name'), 'Renamed Person');
  assert.equal(attr('custom:company'), 'Initech');
  assert.equal(attr('custom:department'), 'Billing');
  assert.equal(attr('custom:role'), 'Clerk');
  assert.equal(attr('custom:user_tier'), 'standard', 'never the tier');
  assert.notEqual(attr('custom:tenant_id'), 'other', 'never the tenant');
  assert.deepEqual(psql(`SELECT name, tier FROM t_default.users WHERE sub = ${sql(u.sub)}`), [['Renamed Person', 'standard']]);
  const account = await u.b.get('/account');
  assert.equal(account.status, 200);
  assert.match(account.body, /Renamed Person/, 'the user sees the new name');
  const row = lastAction(u.sub, 'profile_edited');
  assert.match(row.before, /name: Plain Person/);
  assert.match(row.after, /name: Renamed Person; company: Initech; department: Billing; role: Clerk/);

  // An empty detail removes it; a too-long name changes nothing.
  r = await act(admin.b, u.username, 'edit', { name: 'Renamed Person', company: '', department: 'Billing', role: 'Clerk' });
  assert.equal(r.status, 303);
  const after = await cognitoLocal('AdminGetUser', { UserPoolId: POOL, Username: u.email });
  assert.equal(after.UserAttributes.find((a) => a.Name === 'custom:company'), undefined);
  const count = countActions(u.sub);
  r = await act(admin.b, u.username, 'edit', { name: 'x'.repeat(300) });
  assert.equal(r.status, 400);
  assert.match(r.body, /The name was not saved/);
  r = await act(admin.b, u.username, 'edit', { name: 'Bad\u0007Name' });
  assert.equal(r.status, 400);
  assert.equal(countActions(u.sub), count, 'nothing logged');
});

test('grant admin gives the panel on the next page; revoke takes it away at once (every sign-in ends); both audited', async () => {
  const u = await signedInEverywhere('promote');
  assert.equal((await u.b.get('/admin')).status, 403);
  let r = await act(admin.b, u.username, 'grant-admin');
  assert.equal(r.status, 303, 'granting needs no confirmation');
  assert.equal(r.headers.location, `/admin/users/${enc(u.username)}?done=admin_granted`);
  assertAudited(u, 'admin_granted', 'not admin', 'admin');
  assert.equal((await u.b.get('/admin')).status, 200, 'their open session has the panel');

  r = await act(admin.b, u.username, 'revoke-admin');
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, `/admin/users/${enc(u.username)}?done=admin_revoked`);
  assertAudited(u, 'admin_revoked', 'admin', 'not admin');
  const gone = await u.b.get('/admin');
  assert.equal(gone.status, 303, 'the revoked admin is signed out');
  assert.match(gone.headers.location, /^\/login/);
  assert.equal((await api('GET', '/api/v1/me', { token: u.tokens.access_token })).status, 401);
  const again = await login(u.email);
  assert.equal((await again.browser.get('/admin')).status, 403, 'a plain user after signing in again');
  const groups = await cognitoLocal('AdminListGroupsForUser', { UserPoolId: POOL, Username: u.username });
  assert.deepEqual(groups.Groups.map((g) => g.GroupName), []);
});

test('an admin cannot remove their own membership, disable or delete themselves; nothing changes', async () => {
  const me = (await cognitoLocal('AdminGetUser', { UserPoolId: POOL, Username: admin.email })).Username;
  const before = countActions(adminSub);
  const own = await admin.b.get(`/admin/users/${enc(admin.email)}`);
  for (const id of ['disable', 'delete', 'revoke-admin', 'reset-password'])
    assert.doesNotMatch(own.body, new RegExp(`id="gh-act-${id}"`), `no ${id} button on one's own page`);
  assert.match(own.body, /id="gh-act-sign-out"/);
  let r = await act(admin.b, me, 'revoke-admin');
  assert.equal(r.status, 409);
  assert.match(r.body, /You cannot remove your own admin rights/);
  r = await act(admin.b, me, 'disable');
  assert.equal(r.status, 409);
  assert.match(r.body, /You cannot disable your own account/);
  r = await act(admin.b, me, 'delete', { confirm_email: admin.email });
  assert.equal(r.status, 409);
  const groups = await cognitoLocal('AdminListGroupsForUser', { UserPoolId: POOL, Username: me });
  assert.ok(groups.Groups.some((g) => g.GroupName === 'admin'));
  assert.equal((await cognitoLocal('AdminGetUser', { UserPoolId: POOL, Username: admin.email })).Enabled, true);
  assert.equal(countActions(adminSub), before);
  assert.equal((await admin.b.get('/admin')).status, 200);
});


test('the last admin of a tenant cannot be demoted, and says so; a second admin makes it possible', async () => {
  const t = await makeTenant('au', 'Last Admin Test');
  const base = `/t/${t.slug}`;
  try {
    const only = await adminSession({ poolId: t.poolId, base });
    const me = (await cognitoLocal('AdminGetUser', { UserPoolId: t.poolId, Username: only.email })).Username;
    let r = await act(only.b, me, 'revoke-admin', {}, base);
    assert.equal(r.status, 409);
    assert.match(r.body, /last enabled administrator/);
    assert.ok((await cognitoLocal('AdminListGroupsForUser', { UserPoolId: t.poolId, Username: me }))
      .Groups.some((g) => g.GroupName === 'admin'));
    assert.equal(psql(`SELECT count(*) FROM "t_${t.slug}".admin_actions`)[0][0], '0');

    // A second admin: the first one's own membership is still theirs to keep.
    const second = await adminSession({ poolId: t.poolId, base });
    r = await act(only.b, me, 'revoke-admin', {}, base);
    assert.equal(r.status, 409);
    assert.match(r.body, /You cannot remove your own admin rights/);
    // ...but the second can demote the first.
    r = await act(second.b, me, 'revoke-admin', {}, base);
    assert.equal(r.status, 303);
    assert.equal(psql(`SELECT action FROM "t_${t.slug}".admin_actions`)[0][0], 'admin_revoked');
    // ...and now the second is the last one: a stale session of the first
    // (signed out anyway) cannot demote them.
    r = await act(second.b, (await cognitoLocal('AdminGetUser', { UserPoolId: t.poolId, Username: second.email })).Username,
      'revoke-admin', {}, base);
    assert.equal(r.status, 409);
    assert.match(r.body, /last enabled administrator/);
  } finally {
    psql(`DROP SCHEMA IF EXISTS "t_${t.slug}" CASCADE`);
    psql(`DELETE FROM gatehouse.schema_migrations WHERE scope = 'tenant:${t.slug}'`);
    psql(`DELETE FROM gatehouse.tenants WHERE slug = '${t.slug}'`);
    await cognitoLocal('DeleteUserPool', { UserPoolId: t.poolId }).catch(() => {});
  }
});

test('delete: the typed email must be the user\'s; then Cognito forgets them, every sign-in ends, the mirror row is marked deleted; audited', async () => {
  const u = await signedInEverywhere('delete');
  const ask = await admin.b.post(`/admin/users/${enc(u.username)}/delete`, {});
  assert.equal(ask.status, 200);
  assert.match(ask.body, /name="confirm_email"/);
  let r = await act(admin.b, u.username, 'delete', { confirm_email: 'someone-else@example.com' });
  assert.equal(r.status, 400);
  assert.match(r.body, /not this user&#39;s email address|not this user's email address/);
  r = await act(admin.b, u.username, 'delete', { confirm_email: '' });
  assert.equal(r.status, 400);
  assert.ok(await cognitoLocal('AdminGetUser', { UserPoolId: POOL, Username: u.email }), 'still there');
  assert.equal(countActions(u.sub), 0);

  r = await act(admin.b, u.username, 'delete', { confirm_email: u.email.toUpperCase() });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/admin/users');
  await assert.rejects(cognitoLocal('AdminGetUser', { UserPoolId: POOL, Username: u.email }), /UserNotFound/);
  await assertSignedOut(u);
  assert.deepEqual(psql(`SELECT status, enabled, deleted_at IS NOT NULL FROM t_default.users WHERE sub = ${sql(u.sub)}`),
    [['DELETED', 'f', 't']]);
  assertAudited(u, 'user_deleted', 'enabled', 'deleted');
  assert.equal((await admin.b.get(`/admin/users/${enc(u.email)}`)).status, 404);
});

// ---- who may ----------------------------------------------------------------------

test('a plain user gets 403 at every action route and the user page, and nothing changes; no CSRF token, no action', async () => {
  const victim = await signedInEverywhere('victim');
  const plain = await newUser('plain');
  await plain.b.get('/account');
  assert.equal((await plain.b.get(`/admin/users/${enc(victim.email)}`)).status, 403);
  for (const action of ACTIONS) {
    const r = await plain.b.post(`/admin/users/${enc(victim.username)}/${action}`, {
      confirm: 'yes', confirm_email: victim.email, name: 'Hijacked',
    });
    assert.equal(r.status, 403, action);
  }
  const anon = new Browser();
  await anon.get('/login');
  const r = await anon.post(`/admin/users/${enc(victim.username)}/disable`, { confirm: 'yes' });
  assert.equal(r.status, 303, 'anonymous: to the login page');
  // The admin without the CSRF token of a page.
  for (const action of ['disable', 'delete', 'sign-out']) {
    const n = await admin.b.post(`/admin/users/${enc(victim.username)}/${action}`,
      { csrf: null, confirm: 'yes', confirm_email: victim.email });
    assert.equal(n.status, 403, `${action} without CSRF`);
  }
  const got = await cognitoLocal('AdminGetUser', { UserPoolId: POOL, Username: victim.email });
  assert.equal(got.Enabled, true);
  assert.equal(got.UserAttributes.find((a) => a.Name === 'name').Value, 'Plain Person');
  assert.equal(countActions(victim.sub), 0);
  assert.equal((await victim.b.get('/account')).status, 200, 'still signed in');
  assert.equal((await api('GET', '/api/v1/me', { token: victim.tokens.access_token })).status, 200);
});

test('bad input: an unknown user is a 404, a malformed name too, and a wrong method a 405; never a 500', async () => {
  await admin.b.get('/admin');
  let r = await admin.b.post(`/admin/users/${enc(uniqueEmail('nobody'))}/disable`, { confirm: 'yes' });
  assert.equal(r.status, 404);
  r = await admin.b.post(`/admin/users/${enc(uniqueEmail('nobody'))}/disable`, {});
  assert.equal(r.status, 404);
  r = await admin.b.post(`/admin/users/${enc('a\tb')}/sign-out`, { confirm: 'yes' });
  assert.equal(r.status, 404);
  r = await admin.b.post(`/admin/users/${enc(uniqueEmail('nobody'))}/edit`, { name: 'X' });
  assert.equal(r.status, 404);
  r = await admin.b.get(`/admin/users/${enc(admin.email)}/disable`);
  assert.equal(r.status, 405);
});
