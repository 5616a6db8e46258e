// The admin tier panel against the real stack: nginx over TLS, the pool,
// PostgreSQL and cognito-local. Admins are made as an operator makes them
// (AdminCreateUser with a temporary password, AdminAddUserToGroup) and sign in
// through the real pages, new-password step included; plain users and big
// sets are made directly in cognito-local or the mirror. Statistics are
// checked on a tenant of their own, so that nothing else counts in them.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  Browser, PASSWORD, adminSession, cognitoLocal, gatehouseCli, parseCsv, psql, stackInfo, uniqueEmail, waitFor,
} from './helpers.mjs';
import { makeTenant } from './admin-helpers.mjs';

const info = stackInfo();
const POOL = info.COGNITO_USER_POOL_ID;
const DAY = 86400;
const PER_PAGE = 25; // the users list (USERLIST_PER_PAGE)

let admin; // {b, email}: a default-tenant admin shared by the tests
let adminSub;

before(async () => {
  admin = await adminSession();
  adminSub = psql(`SELECT sub FROM t_default.users WHERE email = '${admin.email}'`)[0][0];
});

// ---- helpers ----------------------------------------------------------------

const sqlText = (s) => `'${String(s).replace(/'/g, "''")}'`;

// plainUser makes a confirmed user with a permanent password and signs them in.
async function plainUser(tier = 'standard') {
  const email = uniqueEmail('plain');
  await cognitoLocal('AdminCreateUser', {
    UserPoolId: POOL, Username: email, MessageAction: 'SUPPRESS', TemporaryPassword: 'Temp-Passw0rd!x',
    UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' },
      { Name: 'name', Value: 'Plain Person' }, { Name: 'custom:user_tier', Value: tier }],
  });
  await cognitoLocal('AdminSetUserPassword', { UserPoolId: POOL, Username: email, Password: PASSWORD, Permanent: true });
  const b = new Browser();
  await b.get('/login');
  const r = await b.post('/login', { email, password: PASSWORD });
  assert.equal(r.status, 303, `plain user login: ${r.body.slice(0, 200)}`);
  const sub = psql(`SELECT sub FROM t_default.users WHERE email = '${email}'`)[0][0];
  return { b, email, sub };
}

async function cognitoTier(email, pool = POOL) {
  const u = await cognitoLocal('AdminGetUser', { UserPoolId: pool, Username: email });
  return (u.UserAttributes.find((a) => a.Name === 'custom:user_tier') || {}).Value;
}

const unescape = (s) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<')
  .replace(/&gt;/g, '>').replace(/&amp;/g, '&');

// rows of the users table of an /admin/users page: [{email, href}]
function userRows(body) {
  return [...body.matchAll(/<tr><th scope="row"><a class="stretched-link" href="([^"]*)">([^<]*)<\/a>/g)]
    .map((m) => ({ email: unescape(m[2]), href: unescape(m[1]) }));
}

function nextLink(body) {
  const m = body.match(/<a class="page-link" href="([^"]*)" rel="next">/);
  return m ? unescape(m[1]) : null;
}

// the username the tier form of a user page posts
function formUsername(body) {
  const form = body.slice(body.indexOf('id="gh-tier-form"'));
  return unescape(form.match(/name="username" value="([^"]*)"/)[1]);
}

function auditRows(sub) {
  return psql(`SELECT user_sub, user_email, old_tier, new_tier, changed_by_sub, changed_by_email,
    request_id, client_addr, changed_at > now() - interval '2 minutes'
    FROM t_default.tier_changes WHERE user_sub = ${sqlText(sub)} ORDER BY id`);
}

// ---- access --------------------------------------------------------------------

