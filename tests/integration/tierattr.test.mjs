// Write attributes and tier changes (issue 12): no user writes their own
// tier, no app client that would let them is run with, and an admin's tier
// change never leaves Cognito and the users mirror apart without an audit
// row. Against the real stack: the Cognito double in front of cognito-local
// (what gatehouse talks to), PostgreSQL, nginx and the pool.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import {
  BIN, Browser, HTTPS_PORT, PASSWORD, adminSession, cognitoLocal, emailedCode, fault, gatehouseCli, parseCsv,
  psql, request, stackInfo, uniqueEmail, waitFor,
} from './helpers.mjs';

const info = stackInfo();
const POOL = info.COGNITO_USER_POOL_ID;
const HOST = `localhost:${HTTPS_PORT}`;
const JSON_HEADERS = { host: HOST, 'content-type': 'application/json', accept: 'application/json' };
const sqlText = (s) => `'${String(s).replace(/'/g, "''")}'`;

// stackCognito calls the stack's Cognito — the double gatehouse uses — and
// resolves with {status, body}, refusals included.
async function stackCognito(op, body) {
  const res = await fetch(info.COGNITO_ENDPOINT, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${op}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => ({})) };
}

async function cognitoTier(email) {
  const u = await cognitoLocal('AdminGetUser', { UserPoolId: POOL, Username: email });
  return (u.UserAttributes.find((a) => a.Name === 'custom:user_tier') || {}).Value;
}

// registered signs a user up through the API (tier as given), confirms the
// emailed code and signs in; resolves with the access token.
async function registered(email, tier = 'standard') {
  let r = await request('POST', '/api/v1/auth/register', { headers: JSON_HEADERS,
    body: JSON.stringify({ email, password: PASSWORD, name: 'Tier Test', tier, accept_terms: true }) });
  assert.equal(r.status, 201, r.body);
  r = await request('POST', '/api/v1/auth/verify-otp', { headers: JSON_HEADERS,
    body: JSON.stringify({ email, code: await emailedCode(email), purpose: 'email_verification' }) });
  assert.equal(r.status, 200, r.body);
  return apiToken(email);
}

async function apiToken(email) {
  const r = await request('POST', '/api/v1/auth/login', { headers: JSON_HEADERS, body: JSON.stringify({ email, password: PASSWORD }) });
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body).access_token;
}

const REFUSAL = { __type: 'NotAuthorizedException', message: 'A client attempted to write unauthorized attribute' };

// ---- (a) the stack's Cognito enforces the client's write attributes ----------------

test('a user cannot write their own tier or tenant: the stack\'s Cognito refuses it, and pages and API stay standard', async () => {
  const email = uniqueEmail('writetier');
  const token = await registered(email);
  for (const attr of ['custom:user_tier', 'custom:tenant_id']) {
    const r = await stackCognito('UpdateUserAttributes', {
      AccessToken: token, UserAttributes: [{ Name: 'name', Value: 'Sneaky' }, { Name: attr, Value: 'premium' }],
    });
    assert.equal(r.status, 400, `${attr}: ${JSON.stringify(r.body)}`);
    assert.deepEqual({ __type: r.body.__type, message: r.body.message }, REFUSAL);
  }
  const del = await stackCognito('DeleteUserAttributes', { AccessToken: token, UserAttributeNames: ['custom:user_tier'] });
  assert.equal(del.status, 400);
  assert.equal(del.body.__type, 'NotAuthorizedException');
  // What the client may write still goes through, so the check is the
  // client's list and not a blanket refusal.
  const ok = await stackCognito('UpdateUserAttributes', { AccessToken: token, UserAttributes: [{ Name: 'name', Value: 'Renamed' }] });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const held = await cognitoLocal('AdminGetUser', { UserPoolId: POOL, Username: email });
  const attr = (n) => held.UserAttributes.find((a) => a.Name === n)?.Value;
  assert.equal(attr('custom:user_tier'), 'standard', 'Cognito kept the tier sign-up set');
  assert.equal(attr('custom:tenant_id'), 'default');
  assert.equal(attr('name'), 'Renamed');

  // Signed in again, the user is standard everywhere.
  const again = await apiToken(email);
  const me = await request('GET', '/api/v1/me', { headers: { host: HOST, authorization: `Bearer ${again}` } });
  assert.equal(me.status, 200, me.body);
  assert.equal(JSON.parse(me.body).tier, 'standard');
  const b = new Browser();
  await b.get('/login');
  assert.equal((await b.post('/login', { email, password: PASSWORD })).status, 303);
  const files = await b.get('/files');
  assert.equal(files.status, 403);
  assert.match(files.body, /Premium feature/);
  assert.equal(psql(`SELECT tier FROM t_default.users WHERE email = ${sqlText(email)}`)[0][0], 'standard');
});

