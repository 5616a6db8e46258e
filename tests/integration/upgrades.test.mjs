// Upgrade requests (issue 15) against the real stack: a standard user asks
// for Premium on the upgrade page or through the API, admins see a badge and
// the list, and approve (the tier change, audited, seen at once by the
// user's session and bearer token) or decline (with a reason the user reads
// on their account page and in the API). One pending request per user, none
// from a premium user, a request of a deleted user is closed; plain users
// and forged forms change nothing.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  Browser, PASSWORD, HTTPS_PORT, adminSession, cognitoLocal, fault, psql, request, stackInfo,
} from './helpers.mjs';
import { plainUser, sqlText, subOf, unescape } from './admin-helpers.mjs';

const POOL = stackInfo().COGNITO_USER_POOL_ID;
const HOST = `localhost:${HTTPS_PORT}`;

let admin; // {b, email}
let adminSub;

before(async () => {
  admin = await adminSession();
  adminSub = subOf(admin.email);
});


async function api(method, path, { json, token, raw } = {}) {
  const headers = { host: HOST, accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let body = raw;
  if (json !== undefined) body = JSON.stringify(json);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(method, path, { headers, body });
  res.json = res.headers['content-type']?.startsWith('application/json') ? JSON.parse(res.body) : null;
  return res;
}

async function tokenOf(email) {
  const r = await api('POST', '/api/v1/auth/login', { json: { email, password: PASSWORD } });
  assert.equal(r.status, 200, r.body);
  return r.json.access_token;
}

const requests = (sub) => psql(`SELECT id, state, coalesce(note, '-'), coalesce(reason, '-'), coalesce(decided_by_sub, '-'),
  decided_at IS NOT NULL FROM t_default.upgrade_requests WHERE user_sub = ${sqlText(sub)} ORDER BY id`);
const actions = (sub) => psql(`SELECT action, coalesce(before_value, '-'), coalesce(after_value, '-'), actor_sub,
  coalesce(detail, '-') FROM t_default.admin_actions WHERE target_sub = ${sqlText(sub)} ORDER BY id`);
const mirrorTier = (sub) => psql(`SELECT tier FROM t_default.users WHERE sub = ${sqlText(sub)}`)[0][0];
const pendingLive = () => Number(psql(`SELECT count(*) FROM t_default.upgrade_requests r WHERE state = 'pending'
  AND EXISTS (SELECT 1 FROM t_default.users u WHERE u.sub = r.user_sub AND u.deleted_at IS NULL)`)[0][0]);

async function cognitoTier(email) {
  const u = await cognitoLocal('AdminGetUser', { UserPoolId: POOL, Username: email });
  return (u.UserAttributes.find((a) => a.Name === 'custom:user_tier') || {}).Value;
}

function badge(body) {
  const m = body.match(/id="gh-requests-badge">(\d+)</);
  return m ? Number(m[1]) : 0;
}

// ask posts the upgrade form of the user's upgrade page.
async function ask(user, note) {
  const page = await user.b.get('/account/upgrade');
  assert.equal(page.status, 200);
  return user.b.post('/account/upgrade-request', note === undefined ? {} : { note });
}

const profileTier = (body) => (body.match(/<dt>Tier<\/dt>\s*<dd><span class="badge gh-tier gh-tier-(\w+)"/) || [])[1];

// ---- ask, approve ---------------------------------------------------------------------

test('ask with a note → the badge counts it → approve: Premium on the user\'s page and API, audited', async () => {
  const user = await plainUser('upg');
  const token = await tokenOf(user.email);
  const before = await admin.b.get('/admin');
  const badgeBefore = badge(before.body);

  let page = await user.b.get('/account/upgrade');
  assert.match(page.body, /id="gh-upgrade-form"/, 'a standard user is offered the form');
  const note = 'I need the file storage for <work> & "more"';
  let r = await user.b.post('/account/upgrade-request', { note });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/account/upgrade');
  page = await user.b.follow(r);
  assert.match(page.body, /Your request for Premium has been sent/);
  assert.match(page.body, /id="gh-upgrade-state"><strong>You asked for Premium on/);
  assert.doesNotMatch(page.body, /id="gh-upgrade-form"/, 'no second form while one waits');
  const [[id, state, savedNote]] = requests(user.sub);
  assert.deepEqual([state, savedNote], ['pending', note]);
  const account = await user.b.get('/account');
  assert.match(account.body, /id="gh-account-upgrade">Your request for Premium of .* is waiting for an administrator/);

  // The badge and the list.
  const home = await admin.b.get('/admin');
  assert.equal(badge(home.body), pendingLive());
  assert.equal(badge(home.body), badgeBefore + 1);
  const list = await admin.b.get('/admin/requests');
  assert.equal(list.status, 200);
  const item = list.body.slice(list.body.indexOf(`id="gh-request-${id}"`));
  assert.ok(item.length < list.body.length, 'the request is listed');
  assert.match(item, new RegExp(user.email.replace(/[.+]/g, '\\$&')));
  assert.ok(item.includes('I need the file storage for &lt;work&gt; &amp; &quot;more&quot;'), 'the note, escaped');

  r = await admin.b.post(`/admin/requests/${id}/approve`);
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/admin/requests?done=approved');
  const after = await admin.b.follow(r);
  assert.match(after.body, /The request was approved/);
  assert.doesNotMatch(after.body, new RegExp(`id="gh-request-${id}"`));
  assert.equal(badge(after.body), pendingLive());

  // Everywhere: Cognito, the mirror, the request row, both audit tables.
  assert.equal(await cognitoTier(user.email), 'premium');
  assert.equal(mirrorTier(user.sub), 'premium');
  assert.deepEqual(requests(user.sub).map((x) => x.slice(1)), [['approved', note, '-', adminSub, 't']]);
  assert.deepEqual(actions(user.sub), [
    ['tier_changed', 'standard', 'premium', adminSub, '-'],
    ['upgrade_approved', 'pending', 'approved', adminSub, note],
  ]);
  assert.deepEqual(psql(`SELECT old_tier, new_tier, changed_by_sub FROM t_default.tier_changes WHERE user_sub = '${user.sub}'`),
    [['standard', 'premium', adminSub]]);

  // The user's session and bearer token see it at once, with no new sign-in.
  const accountAfter = await user.b.get('/account');
  assert.equal(profileTier(accountAfter.body), 'premium');
  assert.equal((await user.b.get('/files')).status, 200, 'the premium page opens');
  let me = await api('GET', '/api/v1/me', { token });
  assert.equal(me.json.tier, 'premium');
  me = await api('GET', '/api/v1/me/upgrade-request', { token });
  assert.equal(me.status, 200);
  assert.equal(me.json.state, 'approved');
  assert.equal(me.json.note, note);
  assert.match(me.json.decided_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

  // Deciding it again changes nothing.
  const again = await admin.b.post(`/admin/requests/${id}/approve`, { csrf: admin.b.lastCsrf });
  assert.equal(again.status, 409);
  const decline = await admin.b.post(`/admin/requests/${id}/decline`, { reason: 'late' });
  assert.equal(decline.status, 409);
  assert.match(decline.body, /decided already/);
  assert.deepEqual(requests(user.sub).map((x) => x[1]), ['approved']);
  assert.equal(actions(user.sub).length, 2);
});

// ---- decline ----------------------------------------------------------------------------

test('declined with a reason: the user reads it on /account, on the upgrade page and in the API, and may ask again', async () => {
  const user = await plainUser('upg');
  const token = await tokenOf(user.email);
  let r = await ask(user);
  assert.equal(r.status, 303);
  const [[id, , noteNone]] = requests(user.sub);
  assert.equal(noteNone, '-', 'no note is no note');

  await admin.b.get('/admin/requests');
  const reason = 'Premium is for the finance team <only>';
  r = await admin.b.post(`/admin/requests/${id}/decline`, { reason });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/admin/requests?done=declined');
  assert.match((await admin.b.follow(r)).body, /The request was declined/);

  assert.deepEqual(requests(user.sub).map((x) => x.slice(1)), [['declined', '-', reason, adminSub, 't']]);
  assert.deepEqual(actions(user.sub), [['upgrade_declined', 'pending', 'declined', adminSub, reason]]);
  assert.equal(mirrorTier(user.sub), 'standard');
  assert.equal(await cognitoTier(user.email), 'standard');

  const account = await user.b.get('/account');
  assert.equal(profileTier(account.body), 'standard');
  assert.match(account.body, /id="gh-account-upgrade">Your request for Premium of .* was declined: <q id="gh-account-upgrade-reason">Premium is for the finance team &lt;only&gt;<\/q>/);
  const page = await user.b.get('/account/upgrade');
  assert.match(page.body, /id="gh-upgrade-reason">Premium is for the finance team &lt;only&gt;</);
  assert.match(page.body, /id="gh-upgrade-form"/, 'asking again is offered');
  const state = await api('GET', '/api/v1/me/upgrade-request', { token });
  assert.equal(state.status, 200);
  assert.equal(state.json.state, 'declined');
  assert.equal(state.json.reason, reason);
  assert.equal(state.json.note, undefined);

  // A new ask after a decline is a new pending request.
  r = await user.b.post('/account/upgrade-request', { note: 'Please reconsider' });
  assert.equal(r.status, 303);
  assert.deepEqual(requests(user.sub).map((x) => x[1]), ['declined', 'pending']);
  const again = await api('GET', '/api/v1/me/upgrade-request', { token });
  assert.deepEqual([again.json.state, again.json.note, again.json.reason], ['pending', 'Please reconsider', undefined]);

  // A reason that cannot be kept is refused, and nothing changes.
  const [, [second]] = requests(user.sub);
  await admin.b.get('/admin/requests');
  r = await admin.b.post(`/admin/requests/${second}/decline`, { reason: 'x'.repeat(501) });
  assert.equal(r.status, 400);
  r = await admin.b.post(`/admin/requests/${second}/decline`, { reason: 'bad\u0007bell' });
  assert.equal(r.status, 400);
  assert.deepEqual(requests(user.sub).map((x) => x[1]), ['declined', 'pending']);
});

// ---- one pending request per user ---------------------------------------------------

test('one pending request per user: a second ask (page or API, or at once) says it is pending', async () => {
  const user = await plainUser('upg');
  const token = await tokenOf(user.email);
  // A member the ask does not take is refused by name, whatever its place.
  for (const json of [{ tier: 'premium' }, { note: 'x', tier: 'premium' }, { tier: 'premium', note: 'x' }]) {
    const extra = await api('POST', '/api/v1/me/upgrade-request', { token, json });
    assert.equal(extra.status, 400, JSON.stringify(json));
    assert.deepEqual([extra.json.error, extra.json.field], ['invalid_field', 'tier']);
  }
  assert.equal(requests(user.sub).length, 0, 'a refused ask writes nothing');
  // Two asks at the same moment: the unique partial index lets one through.
  const [a, b] = await Promise.all([
    api('POST', '/api/v1/me/upgrade-request', { token, json: { note: 'one' } }),
    api('POST', '/api/v1/me/upgrade-request', { token, json: { note: 'two' } }),
  ]);
  assert.deepEqual([a.status, b.status].sort(), [201, 409]);
  const refused = a.status === 409 ? a : b;
  assert.equal(refused.json.error, 'upgrade_pending');
  assert.equal(requests(user.sub).length, 1);

  await user.b.get('/account/upgrade');
  const r = await user.b.post('/account/upgrade-request', { note: 'three' });
  assert.equal(r.status, 409);
  assert.match(r.body, /You have already asked for Premium/);
  assert.deepEqual(requests(user.sub).map((x) => x[1]), ['pending']);
  assert.throws(() => psql(`INSERT INTO t_default.upgrade_requests (user_sub, user_email) VALUES ('${user.sub}', '${user.email}')`),
    /upgrade_requests_pending_idx/, 'the database itself refuses a second pending row');
});

// ---- a premium user ------------------------------------------------------------------------

test('a premium user cannot ask, on the page or through the API: nothing is written', async () => {
  const user = await plainUser('upg', { tier: 'premium' });
  const token = await tokenOf(user.email);
  const page = await user.b.get('/account/upgrade');
  assert.equal(page.status, 200);
  assert.doesNotMatch(page.body, /id="gh-upgrade-form"/);
  assert.match(page.body, /id="gh-upgrade-state">Your account is on the <strong>premium<\/strong> tier/);
  const r = await user.b.post('/account/upgrade-request', { note: 'more' });
  assert.equal(r.status, 409);
  assert.match(r.body, /Your account has Premium already/);
  const a = await api('POST', '/api/v1/me/upgrade-request', { token, json: {} });
  assert.equal(a.status, 409);
  assert.equal(a.json.error, 'already_premium');
  assert.equal(requests(user.sub).length, 0);
  // The mirror decides, not a stale session: a user made premium since asks nothing.
  const later = await plainUser('upg');
  psql(`UPDATE t_default.users SET tier = 'premium' WHERE sub = '${later.sub}'`);
  await later.b.get('/account/upgrade');
  assert.equal((await later.b.post('/account/upgrade-request', {})).status, 409);
  assert.equal(requests(later.sub).length, 0);
});

// ---- the API --------------------------------------------------------------------------------

test('the API: the same request as the page, its state, and bad input refused with 4xx', async () => {
  const user = await plainUser('upg');
  const token = await tokenOf(user.email);
  let r = await api('GET', '/api/v1/me/upgrade-request', { token });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { state: 'none' });
  assert.equal((await api('GET', '/api/v1/me/upgrade-request')).status, 401, 'no token');
  assert.equal((await api('POST', '/api/v1/me/upgrade-request', { json: {} })).status, 401);

  for (const [json, field] of [[{ note: 'x'.repeat(501) }, 'note'], [{ note: 'bell\u0007' }, 'note'], [{ note: 5 }, 'note'],
    [{ note: 'ok', tier: 'premium' }, 'tier'], [{ user_sub: 'someone-else' }, 'user_sub']]) {
    r = await api('POST', '/api/v1/me/upgrade-request', { token, json });
    assert.equal(r.status, 400, JSON.stringify(json));
    assert.equal(r.json.field, field);
  }
  r = await api('POST', '/api/v1/me/upgrade-request', { token, raw: '[1]' });
  assert.equal(r.status, 400);
  // The page refuses the same notes, keeping what was typed.
  await user.b.get('/account/upgrade');
  for (const note of ['y'.repeat(501), 'bell\u0007']) {
    const p = await user.b.post('/account/upgrade-request', { note });
    assert.equal(p.status, 400);
    assert.match(p.body, /<div class="invalid-feedback" id="f-note-error">This (is too long|contains characters that are not allowed)\.<\/div>/);
    assert.match(p.body, /aria-invalid="true"/);
  }
  assert.equal(requests(user.sub).length, 0, 'nothing written by a refused call');

  r = await api('POST', '/api/v1/me/upgrade-request', { token, json: { note: 'from my app' } });
  assert.equal(r.status, 201, r.body);
  assert.equal(r.json.state, 'pending');
  assert.equal(r.json.note, 'from my app');
  assert.match(r.json.requested_at, /Z$/);
  const [[id]] = requests(user.sub);
  assert.equal(String(r.json.id), id);
  // The page shows the request the API made.
  const page = await user.b.get('/account/upgrade');
  assert.match(page.body, /Your request is waiting for an administrator/);
  const list = await admin.b.get('/admin/requests');
  assert.match(list.body, new RegExp(`id="gh-request-${id}"`));
  // Without a note the body may be empty of members.
  const other = await plainUser('upg');
  r = await api('POST', '/api/v1/me/upgrade-request', { token: await tokenOf(other.email), json: {} });
  assert.equal(r.status, 201);
  assert.equal(r.json.note, undefined);
});

// ---- who may decide ----------------------------------------------------------------------

test('a plain user cannot reach the requests or decide one: 403 and nothing changed; anonymous: login', async () => {
  const user = await plainUser('upg');
  const other = await plainUser('upg');
  await ask(user, 'mine');
  const [[id]] = requests(user.sub);
  await other.b.get('/account');
  for (const [path, form] of [['/admin/requests', null], [`/admin/requests/${id}/approve`, {}],
    [`/admin/requests/${id}/decline`, { reason: 'no' }]]) {
    const r = form ? await other.b.post(path, form) : await other.b.get(path);
    assert.equal(r.status, 403, path);
    assert.match(r.body, /do not have access/);
    const anon = new Browser();
    await anon.get('/login');
    const a = form ? await anon.post(path, form) : await anon.get(path);
    assert.ok([303, 403].includes(a.status), `anonymous ${path}: ${a.status}`);
    if (a.status === 303) assert.match(a.headers.location, /^\/login/);
  }
  // The user asking cannot approve their own request either.
  await user.b.get('/account');
  assert.equal((await user.b.post(`/admin/requests/${id}/approve`, {})).status, 403);
  assert.deepEqual(requests(user.sub).map((x) => x[1]), ['pending']);
  assert.equal(mirrorTier(user.sub), 'standard');
  assert.equal(await cognitoTier(user.email), 'standard');
  assert.equal(actions(user.sub).length, 0);
});

test('CSRF: an ask, an approval and a decline without the form\'s token are refused and change nothing', async () => {
  const user = await plainUser('upg');
  await user.b.get('/account/upgrade');
  let r = await user.b.post('/account/upgrade-request', { note: 'forged', csrf: null });
  assert.equal(r.status, 403);
  r = await user.b.post('/account/upgrade-request', { note: 'forged', csrf: 'x'.repeat(40) });
  assert.equal(r.status, 403);
  assert.equal(requests(user.sub).length, 0);
  await ask(user, 'real');
  const [[id]] = requests(user.sub);
  await admin.b.get('/admin/requests');
  r = await admin.b.post(`/admin/requests/${id}/approve`, { csrf: null });
  assert.equal(r.status, 403);
  r = await admin.b.post(`/admin/requests/${id}/decline`, { csrf: null, reason: 'forged' });
  assert.equal(r.status, 403);
  // Another site's form, with the admin's cookies: refused by its Origin.
  r = await admin.b.post(`/admin/requests/${id}/approve`, {}, { headers: { origin: 'https://evil.example' } });
  assert.equal(r.status, 403);
  assert.deepEqual(requests(user.sub).map((x) => x[1]), ['pending']);
  assert.equal(mirrorTier(user.sub), 'standard');
  assert.equal(actions(user.sub).length, 0);
});

// ---- deleted users, bad addresses ---------------------------------------------------------

test('a request of a user deleted since is closed, not approved; unknown requests are 404', async () => {
  // Gone from the mirror (deleted through gatehouse): the list and the badge skip it.
  const gone = await plainUser('upg');
  await ask(gone, 'before I left');
  const [[goneId]] = requests(gone.sub);
  await cognitoLocal('AdminDeleteUser', { UserPoolId: POOL, Username: gone.email });
  psql(`UPDATE t_default.users SET deleted_at = now() WHERE sub = '${gone.sub}'`);
  let list = await admin.b.get('/admin/requests');
  assert.doesNotMatch(list.body, new RegExp(`id="gh-request-${goneId}"`));
  assert.equal(badge(list.body), pendingLive());
  let r = await admin.b.post(`/admin/requests/${goneId}/approve`);
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/admin/requests?done=closed');
  assert.match((await admin.b.follow(r)).body, /no longer exists/);
  assert.deepEqual(requests(gone.sub).map((x) => x[1]), ['closed']);

  // Gone from Cognito only (the mirror has not heard yet): approving closes it.
  const half = await plainUser('upg');
  await ask(half, 'soon gone');
  const [[halfId]] = requests(half.sub);
  await cognitoLocal('AdminDeleteUser', { UserPoolId: POOL, Username: half.email });
  list = await admin.b.get('/admin/requests');
  r = await admin.b.post(`/admin/requests/${halfId}/approve`);
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/admin/requests?done=closed');
  assert.deepEqual(requests(half.sub).map((x) => x[1]), ['closed']);
  assert.equal(mirrorTier(half.sub), 'standard');
  assert.deepEqual(actions(half.sub).map((a) => a[0]), [], 'no approval recorded');

  for (const bad of ['0', 'abc', '-1', '99999999999', '1e3', `${'9'.repeat(30)}`]) {
    r = await admin.b.post(`/admin/requests/${bad}/approve`);
    assert.equal(r.status, 404, bad);
    r = await admin.b.post(`/admin/requests/${bad}/decline`, { reason: 'x' });
    assert.equal(r.status, 404, bad);
  }
  assert.equal((await admin.b.get('/admin/requests?after=x')).status, 400);
  assert.equal((await admin.b.get('/admin/requests/1/approve')).status, 405);
});

test('when Cognito refuses the tier change, the request stays pending and no approval is recorded', async () => {
  const user = await plainUser('upg');
  await ask(user, 'try me');
  const [[id]] = requests(user.sub);
  await admin.b.get('/admin/requests');
  try {
    await fault({ op: 'AdminUpdateUserAttributes', mode: 'type', type: 'NotAuthorizedException', count: 1 });
    let r = await admin.b.post(`/admin/requests/${id}/approve`);
    assert.equal(r.status, 502);
    assert.match(r.body, /Cognito refused the tier change: the request is still pending/);
    await fault({ op: 'AdminUpdateUserAttributes', mode: 'error5xx' }); // every retry too
    r = await admin.b.post(`/admin/requests/${id}/approve`);
    assert.equal(r.status, 502);
  } finally {
    await fault({ op: 'AdminUpdateUserAttributes', mode: 'off' });
  }
  assert.deepEqual(requests(user.sub).map((x) => x[1]), ['pending']);
  assert.equal(mirrorTier(user.sub), 'standard');
  assert.deepEqual(actions(user.sub).filter((a) => a[0] === 'upgrade_approved'), []);
  // Once Cognito answers, the same request is approved.
  const r = await admin.b.post(`/admin/requests/${id}/approve`);
  assert.equal(r.status, 303);
  assert.deepEqual(requests(user.sub).map((x) => x[1]), ['approved']);
  assert.equal(mirrorTier(user.sub), 'premium');
});
