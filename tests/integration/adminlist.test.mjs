// The admin's user list (issue 15, part A) against the real stack: one list
// from the users mirror for every view, its total, search, filters, sorts,
// keyset pages, and "Sync now", which runs the users sync in a worker's sync
// thread outside the request. Each test uses a tenant of its own (a pool in
// cognito-local, a schema migrated by `gatehouse migrate`), so totals are
// exact; the mirror is seeded with SQL, as `make bench` seeds its million.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Browser, PASSWORD, adminSession, cognitoLocal, fault, gatehouseCli, psql, sleep, waitFor,
} from './helpers.mjs';
import { totp } from './totp.mjs';
import { makeTenant } from './admin-helpers.mjs';

const PER_PAGE = 25;

const unescape = (s) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<')
  .replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/&#x2F;/g, '/').replace(/&#x3D;/g, '=').replace(/&#x60;/g, '`');

// The rows of a list page, in order: [{email, href|null, status, mfa}]
function rows(body) {
  return [...body.matchAll(/<tr><th scope="row">([\s\S]*?)<\/tr>/g)].map((m) => {
    // The row's th (its email) and tds carry no classes: cells by place.
    const [email, ...cells] = m[1].split(/<\/t[dh]><td[^>]*>/);
    const href = m[1].match(/href="([^"]*)"/);
    return {
      email: unescape(email.replace(/<[^>]*>/g, '')), href: href ? unescape(href[1]) : null,
      status: unescape(cells[2].replace(/<[^>]*>/g, '')).trim(), mfa: cells[3],
    };
  });
}
const emails = (body) => rows(body).map((r) => r.email);
const link = (body, rel) => {
  const m = body.match(new RegExp(`<a class="page-link" href="([^"]*)" rel="${rel}">`));
  return m ? unescape(m[1]) : null;
};
const total = (body) => {
  const m = body.match(/id="gh-users-total">(?:<span id="gh-total">(\d+)<\/span> users match|(1) user matches)/);
  return m ? Number(m[1] || m[2]) : NaN;
};

// ---- a tenant of our own --------------------------------------------------------

let t; // {slug, poolId, schema, base}
let admin; // {b, email}


// The seeded users: 130 of them with every kind of value the filters and
// sorts read, and a few NULL names and never-signed-in users.
const SEEDED = 130;
function seed(schema) {
  psql(`INSERT INTO ${schema}.users (sub, email, name, tier, status, enabled, mfa, created_at, last_login_at)
    SELECT 'seed-' || lpad(g::text, 4, '0'),
           'seed-' || lpad(((g * 37) % 1000)::text, 4, '0') || '@list.example',
           CASE WHEN g % 10 = 0 THEN NULL ELSE (ARRAY['Ann', 'Bob', 'Cleo', 'Dmitri', 'Eve'])[1 + g % 5] || ' Person ' || g END,
           CASE WHEN g % 3 = 0 THEN 'premium' ELSE 'standard' END,
           CASE WHEN g % 7 = 0 THEN 'UNCONFIRMED' WHEN g % 11 = 0 THEN 'FORCE_CHANGE_PASSWORD'
                WHEN g % 13 = 0 THEN 'RESET_REQUIRED' ELSE 'CONFIRMED' END,
           g % 9 <> 0, g % 4 = 0,
           timestamptz '2026-01-01' + (g % 50) * interval '1 day' + g * interval '1.5 second',
           CASE WHEN g % 6 = 0 THEN NULL ELSE timestamptz '2026-06-01' + (g % 17) * interval '1 hour' END
    FROM generate_series(1, ${SEEDED}) g ON CONFLICT DO NOTHING`);
}

before(async () => {
  t = await makeTenant('lst', 'List Test');
  seed(t.schema);
  admin = await adminSession({ poolId: t.poolId, base: t.base });
});

