// Helpers of the fault, JWKS, PostgreSQL-restart, scale-out and soak tests:
// pools of their own beside the stack's, a small nginx of their own in front
// of one or more pools, a Browser that talks to that nginx, and what a test
// reads from a running pool (its workers, their descriptors and memory,
// /status).
//
// A private pool is the stack's binary with the stack's settings file, a
// socket of its own and no pid file; the environment wins over the file, so
// a test changes one setting (COGNITO_ENDPOINT, GATEHOUSE_PROCESSES) by
// naming it. It runs in its own process group, so killPool ends the master
// and every worker at once, as a host going down would.
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import {
  Browser, BIN, ROOT, STACK, sleep, waitFor, stackInfo, uniqueEmail, PASSWORD,
} from './helpers.mjs';
import { fcgiRequest } from './fcgi.mjs';

// Ports of private nginx servers: past the six the stack profile uses.
const PRIVATE_PORT_OFFSET = 10;
const PRIVATE_PORTS = 40;
let nextPort = 0;

// idle resolves after ms without keeping the process alive meanwhile (for
// races against something that normally ends first).
export const idle = (ms, value) => new Promise((resolve) => setTimeout(resolve, ms, value).unref());

// privatePort is the next port for an nginx of our own.
export function privatePort() {
  const base = Number(stackInfo().HTTPS_PORT);
  return base + PRIVATE_PORT_OFFSET + (nextPort++ % PRIVATE_PORTS);
}

// tempDir makes a directory other users may traverse (nginx's workers run
// as www-data and must reach the sockets in it).
export function tempDir(tag) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gh-${tag}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

// ---- pools ------------------------------------------------------------------------

// startPool runs a master with the stack's settings and env overrides, on
// socket (a path), and waits until it answers /healthz. stderr: 'pipe' (the
// log is collected in pool.log), or a file descriptor to write it to.
// slowSocket: the slow lane's socket (POSTs), or none (the stack's is never
// taken: opening a socket replaces the file).
export async function startPool({ socket, slowSocket, env = {}, stderr = 'pipe', processes = 2, threads = 4 } = {}) {
  const info = stackInfo();
  const childEnv = {
    PATH: process.env.PATH,
    GATEHOUSE_LISTEN: socket,
    GATEHOUSE_LISTEN_SLOW: slowSocket || '',
    GATEHOUSE_SLOW_THREADS: String(threads),
    GATEHOUSE_PID_FILE: '',
    GATEHOUSE_PROCESSES: String(processes),
    GATEHOUSE_THREADS: String(threads),
    ASAN_OPTIONS: process.env.ASAN_OPTIONS || '',
    UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || '',
    ...env,
  };
  const child = spawn(BIN, ['serve', '--env-file', info.GATEHOUSE_ENV_FILE], {
    cwd: ROOT, env: childEnv, detached: true, stdio: ['ignore', 'ignore', stderr],
  });
  child.log = '';
  if (stderr === 'pipe') child.stderr.on('data', (d) => { child.log += d; });
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.socket = socket;
  child.slowSocket = slowSocket;
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`the pool exited: ${child.log.slice(-2000)}`);
      try { return (await fcgiRequest(socket, { uri: '/healthz' })).status === 200; } catch { return false; }
    }, 15000, `a pool answering on ${socket}`);
    await waitFor(() => workerPids(child.pid).length === processes, 10000, `${processes} workers`);
  } catch (e) {
    killPool(child);
    throw e;
  }
  return child;
}

// stopPool asks a master to stop (SIGTERM) and waits for it.
export async function stopPool(child) {
  if (!child) return;
  if (child.exitCode === null && child.signalCode === null) {
    try { process.kill(child.pid, 'SIGTERM'); } catch { /* gone */ }
  }
  const timeout = idle(30000, 'timeout');
  if (await Promise.race([child.exited, timeout]) === 'timeout') killPool(child);
  await child.exited;
}

// killPool sends SIGKILL to the master and its workers (its process group).
export function killPool(child) {
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
}