test('admin, plain user and anonymous visitor on every admin route: 200, 403, login', async () => {
  const user = await plainUser();
  const anon = new Browser();
  await anon.get('/login');
  const gets = ['/admin', '/admin/users', '/admin/users?tier=premium', `/admin/users/${encodeURIComponent(user.email)}`,
    '/admin/audit', '/admin/audit?page=2', '/admin/audit.csv', '/admin/audit?format=csv'];
  for (const p of gets) {
    let r = await admin.b.get(p);
    assert.equal(r.status, 200, `admin GET ${p}`);
    r = await user.b.get(p);
    assert.equal(r.status, 403, `plain user GET ${p}`);
    assert.match(r.body, /<nav\b/, 'the styled 403 page');
    assert.match(r.body, /do not have access/);
    r = await anon.get(p);
    assert.equal(r.status, 303, `anonymous GET ${p}`);
    assert.equal(r.headers.location, `/login?next=${encodeURIComponent(p)}`);
  }

  // POSTs: the plain user and the visitor first, so that only the admin's change lands.
  await user.b.get('/account');
  let r = await user.b.post('/admin/user-info', { username: user.email });
  assert.equal(r.status, 403);
  r = await user.b.post('/admin/update-tier', { username: user.email, tier: 'premium' });
  assert.equal(r.status, 403);
  await anon.get('/login');
  r = await anon.post('/admin/user-info', { username: user.email });
  assert.equal(r.status, 303);
  assert.match(r.headers.location, /^\/login\?next=/);
  r = await anon.post('/admin/update-tier', { username: user.email, tier: 'premium' });
  assert.equal(r.status, 303);
  assert.match(r.headers.location, /^\/login\?next=/);
  assert.equal(await cognitoTier(user.email), 'standard', 'refused requests changed nothing');
  assert.equal(auditRows(user.sub).length, 0);

  await admin.b.get('/admin');
  r = await admin.b.post('/admin/user-info', { username: user.email });
  assert.equal(r.status, 200);
  assert.match(r.body, new RegExp(user.email.replace(/[.+]/g, '\\$&')));
  r = await admin.b.post('/admin/update-tier', { username: formUsername(r.body), tier: 'premium' });
  assert.equal(r.status, 303);
  assert.equal(await cognitoTier(user.email), 'premium');

  // The navigation shows the panel to admins only.
  assert.match((await admin.b.get('/account')).body, /href="\/admin"/);
  assert.doesNotMatch((await user.b.get('/account')).body, /href="\/admin"/);
});

// passwordAdmin makes an admin with a permanent password (signed in with
// InitiateAuth, whose refresh token cognito-local keeps; it keeps none from
// the new-password challenge).
async function passwordAdmin() {
  const email = uniqueEmail('admin-pw');
  await cognitoLocal('AdminCreateUser', {
    UserPoolId: POOL, Username: email, MessageAction: 'SUPPRESS', TemporaryPassword: 'Temp-Passw0rd!x',
    UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' }],
  });
  await cognitoLocal('AdminSetUserPassword', { UserPoolId: POOL, Username: email, Password: PASSWORD, Permanent: true });
  await cognitoLocal('AdminAddUserToGroup', { UserPoolId: POOL, Username: email, GroupName: 'admin' });
  return email;
}

test('an anonymous visitor logs in and lands on the admin page asked for', async () => {
  const email = await passwordAdmin();
  const b = new Browser();
  let r = await b.get('/admin/audit');
  assert.equal(r.status, 303);
  r = await b.follow(r);
  const next = r.body.match(/name="next" value="([^"]*)"/)[1];
  assert.equal(next, '/admin/audit');
  r = await b.post('/login', { email, password: PASSWORD, next });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/admin/audit');
  assert.equal((await b.get('/admin/audit')).status, 200);
});

test('leaving the admin group takes effect when the session refreshes its tokens', async () => {
  const email = await passwordAdmin();
  const b = new Browser();
  await b.get('/login');
  assert.equal((await b.post('/login', { email, password: PASSWORD })).status, 303);
  assert.equal((await b.get('/admin')).status, 200);
  await cognitoLocal('AdminRemoveUserFromGroup', { UserPoolId: POOL, Username: email, GroupName: 'admin' });
  psql(`UPDATE gatehouse.sessions SET access_expires_at = now() - interval '5 minutes' WHERE email = '${email}'`);
  const r = await b.get('/admin');
  assert.equal(r.status, 403, 'the refreshed groups no longer include admin');
  assert.equal((await b.get('/admin/users')).status, 403);
  assert.equal((await b.get('/account')).status, 200, 'still signed in, as a plain user');
});

// ---- tier changes ------------------------------------------------------------------

