#!/usr/bin/env node
// soak.mjs — mixed traffic at a steady rate against a running local stack,
// watching the pool's memory and descriptors.
//
//   STACK_PROFILE=test node tests/soak/soak.mjs [--seconds 600] [--rate 40]
//   (or SOAK_SECONDS, SOAK_RATE). Exits 0 when the run passed.
//
// Traffic: pages (home, login, sign-up), signed-in pages (account), logins
// through the form and the API, bearer calls (/api/v1/me), token refreshes,
// and an admin's pages (statistics, a tier-filtered user list, the audit
// log), in fixed proportions. Requests start on a fixed schedule (open
// loop), so a slow pool shows as a backlog rather than a quietly lower rate.
// Every answer must be the expected one: any other status, a transport
// error or a request the schedule could not start counts as an error.
//
// The run opens with a burst as wide as the pool (every worker thread of
// both lanes then holds what it keeps: its arena, its PostgreSQL and
// Cognito connections), so what follows is the steady state. Every few
// seconds (SAMPLE_MS_MAX, more often in a short run) the pool is sampled:
// its workers (from /status), their resident memory and open descriptors,
// and the master's descriptors. After a warm-up (WARMUP_SHARE of the run, at
// least WARMUP_MIN_MS, counted from a worker's first sample, so a worker
// recycled by max_requests has its own), a worker's memory is flat when the
// highest figure of the last third of its samples exceeds that of the first
// third by at most RSS_SLACK_KB. Descriptors other than sockets (epoll sets,
// pipes, the log) must not change at all; sockets come and go with kept
// connections (nginx's, PostgreSQL's, Cognito's and curl's wake-up pair: at
// most SOCKETS_PER_THREAD for each thread, plus the listening ones), so they
// must stay within that bound. The master's descriptors must not change.
//
// runSoak() is also what tests/integration/soak.test.mjs runs for a
// shorter time inside `make test`.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { adminSession, HTTPS_PORT, PASSWORD, sleep } from '../integration/helpers.mjs';
import {
  apiCall, confirmedUsers, signedIn, apiTokens, SiteBrowser, stackMasterPid, fdCount, rssKb, closeClients,
} from '../integration/pools.mjs';

const SAMPLE_MS_MAX = 5000;  // a sample every 5 s, or 40 samples in a short run
const SAMPLE_MS_MIN = 1000;
const SAMPLES_PER_RUN = 40;
const PROGRESS_MS = 60000;
const WARMUP_SHARE = 0.2;
const WARMUP_MIN_MS = 10000;
const RSS_SLACK_KB = 1024;
// A thread's sockets at most: nginx's kept connection, its PostgreSQL
// connection, its kept Cognito connection and the one that replaces it when
// Cognito has closed the kept one (curl opens the new before closing the
// old), and the socket pair curl's easy interface makes for waking its
// internal multi handle (two descriptors, made on the thread's first call).
const SOCKETS_PER_THREAD = 6;
const LISTEN_SOCKETS = 4;     // the page socket and the slow lane's, and slack
const BURST_ROUNDS = 3;
const IN_FLIGHT_MAX = 64;   // more than this waiting: the pool is not keeping up
const TICK_MS = 5;
const USERS = 4;
const SAMPLES_MIN = 3;      // per third, for a verdict on a worker

// ---- the traffic -------------------------------------------------------------------