// groupAlive tells whether any process of a pool's process group (its
// master's pid) is still there: after killPool the master may be reaped
// before its workers, which hold the listening sockets until they exit.
export function groupAlive(pgid) {
  try { return execFileSync('pgrep', ['-g', String(pgid)]).toString().trim() !== ''; } catch { return false; }
}

// workerPids lists the children of a master.
export function workerPids(masterPid) {
  try {
    return execFileSync('pgrep', ['-P', String(masterPid)]).toString().trim().split('\n').filter(Boolean).map(Number);
  } catch { return []; }
}

// stackMasterPid is the pid of the stack's own pool.
export function stackMasterPid() {
  return Number(fs.readFileSync(path.join(STACK, 'run/gatehouse.pid'), 'utf8').trim());
}

// fdCount counts the open descriptors of a process (-1 when it is gone).
export function fdCount(pid) {
  try { return fs.readdirSync(`/proc/${pid}/fd`).length; } catch { return -1; }
}

// rssKb is the resident memory of a process in KiB (-1 when it is gone).
export function rssKb(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
    return m ? Number(m[1]) : -1;
  } catch { return -1; }
}

// poolStatus reads /status?json straight from a pool's socket (loopback).
export async function poolStatus(socket) {
  const r = await fcgiRequest(socket, { uri: '/status?json', headers: { QUERY_STRING: 'json' } });
  if (r.status !== 200) throw new Error(`/status answered ${r.status}`);
  return JSON.parse(r.body);
}

// ---- a small nginx of our own --------------------------------------------------

const FASTCGI_PARAMS = `
        fastcgi_param QUERY_STRING      $query_string;
        fastcgi_param REQUEST_METHOD    $request_method;
        fastcgi_param CONTENT_TYPE      $content_type;
        fastcgi_param CONTENT_LENGTH    $content_length;
        fastcgi_param SCRIPT_NAME       $fastcgi_script_name;
        fastcgi_param REQUEST_URI       $request_uri;
        fastcgi_param DOCUMENT_URI      $document_uri;
        fastcgi_param SERVER_PROTOCOL   $server_protocol;
        fastcgi_param REQUEST_SCHEME    $scheme;
        fastcgi_param HTTPS             $https if_not_empty;
        fastcgi_param GATEWAY_INTERFACE CGI/1.1;
        fastcgi_param SERVER_SOFTWARE   nginx;
        fastcgi_param REMOTE_ADDR       $remote_addr;
        fastcgi_param REMOTE_PORT       $remote_port;
        fastcgi_param SERVER_ADDR       $server_addr;
        fastcgi_param SERVER_PORT       $server_port;
        fastcgi_param SERVER_NAME       $host;
        fastcgi_param HTTP_HOST         $host:$server_port;
        fastcgi_param HTTP_PROXY        "";
        fastcgi_param REQUEST_ID        $request_id;`;

