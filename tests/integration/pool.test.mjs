// The worker pool under signals, talking FastCGI to a pool of its own (no
// nginx, so nothing retries on our behalf): a killed worker is replaced,
// SIGHUP reloads without losing a request, SIGTERM drains what is in flight,
// a thread whose kept connections all have requests still takes a new
// connection in turn, and a broken template stops start-up with its file and
// line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FcgiConnection, fcgiRequest } from './fcgi.mjs';
import { ROOT, BIN, sleep, waitFor, stackEnv } from './helpers.mjs';

let dir;

before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-pool-')); });
after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

function poolEnv(extra = {}) {
  return {
    PATH: process.env.PATH,
    GATEHOUSE_LISTEN: path.join(dir, 'pool.sock'),
    GATEHOUSE_PROCESSES: '2', GATEHOUSE_THREADS: '2',
    GATEHOUSE_TEMPLATES: path.join(ROOT, 'templates'),
    GATEHOUSE_SQL: path.join(ROOT, 'sql'),
    // The test stack's database: pages need their tenant from it.
    DATABASE_URL: stackEnv().DATABASE_URL,
    SESSION_KEY: '00'.repeat(32),
    ASAN_OPTIONS: process.env.ASAN_OPTIONS || '',
    ...extra,
  };
}

// startPool runs a master and waits until it answers on its socket.
async function startPool(extra = {}) {
  const env = poolEnv(extra);
  const child = spawn(BIN, ['serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.log = '';
  child.stderr.on('data', (d) => { child.log += d; });
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  await waitFor(async () => {
    try { return (await fcgiRequest(env.GATEHOUSE_LISTEN, { uri: '/healthz' })).status === 200; } catch { return false; }
  }, 10000, 'pool answers /healthz');
  child.socket = env.GATEHOUSE_LISTEN;
  return child;
}

function workerPids(masterPid) {
  try {
    return execFileSync('pgrep', ['-P', String(masterPid)]).toString().trim().split('\n').filter(Boolean).map(Number);
  } catch { return []; }
}

async function stopPool(child) {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  return child.exited;
}

test('a worker killed with SIGKILL is replaced and requests keep succeeding', async () => {
  const pool = await startPool();
  try {
    await waitFor(() => workerPids(pool.pid).length === 2, 5000, 'two workers');
    const [victim] = workerPids(pool.pid);
    process.kill(victim, 'SIGKILL');
    let ok = 0;
    for (let i = 0; i < 50; i++) {
      const r = await fcgiRequest(pool.socket, { uri: '/healthz' });
      if (r.status === 200) ok++;
    }
    assert.equal(ok, 50, 'every request after the kill succeeded');
    await waitFor(() => { const p = workerPids(pool.pid); return p.length === 2 && !p.includes(victim); },
      5000, 'the killed worker was replaced');
    assert.match(pool.log, /event=worker_exited pid=\d+ signal=9/);
  } finally {
    await stopPool(pool);
  }
});

test('SIGHUP during a request loop loses no request and replaces the workers', async () => {
  const pool = await startPool();
  try {
    await waitFor(() => workerPids(pool.pid).length === 2, 5000, 'two workers');
    const before = workerPids(pool.pid);
    let failures = 0, done = 0, stop = false;
    const reasons = [];
    const loop = (async () => {
      while (!stop) {
        try {
          const r = await fcgiRequest(pool.socket, { uri: '/', headers: { HTTP_HOST: 'localhost' } });
          if (r.status !== 200) { failures++; reasons.push(`status ${r.status}`); }
        } catch (e) { failures++; reasons.push(String(e && e.message || e)); }
        done++;
      }
    })();
    for (let i = 0; i < 3; i++) { await sleep(150); process.kill(pool.pid, 'SIGHUP'); }
    await waitFor(() => (pool.log.match(/event=reload_done/g) || []).length === 3, 10000, 'three reloads');
    await sleep(300);
    stop = true;
    await loop;
    assert.ok(done > 50, `the loop ran (${done} requests)`);
    assert.equal(failures, 0,
      `no request failed across three reloads (${done} requests; failed: ${reasons.join('; ')})`);
    await waitFor(() => { const p = workerPids(pool.pid); return p.length === 2 && p.every((x) => !before.includes(x)); },
      10000, 'the old generation was replaced');
  } finally {
    await stopPool(pool);
  }
});

test('SIGTERM lets an in-flight request finish, then the pool exits 0', async () => {
  const pool = await startPool();
  let release;
  const gate = new Promise((r) => { release = r; });
  const inFlight = fcgiRequest(pool.socket, {
    method: 'POST', uri: '/', headers: { CONTENT_TYPE: 'application/x-www-form-urlencoded', HTTP_HOST: 'localhost' },
    body: 'a=1&b=2', hold: () => gate,
  });
  await sleep(300);
  process.kill(pool.pid, 'SIGTERM');
  await sleep(500);
  assert.equal(pool.exitCode, null, 'the master waits for the request in flight');
  release();
  const r = await inFlight;
  assert.equal(r.status, 405, 'the held request got its complete answer');
  const { code } = await pool.exited;
  assert.equal(code, 0);
  assert.ok(!fs.existsSync(pool.socket), 'the socket is removed');
});

// A thread keeps up to four connections nginx leaves open
// (WAITER_KEEP_MAX in app/server/worker.c). Under load every one of them has
// a request waiting whenever the thread looks, and nginx opens new
// connections as well: a new one must get its turn, or it waits in the
// listening queue as long as the kept ones stay busy.
test('a thread whose kept connections all have requests still takes a new connection in turn', async () => {
  const pool = await startPool({ GATEHOUSE_PROCESSES: '1', GATEHOUSE_THREADS: '1' });
  const kept = [];
  try {
    for (let i = 0; i < 4; i++) {
      kept.push(await FcgiConnection.open(pool.socket));
      assert.equal((await kept[i].request({ uri: '/healthz' })).status, 200, `kept connection ${i}`);
    }
    // The one thread is held on the first kept connection (a body it
    // waits for); meanwhile the three others send a request each and a new
    // connection one.
    let release;
    const gate = new Promise((r) => { release = r; });
    const order = [];
    const answered = (name) => (r) => { order.push(name); return r; };
    const held = kept[0].request({
      method: 'POST', uri: '/', headers: { CONTENT_TYPE: 'application/x-www-form-urlencoded', HTTP_HOST: 'localhost' },
      body: 'a=1', hold: () => gate,
    }).then(answered('held'));
    await sleep(200);
    const others = kept.slice(1).map((c, i) => c.request({ uri: '/healthz' }).then(answered(`kept ${i + 1}`)));
    const fresh = fcgiRequest(pool.socket, { uri: '/healthz' }).then(answered('new'));
    await sleep(300);
    release();
    const all = await Promise.all([held, ...others, fresh]);
    assert.ok(all.slice(1).every((r) => r.status === 200), 'every waiting request answered');
    assert.equal(order[0], 'held');
    assert.ok(order.indexOf('new') < order.length - 1,
      `the new connection was served before the kept ones were all done: ${order.join(', ')}`);
  } finally {
    kept.forEach((c) => c.close());
    await stopPool(pool);
  }
});

test('a broken template makes start-up fail with its file, line and column', () => {
  const tdir = path.join(dir, 'templates');
  fs.cpSync(path.join(ROOT, 'templates'), tdir, { recursive: true });
  fs.writeFileSync(path.join(tdir, 'home.mustache'), 'line one\n<p>{{#section}} never closed\n');
  let out = '', status = 0;
  try {
    execFileSync(BIN, ['serve'], { env: poolEnv({ GATEHOUSE_TEMPLATES: tdir }), stdio: 'pipe', timeout: 10000 });
  } catch (e) { status = e.status; out = String(e.stderr); }
  assert.notEqual(status, 0, 'start-up failed');
  assert.match(out, /home(\.mustache)?:2:\d+/, `names the file and line: ${out}`);
});
