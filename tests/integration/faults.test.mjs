// The pool under faults. Cognito slow, refusing, failing and
// throttling; a worker killed mid-request; SIGHUP over and over under load;
// a log destination that is full or never read. Each test is bounded in time
// and count, on loopback only, against the stack under test (nginx, the
// pool, PostgreSQL, the Cognito double in front of cognito-local) or a pool
// of its own beside it (pools.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fault, sleep, waitFor, stackInfo, STACK, HTTPS_PORT, PASSWORD } from './helpers.mjs';
import { fcgiRequest } from './fcgi.mjs';
import {
  startPool, stopPool, startNginx, tempDir, workerPids, stackMasterPid, fdCount, poolStatus,
  SiteBrowser, sameSessionAt, apiCall, confirmedUser, signedIn, apiTokens, loop, logSince, fileSize,
  closeClients, idle,
} from './pools.mjs';

const PORT = HTTPS_PORT;
const CALL_BUDGET_MS = 5000;      // HTTP_TOTAL_TIMEOUT_MS: a whole Cognito call
const ANSWER_SLACK_MS = 1500;     // page rendering, nginx, a loaded machine
const BROWSE_MAX_MS = 1000;       // a session page while logins hang
const BROWSE_MIN_PAGES = 5;
const HANGING_LOGINS = 4;         // well under the pool's 16 threads
const STACK_LOG = path.join(STACK, 'log/gatehouse.log');

let email;          // a confirmed user of the default tenant
let browsing;       // a SiteBrowser signed in as email (the stack's nginx)
let token;          // an access token of email

before(async () => {
  await fault({ reset: true });
  email = await confirmedUser(PORT, { tag: 'fault' });
  browsing = await signedIn(PORT, email);
  token = (await apiTokens(PORT, email)).access_token;
});
after(async () => { await fault({ reset: true }); closeClients(); });

// busyThreads reads /status?json through nginx; the request itself is one.
async function busyThreads(port = PORT) {
  const r = await apiCall(port, 'GET', '/status?json');
  assert.equal(r.status, 200);
  return r.json.busy_threads;
}

async function noThreadHeld(port = PORT) {
  await waitFor(async () => (await busyThreads(port)) === 1, 2000, 'every worker thread free again');
}

async function timed(fn) {
  const t0 = Date.now();
  const r = await fn();
  r.ms = Date.now() - t0;
  return r;
}

async function pageLogin(port, who = email) {
  const b = new SiteBrowser(port);
  await b.get('/login');
  return timed(() => b.post('/login', { email: who, password: PASSWORD }));
}

function apiLogin(port, who = email) {
  return timed(() => apiCall(port, 'POST', '/api/v1/auth/login', { json: { email: who, password: PASSWORD } }));
}

// browseWhile runs a signed-in user's /account loop while work() runs and
// returns its records (each {ok, status, ms}).
async function browseWhile(b, work) {
  const l = loop(async () => {
    const r = await timed(() => b.get('/account'));
    return { ok: r.status === 200, status: r.status, ms: r.ms };
  }, { pauseMs: 50 });
  try {
    await work();
    await waitFor(() => l.records.length >= BROWSE_MIN_PAGES, 5000, 'a few pages browsed');
  } finally { await l.stop(); }
  return l.records;
}

function assertBrowsed(records, what) {
  assert.ok(records.length >= BROWSE_MIN_PAGES, `the signed-in user kept browsing (${records.length} pages) ${what}`);
  const bad = records.filter((r) => !r.ok);
  assert.equal(bad.length, 0, `every /account answered 200 ${what}: ${JSON.stringify(bad.slice(0, 3))}`);
  const slowest = Math.max(...records.map((r) => r.ms));
  assert.ok(slowest < BROWSE_MAX_MS, `/account stayed fast ${what} (slowest ${slowest} ms)`);
}

function assertErrorPage(r, status, what) {
  assert.equal(r.status, status, `${what}: ${r.body.slice(0, 200)}`);
  assert.match(r.body, /<nav\b/, `${what}: the site's own error page`);
  assert.doesNotMatch(r.body, /Exception|__type/, `${what}: no raw Cognito text`);
}

function assertJsonError(r, status, what) {
  assert.equal(r.status, status, `${what}: ${r.body.slice(0, 200)}`);
  assert.ok(r.json && typeof r.json.error === 'string' && r.json.message, `${what}: a JSON error`);
  assert.doesNotMatch(r.body, /Exception|__type/, `${what}: no raw Cognito text`);
}

// ---- Cognito faults -----------------------------------------------------------------