// startNginx runs an nginx of our own on 127.0.0.1:port (TLS with the
// stack's certificate) whose upstream is the given pool sockets, with
// keep-alive FastCGI connections as the stack's; with `slow` sockets, POSTs
// go to those (the slow lane), as in the stack. It resolves with
// {port, dir, stop()}.
//
// Servers are listed with max_fails=0. A worker thread gives up an idle
// kept connection when a new one arrives (app/server/worker.c), and nginx
// counts the failed reuse of a cached connection against that server: with
// the default max_fails=1 a healthy pool would be set aside for 10 s now
// and then, which would skew the split the scale-out test relies on. A dead
// pool costs a refused connect() and the next server is tried at once.
export async function startNginx(sockets, { port = privatePort(), slow = [] } = {}) {
  const dir = tempDir('nginx');
  const tls = path.join(STACK, 'tls');
  const root = process.getuid && process.getuid() === 0;
  const conf = `
${root ? 'user www-data;' : ''}
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/body;
    fastcgi_temp_path ${dir}/fastcgi;
    proxy_temp_path ${dir}/proxy;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    client_max_body_size 64k;
    client_body_buffer_size 64k;
    upstream pools {
${sockets.map((sock) => `        server unix:${sock} max_fails=0;`).join('\n')}
        keepalive 16;
    }
    upstream pools_slow {
${(slow.length ? slow : sockets).map((sock) => `        server unix:${sock} max_fails=0;`).join('\n')}
    }
    map $request_method $lane {
        POST    pools_slow;
        default pools;
    }
    server {
        listen 127.0.0.1:${port} ssl;
        ssl_certificate ${tls}/cert.pem;
        ssl_certificate_key ${tls}/key.pem;
${FASTCGI_PARAMS}
        fastcgi_keep_conn on;
        fastcgi_connect_timeout 2s;
        fastcgi_read_timeout 30s;
        location / { fastcgi_pass $lane; }
    }
}
`;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const child = spawn('nginx', ['-p', `${dir}/`, '-e', `${dir}/error.log`, '-c', `${dir}/nginx.conf`],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
    await Promise.race([exited, idle(10000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited: ${err}${readOr(path.join(dir, 'error.log'))}`);
      try { await siteRequest(port, 'GET', '/healthz'); return true; } catch { return false; }
    }, 10000, `nginx on port ${port}`);
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, dir, stop };
}

function readOr(file) {
  try { return fs.readFileSync(file, 'utf8'); } catch { return ''; }
}

// ---- clients ---------------------------------------------------------------------

let ca;
const agents = new Map();

// siteRequest is helpers.request for any local TLS port: {status, headers,
// body}. opts: headers, body, timeoutMs.
export function siteRequest(port, method, urlPath, opts = {}) {
  if (!ca) ca = fs.readFileSync(path.join(STACK, 'tls/cert.pem'));
  if (!agents.has(port)) agents.set(port, new https.Agent({ keepAlive: true, maxSockets: 32 }));
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
    const headers = { ...(opts.headers || {}) };
    if (body && headers['content-length'] === undefined) headers['content-length'] = body.length;
    const req = https.request({
      host: '127.0.0.1', port, method, path: urlPath, headers, servername: 'localhost', ca,
      agent: agents.get(port), checkServerIdentity: () => undefined,
    }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts).toString() }));
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs || 20000, () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

// SiteBrowser is helpers' Browser for a site on another port (our nginx):
// the same cookies, CSRF token and Origin, sent to port.
export class SiteBrowser extends Browser {
  constructor(port, opts = {}) {
    super({ host: `localhost:${port}`, ...opts });
    this.port = port;
  }

  transport(method, urlPath, opts) { return siteRequest(this.port, method, urlPath, opts); }
}

// sameSessionAt gives a browser for another site that holds the same session
// cookie as b (what a user sees when the load balancer sends them elsewhere).
export function sameSessionAt(b, other) {
  const c = b.cookie('__Host-gh_session');
  if (!c) throw new Error('no session cookie to carry over');
  other.jar.set('__Host-gh_session', { value: c.value });
  return other;
}

// ---- load -----------------------------------------------------------------------------

// loop runs fn (given the iteration number) over and over until stop() is
// called, recording each call's start, end, and outcome: {ok, status,
// error}. It resolves with the records when stopped.
export function loop(fn, { pauseMs = 0 } = {}) {
  const records = [];
  let stopped = false;
  const done = (async () => {
    for (let i = 0; !stopped; i++) {
      const rec = { start: Date.now() };
      try {
        const r = await fn(i);
        Object.assign(rec, r);
      } catch (e) {
        rec.ok = false; rec.error = e.message;
      }
      rec.end = Date.now();
      records.push(rec);
      if (pauseMs) await sleep(pauseMs);
    }
    return records;
  })();
  return { records, stop: () => { stopped = true; return done; } };
}

// ---- users -------------------------------------------------------------------------

// apiCall sends one JSON API call to the site on port: {status, headers,
// json, body}.
export async function apiCall(port, method, urlPath, { json, token, headers = {} } = {}) {
  const h = { host: `localhost:${port}`, accept: 'application/json', ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) { body = JSON.stringify(json); h['content-type'] = 'application/json'; }
  const res = await siteRequest(port, method, urlPath, { headers: h, body });
  try { res.json = JSON.parse(res.body); } catch { res.json = null; }
  return res;
}

// readJsonFile parses a JSON file that another process rewrites in place:
// cognito-local writes its data file over the old one, so a read may catch
// the new document followed by the tail of a longer old one (or a torn one).
// The leading complete document is taken; null until there is one.
function readJsonFile(file) {
  const text = fs.readFileSync(file, 'utf8');
  try { return JSON.parse(text); } catch (e) {
    const m = /after JSON at position (\d+)/.exec(e.message);
    if (m) { try { return JSON.parse(text.slice(0, Number(m[1]))); } catch { /* torn */ } }
    return null;
  }
}

// codeFor is helpers' emailedCode, tolerant of cognito-local's rewrites: the
// code cognito-local "emailed" to email, read from its data folder.
async function codeFor(email) {
  const info = stackInfo();
  const file = path.join(info.COGNITO_DB_DIR, `${info.COGNITO_USER_POOL_ID}.json`);
  let code;
  await waitFor(() => {
    const db = readJsonFile(file);
    for (const u of Object.values((db && db.Users) || {})) {
      const mail = (u.Attributes || []).find((a) => a.Name === 'email');
      if (mail && mail.Value.toLowerCase() === email.toLowerCase() && u.ConfirmationCode) {
        code = u.ConfirmationCode;
        return true;
      }
    }
    return false;
  }, 5000, `an emailed code for ${email}`);
  return code;
}

// confirmedUser registers and confirms a user through the API of the site
// on port and returns its email.
export async function confirmedUser(port, { tag = 'i7', tier = 'standard' } = {}) {
  const email = uniqueEmail(tag);
  let r = await apiCall(port, 'POST', '/api/v1/auth/register',
    { json: { email, password: PASSWORD, name: 'Issue Seven', tier, accept_terms: true } });
  if (r.status !== 201) throw new Error(`register: ${r.status} ${r.body.slice(0, 200)}`);
  r = await apiCall(port, 'POST', '/api/v1/auth/verify-otp',
    { json: { email, code: await codeFor(email), purpose: 'email_verification' } });
  if (r.status !== 200) throw new Error(`verify-otp: ${r.status} ${r.body.slice(0, 200)}`);
  return email;
}

// confirmedUsers makes count users one after the other (cognito-local
// handles concurrent writes of its data file poorly).
export async function confirmedUsers(port, count, opts) {
  const emails = [];
  for (let i = 0; i < count; i++) emails.push(await confirmedUser(port, opts));
  return emails;
}

// signedIn logs email in with a SiteBrowser at port and returns it.
export async function signedIn(port, email) {
  const b = new SiteBrowser(port);
  await b.get('/login');
  const r = await b.post('/login', { email, password: PASSWORD });
  if (r.status !== 303) throw new Error(`login: ${r.status} ${r.body.slice(0, 200)}`);
  return b;
}

// apiTokens logs email in through the API at port: {access_token, ...}.
export async function apiTokens(port, email) {
  const r = await apiCall(port, 'POST', '/api/v1/auth/login', { json: { email, password: PASSWORD } });
  if (r.status !== 200) throw new Error(`api login: ${r.status} ${r.body.slice(0, 200)}`);
  return r.json;
}

// logSince returns what a log file gained after offset (a byte position).
export function logSince(file, offset) {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(Math.max(0, size - offset));
    fs.readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally { fs.closeSync(fd); }
}

export function fileSize(file) {
  try { return fs.statSync(file).size; } catch { return 0; }
}

// closeClients drops the kept-alive TLS connections of siteRequest, so the
// test process can exit as soon as its tests are done.
export function closeClients() {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}