test('SignUp may only carry attributes the app client can write; gatehouse still signs up premium users', async () => {
  const email = uniqueEmail('signuptier');
  const r = await stackCognito('SignUp', {
    ClientId: info.COGNITO_CLIENT_ID, Username: email, Password: PASSWORD,
    UserAttributes: [{ Name: 'email', Value: email }, { Name: 'custom:user_tier', Value: 'premium' }],
  });
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.deepEqual({ __type: r.body.__type, message: r.body.message }, REFUSAL);
  await assert.rejects(cognitoLocal('AdminGetUser', { UserPoolId: POOL, Username: email }), /UserNotFound/,
    'no user was made');
  // gatehouse signs up with what the client may write and sets the tier and
  // the tenant with admin calls, which no client's list limits.
  const premium = uniqueEmail('signuppremium');
  const token = await registered(premium, 'premium');
  assert.equal(await cognitoTier(premium), 'premium');
  const me = await request('GET', '/api/v1/me', { headers: { host: HOST, authorization: `Bearer ${token}` } });
  assert.equal(JSON.parse(me.body).tier, 'premium');
});

// ---- (b) check-config and start-up read every tenant's app client ----------------

function serve() {
  const run = path.join(os.tmpdir(), `gh-tierattr-${process.pid}`);
  try {
    execFileSync(BIN, ['serve', '--env-file', info.GATEHOUSE_ENV_FILE], {
      env: { PATH: process.env.PATH, GATEHOUSE_LISTEN: `${run}.sock`, GATEHOUSE_LISTEN_SLOW: `${run}-slow.sock`,
        GATEHOUSE_PID_FILE: '' },
      stdio: 'pipe', timeout: 15000,
    });
    return { status: 0, stderr: '' };
  } catch (e) {
    return { status: e.status, stderr: String(e.stderr) };
  }
}

test('check-config and start-up refuse a tenant whose app client lets users write their tier or tenant', async () => {
  const slug = `wa-${process.pid}-${Date.now().toString(36)}`;
  const { UserPool } = await cognitoLocal('CreateUserPool', { PoolName: slug, UsernameAttributes: ['email'] });
  const settings = { UserPoolId: UserPool.Id, ClientName: slug, ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] };
  const { UserPoolClient: client } = await cognitoLocal('CreateUserPoolClient', { ...settings, WriteAttributes: ['email', 'name'] });
  psql(`INSERT INTO gatehouse.tenants (slug, name, status, region, user_pool_id, client_id)
    VALUES ('${slug}', 'Write Attributes', 'active', 'us-east-1', '${UserPool.Id}', '${client.ClientId}')`);
  try {
    let r = gatehouseCli(['check-config']);
    assert.equal(r.status, 0, `a safe client passes: ${r.stderr}`);
    for (const writes of [['email', 'name', 'custom:user_tier'], ['email', 'custom:tenant_id']]) {
      await cognitoLocal('UpdateUserPoolClient', { ...settings, ClientId: client.ClientId, WriteAttributes: writes });
      const attr = writes[writes.length - 1];
      r = gatehouseCli(['check-config']);
      assert.equal(r.status, 1, `check-config with ${attr} writable`);
      assert.match(r.stderr, new RegExp(`gatehouse: tenant ${slug}: app client ${client.ClientId} lets users write ${attr}; remove it from WriteAttributes`));
      assert.match(r.stderr, /1 problem found/);
      const s = serve();
      assert.notEqual(s.status, 0, `serve refused with ${attr} writable`);
      assert.match(s.stderr, new RegExp(`refusing to start: tenant ${slug}: app client ${client.ClientId} lets users write ${attr}`));
    }
    // No WriteAttributes at all is Cognito's "every attribute writable".
    const { UserPoolClient: open } = await cognitoLocal('CreateUserPoolClient', settings);
    psql(`UPDATE gatehouse.tenants SET client_id = '${open.ClientId}' WHERE slug = '${slug}'`);
    r = gatehouseCli(['check-config']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`tenant ${slug}: app client ${open.ClientId} lists no WriteAttributes`));
    const s = serve();
    assert.notEqual(s.status, 0);
    assert.match(s.stderr, new RegExp(`refusing to start: tenant ${slug}: app client ${open.ClientId} lists no WriteAttributes`));
  } finally {
    psql(`DELETE FROM gatehouse.tenants WHERE slug = '${slug}'`);
  }
  const r = gatehouseCli(['check-config']);
  assert.equal(r.status, 0, `the stack's own clients pass: ${r.stderr}`);
});

