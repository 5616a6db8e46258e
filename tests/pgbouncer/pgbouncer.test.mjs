// The pool behind Debian's PgBouncer in transaction mode, as docs/SCALING.md
// describes: scripts/test.sh restarts the test stack with STACK_PGBOUNCER=1
// and runs this file with the accounts, admin, tenants and API files. The
// stack then has DATABASE_URL at PgBouncer (a pool of PGBOUNCER_POOL server
// connections for 2 x 12 threads), DATABASE_LISTEN_URL at PostgreSQL, and
// DATABASE_PREPARED_STATEMENTS=off.
//
// The tests here check that the stack really is so (a direct stack fails
// them: they are not to be skipped), then send two tenants' requests at once
// and read PostgreSQL's own log of those seconds: the tenants' statements
// ran on the same few server connections, in turns, and each answer names
// only its own tenant's people.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  request, emailedCode, uniqueEmail, PASSWORD, stackInfo, HTTPS_PORT, adminSession, gatehouseCli, sleep,
} from '../integration/helpers.mjs';

const run = Date.now().toString(36);
const A = `pa-${run}`, B = `pb-${run}`;
const ROUNDS = 20;           // rounds of requests sent at once
const PER_TENANT = 4;        // requests per tenant and round (see below)
const LOG_SETTLE_MS = 300;   // PostgreSQL's logger writes a moment after the statement
const tenants = {};          // slug -> {pool, user, token, admin}
const execFileAsync = promisify(execFile);

const info = stackInfo();
const superuserUrl = info.DATABASE_URL.replace('gatehouse@', 'postgres@');

function psqlAs(url, sql) {
  const out = execFileSync('psql', [url, '-qAtX', '-F', '\t', '-c', sql], { encoding: 'utf8' });
  return out.trim() ? out.trim().split('\n').map((l) => l.split('\t')) : [];
}

// admin asks PgBouncer's console (SHOW ...) and answers rows as objects.
async function admin(command) {
  const { stdout } = await execFileAsync('psql', [info.PGBOUNCER_ADMIN_URL, '-qAX', '-F', '\t', '-c', command]);
  const [head, ...rows] = stdout.trim().split('\n').filter((l) => !/^\(\d+ rows?\)$/.test(l));
  const names = head.split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [names[i], v])));
}