test('cognito-timeout: hung logins get a 503 within the call budget; signed-in users keep browsing', async () => {
  await fault({ op: 'InitiateAuth', mode: 'timeout' });
  try {
    let pages, api;
    const records = await browseWhile(browsing, async () => {
      [pages, api] = await Promise.all([
        Promise.all(Array.from({ length: HANGING_LOGINS }, () => pageLogin(PORT))),
        apiLogin(PORT),
      ]);
    });
    for (const r of pages) {
      assertErrorPage(r, 503, 'a hung page login');
      assert.ok(r.ms >= CALL_BUDGET_MS - 1000, `the login waited for Cognito (${r.ms} ms)`);
      assert.ok(r.ms < CALL_BUDGET_MS + ANSWER_SLACK_MS, `answered within the budget (${r.ms} ms)`);
    }
    assertJsonError(api, 503, 'a hung API login');
    assert.ok(api.ms < CALL_BUDGET_MS + ANSWER_SLACK_MS, `API answered within the budget (${api.ms} ms)`);
    assertBrowsed(records, 'while logins hung');
    await noThreadHeld();
  } finally { await fault({ reset: true }); }
});

test('cognito-5xx: a failing Cognito is a 503 page or JSON error, quickly, and frees the thread', async () => {
  await fault({ op: 'InitiateAuth', mode: 'error5xx', status: 502 });
  try {
    let page, api;
    const records = await browseWhile(browsing, async () => {
      [page, api] = await Promise.all([pageLogin(PORT), apiLogin(PORT)]);
    });
    assertErrorPage(page, 503, 'a page login against a 5xx Cognito');
    assertJsonError(api, 503, 'an API login against a 5xx Cognito');
    // InitiateAuth is retried on 5xx, with back-off, inside the budget.
    assert.ok(page.ms < CALL_BUDGET_MS + ANSWER_SLACK_MS, `page answered in ${page.ms} ms`);
    assert.ok(api.ms < CALL_BUDGET_MS + ANSWER_SLACK_MS, `API answered in ${api.ms} ms`);
    assertBrowsed(records, 'while Cognito failed');
    await noThreadHeld();
  } finally { await fault({ reset: true }); }
});

test('cognito-untyped: a 5xx without a __type is not asked again, and the log shows its first line', async () => {
  const user = await confirmedUser(PORT, { tag: 'untyped' });
  const { access_token: access } = await apiTokens(PORT, user);
  await fault({ reset: true });
  await fault({ op: 'GlobalSignOut', mode: 'untyped' });
  const logFrom = fileSize(STACK_LOG);
  try {
    const r = await apiCall(PORT, 'POST', '/api/v1/auth/logout', { token: access });
    assertJsonError(r, 503, 'a logout against an unimplemented GlobalSignOut');
    const calls = await (await fetch(stackInfo().COGNITO_DOUBLE_CONTROL)).json();
    assert.equal(calls.calls.GlobalSignOut, 1, 'asked once, not retried');
    await waitFor(() => /<!DOCTYPE html>/.test(logSince(STACK_LOG, logFrom)), 2000, 'the first line in the log');
  } finally { await fault({ reset: true }); }
});

test('cognito-throttle: throttling is a 429 with Retry-After, page and JSON alike', async () => {
  await fault({ op: 'InitiateAuth', mode: 'throttle' });
  try {
    const [page, api] = await Promise.all([pageLogin(PORT), apiLogin(PORT)]);
    assertErrorPage(page, 429, 'a throttled page login');
    assert.ok(Number(page.headers['retry-after']) > 0, 'the page says when to come back');
    assertJsonError(api, 429, 'a throttled API login');
    assert.ok(Number(api.headers['retry-after']) > 0, 'the API says when to come back');
    assert.ok(page.ms < CALL_BUDGET_MS + ANSWER_SLACK_MS && api.ms < CALL_BUDGET_MS + ANSWER_SLACK_MS,
      `answered within the budget (${page.ms}, ${api.ms} ms)`);
    await noThreadHeld();
  } finally { await fault({ reset: true }); }
  const r = await pageLogin(PORT);
  assert.equal(r.status, 303, 'logins work again once Cognito does');
});