after(() => {
  if (!t) return;
  psql(`DELETE FROM gatehouse.user_syncs WHERE tenant_slug = '${t.slug}'`);
  psql(`DROP SCHEMA IF EXISTS ${t.schema} CASCADE`);
  psql(`DELETE FROM gatehouse.schema_migrations WHERE scope = 'tenant:${t.slug}'`);
  psql(`DELETE FROM gatehouse.tenants WHERE slug = '${t.slug}'`);
});

// What the database holds, in the list's order: the truth the pages are held to.
const KEYS = {
  email: 'email', name: "coalesce(name, '')", tier: 'tier', status: "coalesce(status, '')",
  created: 'created_at', last_login: "coalesce(last_login_at, 'epoch'::timestamptz)",
};
function expected(where = 'true', sort = 'email', dir = 'asc') {
  return psql(`SELECT email FROM ${t.schema}.users WHERE deleted_at IS NULL AND (${where})
    ORDER BY ${KEYS[sort]} ${dir}, sub ${dir}`).map((r) => r[0]);
}
const countWhere = (where) => Number(psql(`SELECT count(*) FROM ${t.schema}.users WHERE deleted_at IS NULL AND (${where})`)[0][0]);

// ---- the list ---------------------------------------------------------------------

test('one list from the mirror: the total, 25 a page, rows linking to the user page', async () => {
  const r = await admin.b.get(`${t.base}/admin/users`);
  assert.equal(r.status, 200);
  assert.doesNotMatch(r.body, /Live from Cognito/);
  assert.equal(total(r.body), SEEDED + 1, 'the seeded users and the admin');
  const page = rows(r.body);
  assert.equal(page.length, PER_PAGE);
  assert.deepEqual(page.map((u) => u.email), expected().slice(0, PER_PAGE));
  assert.ok(page.every((u) => u.href === `${t.base}/admin/users/${encodeURIComponent(u.email)}`));
  // Statuses in plain words.
  const byEmail = new Map(page.map((u) => [u.email, u]));
  const words = { CONFIRMED: 'Confirmed', UNCONFIRMED: 'Waiting for email confirmation', FORCE_CHANGE_PASSWORD: 'Must change password', RESET_REQUIRED: 'Reset required' };
  for (const [email, status, enabled, mfa] of psql(`SELECT email, status, enabled, mfa FROM ${t.schema}.users`)) {
    const u = byEmail.get(email);
    if (!u) continue;
    assert.ok(u.status.startsWith(enabled === 't' ? words[status] : 'Disabled'), `${email}: ${u.status}`);
    assert.equal(u.mfa, mfa === 't' ? 'On' : 'Off');
  }
  assert.doesNotMatch(r.body, /FORCE_CHANGE_PASSWORD<\/td>|>UNCONFIRMED</);
  // The filters are plain GET parameters in the form.
  for (const name of ['q', 'tier', 'status', 'mfa', 'enabled', 'sort', 'dir']) assert.match(r.body, new RegExp(`name="${name}"`));
});

test('search finds a piece of the email or of the name, in any case', async () => {
  psql(`INSERT INTO ${t.schema}.users (sub, email, name) VALUES
    ('find-1', 'zz-hidden-quokka-1@list.example', 'Plain Name'),
    ('find-2', 'zz-other@list.example', 'Zebediah Quokkason'),
    ('find-3', 'zz-third@list.example', 'Nobody 100%_\\ Sure')`);
  try {
    let r = await admin.b.get(`${t.base}/admin/users?q=quokka`);
    assert.equal(r.status, 200);
    assert.deepEqual(emails(r.body).sort(), ['zz-hidden-quokka-1@list.example', 'zz-other@list.example']);
    assert.equal(total(r.body), 2);
    r = await admin.b.get(`${t.base}/admin/users?q=${encodeURIComponent('EBEDIAH')}`);
    assert.deepEqual(emails(r.body), ['zz-other@list.example'], 'a substring of the name, any case');
    r = await admin.b.get(`${t.base}/admin/users?q=${encodeURIComponent('HIDDEN-QUO')}`);
    assert.deepEqual(emails(r.body), ['zz-hidden-quokka-1@list.example'], 'a substring of the email');
    r = await admin.b.get(`${t.base}/admin/users?q=${encodeURIComponent('100%_\\')}`);
    assert.deepEqual(emails(r.body), ['zz-third@list.example'], 'LIKE wildcards are literal');
    r = await admin.b.get(`${t.base}/admin/users?q=${encodeURIComponent('%')}`);
    assert.deepEqual(emails(r.body), ['zz-third@list.example'], 'a lone % matches only a %');
    r = await admin.b.get(`${t.base}/admin/users?q=${encodeURIComponent("x' OR '1'='1")}`);
    assert.equal(r.status, 200);
    assert.equal(emails(r.body).length, 0);
  } finally {
    psql(`DELETE FROM ${t.schema}.users WHERE sub LIKE 'find-%'`);
  }
});