// ---- (c) a tier change is recorded before Cognito and settled after ----------------

let admin, adminSub;
before(async () => {
  admin = await adminSession();
  adminSub = psql(`SELECT sub FROM t_default.users WHERE email = ${sqlText(admin.email)}`)[0][0];
});

// plainUser makes a confirmed standard user who has signed in (so the
// mirror holds them) and returns {email, sub, username} (the form's name).
async function plainUser() {
  const email = uniqueEmail('intent');
  await cognitoLocal('AdminCreateUser', {
    UserPoolId: POOL, Username: email, MessageAction: 'SUPPRESS', TemporaryPassword: 'Temp-Passw0rd!x',
    UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' },
      { Name: 'custom:user_tier', Value: 'standard' }],
  });
  await cognitoLocal('AdminSetUserPassword', { UserPoolId: POOL, Username: email, Password: PASSWORD, Permanent: true });
  const b = new Browser();
  await b.get('/login');
  assert.equal((await b.post('/login', { email, password: PASSWORD })).status, 303);
  const sub = psql(`SELECT sub FROM t_default.users WHERE email = ${sqlText(email)}`)[0][0];
  const page = await admin.b.get(`/admin/users/${encodeURIComponent(email)}`);
  const form = page.body.slice(page.body.indexOf('id="gh-tier-form"'));
  return { email, sub, username: form.match(/name="username" value="([^"]*)"/)[1].replace(/&#39;/g, "'").replace(/&amp;/g, '&') };
}

const intents = (sub) => psql(`SELECT id, state, old_tier, new_tier, changed_by_sub, request_id IS NOT NULL
  FROM t_default.tier_intents WHERE user_sub = ${sqlText(sub)} ORDER BY id`);
const audits = (sub) => psql(`SELECT old_tier, new_tier, changed_by_sub, coalesce(intent_id, 0), coalesce(note, '-'), request_id
  FROM t_default.tier_changes WHERE user_sub = ${sqlText(sub)} ORDER BY id`);
const mirrorTier = (sub) => psql(`SELECT tier FROM t_default.users WHERE sub = ${sqlText(sub)}`)[0][0];
const requestIdOf = (id) => psql(`SELECT request_id FROM t_default.tier_intents WHERE id = ${id}`)[0][0];

// sync ages the user's pending intents past the minute a request may still
// hold them (as if the sync ran later), runs users sync, and returns stdout.
function syncLater(sub) {
  psql(`UPDATE t_default.tier_intents SET created_at = now() - interval '2 minutes' WHERE user_sub = ${sqlText(sub)} AND state = 'pending'`);
  const out = gatehouseCli(['users', 'sync']);
  assert.equal(out.status, 0, out.stderr);
  return out.stdout;
}

test('tier change: the intent is written before Cognito and settled with the audit row', async () => {
  const user = await plainUser();
  const r = await admin.b.post('/admin/update-tier', { username: user.username, tier: 'premium' });
  assert.equal(r.status, 303);
  assert.match(r.headers.location, /done=tier_changed$/);
  const [intent] = intents(user.sub);
  assert.deepEqual(intent.slice(1), ['done', 'standard', 'premium', adminSub, 't']);
  assert.deepEqual(audits(user.sub), [['standard', 'premium', adminSub, intent[0], '-', requestIdOf(intent[0])]]);
});