test('update-tier to each valid value: Cognito, mirror, audit log, and the user\'s next page', async () => {
  const user = await plainUser('standard');
  assert.match((await user.b.get('/account')).body, /gh-tier-standard/);

  let page = await admin.b.get(`/admin/users/${encodeURIComponent(user.email)}`);
  assert.equal(page.status, 200);
  assert.match(page.body, /No tier changes recorded/);
  const username = formUsername(page.body);
  let r = await admin.b.post('/admin/update-tier', { username, tier: 'premium' });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, `/admin/users/${encodeURIComponent(username)}?done=tier_changed`);
  page = await admin.b.follow(r);
  assert.match(page.body, /The tier was changed/);
  assert.match(page.body, /id="gh-user-tier">premium</);
  assert.match(page.body, /standard &rarr; premium/, 'the history shows the change');

  assert.equal(await cognitoTier(user.email), 'premium');
  assert.deepEqual(psql(`SELECT tier FROM t_default.users WHERE sub = '${user.sub}'`), [['premium']]);
  let rows = auditRows(user.sub);
  assert.equal(rows.length, 1);
  const [sub, email, oldTier, newTier, bySub, byEmail, requestId, clientAddr, recent] = rows[0];
  assert.deepEqual([sub, email, oldTier, newTier, bySub, byEmail], [user.sub, user.email, 'standard', 'premium', adminSub, admin.email]);
  assert.match(requestId, /^[0-9a-f]{32}$/, 'the request id from nginx');
  assert.equal(clientAddr, '127.0.0.1');
  assert.equal(recent, 't');

  // The user's session carries the new tier: no new login, no stale token.
  assert.match((await user.b.get('/account')).body, /gh-tier-premium/);
  assert.deepEqual(psql(`SELECT DISTINCT tier FROM gatehouse.sessions WHERE email = '${user.email}'`), [['premium']]);

  r = await admin.b.post('/admin/update-tier', { username, tier: 'standard' });
  assert.equal(r.status, 303);
  assert.equal(await cognitoTier(user.email), 'standard');
  rows = auditRows(user.sub);
  assert.equal(rows.length, 2);
  assert.deepEqual(rows[1].slice(2, 4), ['premium', 'standard']);
  assert.match((await user.b.get('/account')).body, /gh-tier-standard/);

  r = await admin.b.post('/admin/update-tier', { username, tier: 'standard' });
  assert.equal(r.status, 303);
  assert.match(r.headers.location, /done=tier_unchanged$/);
  assert.match((await admin.b.follow(r)).body, /already had that tier/);
  assert.equal(auditRows(user.sub).length, 2, 'no record for a change that did not happen');

  // Every admin action is logged with the admin's identity.
  const logFile = path.join(info.LOG_DIR, 'gatehouse.log');
  await waitFor(() => fs.readFileSync(logFile, 'utf8').split('\n').some((l) => l.includes('event=admin_action') &&
    l.includes(`admin_sub=${adminSub}`) && l.includes('action=update_tier') && l.includes(`user_sub=${user.sub}`)),
  2000, 'the admin_action log line');
});

test('update-tier for a user the mirror has not seen: the row is made from Cognito, then changed', async () => {
  const email = uniqueEmail('unmirrored');
  const made = await cognitoLocal('AdminCreateUser', { UserPoolId: POOL, Username: email, MessageAction: 'SUPPRESS',
    UserAttributes: [{ Name: 'email', Value: email }, { Name: 'name', Value: 'Not Mirrored' }] });
  assert.equal(psql(`SELECT 1 FROM t_default.users WHERE email = '${email}'`).length, 0);
  const page = await admin.b.get(`/admin/users/${encodeURIComponent(email)}`);
  assert.match(page.body, /Not in the users list yet/);
  const r = await admin.b.post('/admin/update-tier', { username: formUsername(page.body), tier: 'premium' });
  assert.equal(r.status, 303);
  assert.match(r.headers.location, /done=tier_changed$/);
  const created = Math.floor(made.User.UserCreateDate);
  const [row] = psql(`SELECT sub, tier, name, status, extract(epoch FROM created_at)::bigint FROM t_default.users WHERE email = '${email}'`);
  assert.deepEqual(row.slice(1), ['premium', 'Not Mirrored', 'FORCE_CHANGE_PASSWORD', String(created)]);
  assert.deepEqual(auditRows(row[0]).map((a) => a.slice(2, 4)), [['standard', 'premium']]);
});

test('when the database refuses the record after Cognito said yes: logged, told, and users sync repairs', async () => {
  const user = await plainUser('standard');
  // A constraint that refuses this one user's audit row makes the
  // transaction fail after the Cognito call, and nobody else's.
  const constraint = `refuse_${process.pid}_${Date.now()}`;
  psql(`ALTER TABLE t_default.tier_changes ADD CONSTRAINT ${constraint} CHECK (user_sub <> '${user.sub}') NOT VALID`);
  try {
    const page = await admin.b.get(`/admin/users/${encodeURIComponent(user.email)}`);
    const r = await admin.b.post('/admin/update-tier', { username: formUsername(page.body), tier: 'premium' });
    assert.equal(r.status, 303);
    assert.match(r.headers.location, /done=tier_unrecorded$/);
    assert.match((await admin.b.follow(r)).body, /could not be\s+written/);
  } finally {
    psql(`ALTER TABLE t_default.tier_changes DROP CONSTRAINT ${constraint}`);
  }
  assert.equal(await cognitoTier(user.email), 'premium', 'Cognito, the truth, has the change');
  assert.deepEqual(psql(`SELECT tier FROM t_default.users WHERE sub = '${user.sub}'`), [['standard']], 'nothing half-written');
  assert.equal(auditRows(user.sub).length, 0);
  const logFile = path.join(info.LOG_DIR, 'gatehouse.log');
  await waitFor(() => fs.readFileSync(logFile, 'utf8').split('\n').some((l) => l.includes('event=tier_change_unrecorded') &&
    l.includes(`user_sub=${user.sub}`) && l.includes('new=premium') && l.includes('repair=users_sync')),
  2000, 'the failure is logged with what the record would have held');
  const out = gatehouseCli(['users', 'sync']);
  assert.equal(out.status, 0, out.stderr);
  assert.deepEqual(psql(`SELECT tier FROM t_default.users WHERE sub = '${user.sub}'`), [['premium']], 'users sync repaired it');
});