test('filters combine, and each matches the mirror', async () => {
  const cases = [
    ['tier=premium', "tier = 'premium'"],
    ['status=UNCONFIRMED', "status = 'UNCONFIRMED'"],
    ['mfa=on', 'mfa'],
    ['mfa=off', 'NOT mfa'],
    ['enabled=no', 'NOT enabled'],
    ['tier=premium&enabled=yes&mfa=off', "tier = 'premium' AND enabled AND NOT mfa"],
    ['tier=standard&status=CONFIRMED&mfa=on', "tier = 'standard' AND status = 'CONFIRMED' AND mfa"],
    ['q=ann&tier=premium&status=CONFIRMED', "name ILIKE '%ann%' AND tier = 'premium' AND status = 'CONFIRMED'"],
    ['status=RESET_REQUIRED&enabled=no', "status = 'RESET_REQUIRED' AND NOT enabled"],
  ];
  for (const [query, where] of cases) {
    const r = await admin.b.get(`${t.base}/admin/users?${query}`);
    assert.equal(r.status, 200, query);
    const want = expected(where);
    assert.ok(want.length > 0, `${query} matches someone`);
    assert.equal(total(r.body), want.length, `${query}: total`);
    assert.deepEqual(emails(r.body), want.slice(0, PER_PAGE), query);
    // The filters ride along on the next page's link.
    const next = link(r.body, 'next');
    if (want.length > PER_PAGE) for (const part of query.split('&')) assert.ok(next.includes(part), `${query}: ${next}`);
  }
});

test('each sort, both ways, in the order of the database, walked to the end', async () => {
  for (const sort of Object.keys(KEYS)) {
    for (const dir of ['asc', 'desc']) {
      const want = expected('true', sort, dir);
      const seen = [];
      let url = `${t.base}/admin/users?sort=${sort}&dir=${dir}`;
      for (let pages = 0; url && pages < 10; pages++) {
        const r = await admin.b.get(url);
        assert.equal(r.status, 200, url);
        seen.push(...emails(r.body));
        url = link(r.body, 'next');
      }
      assert.deepEqual(seen, want, `sort=${sort}&dir=${dir}`);
    }
  }
});