test('tier change: the record refused after Cognito said yes stays pending, and users sync completes it with its audit row', async () => {
  const user = await plainUser();
  const constraint = `refuse_${process.pid}_${Date.now()}`;
  psql(`ALTER TABLE t_default.tier_changes ADD CONSTRAINT ${constraint} CHECK (user_sub <> '${user.sub}') NOT VALID`);
  try {
    const r = await admin.b.post('/admin/update-tier', { username: user.username, tier: 'premium' });
    assert.equal(r.status, 303);
    assert.match(r.headers.location, /done=tier_unrecorded$/);
  } finally {
    psql(`ALTER TABLE t_default.tier_changes DROP CONSTRAINT ${constraint}`);
  }
  const [intent] = intents(user.sub);
  assert.deepEqual(intent.slice(1), ['pending', 'standard', 'premium', adminSub, 't'], 'the intent outlived the failure');
  assert.equal(await cognitoTier(user.email), 'premium');
  assert.equal(mirrorTier(user.sub), 'standard');
  assert.equal(audits(user.sub).length, 0);

  const out = syncLater(user.sub);
  assert.match(out, new RegExp(`tier change ${intent[0]} of ${user.email.replace(/[.+]/g, '\\$&')} .*completed`));
  assert.deepEqual(intents(user.sub).map((i) => i[1]), ['done']);
  assert.equal(mirrorTier(user.sub), 'premium');
  assert.equal(await cognitoTier(user.email), 'premium');
  assert.deepEqual(audits(user.sub), [['standard', 'premium', adminSub, intent[0], 'completed by sync', requestIdOf(intent[0])]]);
  assert.deepEqual(psql(`SELECT DISTINCT tier FROM gatehouse.sessions WHERE email = ${sqlText(user.email)}`), [['premium']]);
  // Settled once: a second sync writes nothing more.
  syncLater(user.sub);
  assert.equal(audits(user.sub).length, 1);
});

test('tier change: a Cognito call that timed out but happened stays pending, and users sync completes it', async () => {
  const user = await plainUser();
  // The double holds the call past gatehouse's 5 s budget, then passes it
  // on: gatehouse sees no answer, Cognito makes the change.
  await fault({ op: 'AdminUpdateUserAttributes', mode: 'delay', delayMs: 6500, count: 1 });
  try {
    const r = await admin.b.post('/admin/update-tier', { username: user.username, tier: 'premium' });
    assert.equal(r.status, 503, r.body.slice(0, 200));
    await waitFor(async () => (await cognitoTier(user.email)) === 'premium', 10000, 'Cognito applying the late call');
  } finally { await fault({ reset: true }); }
  const [intent] = intents(user.sub);
  assert.equal(intent[1], 'pending');
  assert.equal(mirrorTier(user.sub), 'standard');
  assert.equal(audits(user.sub).length, 0);

  syncLater(user.sub);
  assert.deepEqual(intents(user.sub).map((i) => i[1]), ['done']);
  assert.equal(mirrorTier(user.sub), 'premium');
  assert.deepEqual(audits(user.sub), [['standard', 'premium', adminSub, intent[0], 'completed by sync', requestIdOf(intent[0])]]);
});

