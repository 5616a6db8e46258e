// PostgreSQL restarted under load. The stack's own PostgreSQL is
// stopped (fast shutdown: every backend is terminated) while signed-in users
// browse, API clients call /api/v1/me, visitors log in and an admin changes
// tiers, then started again. While it is down the pool answers 503 (pages
// and JSON alike), never a 500 or a dropped connection; within seconds of
// its return everything succeeds again; no worker is restarted; and no
// action is half-written: each tier change's mirror row, audit record and
// sessions moved together or not at all.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { adminSession, psql, sleep, waitFor, STACK, HTTPS_PORT, PASSWORD } from './helpers.mjs';
import {
  SiteBrowser, apiCall, confirmedUsers, signedIn, apiTokens, loop, closeClients,
} from './pools.mjs';

const PORT = HTTPS_PORT;
const BASELINE_MS = 1500;
const DOWN_MS = 3000;
const AFTER_MS = 8000;
const RECOVERY_MAX_MS = 6000; // per-thread reconnect back-off tops out at 5 s
const PGDATA = path.join(STACK, 'pg');

after(() => closeClients());

function pgBin() {
  const dirs = fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  for (const v of dirs) {
    const bin = `/usr/lib/postgresql/${v}/bin`;
    if (fs.existsSync(`${bin}/pg_ctl`)) return bin;
  }
  throw new Error('no pg_ctl under /usr/lib/postgresql');
}

// pgCtl runs pg_ctl on the stack's cluster as its owner (postgres when we
// are root, as scripts/stack.sh does).
function pgCtl(...args) {
  const cmd = [`${pgBin()}/pg_ctl`, '-D', PGDATA, ...args];
  const root = process.getuid() === 0;
  execFileSync(root ? 'runuser' : cmd[0], root ? ['-u', 'postgres', '--', ...cmd] : cmd.slice(1),
    { cwd: PGDATA, stdio: 'ignore', timeout: 30000 });
}

const pgRunning = () => { try { pgCtl('status'); return true; } catch { return false; } };

function startPg() {
  if (!pgRunning()) pgCtl('-l', path.join(STACK, 'log/postgresql.log'), '-w', '-t', '30', 'start');
}

async function status() {
  return (await apiCall(PORT, 'GET', '/status?json')).json;
}

// Allowed answers: the action's success, or 503 while the database is away.
const outcome = (r, okStatus) => ({
  ok: r.status === okStatus, status: r.status, unavailable: r.status === 503,
  location: r.headers.location,
});