test('keyset pages neither skip nor repeat rows when users come and go between requests', async () => {
  const list = (sort, dir) => `${t.base}/admin/users?sort=${sort}&dir=${dir}`;
  try {
    let r = await admin.b.get(list('created', 'desc'));
    const one = emails(r.body);
    assert.deepEqual(one, expected('true', 'created', 'desc').slice(0, PER_PAGE));
    // Between the requests: a new sign-up (newest: sorts before page 1), a
    // user who sorts inside page 2, and one of page 2's users deleted.
    const all = expected('true', 'created', 'desc');
    const [[middle]] = psql(`SELECT created_at + interval '1 microsecond' FROM ${t.schema}.users WHERE email = '${all[PER_PAGE + 5]}'`);
    psql(`INSERT INTO ${t.schema}.users (sub, email, created_at) VALUES
      ('keyset-new', 'keyset-new@list.example', now() + interval '1 day'),
      ('keyset-mid', 'keyset-mid@list.example', '${middle}')`);
    psql(`UPDATE ${t.schema}.users SET deleted_at = now(), status = 'DELETED', enabled = false WHERE email = '${all[PER_PAGE + 1]}'`);
    r = await admin.b.get(link(r.body, 'next'));
    assert.equal(r.status, 200);
    const two = emails(r.body);
    const now = expected('true', 'created', 'desc');
    const at = now.indexOf(one[one.length - 1]);
    assert.deepEqual(two, now.slice(at + 1, at + 1 + PER_PAGE), 'page 2 starts right after page 1\'s last row');
    assert.ok(two.includes('keyset-mid@list.example'), 'a user added inside the page is shown');
    assert.ok(!two.includes(all[PER_PAGE + 1]), 'a deleted user is not');
    assert.equal(new Set([...one, ...two]).size, one.length + two.length, 'no row twice');
    // Back: the page before page 2's first row, as the mirror is now.
    const prev = link(r.body, 'prev');
    assert.ok(prev && prev.includes('before='), prev);
    r = await admin.b.get(prev);
    assert.equal(r.status, 200);
    const back = emails(r.body);
    const first = now.indexOf(two[0]);
    assert.deepEqual(back, now.slice(first - PER_PAGE, first));
    assert.equal(back[0], now[1], 'page 1 grew by the new sign-up: one row is left before');
    assert.ok(link(r.body, 'next'));
    r = await admin.b.get(link(r.body, 'prev'));
    assert.deepEqual(emails(r.body), ['keyset-new@list.example'], 'the new sign-up, alone before');
    assert.equal(link(r.body, 'prev'), null, 'nothing before the first row');

    // The same by name (NULL names sort as ""), forward then back.
    r = await admin.b.get(list('name', 'asc'));
    const n1 = emails(r.body);
    r = await admin.b.get(link(r.body, 'next'));
    const n2 = emails(r.body);
    const byName = expected('true', 'name', 'asc');
    assert.deepEqual([...n1, ...n2], byName.slice(0, n1.length + n2.length));
    r = await admin.b.get(link(r.body, 'prev'));
    assert.deepEqual(emails(r.body), n1);
  } finally {
    psql(`DELETE FROM ${t.schema}.users WHERE sub LIKE 'keyset-%'`);
    psql(`UPDATE ${t.schema}.users SET deleted_at = NULL, status = 'CONFIRMED', enabled = true WHERE status = 'DELETED'`);
  }
});

test('deleted users are shown only with their filter', async () => {
  psql(`INSERT INTO ${t.schema}.users (sub, email, status, enabled, deleted_at) VALUES ('gone-1', 'gone-1@list.example', 'DELETED', false, now())`);
  try {
    let r = await admin.b.get(`${t.base}/admin/users?q=gone-1`);
    assert.equal(total(r.body), 0);
    r = await admin.b.get(`${t.base}/admin/users?status=DELETED`);
    assert.equal(r.status, 200);
    const [u] = rows(r.body);
    assert.deepEqual([u.email, u.status, u.href], ['gone-1@list.example', 'Deleted', null]);
    assert.equal(total(r.body), 1);
  } finally {
    psql(`DELETE FROM ${t.schema}.users WHERE sub = 'gone-1'`);
  }
});

test('a value the list cannot use is a 400 page saying what to choose', async () => {
  const b64 = (s) => Buffer.from(s).toString('base64url');
  const bad = [
    'sort=password', 'sort=email%3BDROP', 'dir=up', 'tier=gold', 'status=ADMIN', 'mfa=maybe', 'enabled=perhaps',
    `q=${'a'.repeat(300)}`, 'q=a%0Ab',
    'after=garbage', 'after=.', `after=${b64('x')}`, `after=${b64('x')}.${b64('y')}.z`,
    `sort=created&after=${b64("1' OR '1'='1")}.${b64('seed-0001')}`,
    `sort=last_login&after=${b64('12.5')}.${b64('seed-0001')}`,
    `after=${b64('a\u0001b')}.${b64('seed-0001')}`, `after=${b64('a')}.${b64('')}`,
    `after=${b64('a')}.${b64('seed-0001')}&before=${b64('b')}.${b64('seed-0002')}`,
    `after=${'A'.repeat(1000)}.${b64('s')}`,
  ];
  for (const q of bad) {
    const r = await admin.b.get(`${t.base}/admin/users?${q}`);
    assert.equal(r.status, 400, q);
    assert.match(r.body, /gh-form-error/, q);
  }
  // A well-formed start row that names nobody is simply a place in the order.
  const r = await admin.b.get(`${t.base}/admin/users?sort=created&after=${b64('0')}.${b64('nobody')}`);
  assert.equal(r.status, 200);
  assert.deepEqual(emails(r.body), expected('true', 'created', 'asc').slice(0, PER_PAGE));
});