test('cognito-refused: a pool whose Cognito refuses connections answers 503 at once and keeps serving sessions', async () => {
  // A port that was just free: nothing listens there.
  const closed = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
  const dir = tempDir('refused');
  let pool, site;
  try {
    pool = await startPool({ socket: path.join(dir, 'pool.sock'), env: { COGNITO_ENDPOINT: `http://127.0.0.1:${closed}` } });
    site = await startNginx([pool.socket]);
    const b = sameSessionAt(browsing, new SiteBrowser(site.port));
    let page, api;
    const records = await browseWhile(b, async () => {
      [page, api] = await Promise.all([pageLogin(site.port), apiLogin(site.port)]);
    });
    assertErrorPage(page, 503, 'a page login with Cognito refusing');
    assertJsonError(api, 503, 'an API login with Cognito refusing');
    assert.ok(page.ms < CALL_BUDGET_MS + ANSWER_SLACK_MS && api.ms < CALL_BUDGET_MS + ANSWER_SLACK_MS,
      `answered within the budget (${page.ms}, ${api.ms} ms)`);
    assertBrowsed(records, 'with Cognito unreachable');
    const signup = new SiteBrowser(site.port);
    await signup.get('/signup');
    const r = await signup.post('/signup', {
      email: `refused-${Date.now()}@example.com`, name: 'No Cognito', password: PASSWORD,
      confirm_password: PASSWORD, tier: 'standard', terms: '1',
    });
    assertErrorPage(r, 503, 'a sign-up with Cognito refusing');
    await noThreadHeld(site.port);
  } finally {
    if (site) await site.stop();
    await stopPool(pool);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---- a worker killed mid-request ----------------------------------------------------

test('worker-killed: only the requests in flight in a killed worker fail; it is replaced within a second', async () => {
  const LOGIN_DELAY_MS = 3000;
  const before = (await apiCall(PORT, 'GET', '/status?json')).json;
  assert.equal(before.workers.length, 2);
  await fault({ op: 'InitiateAuth', mode: 'delay', delayMs: LOGIN_DELAY_MS, count: 1 });
  const anon = loop(async () => {
    const r = await siteRequestStatus('/login');
    return { ok: r === 200, status: r };
  }, { pauseMs: 20 });
  const signed = loop(async () => {
    const r = await browsing.get('/account');
    return { ok: r.status === 200, status: r.status };
  }, { pauseMs: 20 });
  let killedAt, victimPid;
  try {
    const victim = pageLogin(PORT);
    await waitFor(async () => {
      const st = (await apiCall(PORT, 'GET', '/status?json')).json;
      const w = st.workers.find((x) => x.threads.some((t) => t.state === 'busy' && t.route === 'login_submit'));
      victimPid = w && w.pid;
      return !!victimPid;
    }, 2000, 'the login in flight in a worker');
    process.kill(victimPid, 'SIGKILL');
    killedAt = Date.now();
    const r = await victim;
    assert.ok(r.status >= 500, `the request in the killed worker failed (${r.status})`);
    await waitFor(async () => {
      const st = (await apiCall(PORT, 'GET', '/status?json')).json;
      return st.workers.length === 2 && !st.workers.some((w) => w.pid === victimPid);
    }, 3000, 'a new worker in the killed one\'s place');
    const replacedMs = Date.now() - killedAt;
    assert.ok(replacedMs <= 1000, `replaced within a second (${replacedMs} ms)`);
    await sleep(500);
  } finally {
    await fault({ reset: true });
  }
  const records = [...await anon.stop(), ...await signed.stop()];
  assert.ok(records.length > 20, `traffic ran beside it (${records.length} requests)`);
  const failed = records.filter((x) => !x.ok);
  for (const f of failed) {
    assert.ok(f.start <= killedAt && f.end >= killedAt,
      `a failed request was in flight at the kill: ${JSON.stringify(f)}`);
  }
  assert.ok(failed.length <= 2, `at most the requests in flight failed (${failed.length})`);
  const after = (await apiCall(PORT, 'GET', '/status?json')).json;
  assert.ok(after.worker_restarts > before.worker_restarts, 'the restart is counted');
});

async function siteRequestStatus(urlPath) {
  const r = await apiCall(PORT, 'GET', urlPath, { headers: { accept: 'text/html' } });
  return r.status;
}

// ---- SIGHUP under load ----------------------------------------------------------------

// sessionProcesses lists the processes of the running binary in the session
// of the master (the master, its workers, and any orphan they left).
function sessionProcesses(master) {
  const sid = (pid) => {
    try { return Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[3]); } catch { return -1; }
  };
  const want = sid(master);
  const exe = fs.realpathSync(fs.readlinkSync(`/proc/${master}/exe`));
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try { return fs.readlinkSync(`/proc/${pid}/exe`) === exe && sid(pid) === want; } catch { return false; }
  });
}