test('update-tier refuses anything but standard or premium, and changes nothing', async () => {
  const user = await plainUser('standard');
  const page = await admin.b.get(`/admin/users/${encodeURIComponent(user.email)}`);
  const username = formUsername(page.body);
  const bad = ['gold', '', 'premium ', ' premium', 'PREMIUM', 'Premium', 'standard\n', 'p'.repeat(5000), 'premium,standard'];
  for (const tier of bad) {
    const r = await admin.b.post('/admin/update-tier', { username, tier });
    assert.equal(r.status, 400, `tier ${JSON.stringify(tier.slice(0, 20))}`);
    assert.match(r.body, /Choose Standard or Premium/);
    assert.doesNotMatch(r.body, /ppppppppppppppppppppppppppppppppp/, 'the value is not echoed');
  }
  let r = await admin.b.post('/admin/update-tier', { username });
  assert.equal(r.status, 400, 'a missing tier');
  assert.match(r.body, /Choose Standard or Premium/);
  r = await admin.b.post('/admin/update-tier', { tier: 'premium' });
  assert.equal(r.status, 400, 'a missing user');
  r = await admin.b.post('/admin/update-tier', { username: uniqueEmail('nobody'), tier: 'premium' });
  assert.equal(r.status, 404, 'an unknown user');

  assert.equal(await cognitoTier(user.email), 'standard');
  assert.deepEqual(psql(`SELECT tier FROM t_default.users WHERE sub = '${user.sub}'`), [['standard']]);
  assert.equal(auditRows(user.sub).length, 0);
});

test('CSRF: every admin POST needs the page\'s token and our Origin', async () => {
  const user = await plainUser('standard');
  await admin.b.get('/admin');
  const other = new Browser();
  await other.get('/login');
  const forms = [['/admin/user-info', { username: user.email }], ['/admin/update-tier', { username: user.email, tier: 'premium' }]];
  for (const [p, form] of forms) {
    for (const [why, extra, opts] of [
      ['no token', { csrf: null }, {}],
      ['a made-up token', { csrf: 'x'.repeat(43) }, {}],
      ['another visitor\'s token', { csrf: other.lastCsrf }, {}],
      ['a foreign Origin', {}, { headers: { origin: 'https://evil.example' } }],
      ['no Origin or Referer', {}, { headers: { origin: null } }],
    ]) {
      const r = await admin.b.post(p, { ...form, ...extra }, opts);
      assert.equal(r.status, 403, `${p} with ${why}`);
      assert.match(r.body, /did not come from this site/);
    }
  }
  assert.equal(await cognitoTier(user.email), 'standard');
  assert.equal(auditRows(user.sub).length, 0);
  const r = await admin.b.post('/admin/user-info', { username: user.email });
  assert.equal(r.status, 200, 'the real form still works');
});

// ---- the users list ------------------------------------------------------------------

// The list shows the users mirror (issue 15): users made in Cognito are put
// there as `users sync` would put them (tests/integration/adminlist.test.mjs
// runs the sync itself); before, these tests read the list live from Cognito.
function mirrorUsers(users) {
  psql(`INSERT INTO t_default.users (sub, email, name, tier, status) VALUES ${users.map((u) =>
    `(${sqlText(u.sub)}, ${sqlText(u.email)}, ${u.name ? sqlText(u.name) : 'NULL'}, ${sqlText(u.tier || 'standard')}, ${sqlText(u.status || 'CONFIRMED')})`).join(', ')}
    ON CONFLICT (sub) DO NOTHING`);
}

// the plain-words status of each row of an /admin/users page
const rowStatuses = (body) => [...body.matchAll(/<td data-label="Status">([^<]*)/g)].map((m) => m[1].trim());