test('a plain user gets 403 from the list and from Sync now, and queues nothing', async () => {
  const email = `plain-${process.pid}-${Date.now().toString(36)}@list.example`;
  await cognitoLocal('AdminCreateUser', {
    UserPoolId: t.poolId, Username: email, MessageAction: 'SUPPRESS', TemporaryPassword: 'Temp-Passw0rd!x',
    UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' }],
  });
  await cognitoLocal('AdminSetUserPassword', { UserPoolId: t.poolId, Username: email, Password: PASSWORD, Permanent: true });
  const b = new Browser();
  await b.get(`${t.base}/login`);
  let r = await b.post(`${t.base}/login`, { email, password: PASSWORD });
  assert.equal(r.status, 303);
  r = await b.get(`${t.base}/admin/users`);
  assert.equal(r.status, 403);
  await b.get(`${t.base}/account`);
  r = await b.post(`${t.base}/admin/users/sync`, {});
  assert.equal(r.status, 403);
  assert.equal(psql(`SELECT count(*) FROM gatehouse.user_syncs WHERE tenant_slug = '${t.slug}'`)[0][0], '0');
  await cognitoLocal('AdminDeleteUser', { UserPoolId: t.poolId, Username: email });
});

test('turning two-step verification on and off shows in the list and its MFA filter', async () => {
  const email = `twostep-${process.pid}-${Date.now().toString(36)}@list.example`;
  await cognitoLocal('AdminCreateUser', {
    UserPoolId: t.poolId, Username: email, MessageAction: 'SUPPRESS', TemporaryPassword: 'Temp-Passw0rd!x',
    UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' }],
  });
  await cognitoLocal('AdminSetUserPassword', { UserPoolId: t.poolId, Username: email, Password: PASSWORD, Permanent: true });
  const b = new Browser();
  await b.get(`${t.base}/login`);
  let r = await b.post(`${t.base}/login`, { email, password: PASSWORD });
  assert.equal(r.status, 303);
  const listed = async (mfa) => emails((await admin.b.get(`${t.base}/admin/users?q=twostep-&mfa=${mfa}`)).body);
  assert.deepEqual(await listed('off'), [email]);
  assert.deepEqual(await listed('on'), []);

  await b.get(`${t.base}/account/security`);
  r = await b.post(`${t.base}/account/security/mfa/start`, {});
  const secret = r.body.match(/id="gh-mfa-secret"[^>]*>([A-Z2-7]+)</)[1];
  r = await b.post(`${t.base}/account/security/mfa/verify`, { code: totp(secret), device_name: 'list test' });
  assert.equal(r.status, 303, r.body.slice(0, 300));
  assert.deepEqual(await listed('on'), [email], 'the enrolment wrote the mirror');
  assert.equal(rows((await admin.b.get(`${t.base}/admin/users?q=twostep-`)).body)[0].mfa, 'On');

  await b.get(`${t.base}/account/security`);
  r = await b.post(`${t.base}/account/security/mfa/disable`, {});
  assert.equal(r.status, 303, r.body.slice(0, 300));
  assert.deepEqual(await listed('off'), [email], 'turning it off wrote the mirror');
  assert.deepEqual(await listed('on'), []);
  await cognitoLocal('AdminDeleteUser', { UserPoolId: t.poolId, Username: email });
  psql(`DELETE FROM ${t.schema}.users WHERE email = '${email}'`);
});