test('sighup-load: SIGHUP every two seconds under load through nginx fails no request and leaks nothing', async () => {
  const RELOADS = 5, EVERY_MS = 2000;
  const master = stackMasterPid();
  const fdsBefore = fdCount(master);
  const procsBefore = sessionProcesses(master).length;
  const workersBefore = workerPids(master);
  const logFrom = fileSize(STACK_LOG);
  const loggingIn = new SiteBrowser(PORT);
  await loggingIn.get('/login');
  const loops = [
    loop(async () => { const s = await siteRequestStatus('/login'); return { ok: s === 200, status: s, what: 'GET /login' }; }),
    loop(async () => { const r = await browsing.get('/account'); return { ok: r.status === 200, status: r.status, what: 'GET /account' }; }),
    loop(async () => { const r = await apiCall(PORT, 'GET', '/api/v1/me', { token }); return { ok: r.status === 200, status: r.status, what: 'GET /api/v1/me' }; }),
    loop(async () => {
      const r = await loggingIn.post('/login', { email, password: PASSWORD });
      await loggingIn.get('/login');
      return { ok: r.status === 303, status: r.status, what: 'POST /login' };
    }, { pauseMs: 100 }),
  ];
  for (let i = 0; i < RELOADS; i++) {
    await sleep(EVERY_MS);
    process.kill(master, 'SIGHUP');
  }
  await waitFor(() => (logSince(STACK_LOG, logFrom).match(/event=reload_done/g) || []).length >= RELOADS,
    10000, `${RELOADS} reloads done`);
  await sleep(1000);
  const records = (await Promise.all(loops.map((l) => l.stop()))).flat();
  const failed = records.filter((r) => !r.ok);
  assert.ok(records.length > 200, `load ran (${records.length} requests)`);
  assert.equal(failed.length, 0, `no request failed across ${RELOADS} reloads (${records.length} requests): ${JSON.stringify(failed.slice(0, 5))}`);

  await waitFor(() => {
    const now = workerPids(master);
    return now.length === 2 && now.every((p) => !workersBefore.includes(p));
  }, 15000, 'the old generations gone, two new workers');
  await waitFor(() => sessionProcesses(master).length === procsBefore, 5000, 'no leftover process');
  assert.equal(fdCount(master), fdsBefore, 'the master holds as many descriptors as before');
  assert.doesNotMatch(logSince(STACK_LOG, logFrom), /event=reload_refused/);
});

// ---- a log destination that is full, or never read ---------------------------------------

// serveMany sends count requests straight to a pool; each must be answered,
// rightly, within two seconds.
async function serveMany(socket, count) {
  const uris = ['/login', '/healthz', '/signup', '/no-such-page'];
  const want = { '/login': 200, '/healthz': 200, '/signup': 200, '/no-such-page': 404 };
  for (let i = 0; i < count; i++) {
    const uri = uris[i % uris.length];
    const r = await Promise.race([
      fcgiRequest(socket, { uri, headers: { HTTP_HOST: 'localhost', HTTPS: 'on' } }),
      idle(2000, { status: 'hung' }),
    ]);
    assert.equal(r.status, want[uri], `request ${i} (${uri}) answered`);
  }
}

// Enough requests that their log lines overflow a pipe's 64 KiB several times.
const LOG_FLOOD_REQUESTS = 1200;

test('log-full: a pool whose log goes to a full device, a full disk or an unread pipe keeps serving', async (t) => {
  const dir = tempDir('logfull');
  const cases = [];
  const fds = [];
  try {
    fds.push(fs.openSync('/dev/full', 'w'));
    cases.push(['/dev/full', fds.at(-1)]);
    const fifo = path.join(dir, 'log.fifo');
    execFileSync('mkfifo', [fifo]);
    fds.push(fs.openSync(fifo, 'r+')); // we hold the reading end and never read
    cases.push(['a pipe nobody reads', fds.at(-1)]);
    let mounted = false;
    if (process.getuid() === 0) {
      const mnt = path.join(dir, 'tiny');
      fs.mkdirSync(mnt);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'ignore' });
        mounted = mnt;
        const fd = fs.openSync(path.join(mnt, 'gatehouse.log'), 'a');
        const block = Buffer.alloc(4096, 'x');
        try { for (;;) fs.writeSync(fd, block); } catch (e) { assert.equal(e.code, 'ENOSPC'); }
        fds.push(fd);
        cases.push(['a full tmpfs', fd]);
      } catch { /* no mount here (a container without the right): the other cases stand */ }
    }
    try {
      for (const [what, fd] of cases) {
        const pool = await startPool({ socket: path.join(dir, 'pool.sock'), stderr: fd, processes: 1, threads: 2 });
        try {
          await serveMany(pool.socket, LOG_FLOOD_REQUESTS);
          const st = await poolStatus(pool.socket);
          assert.equal(st.busy_threads, 1, `${what}: no thread stuck writing the log`);
        } finally {
          await stopPool(pool);
        }
        t.diagnostic(`${what}: ${LOG_FLOOD_REQUESTS} requests served`);
      }
    } finally {
      if (mounted) execFileSync('umount', ['-l', mounted]);
    }
  } finally {
    for (const fd of fds) fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