// ops: name, weight, and a function answering {ok, status}.
function operations(ctx) {
  const port = ctx.port;
  const pick = (list, i) => list[i % list.length];
  const page = async (b, url, want = 200) => {
    const r = await b.get(url);
    return { ok: r.status === want, status: r.status };
  };
  return [
    ['GET /', 8, () => page(ctx.anon, '/')],
    ['GET /login', 10, () => page(ctx.anon, '/login')],
    ['GET /signup', 5, () => page(ctx.anon, '/signup')],
    ['GET /healthz', 4, () => page(ctx.anon, '/healthz')],
    ['GET /account', 20, (i) => page(pick(ctx.users, i), '/account')],
    ['GET /api/v1/me', 15, async (i) => {
      const r = await apiCall(port, 'GET', '/api/v1/me', { token: pick(ctx.tokens, i).access_token });
      return { ok: r.status === 200, status: r.status };
    }],
    ['POST /login', 5, async (i) => {
      const b = new SiteBrowser(port);
      const form = await b.get('/login');
      if (form.status !== 200) return { ok: false, status: form.status };
      const r = await b.post('/login', { email: pick(ctx.emails, i), password: PASSWORD });
      return { ok: r.status === 303, status: r.status };
    }],
    ['POST /api/v1/auth/login', 5, async (i) => {
      const r = await apiCall(port, 'POST', '/api/v1/auth/login', { json: { email: pick(ctx.emails, i), password: PASSWORD } });
      return { ok: r.status === 200, status: r.status };
    }],
    ['POST /api/v1/auth/refresh', 3, async (i) => {
      const r = await apiCall(port, 'POST', '/api/v1/auth/refresh', { json: { refresh_token: pick(ctx.tokens, i).refresh_token } });
      return { ok: r.status === 200, status: r.status };
    }],
    ['GET /admin', 4, () => page(ctx.admin, '/admin')],
    ['GET /admin/users?tier=premium', 4, () => page(ctx.admin, '/admin/users?tier=premium')],
    ['GET /admin/audit', 3, () => page(ctx.admin, '/admin/audit')],
  ];
}

// schedule turns the weights into a repeating sequence of op indexes.
function schedule(ops) {
  const seq = [];
  ops.forEach(([, weight], i) => { for (let k = 0; k < weight; k++) seq.push(i); });
  // Spread each op over the cycle (a fixed shuffle), not in runs.
  let seed = 7;
  for (let i = seq.length - 1; i > 0; i--) {
    seed = (seed * 48271) % 2147483647;
    const j = seed % (i + 1);
    [seq[i], seq[j]] = [seq[j], seq[i]];
  }
  return seq;
}

async function setUp(port, log) {
  const emails = await confirmedUsers(port, USERS, { tag: 'soak' });
  const users = [];
  const tokens = [];
  for (const e of emails) {
    users.push(await signedIn(port, e));
    tokens.push(await apiTokens(port, e));
  }
  const admin = (await adminSession()).b;
  log(`set up ${USERS} users and an admin`);
  return { port, emails, users, tokens, admin, anon: new SiteBrowser(port) };
}

// warmUp sends BURST_ROUNDS bursts as wide as the pool's threads: session
// pages (the page lane) and token refreshes (the slow lane, Cognito). Its
// answers are checked like any other.
async function warmUp(ctx, check) {
  const st = (await apiCall(ctx.port, 'GET', '/status?json')).json;
  const width = st.workers.reduce((n, w) => n + w.threads.length, 0);
  for (let round = 0; round < BURST_ROUNDS; round++) {
    await Promise.all(Array.from({ length: width }, async (_, i) => {
      const page = await ctx.users[i % ctx.users.length].get('/account');
      check('warm-up GET /account', page.status === 200, page.status);
      const r = await apiCall(ctx.port, 'POST', '/api/v1/auth/refresh',
        { json: { refresh_token: ctx.tokens[i % ctx.tokens.length].refresh_token } });
      check('warm-up POST /api/v1/auth/refresh', r.status === 200, r.status);
    }));
  }
  return width;
}

// ---- sampling --------------------------------------------------------------------------

// fdKinds counts a process's descriptors: sockets and the rest (-1: gone).
function fdKinds(pid) {
  try {
    let sockets = 0, other = 0;
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      let target = '';
      try { target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { continue; }
      if (target.startsWith('socket:')) sockets++; else other++;
    }
    return { sockets, other };
  } catch { return { sockets: -1, other: -1 }; }
}

async function sample(port, master, t) {
  const r = await apiCall(port, 'GET', '/status?json');
  if (r.status !== 200) throw new Error(`/status answered ${r.status}`);
  const workers = r.json.workers.map((w) => ({ pid: w.pid, threads: w.threads.length, rss: rssKb(w.pid), ...fdKinds(w.pid) }))
    .filter((w) => w.rss >= 0 && w.other >= 0);
  return { t, master: fdCount(master), requests: r.json.requests, workers };
}