// ---- the overview at scale ---------------------------------------------------------------

test('/admin shows the mirror\'s live tallies, within a worker\'s ten seconds: rows written behind its back, a tier change made in the panel', async () => {
  const stat = (body, id) => Number(body.match(new RegExp(`id="gh-stat-${id}">(\\d+)<`))[1]);
  const live = (where = 'true') => Number(psql(`SELECT count(*) FROM ${t.schema}.users
    WHERE deleted_at IS NULL AND (${where})`)[0][0]);
  const views = async (n, what) => {
    for (let i = 0; i < n; i++) {
      const b = new Browser();
      b.jar = new Map(admin.b.jar);
      const r = await b.get(`${t.base}/admin`);
      assert.equal(r.status, 200);
      assert.equal(stat(r.body, 'total'), live(), `view ${i} ${what}: the total`);
      assert.equal(stat(r.body, 'premium'), live("tier = 'premium'"), `view ${i} ${what}: premium`);
    }
  };
  // Written straight into the table, as no gatehouse path would: the
  // triggers tally them all the same, and a deleted user is not counted.
  psql(`INSERT INTO ${t.schema}.users (sub, email, tier) VALUES ('stats-1', 'stats-1@list.example', 'premium'),
        ('stats-2', 'stats-2@list.example', 'standard'), ('stats-3', 'stats-3@list.example', 'premium')`);
  psql(`UPDATE ${t.schema}.users SET deleted_at = now() WHERE sub = 'stats-3'`);
  try {
    await sleep(11000); // past every worker's drawn charts (STATS_TTL_S)
    await views(6, 'after rows were written');
    const before = live("tier = 'premium'");
    const [[tier]] = psql(`SELECT tier FROM ${t.schema}.users WHERE email = '${admin.email}'`);
    const flipped = tier === 'premium' ? 'standard' : 'premium';
    const page = await admin.b.get(`${t.base}/admin/users/${encodeURIComponent(admin.email)}`);
    const username = unescape(page.body.slice(page.body.indexOf('id="gh-tier-form"')).match(/name="username" value="([^"]*)"/)[1]);
    const r = await admin.b.post(`${t.base}/admin/update-tier`, { username, tier: flipped });
    assert.equal(r.status, 303, r.body.slice(0, 200));
    assert.equal(live("tier = 'premium'"), before + (flipped === 'premium' ? 1 : -1));
    await sleep(11000);
    await views(4, 'after a tier change');
  } finally {
    psql(`DELETE FROM ${t.schema}.users WHERE sub LIKE 'stats-%'`);
  }
});

// ---- Sync now ---------------------------------------------------------------------------

const syncRows = () => psql(`SELECT state, seen, added, attempts FROM gatehouse.user_syncs
  WHERE tenant_slug = '${t.slug}' ORDER BY id`);