test('the users list pages through the mirror, PER_PAGE at a time', async () => {
  const prefix = `page-${process.pid}-${Date.now().toString(36)}-`;
  const emails = [];
  for (let i = 0; i < 70; i++) {
    const email = `${prefix}${String(i).padStart(3, '0')}@example.com`;
    emails.push(email);
    const made = await cognitoLocal('AdminCreateUser', {
      UserPoolId: POOL, Username: email, MessageAction: 'SUPPRESS',
      UserAttributes: [{ Name: 'email', Value: email }, { Name: 'custom:user_tier', Value: i % 2 ? 'premium' : 'standard' }],
    });
    const sub = made.User.Attributes.find((a) => a.Name === 'sub').Value;
    mirrorUsers([{ sub, email, tier: i % 2 ? 'premium' : 'standard', status: 'FORCE_CHANGE_PASSWORD' }]);
  }
  try {
    let r = await admin.b.get(`/admin/users?q=${encodeURIComponent(prefix)}`);
    assert.equal(r.status, 200);
    assert.match(r.body, /<span id="gh-total">70<\/span> users match/);
    const first = userRows(r.body);
    assert.equal(first.length, PER_PAGE);
    const later = [];
    for (let next = nextLink(r.body); next; next = nextLink(r.body)) {
      r = await admin.b.get(next);
      assert.equal(r.status, 200);
      later.push(userRows(r.body));
      assert.match(r.body, />First page</);
    }
    assert.deepEqual(later.map((page) => page.length), [PER_PAGE, 70 - 2 * PER_PAGE],
      'full pages, then the rest, then no page after the last');
    const seen = [...first, ...later.flat()].map((u) => u.email);
    assert.equal(new Set(seen).size, 70, 'no user twice');
    assert.deepEqual(seen, [...emails].sort(), 'in email order');
    assert.ok(first.every((u) => u.href.startsWith('/admin/users/')));

    // Without a search, the first page is full and leads on.
    r = await admin.b.get('/admin/users');
    assert.equal(userRows(r.body).length, PER_PAGE);
    assert.ok(nextLink(r.body));
    // A row's link opens the user's page.
    r = await admin.b.get(first[0].href);
    assert.equal(r.status, 200);
    assert.match(r.body, new RegExp(first[0].email.replace(/[.+]/g, '\\$&')));
  } finally {
    for (const email of emails) await cognitoLocal('AdminDeleteUser', { UserPoolId: POOL, Username: email }).catch(() => {});
    psql(`DELETE FROM t_default.users WHERE email LIKE ${sqlText(`${prefix}%`)}`);
  }
});

test('search for a piece of the email, filter by status, and refuse what cannot be used', async () => {
  const prefix = `find-${process.pid}-${Date.now().toString(36)}-`;
  const invited = [];
  for (let i = 0; i < 3; i++) {
    const email = `${prefix}invited${i}@example.com`;
    invited.push(email);
    mirrorUsers([{ sub: `${prefix}sub-${i}`, email, status: 'FORCE_CHANGE_PASSWORD' }]);
  }
  // One through the sign-up page: UNCONFIRMED, and in the mirror.
  const signup = `${prefix}signup@example.com`;
  const b = new Browser();
  await b.get('/signup');
  let r = await b.post('/signup', { email: signup, name: 'Found Person', password: PASSWORD, confirm_password: PASSWORD, tier: 'premium', terms: '1' });
  assert.equal(r.status, 303);

  try {
    r = await admin.b.get(`/admin/users?q=${encodeURIComponent(prefix)}`);
    assert.equal(r.status, 200);
    assert.deepEqual(userRows(r.body).map((u) => u.email).sort(), [...invited, signup].sort());
    r = await admin.b.get(`/admin/users?q=${encodeURIComponent(`${prefix}inv`)}`);
    assert.deepEqual(userRows(r.body).map((u) => u.email).sort(), invited.sort());
    r = await admin.b.get(`/admin/users?q=${encodeURIComponent('invited1@')}&status=FORCE_CHANGE_PASSWORD`);
    assert.ok(userRows(r.body).some((u) => u.email === invited[1]), 'a piece from the middle of the email');

    r = await admin.b.get('/admin/users?status=UNCONFIRMED');
    assert.equal(r.status, 200);
    assert.ok(userRows(r.body).length > 0);
    const statuses = rowStatuses(r.body);
    assert.ok(statuses.length > 0 && statuses.every((s) => s === 'Waiting for email confirmation'), statuses.join(','));

    r = await admin.b.get(`/admin/users?q=${encodeURIComponent(prefix)}&status=UNCONFIRMED`);
    assert.match(r.body, /1 user matches/);
    assert.deepEqual(userRows(r.body).map((u) => u.email), [signup]);
    r = await admin.b.get(`/admin/users?q=${encodeURIComponent(prefix.toUpperCase())}&tier=premium`);
    assert.deepEqual(userRows(r.body).map((u) => u.email), [signup], 'the search ignores case');

    // A quote or a backslash in the search is only text.
    r = await admin.b.get(`/admin/users?q=${encodeURIComponent('x" or email ^= "')}`);
    assert.equal(r.status, 200);
    assert.equal(userRows(r.body).length, 0);
    r = await admin.b.get(`/admin/users?q=${encodeURIComponent('a\\')}`);
    assert.equal(r.status, 200);

    for (const q of ['status=GONE', 'tier=gold', `q=${'a'.repeat(300)}`, 'q=a%0Ab', 'sort=password', 'after=x']) {
      r = await admin.b.get(`/admin/users?${q}`);
      assert.equal(r.status, 400, q);
      assert.match(r.body, /gh-form-error/);
    }
  } finally {
    psql(`DELETE FROM t_default.users WHERE sub LIKE ${sqlText(`${prefix}%`)}`);
  }
});