test('pg-restart: 503s while PostgreSQL is down, full recovery within seconds, no worker restart, nothing half-written', async (t) => {
  // The cast: signed-in users, an API client, a visitor who logs in, an
  // admin, and two users whose tier the admin keeps changing.
  const emails = await confirmedUsers(PORT, 3, { tag: 'pgload' });
  const users = await Promise.all(emails.map((e) => signedIn(PORT, e)));
  const token = (await apiTokens(PORT, emails[0])).access_token;
  const targets = await confirmedUsers(PORT, 2, { tag: 'pgtier' });
  await Promise.all(targets.map((e) => signedIn(PORT, e))); // sessions whose tier must follow
  const admin = await adminSession();
  assert.equal((await admin.b.get('/admin')).status, 200);
  const auditStart = Number(psql('SELECT coalesce(max(id), 0) FROM t_default.tier_changes')[0][0]);

  const before = await status();
  const pidsBefore = before.workers.map((w) => w.pid).sort();

  const loops = [
    ...users.map((b) => loop(async () => outcome(await b.get('/account'), 200), { pauseMs: 20 })),
    loop(async () => outcome(await apiCall(PORT, 'GET', '/api/v1/me', { token }), 200), { pauseMs: 20 }),
    loop(async () => outcome(await apiCall(PORT, 'GET', '/login', { headers: { accept: 'text/html' } }), 200), { pauseMs: 20 }),
    loop(async () => {
      const b = new SiteBrowser(PORT);
      const page = await b.get('/login');
      if (page.status !== 200) return outcome(page, 200);
      const r = await b.post('/login', { email: emails[1], password: PASSWORD });
      const o = outcome(r, 303);
      if (r.status === 303) o.session = b;
      else o.cookie = !!b.cookie('__Host-gh_session') && r.headers['set-cookie']?.some((c) => /gh_session=[^;]/.test(c));
      return o;
    }, { pauseMs: 100 }),
    loop(async (i) => {
      const tier = i % 4 < 2 ? 'premium' : 'standard';
      const r = await admin.b.post('/admin/update-tier', { username: targets[i % 2], tier });
      if (r.status === 200 || r.status === 503) await admin.b.get('/admin'); // a fresh form token
      return outcome(r, 303);
    }, { pauseMs: 50 }),
  ];

  let downAt, upAt;
  try {
    await sleep(BASELINE_MS);
    downAt = Date.now();
    pgCtl('-m', 'fast', '-w', '-t', '30', 'stop');
    await sleep(DOWN_MS);
  } finally {
    startPg();
    upAt = Date.now();
  }
  await sleep(AFTER_MS);
  const records = (await Promise.all(loops.map((l) => l.stop()))).flat().sort((a, b) => a.start - b.start);

  // Only successes and 503s, and nothing but successes before the stop.
  const wrong = records.filter((r) => !r.ok && !r.unavailable);
  assert.equal(wrong.length, 0, `only 503s while the database was away: ${JSON.stringify(wrong.slice(0, 5))}`);
  assert.ok(records.filter((r) => r.end < downAt).every((r) => r.ok), 'all well before the stop');
  const during = records.filter((r) => r.start > downAt + 500 && r.end < upAt);
  assert.ok(during.some((r) => r.unavailable), 'the outage was seen (503s)');

  // Recovery: the last 503 ends soon after the start, and all is well after.
  const failures = records.filter((r) => !r.ok);
  const lastFailure = Math.max(...failures.map((r) => r.end));
  const recoveryMs = lastFailure - upAt;
  t.diagnostic(`${records.length} requests; ${failures.length} answered 503; PostgreSQL down ${upAt - downAt} ms; ` +
    `last 503 ${recoveryMs} ms after it was back`);
  assert.ok(recoveryMs <= RECOVERY_MAX_MS, `full recovery within ${RECOVERY_MAX_MS} ms (${recoveryMs} ms)`);
  const afterRecovery = records.filter((r) => r.start > lastFailure);
  assert.ok(afterRecovery.length > 50, `traffic after the recovery (${afterRecovery.length} requests)`);

  // No worker restart.
  const after = await status();
  assert.deepEqual(after.workers.map((w) => w.pid).sort(), pidsBefore, 'the same workers');
  assert.equal(after.worker_restarts, before.worker_restarts, 'no restart counted');

  // Logins: every 303 made a session that works; a 503 set no cookie.
  const logins = records.filter((r) => r.session !== undefined || r.cookie !== undefined);
  for (const r of logins.filter((x) => x.session)) {
    assert.equal((await r.session.get('/account')).status, 200, 'a session made across the restart works');
  }
  assert.ok(logins.every((r) => !r.cookie), 'a login answered 503 set no session cookie');

  // Tier changes: mirror, audit and sessions agree for each target.
  const changed = records.filter((r) => r.ok && /done=tier_changed/.test(r.location || '')).length;
  let audited = 0;
  for (const email of targets) {
    const rows = psql(`SELECT old_tier, new_tier FROM t_default.tier_changes
      WHERE user_email = '${email}' AND id > ${auditStart} ORDER BY id`);
    audited += rows.length;
    for (let i = 1; i < rows.length; i++) {
      assert.equal(rows[i][0], rows[i - 1][1], `${email}: each record starts where the last ended`);
    }
    const [[mirror]] = psql(`SELECT tier FROM t_default.users WHERE email = '${email}'`);
    if (rows.length) assert.equal(mirror, rows.at(-1)[1], `${email}: the mirror holds the last recorded tier`);
    const sessionTiers = psql(`SELECT DISTINCT tier FROM gatehouse.sessions WHERE email = '${email}'`).map((r) => r[0]);
    assert.deepEqual(sessionTiers, [mirror], `${email}: the sessions carry the mirror's tier`);
  }
  t.diagnostic(`${changed} tier changes answered as done, ${audited} recorded`);
  assert.ok(changed > 0, 'tier changes went through');
  assert.ok(audited >= changed, 'every change answered as done was recorded');
});

after(() => { if (!pgRunning()) startPg(); });