test('Sync now: CSRF needed, runs in the background with progress, one at a time', async () => {
  // Users that only Cognito knows: the sync brings them into the mirror.
  const made = [];
  for (let i = 0; i < 130; i++) {
    const email = `cog-${String(i).padStart(3, '0')}@sync.example`;
    made.push(email);
    await cognitoLocal('AdminCreateUser', {
      UserPoolId: t.poolId, Username: email, MessageAction: 'SUPPRESS',
      UserAttributes: [{ Name: 'email', Value: email }, { Name: 'name', Value: `Synced ${i}` }],
    });
  }
  psql(`DELETE FROM gatehouse.user_syncs WHERE tenant_slug = '${t.slug}'`);
  let r = await admin.b.get(`${t.base}/admin/users`);
  assert.match(r.body, /Not yet synced with Cognito/);
  assert.match(r.body, /id="gh-sync-form"/);

  // Without the page's token: refused, nothing queued.
  r = await admin.b.post(`${t.base}/admin/users/sync`, { csrf: null });
  assert.equal(r.status, 403);
  r = await admin.b.post(`${t.base}/admin/users/sync`, { csrf: 'forged' });
  assert.equal(r.status, 403);
  assert.equal(syncRows().length, 0);

  // Each ListUsers page now takes 1.5 s: the sync takes seconds, the request does not.
  await fault({ op: 'ListUsers', mode: 'delay', delayMs: 1500 });
  try {
    await admin.b.get(`${t.base}/admin/users`);
    const started = Date.now();
    r = await admin.b.post(`${t.base}/admin/users/sync`, {});
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, `${t.base}/admin/users?sync=started`);
    assert.ok(Date.now() - started < 1000, 'the request only queues the sync');
    // A second press while it waits or runs starts nothing more.
    r = await admin.b.get(`${t.base}/admin/users?tier=premium&sort=name`);
    assert.match(r.body, /action="[^"]*\/admin\/users\/sync\?tier=premium&amp;sort=name"/, 'the form comes back to this list');
    r = await admin.b.post(`${t.base}/admin/users/sync?tier=premium&sort=name`, {});
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, `${t.base}/admin/users?sync=busy&tier=premium&sort=name`);
    r = await admin.b.post(`${t.base}/admin/users/sync?sort=evil`, {});
    assert.equal(r.headers.location, `${t.base}/admin/users?sync=busy`, 'what the list cannot read is left behind');
    r = await admin.b.get(r.headers.location);
    assert.match(r.body, /already under way/);
    assert.equal(syncRows().length, 1);

    // Progress on the list while it runs.
    let progress;
    await waitFor(async () => {
      const page = await admin.b.get(`${t.base}/admin/users`);
      progress = page.body.match(/id="gh-sync-progress" data-state="running">[^<]*<time[^>]*>[^<]*<\/time>: (\d+) users listed so far/);
      return progress && Number(progress[1]) > 0;
    }, 20000, 'the sync shows its progress');
    assert.ok(Number(progress[1]) < 131, 'part way through');
    // The CLI is kept out while it runs.
    const cli = gatehouseCli(['users', 'sync', '--tenant', t.slug]);
    assert.notEqual(cli.status, 0);
    assert.match(cli.stderr, /already under way/);

    await waitFor(() => syncRows().at(-1)[0] === 'done', 30000, 'the sync ends');
  } finally {
    await fault({ reset: true });
  }
  const [run] = syncRows();
  assert.equal(run[0], 'done');
  assert.equal(Number(run[2]), 130, 'the Cognito-only users added (the admin was there already)');
  assert.ok(Number(run[1]) >= 131, 'every listed user counted as seen');
  r = await admin.b.get(`${t.base}/admin/users?q=sync.example`);
  assert.equal(total(r.body), 130);
  assert.match(r.body, /Synced with Cognito <time datetime="[^"]+" title="[^"]+">just now<\/time>: \d+ added/);
  assert.doesNotMatch(r.body, /gh-sync-progress/);
  // The users the pool does not have (the seeded ones) are gone from the mirror.
  assert.equal(countWhere("sub LIKE 'seed-%'"), 0);
  for (const email of made) await cognitoLocal('AdminDeleteUser', { UserPoolId: t.poolId, Username: email }).catch(() => {});
  seed(t.schema);
});

test('a sync whose worker died is taken up again by another', async () => {
  // What a killed worker leaves: a running row whose heartbeat stopped.
  psql(`DELETE FROM gatehouse.user_syncs WHERE tenant_slug = '${t.slug}'`);
  psql(`INSERT INTO gatehouse.user_syncs (tenant_slug, state, started_at, heartbeat_at, attempts, seen)
    VALUES ('${t.slug}', 'running', now() - interval '5 minutes', now() - interval '5 minutes', 1, 60)`);
  await waitFor(() => syncRows()[0][0] === 'done', 30000, 'the abandoned sync is run again and ends');
  const [[state, , , attempts]] = syncRows();
  assert.equal(state, 'done');
  assert.equal(attempts, '2', 'claimed a second time');
  seed(t.schema);
});