// judge reads the samples and returns {workers, problems}: the master's
// descriptors after the run's warm-up, and each worker after its own.
function judge(samples, warmupMs, checkMemory) {
  const problems = [];
  const late = samples.filter((s) => s.t >= warmupMs);
  const masterFds = late.map((s) => s.master);
  if (masterFds.length && new Set(masterFds).size !== 1) {
    problems.push(`the master's descriptors changed: ${[...new Set(masterFds)].join(', ')}`);
  }
  const series = new Map(); // pid → its samples
  for (const s of samples) {
    for (const w of s.workers) {
      if (!series.has(w.pid)) series.set(w.pid, []);
      series.get(w.pid).push({ ...w, t: s.t });
    }
  }
  const workers = [];
  for (const [pid, all] of series) {
    const list = all.filter((x) => x.t >= Math.max(warmupMs, all[0].t + warmupMs));
    const third = Math.floor(list.length / 3);
    if (third < SAMPLES_MIN) { workers.push({ pid, samples: list.length, judged: false }); continue; }
    const first = list.slice(0, third), last = list.slice(-third);
    const others = list.map((x) => x.other), sockets = list.map((x) => x.sockets);
    const w = {
      pid, samples: list.length, judged: true, threads: list[0].threads,
      rssStart: list[0].rss, rssEnd: list.at(-1).rss, rssMax: maxOf(list.map((x) => x.rss)),
      rssGrowth: maxOf(last.map((x) => x.rss)) - maxOf(first.map((x) => x.rss)),
      otherMin: Math.min(...others), otherMax: maxOf(others),
      socketsMin: Math.min(...sockets), socketsMax: maxOf(sockets),
      socketsBound: SOCKETS_PER_THREAD * list[0].threads + LISTEN_SOCKETS,
    };
    if (checkMemory && w.rssGrowth > RSS_SLACK_KB) problems.push(`worker ${pid}: memory grew ${w.rssGrowth} KiB after warm-up`);
    if (w.otherMax !== w.otherMin) problems.push(`worker ${pid}: non-socket descriptors changed (${w.otherMin}..${w.otherMax})`);
    if (w.socketsMax > w.socketsBound) problems.push(`worker ${pid}: ${w.socketsMax} sockets, more than its ${w.threads} threads keep (${w.socketsBound})`);
    workers.push(w);
  }
  if (!workers.some((w) => w.judged)) problems.push('no worker lived long enough to judge its memory');
  return { workers, problems };
}

const maxOf = (xs) => Math.max(...xs);

// ---- the run ------------------------------------------------------------------------

function percentile(sorted, p) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