test('tier change: a Cognito failure that changed nothing stays pending, and users sync abandons it with an audit row', async () => {
  const user = await plainUser();
  await fault({ op: 'AdminUpdateUserAttributes', mode: 'error5xx' });
  try {
    const r = await admin.b.post('/admin/update-tier', { username: user.username, tier: 'premium' });
    assert.equal(r.status, 503, r.body.slice(0, 200));
  } finally { await fault({ reset: true }); }
  const [intent] = intents(user.sub);
  assert.equal(intent[1], 'pending', 'a 5xx may hide a change: not settled yet');
  assert.equal(await cognitoTier(user.email), 'standard');
  // Younger than a minute, it may still be in its request: the sync waits.
  const early = gatehouseCli(['users', 'sync']);
  assert.equal(early.status, 0, early.stderr);
  assert.doesNotMatch(early.stdout, new RegExp(`tier change ${intent[0]} `));
  assert.equal(intents(user.sub)[0][1], 'pending');

  const out = syncLater(user.sub);
  assert.match(out, /abandoned: Cognito kept the old tier/);
  assert.deepEqual(intents(user.sub).map((i) => i[1]), ['abandoned']);
  assert.equal(mirrorTier(user.sub), 'standard');
  assert.equal(await cognitoTier(user.email), 'standard');
  const note = 'abandoned by sync: premium was asked, Cognito kept standard';
  assert.deepEqual(audits(user.sub), [['standard', 'standard', adminSub, intent[0], note, requestIdOf(intent[0])]]);
  // Admins read it in the user's history and in the audit log's CSV.
  const page = await admin.b.get(`/admin/users/${encodeURIComponent(user.email)}`);
  assert.match(page.body, new RegExp(`standard &rarr; standard <span class="text-body-secondary">\\(${note}\\)</span>`));
  const csv = parseCsv((await admin.b.get('/admin/audit.csv')).body);
  assert.equal(csv[0][9], 'detail');
  assert.deepEqual(csv.find((c) => c[4] === user.sub).slice(5), ['standard', 'standard', requestIdOf(intent[0]), '127.0.0.1', note, 'tier_changed']);
});

test('tier change: a pending change that a later one followed is only marked abandoned by users sync', async () => {
  const user = await plainUser();
  await fault({ op: 'AdminUpdateUserAttributes', mode: 'error5xx' });
  try {
    assert.equal((await admin.b.post('/admin/update-tier', { username: user.username, tier: 'premium' })).status, 503);
  } finally { await fault({ reset: true }); }
  const r = await admin.b.post('/admin/update-tier', { username: user.username, tier: 'premium' });
  assert.match(r.headers.location, /done=tier_changed$/);
  const [first, second] = intents(user.sub);
  assert.deepEqual([first[1], second[1]], ['pending', 'done']);
  const out = syncLater(user.sub);
  assert.match(out, new RegExp(`tier change ${first[0]} .*abandoned: a later change of the user governs`));
  assert.deepEqual(intents(user.sub).map((i) => i[1]), ['abandoned', 'done']);
  assert.deepEqual(audits(user.sub), [['standard', 'premium', adminSub, second[0], '-', requestIdOf(second[0])]],
    'the change that happened is recorded once');
  assert.equal(mirrorTier(user.sub), 'premium');
});

test('tier change: a pending change of a user deleted since is abandoned by users sync with an audit row', async () => {
  const user = await plainUser();
  await fault({ op: 'AdminUpdateUserAttributes', mode: 'error5xx' });
  try {
    assert.equal((await admin.b.post('/admin/update-tier', { username: user.username, tier: 'premium' })).status, 503);
  } finally { await fault({ reset: true }); }
  await cognitoLocal('AdminDeleteUser', { UserPoolId: POOL, Username: user.email });
  const [intent] = intents(user.sub);
  syncLater(user.sub);
  assert.deepEqual(intents(user.sub).map((i) => i[1]), ['abandoned']);
  assert.deepEqual(audits(user.sub), [['standard', 'standard', adminSub, intent[0],
    'abandoned by sync: the user no longer exists', requestIdOf(intent[0])]]);
});

test('tier change: Cognito\'s plain refusal settles the intent at once, with nothing to record', async () => {
  const user = await plainUser();
  await fault({ op: 'AdminUpdateUserAttributes', mode: 'type', type: 'InvalidParameterException' });
  try {
    const r = await admin.b.post('/admin/update-tier', { username: user.username, tier: 'premium' });
    assert.equal(r.status, 400, r.body.slice(0, 200));
  } finally { await fault({ reset: true }); }
  assert.deepEqual(intents(user.sub).map((i) => i[1]), ['abandoned']);
  assert.equal(audits(user.sub).length, 0);
  assert.equal(mirrorTier(user.sub), 'standard');
});