function gatehouseEnv() {
  const env = {};
  for (const line of fs.readFileSync(info.GATEHOUSE_ENV_FILE, 'utf8').split('\n')) {
    const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

async function api(method, slug, urlPath, { json, token } = {}) {
  const headers = { host: `localhost:${HTTPS_PORT}`, accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) { body = JSON.stringify(json); headers['content-type'] = 'application/json'; }
  const res = await request(method, `/t/${slug}${urlPath}`, { headers, body });
  res.json = res.headers['content-type']?.startsWith('application/json') ? JSON.parse(res.body) : null;
  return res;
}

// the e-mail addresses of an /admin/users page's table
const listedEmails = (body) => [...body.matchAll(/<tr><th scope="row">(?:<a [^>]*>)?([^<]*)</g)].map((m) => m[1]);

before(async () => {
  // A run that died with statement logging on leaves it on: take it back.
  psqlAs(superuserUrl, 'ALTER SYSTEM RESET log_statement');
  psqlAs(superuserUrl, 'SELECT pg_reload_conf()');
  for (const slug of [A, B]) {
    const r = await request('POST', '/auth/tenants', {
      headers: { 'content-type': 'application/json', host: `localhost:${HTTPS_PORT}`, authorization: `Bearer ${info.PLATFORM_ADMIN_TOKEN}` },
      body: JSON.stringify({ slug, name: `Pooled ${slug}`, admin_email: `admin@${slug}.example` }),
    });
    assert.equal(r.status, 201, `tenant ${slug} is created through the pooled connection: ${r.body}`);
    const pool = JSON.parse(r.body).userPoolId;
    const user = uniqueEmail(`pooled-${slug.slice(0, 2)}`);
    let a = await api('POST', slug, '/api/v1/auth/register', { json: { email: user, password: PASSWORD, name: `Person of ${slug}`, tier: 'standard', accept_terms: true } });
    assert.equal(a.status, 201, a.body);
    a = await api('POST', slug, '/api/v1/auth/verify-otp', { json: { email: user, code: await emailedCode(user, undefined, pool), purpose: 'email_verification' } });
    assert.equal(a.status, 200, a.body);
    a = await api('POST', slug, '/api/v1/auth/login', { json: { email: user, password: PASSWORD } });
    assert.equal(a.status, 200, a.body);
    tenants[slug] = { pool, user, token: a.json.access_token, admin: await adminSession({ poolId: pool, base: `/t/${slug}` }) };
  }
});

after(async () => {
  try { psqlAs(superuserUrl, 'ALTER SYSTEM RESET log_statement'); psqlAs(superuserUrl, 'SELECT pg_reload_conf()'); } catch { /* reported by the test */ }
  for (const slug of [A, B]) gatehouseCli(['tenant', 'delete', '--slug', slug, '--yes']);
});

test('the pool reaches PostgreSQL through PgBouncer in transaction mode, its listeners directly, with named statements off', async () => {
  const env = gatehouseEnv();
  assert.equal(info.PGBOUNCER, '1', 'the stack was started with STACK_PGBOUNCER=1');
  assert.match(env.DATABASE_URL, new RegExp(`@127\\.0\\.0\\.1:${info.PGBOUNCER_PORT}/`), 'DATABASE_URL is PgBouncer');
  assert.match(env.DATABASE_LISTEN_URL, new RegExp(`port=${info.PG_PORT}$`), 'DATABASE_LISTEN_URL is PostgreSQL');
  assert.equal(env.DATABASE_PREPARED_STATEMENTS, 'off');
  const pool = (await admin('SHOW POOLS')).find((p) => p.database === 'gatehouse');
  assert.equal(pool.pool_mode, 'transaction');
  assert.equal((await request('GET', '/readyz')).status, 200, 'the pool answers through it');
  // One cache listener per worker process, each a session of PostgreSQL's
  // own: none of them is a server connection of PgBouncer's.
  const servers = new Set((await admin('SHOW SERVERS')).map((s) => s.remote_pid));
  const listeners = psqlAs(superuserUrl, "SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN gatehouse_cache'").map((r) => r[0]);
  assert.equal(listeners.length, 2, 'a listener per worker process (GATEHOUSE_PROCESSES=2)');
  for (const pid of listeners) assert.ok(!servers.has(pid), `listener ${pid} is not behind PgBouncer`);
  // The migrations of the two new tenants' schemas held the migrators'
  // session advisory lock: on a direct session, which gave it back when it
  // closed. Taken through PgBouncer, it would stay with a pooled server
  // connection, and the next migrator landing on another would wait forever.
  const held = psqlAs(superuserUrl, "SELECT pid FROM pg_locks WHERE locktype = 'advisory'").map((r) => r[0]);
  assert.deepEqual(held.filter((pid) => servers.has(pid)), [], 'no server connection of PgBouncer\'s keeps an advisory lock');
});

test('two tenants at once take turns on the same few server connections, and neither sees the other', async (t) => {
  const logFile = path.join(info.LOG_DIR, 'postgresql.log');
  const serverPids = new Set();
  let maxClients = 0, maxServers = 0;
  // PostgreSQL logs every statement (with its backend's pid: the stack's
  // log_line_prefix) while the two tenants are served.
  psqlAs(superuserUrl, "ALTER SYSTEM SET log_statement = 'all'");
  psqlAs(superuserUrl, 'SELECT pg_reload_conf()');
  await sleep(LOG_SETTLE_MS);
  const from = fs.statSync(logFile).size;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const calls = [];
      for (const [slug, t] of Object.entries(tenants)) {
        // /api/v1/me, the admin list from Cognito, and twice the list from
        // the users mirror (a tier filter), which reads the tenant's schema
        // at every call (a bearer check is cached for a minute).
        calls.push(api('GET', slug, '/api/v1/me', { token: t.token }).then((r) => ({ slug, kind: 'me', r })));
        for (const list of ['/admin/users', '/admin/users?tier=standard', '/admin/users?tier=standard']) {
          calls.push(t.admin.b.get(`/t/${slug}${list}`).then((r) => ({ slug, kind: 'list', r })));
        }
      }
      calls.push(admin('SHOW CLIENTS').then((rows) => {
        maxClients = Math.max(maxClients, rows.filter((c) => c.database === 'gatehouse').length);
      }));
      calls.push(admin('SHOW SERVERS').then((rows) => {
        const ours = rows.filter((s) => s.database === 'gatehouse');
        maxServers = Math.max(maxServers, ours.length);
        ours.forEach((s) => serverPids.add(s.remote_pid));
      }));
      for (const done of await Promise.all(calls)) {
        if (!done) continue;
        const { slug, kind, r } = done;
        const own = tenants[slug], other = tenants[slug === A ? B : A];
        assert.equal(r.status, 200, `${kind} at ${slug}: ${r.body.slice(0, 300)}`);
        if (kind === 'me') {
          assert.equal(r.json.email, own.user, `/api/v1/me at ${slug} names its own user`);
          assert.equal(r.json.tenant, slug);
        } else {
          const emails = listedEmails(r.body);
          assert.ok(emails.includes(own.user), `the admin list of ${slug} shows its user`);
          assert.ok(!emails.includes(other.user) && !emails.includes(other.admin.email),
            `the admin list of ${slug} shows no one of the other tenant`);
        }
      }
    }
  } finally {
    psqlAs(superuserUrl, 'ALTER SYSTEM RESET log_statement');
    psqlAs(superuserUrl, 'SELECT pg_reload_conf()');
  }
  await sleep(LOG_SETTLE_MS);
  // The other tenant's token is refused, not answered with its user.
  assert.equal((await api('GET', A, '/api/v1/me', { token: tenants[B].token })).status, 401);
  assert.equal((await api('GET', B, '/api/v1/me', { token: tenants[A].token })).status, 401);

  const fd = fs.openSync(logFile, 'r');
  const buf = Buffer.alloc(fs.fstatSync(fd).size - from);
  fs.readSync(fd, buf, 0, buf.length, from);
  fs.closeSync(fd);
  const log = buf.toString('utf8');
  // backend pid -> the tenant schemas its statements ran under
  // (a tenant's statements run in a pipeline that first sets the search_path
  // to its schema, the parameter PostgreSQL logs as DETAIL, or name its
  // tables in full)
  const served = new Map();
  const tenantStatement = new RegExp(`\\[(\\d+)\\] gatehouse@gatehouse (?:LOG: +(?:statement|execute <unnamed>): [^\\n]*?|DETAIL: +parameters: \\$1 = ')"t_(${A}|${B})"`, 'g');
  for (const m of log.matchAll(tenantStatement)) {
    if (!served.has(m[1])) served.set(m[1], { [A]: 0, [B]: 0 });
    served.get(m[1])[m[2]]++;
  }
  const backends = [...served.keys()];
  const both = backends.filter((pid) => served.get(pid)[A] > 0 && served.get(pid)[B] > 0);
  t.diagnostic(`pgbouncer: ${maxClients} pool connections, ${maxServers} server connections; tenant statements per backend: ${
    backends.map((pid) => `${pid} ${served.get(pid)[A]}+${served.get(pid)[B]}`).join(', ')}`);
  const pool = Number(info.PGBOUNCER_POOL);
  assert.ok(backends.length > 0, 'the tenants\' statements are in the log');
  assert.ok(backends.every((pid) => serverPids.has(pid)), `every backend that served them is PgBouncer's (${backends} in ${[...serverPids]})`);
  assert.ok(backends.length <= pool, `${backends.length} backends served both tenants' ${ROUNDS * PER_TENANT * 2} requests (pool of ${pool})`);
  assert.ok(both.length >= 1, 'a backend served both tenants in turn');
  assert.ok(maxServers <= pool, `PgBouncer held at most ${pool} server connections (saw ${maxServers})`);
  assert.ok(maxClients > pool, `more pool connections (${maxClients}) than server connections`);
  // And with DATABASE_PREPARED_STATEMENTS=off nothing ran as a named statement.
  assert.doesNotMatch(log, /gatehouse@gatehouse LOG: +(execute|statement: PREPARE) gh_/, 'no named prepared statement');
  assert.match(log, /gatehouse@gatehouse LOG: +execute <unnamed>:/, 'the unnamed statement carries the parameters');
});