// ---- statistics, on a tenant of their own ----------------------------------------------


function dropTenant(t) {
  psql(`DROP SCHEMA IF EXISTS ${t.schema} CASCADE`);
  psql(`DELETE FROM gatehouse.schema_migrations WHERE scope = 'tenant:${t.slug}'`);
  psql(`DELETE FROM gatehouse.tenants WHERE slug = '${t.slug}'`);
}

test('statistics for a seeded tenant of 130 users, mirror paging, and tenant isolation', async () => {
  const t = await makeTenant('adm', 'Statistics Test');
  try {
    const now = Math.floor(Date.now() / 1000);
    const today = now - (now % DAY);
    const seeded = [];
    for (let i = 0; i < 130; i++) {
      seeded.push({
        sub: `seed-${i}`, email: `seed-${String(i).padStart(3, '0')}@example.com`,
        tier: i % 3 === 0 ? 'premium' : 'standard',
        status: i % 5 === 0 ? 'UNCONFIRMED' : i % 17 === 0 ? 'FORCE_CHANGE_PASSWORD' : 'CONFIRMED',
        created: today - (i % 40) * DAY + 60 + i,
      });
    }
    psql(`INSERT INTO ${t.schema}.users (sub, email, name, tier, status, created_at) VALUES ${seeded.map((u) =>
      `('${u.sub}', '${u.email}', 'Seed ${u.sub}', '${u.tier}', '${u.status}', to_timestamp(${u.created}))`).join(', ')}`);

    const base = `/t/${t.slug}`;
    const { b } = await adminSession({ poolId: t.poolId, base });
    // The admin's own sign-in added them to the mirror: a standard, confirmed user of today.
    const everyone = [...seeded, { tier: 'standard', status: 'CONFIRMED', created: now }];
    const count = (f) => everyone.filter(f).length;
    const r = await b.get(`${base}/admin`);
    assert.equal(r.status, 200);
    const stat = (id) => Number(r.body.match(new RegExp(`id="gh-stat-${id}">(\\d+)<`))[1]);
    const bar = (label) => Number(r.body.match(new RegExp(`class="gh-bar" data-label="${label}" data-count="(\\d+)"`))[1]);
    assert.equal(stat('total'), 131);
    assert.equal(stat('premium'), count((u) => u.tier === 'premium'));
    assert.equal(stat('unconfirmed'), count((u) => u.status === 'UNCONFIRMED'));
    assert.equal(bar('Standard'), count((u) => u.tier === 'standard'));
    assert.equal(bar('Premium'), 44);
    assert.equal(bar('Confirmed'), count((u) => u.status === 'CONFIRMED'));
    assert.equal(bar('Unconfirmed'), 26);
    assert.equal(bar('Other'), count((u) => u.status === 'FORCE_CHANGE_PASSWORD'));
    // Each day's bar carries its date and count as its tooltip, and the table under the chart the same.
    const days = [...r.body.matchAll(/<rect [^>]*><title>([\d-]+): (\d+)<\/title><\/rect>/g)].map((m) => [m[1], Number(m[2])]);
    const rows = [...r.body.matchAll(/<tr><td>([\d-]+)<\/td><td>(\d+)<\/td><\/tr>/g)].map((m) => [m[1], Number(m[2])]);
    assert.equal(days.length, 30);
    const first = today - 29 * DAY;
    const expected = [];
    for (let d = 0; d < 30; d++) {
      const start = first + d * DAY;
      expected.push([new Date(start * 1000).toISOString().slice(0, 10),
        count((u) => u.created >= start && u.created < start + DAY)]);
    }
    assert.deepEqual(days, expected);
    assert.deepEqual(rows, expected);
    assert.match(r.body, /<svg[^>]*role="img"/, 'inline SVG charts');
    assert.doesNotMatch(r.body, /<script(?![^>]*src=)/, 'no inline script');
    assert.doesNotMatch(r.body, /\sstyle="/, 'no inline style');

    // The tier filter pages the mirror: 87 standard users, full pages then the rest.
    let page = await b.get(`${base}/admin/users?tier=standard`);
    assert.equal(page.status, 200);
    assert.match(page.body, /<span id="gh-total">87<\/span> users match/);
    const one = userRows(page.body);
    assert.equal(one.length, PER_PAGE);
    const sizes = [one.length], seen = [...one];
    while (nextLink(page.body)) {
      page = await b.get(nextLink(page.body));
      const rows = userRows(page.body);
      sizes.push(rows.length);
      seen.push(...rows);
    }
    assert.deepEqual(sizes, [...Array(Math.floor(87 / PER_PAGE)).fill(PER_PAGE), 87 % PER_PAGE]);
    assert.equal(new Set(seen.map((u) => u.email)).size, 87);
    assert.ok(one.every((u) => u.href.startsWith(`${base}/admin/users/`)));

    // Isolation: the default tenant's admin is nobody here, and this admin
    // cannot open a user of the default tenant.
    const probe = new Browser();
    probe.jar = new Map(admin.b.jar);
    const away = await probe.get(`${base}/admin`);
    assert.equal(away.status, 303);
    assert.match(away.headers.location, new RegExp(`^${base}/login\\?next=`));
    const other = await b.get(`${base}/admin/users/${encodeURIComponent(admin.email)}`);
    assert.equal(other.status, 404);
  } finally {
    dropTenant(t);
    await cognitoLocal('DeleteUserPool', { UserPoolId: t.poolId }).catch(() => {});
  }
});

// ---- the audit log --------------------------------------------------------------------

test('the audit log: newest first, paged by id, and a CSV that parses and matches the table', async () => {
  const user = await plainUser('standard');
  let page = await admin.b.get(`/admin/users/${encodeURIComponent(user.email)}`);
  const r0 = await admin.b.post('/admin/update-tier', { username: formUsername(page.body), tier: 'premium' });
  assert.equal(r0.status, 303);
  // Enough rows for a second page, and one written to trip a spreadsheet.
  // The audit page reads admin_actions, where every admin action is (issue 15).
  psql(`INSERT INTO t_default.admin_actions (action, target_sub, target_email, before_value, after_value, actor_sub, actor_email, request_id, client_addr)
    SELECT 'tier_changed', 'bulk-' || g, 'bulk-' || g || '@example.com', 'standard', 'premium', 'bulk-admin', 'bulk-admin@example.com', 'bulk', '10.0.0.1'
    FROM generate_series(1, 55) g`);
  const evil = '=HYPERLINK("http://evil.example","click")';
  psql(`INSERT INTO t_default.admin_actions (action, target_sub, target_email, before_value, after_value, actor_sub, actor_email, request_id, client_addr)
    VALUES ('tier_changed', 'csv-sub', ${sqlText(evil)}, NULL, 'premium', 'csv-admin', 'Liddell, "Alice"', '+1', '-1')`);

  page = await admin.b.get('/admin/audit');
  assert.equal(page.status, 200);
  const total = Number(psql('SELECT count(*) FROM t_default.admin_actions')[0][0]);
  assert.match(page.body, /Newest first/);
  const table = [...page.body.matchAll(/<tr class="gh-audit-row">([\s\S]*?)<\/tr>/g)]
    .map((m) => [...m[1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => unescape(c[1].replace(/<[^>]*>/g, '').trim())));
  assert.equal(table.length, 50);
  assert.deepEqual(table[0].slice(1, 5), ['Liddell, "Alice"', evil, 'unknown', 'premium'], 'newest first');
  const second = await admin.b.get(nextLink(page.body));
  assert.equal(second.status, 200);
  assert.match(second.body, /Older actions/);

  for (const url of ['/admin/audit.csv', '/admin/audit?format=csv']) {
    const csv = await admin.b.get(url);
    assert.equal(csv.status, 200);
    assert.match(csv.headers['content-type'], /^text\/csv/);
    assert.match(csv.headers['content-disposition'], /^attachment; filename="admin-actions-default\.csv"/);
    assert.ok(csv.body.includes(`"'=HYPERLINK(""http://evil.example"",""click"")"`), 'the formula is defused and quoted');
    const rows = parseCsv(csv.body);
    assert.deepEqual(rows[0], ['at', 'admin_email', 'admin_sub', 'user_email', 'user_sub', 'before', 'after', 'request_id', 'client_addr', 'detail', 'action']);
    assert.equal(rows.length - 1, total, 'every row');
    const evilRow = rows[1];
    assert.deepEqual(evilRow.slice(1), ['Liddell, "Alice"', 'csv-admin', `'${evil}`, 'csv-sub', '', 'premium', "'+1", "'-1", '', 'tier_changed']);
    // The CSV is the table: same order, same values.
    for (let i = 0; i < table.length; i++) {
      const [at, by, who, oldTier, newTier, , requestId, client] = table[i]; // [5]: the action, in words
      const c = rows[i + 1];
      const plain = (s) => s.replace(/^'(?=[=+\-@])/, '');
      assert.equal(c[0].replace('T', ' ').replace('Z', ' UTC'), at);
      assert.deepEqual([c[1], plain(c[3]), c[5] || 'unknown', c[6], plain(c[7]), plain(c[8])], [by, who, oldTier, newTier, requestId, client]);
    }
    const mine = rows.find((c) => c[4] === user.sub);
    assert.deepEqual(mine.slice(1, 7), [admin.email, adminSub, user.email, user.sub, 'standard', 'premium']);
  }
});

// ---- users sync ----------------------------------------------------------------------------

test('users sync repairs a mirror changed behind its back, and a second run changes nothing', async () => {
  // Added: a user made in Cognito only.
  const fresh = uniqueEmail('sync-new');
  await cognitoLocal('AdminCreateUser', { UserPoolId: POOL, Username: fresh, MessageAction: 'SUPPRESS',
    UserAttributes: [{ Name: 'email', Value: fresh }, { Name: 'name', Value: 'Sync New' }, { Name: 'custom:user_tier', Value: 'premium' }] });
  // Changed: a user whose mirror row was edited by hand.
  const edited = await plainUser('standard');
  psql(`UPDATE t_default.users SET tier = 'premium', name = 'Wrong Name' WHERE sub = '${edited.sub}'`);
  // Deleted: a row for a user Cognito never had.
  const ghost = `ghost-${process.pid}-${Date.now()}`;
  psql(`INSERT INTO t_default.users (sub, email, tier, status, updated_at) VALUES ('${ghost}', '${ghost}@example.com', 'standard', 'CONFIRMED', now() - interval '1 hour')`);

  let out = gatehouseCli(['users', 'sync']);
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, new RegExp(`^added +${fresh.replace(/[.+]/g, '\\$&')} .*tier premium status FORCE_CHANGE_PASSWORD`, 'm'));
  assert.match(out.stdout, new RegExp(`^changed ${edited.email.replace(/[.+]/g, '\\$&')} .*name "Wrong Name" -> "Plain Person" tier premium -> standard`, 'm'));
  assert.match(out.stdout, new RegExp(`^deleted ${ghost}@example\\.com`, 'm'));
  assert.match(out.stdout, /users sync: tenant default: \d+ added, \d+ changed, \d+ deleted, \d+ unchanged/);

  const cognitoCreated = await cognitoLocal('AdminGetUser', { UserPoolId: POOL, Username: fresh });
  assert.deepEqual(psql(`SELECT tier, name, status, extract(epoch FROM created_at)::bigint FROM t_default.users WHERE email = '${fresh}'`),
    [['premium', 'Sync New', 'FORCE_CHANGE_PASSWORD', String(Math.floor(cognitoCreated.UserCreateDate))]]);
  assert.deepEqual(psql(`SELECT tier, name FROM t_default.users WHERE sub = '${edited.sub}'`), [['standard', 'Plain Person']]);
  assert.equal(psql(`SELECT 1 FROM t_default.users WHERE sub = '${ghost}'`).length, 0);

  out = gatehouseCli(['users', 'sync', '--tenant', 'default']);
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /users sync: tenant default: 0 added, 0 changed, 0 deleted, [1-9]\d* unchanged/);

  out = gatehouseCli(['users', 'sync', '--tenant', 'no-such-tenant']);
  assert.equal(out.status, 1);
  assert.match(out.stderr, /no tenant "no-such-tenant"/);
  out = gatehouseCli(['users', 'resync']);
  assert.equal(out.status, 2);
  assert.match(out.stderr, /usage: gatehouse users sync/);
});