// runSoak drives the stack at port for `seconds` at `rate` requests a second
// and returns {passed, problems, figures, report} (report: printable text).
// checkMemory false leaves memory unjudged (an ASan build's quarantine
// grows on purpose); descriptors and errors are judged all the same.
export async function runSoak({ seconds, rate, port = HTTPS_PORT, log = () => {}, checkMemory = true }) {
  const ctx = await setUp(port, log);
  const ops = operations(ctx);
  const seq = schedule(ops);
  const master = stackMasterPid();
  const durationMs = seconds * 1000;
  const warmupEnd = Math.max(WARMUP_MIN_MS, durationMs * WARMUP_SHARE);
  const sampleMs = Math.min(SAMPLE_MS_MAX, Math.max(SAMPLE_MS_MIN, durationMs / SAMPLES_PER_RUN));
  const stats = ops.map(() => ({ count: 0, errors: 0, ms: [] }));
  const errors = [];
  const samples = [];
  let inFlight = 0, started = 0, missed = 0;
  const pending = new Set();

  const width = await warmUp(ctx, (op, ok, status) => { if (!ok) errors.push({ t: 0, op, status }); });
  log(`warm-up: ${BURST_ROUNDS} bursts ${width} wide (every worker thread)`);
  const t0 = Date.now();
  const fire = (n) => {
    const opIndex = seq[n % seq.length];
    const [name, , fn] = ops[opIndex];
    if (inFlight >= IN_FLIGHT_MAX) { missed++; errors.push({ t: Date.now() - t0, op: name, error: 'backlog' }); return; }
    inFlight++;
    const begin = Date.now();
    const p = (async () => {
      let r;
      try { r = await fn(n); } catch (e) { r = { ok: false, error: e.message }; }
      const st = stats[opIndex];
      st.count++;
      st.ms.push(Date.now() - begin);
      if (!r.ok) { st.errors++; errors.push({ t: begin - t0, op: name, status: r.status, error: r.error }); }
      inFlight--;
    })();
    pending.add(p);
    p.finally(() => pending.delete(p));
  };

  let nextSample = 0, nextProgress = PROGRESS_MS;
  while (Date.now() - t0 < durationMs) {
    const elapsed = Date.now() - t0;
    const due = Math.floor((elapsed * rate) / 1000);
    while (started < due) fire(started++);
    if (elapsed >= nextSample) {
      nextSample += sampleMs;
      sample(port, master, elapsed).then((s) => samples.push(s), (e) => errors.push({ t: elapsed, op: 'sample', error: e.message }));
    }
    if (elapsed >= nextProgress) {
      nextProgress += PROGRESS_MS;
      log(`${Math.round(elapsed / 1000)} s: ${started} requests started, ${errors.length} errors`);
    }
    await sleep(TICK_MS);
  }
  await Promise.all(pending);
  samples.push(await sample(port, master, Date.now() - t0));
  closeClients();
  const elapsedS = (Date.now() - t0) / 1000;

  const verdict = judge(samples.sort((a, b) => a.t - b.t), warmupEnd, checkMemory);
  const problems = [...verdict.problems];
  if (errors.length) problems.push(`${errors.length} errors, first: ${JSON.stringify(errors.slice(0, 5))}`);
  const done = stats.reduce((n, s) => n + s.count, 0);

  const lines = [];
  lines.push(`soak: ${seconds} s at ${rate} requests/s on port ${port}: ${done} requests in ${elapsedS.toFixed(1)} s ` +
    `(${(done / elapsedS).toFixed(1)}/s), ${errors.length} errors, ${missed} not started (backlog)`);
  lines.push('  operation                          count  errors   p50 ms   p99 ms');
  ops.forEach(([name], i) => {
    const s = stats[i];
    const sorted = s.ms.sort((a, b) => a - b);
    lines.push(`  ${name.padEnd(32)} ${String(s.count).padStart(7)} ${String(s.errors).padStart(7)} ${String(percentile(sorted, 0.5)).padStart(8)} ${String(percentile(sorted, 0.99)).padStart(8)}`);
  });
  const masterFds = [...new Set(samples.map((s) => s.master))];
  lines.push(`  master pid ${master}: descriptors ${masterFds.join(' → ')} over ${samples.length} samples`);
  lines.push(`  after warm-up (${Math.round(warmupEnd / 1000)} s), per worker: RSS KiB start → end (growth of the last third's max over the first's; max),`);
  lines.push('  non-socket descriptors (min..max), sockets (min..max, bound for its threads)');
  for (const w of verdict.workers) {
    if (!w.judged) { lines.push(`    worker ${w.pid}: ${w.samples} samples after its warm-up, too few to judge (recycled late)`); continue; }
    lines.push(`    worker ${w.pid} (${w.threads} threads): RSS ${w.rssStart} → ${w.rssEnd} (${w.rssGrowth >= 0 ? '+' : ''}${w.rssGrowth}; max ${w.rssMax}), ` +
      `other fds ${w.otherMin}..${w.otherMax}, sockets ${w.socketsMin}..${w.socketsMax} (≤ ${w.socketsBound})`);
  }
  if (!checkMemory) lines.push('  (memory not judged: a sanitizer build)');
  lines.push(problems.length ? `soak FAILED:\n  - ${problems.join('\n  - ')}`
    : `soak passed: 0 errors, ${checkMemory ? 'memory flat, ' : ''}no descriptor growth`);
  return {
    passed: problems.length === 0, problems, report: lines.join('\n'),
    figures: { requests: done, seconds: elapsedS, rate: done / elapsedS, errors: errors.length, samples, workers: verdict.workers },
  };
}

// ---- the command line ---------------------------------------------------------------

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const seconds = arg('seconds', Number(process.env.SOAK_SECONDS || 600));
  const rate = arg('rate', Number(process.env.SOAK_RATE || 40));
  const result = await runSoak({
    seconds, rate, log: (m) => console.log(`soak: ${m}`), checkMemory: process.env.SANITIZE !== '1',
  });
  console.log(result.report);
  process.exit(result.passed ? 0 : 1);
}
