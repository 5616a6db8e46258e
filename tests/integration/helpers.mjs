// Shared helpers for the integration tests: where the repo and the test
// stack are, a waitFor that fails with a reason, and an HTTPS client that
// trusts the stack's own self-signed certificate (and nothing else).
import fs from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The gatehouse binary the tests run (make test SANITIZE=1 names the
// instrumented one in GATEHOUSE_BIN).
export const BIN = process.env.GATEHOUSE_BIN || path.join(ROOT, 'app/gatehouse');

// The stack under test: var/test unless STACK_PROFILE names another.
export const STACK = path.join(ROOT, 'var', process.env.STACK_PROFILE || 'test');
const stackPorts = (() => {
  try {
    const text = fs.readFileSync(path.join(STACK, 'stack.env'), 'utf8');
    const get = (k) => Number((text.match(new RegExp(`^${k}=(\\d+)$`, 'm')) || [])[1]);
    return { https: get('HTTPS_PORT') || 18443, http: get('HTTP_PORT') || 18080 };
  } catch { return { https: 18443, http: 18080 }; }
})();
export const HTTPS_PORT = stackPorts.https;
export const HTTP_PORT = stackPorts.http;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(check, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}

// stackEnv reads the test stack's env file into an object.
export function stackEnv() {
  const env = {};
  const text = fs.readFileSync(path.join(STACK, 'gatehouse.env'), 'utf8');
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*(?:export\s+)?([A-Z0-9_]+)=(.*)$/);
    if (m) env[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return env;
}

let ca;
function stackCa() {
  if (!ca) ca = fs.readFileSync(path.join(STACK, 'tls/cert.pem'));
  return ca;
}

const agent = new https.Agent({ keepAlive: true, maxSockets: 16 });

// request(method, path, opts) → {status, headers, body} over TLS to the
// test stack's nginx. opts: headers, body (string or Buffer), plain (use the
// plain-HTTP port), host (Host header).
export function request(method, urlPath, opts = {}) {
  return new Promise((resolve, reject) => {
    const plain = !!opts.plain;
    const mod = plain ? http : https;
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
    const headers = { ...(opts.headers || {}) };
    if (body && headers['content-length'] === undefined) headers['content-length'] = body.length;
    const req = mod.request({
      host: '127.0.0.1', port: plain ? HTTP_PORT : HTTPS_PORT, method, path: urlPath,
      headers, servername: 'localhost', ca: plain ? undefined : stackCa(),
      agent: plain ? undefined : agent,
      checkServerIdentity: () => undefined,
    }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts).toString() }));
    });
    req.setTimeout(20000, () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

// ---- a browser-like client ---------------------------------------------------

// Browser keeps cookies like a browser would for https://localhost (it
// honours Max-Age and deletion; __Host- rules are the server's to get
// right and are asserted by the tests), sends Origin on POSTs, and reads
// the CSRF token of the last page it saw.
export class Browser {
  // opts.host: the Host to visit (a tenant's subdomain, say); Origin follows it.
  constructor(opts = {}) {
    this.jar = new Map(); this.lastCsrf = null; this.setCookies = [];
    this.host = opts.host || `localhost:${HTTPS_PORT}`;
  }

  cookieHeader() {
    const now = Date.now();
    const parts = [];
    for (const [name, c] of this.jar) {
      if (c.expires && c.expires <= now) { this.jar.delete(name); continue; }
      parts.push(`${name}=${c.value}`);
    }
    return parts.join('; ');
  }

  remember(setCookie) {
    for (const line of [].concat(setCookie || [])) {
      this.setCookies.push(line);
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq), value = pair.slice(eq + 1);
      const c = { value, attrs: attrs.map((a) => a.toLowerCase()), raw: line };
      const maxAge = attrs.find((a) => /^max-age=/i.test(a));
      if (maxAge) c.expires = Date.now() + Number(maxAge.split('=')[1]) * 1000;
      if (c.expires !== undefined && c.expires <= Date.now()) this.jar.delete(name);
      else this.jar.set(name, c);
    }
  }

  cookie(name) { return this.jar.get(name); }

  async send(method, path, { form, headers = {}, body } = {}) {
    const h = { host: this.host, ...headers };
    const cookie = this.cookieHeader();
    if (cookie) h.cookie = cookie;
    if (form) {
      body = new URLSearchParams(form).toString();
      h['content-type'] = 'application/x-www-form-urlencoded';
    }
    if (method === 'POST' && h.origin === undefined) h.origin = `https://${this.host}`;
    if (h.origin === null) delete h.origin;
    const res = await this.transport(method, path, { headers: h, body });
    this.remember(res.headers['set-cookie']);
    const m = res.body.match(/name="csrf" value="([^"]*)"/);
    if (m) this.lastCsrf = m[1];
    return res;
  }

  // transport sends one request of the browser's; a browser of another
  // site overrides it (pools.mjs).
  transport(method, path, opts) { return request(method, path, opts); }

  get(path, opts) { return this.send('GET', path, opts); }

  // post fills in the CSRF token of the last page unless the form has one.
  post(path, form = {}, opts = {}) {
    const f = { ...form };
    if (f.csrf === undefined && this.lastCsrf) f.csrf = this.lastCsrf;
    if (f.csrf === null) delete f.csrf;
    return this.send('POST', path, { ...opts, form: f });
  }

  // follow answers a 303 like a browser: GET the Location.
  async follow(res) {
    let r = res;
    for (let i = 0; i < 5 && [301, 302, 303].includes(r.status); i++) r = await this.get(r.headers.location);
    return r;
  }
}

// ---- the emulators ----------------------------------------------------------------

export function stackInfo() {
  const env = {};
  const text = fs.readFileSync(path.join(STACK, 'stack.env'), 'utf8');
  for (const line of text.split('\n')) {
    const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

// cognitoLocal calls cognito-local itself (not through gatehouse).
export async function cognitoLocal(op, body) {
  const res = await fetch(stackInfo().COGNITO_LOCAL, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${op}` },
    body: JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${op}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

// fault tells the Cognito double how to misbehave; fault({reset: true}) ends it.
export async function fault(control) {
  const res = await fetch(stackInfo().COGNITO_DOUBLE_CONTROL, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(control),
  });
  if (!res.ok) throw new Error(`double control: ${res.status}`);
}

// emailedCode reads the code cognito-local "emailed" to email, as a person
// would read the email: from its data folder, waiting for a code other than
// `previous`.
export async function emailedCode(email, previous, poolId) {
  const info = stackInfo();
  const file = path.join(info.COGNITO_DB_DIR, `${poolId || info.COGNITO_USER_POOL_ID}.json`);
  let code;
  await waitFor(() => {
    let db;
    // cognito-local rewrites the file in place: a half-written one is read again.
    try { db = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { return false; }
    for (const u of Object.values(db.Users || {})) {
      const mail = (u.Attributes || []).find((a) => a.Name === 'email');
      if (mail && mail.Value.toLowerCase() === email.toLowerCase() && u.ConfirmationCode && u.ConfirmationCode !== previous) {
        code = u.ConfirmationCode;
        return true;
      }
    }
    return false;
  }, 5000, `an emailed code for ${email}`);
  return code;
}

// psql runs SQL against the test stack's database and returns the rows.
export function psql(sql) {
  const info = stackInfo();
  const out = execFileSync('psql', [info.DATABASE_URL, '-At', '-F', '\t', '-c', sql], { encoding: 'utf8' });
  return out.trim() ? out.trim().split('\n').map((l) => l.split('\t')) : [];
}

let counter = 0;
export const uniqueEmail = (tag = 'user') => `${tag}-${process.pid}-${Date.now().toString(36)}-${++counter}@example.com`;
export const PASSWORD = 'Sturdy-Passw0rd!';

// ---- admin sessions, the command line, CSV (tests/integration/admin.test.mjs) ----

const ADMIN_TEMP_PASSWORD = 'Temp-Adm1n-Passw0rd!';

// adminSession makes a new admin in a pool (the default tenant's unless
// poolId is given) as an operator would — AdminCreateUser with a temporary
// password, AdminAddUserToGroup — and signs them in through the real pages,
// new-password step included, at base ('' or '/t/<slug>'). It resolves with
// {b, email}: a Browser holding the admin's session.
export async function adminSession({ poolId, base = '', group = 'admin', tier = 'standard' } = {}) {
  const pool = poolId || stackInfo().COGNITO_USER_POOL_ID;
  const email = uniqueEmail('admin');
  await cognitoLocal('AdminCreateUser', {
    UserPoolId: pool, Username: email, TemporaryPassword: ADMIN_TEMP_PASSWORD, MessageAction: 'SUPPRESS',
    UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' },
      { Name: 'name', Value: 'Test Admin' }, { Name: 'custom:user_tier', Value: tier }],
  });
  if (group) await cognitoLocal('AdminAddUserToGroup', { UserPoolId: pool, Username: email, GroupName: group });
  const b = new Browser();
  await b.get(`${base}/login`);
  let r = await b.post(`${base}/login`, { email, password: ADMIN_TEMP_PASSWORD });
  const challenge = (r.body.match(/name="challenge" value="([^"]*)"/) || [])[1];
  if (r.status !== 200 || !challenge) throw new Error(`admin login: no new-password step (${r.status})`);
  r = await b.post(`${base}/login/new-password`, { email, challenge, password: PASSWORD, confirm_password: PASSWORD });
  if (r.status !== 303) throw new Error(`admin new password: ${r.status} ${r.body.slice(0, 200)}`);
  return { b, email };
}

// gatehouseCli runs app/gatehouse with the stack's settings file and an
// environment holding nothing but PATH, so the file is what counts, from the
// repository (where sql/ and templates/ are). It returns {status, stdout,
// stderr}.
export function gatehouseCli(args) {
  try {
    const stdout = execFileSync(BIN, [...args, '--env-file', stackInfo().GATEHOUSE_ENV_FILE],
      { cwd: ROOT, env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 120000, stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, stdout, stderr: '' };
  } catch (e) {
    return { status: e.status ?? -1, stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? '') };
  }
}

// parseCsv reads RFC 4180 text (quoted fields, doubled quotes, CRLF or LF)
// into an array of rows of strings.
export function parseCsv(text) {
  const rows = [];
  let row = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}

// withEnumeration runs fn while tenant slug's account_enumeration setting is
// `setting` (hide or reveal, through `gatehouse tenant set`), then puts the
// tenant's own back. Workers keep a tenant for 1 s on the test stacks, so
// each change is waited out.
const TENANT_CACHE_WAIT_MS = 1200;
export async function withEnumeration(slug, setting, fn) {
  const set = (value) => {
    const r = gatehouseCli(['tenant', 'set', '--slug', slug, '--enumeration', value]);
    if (r.status !== 0) throw new Error(`tenant set --enumeration ${value}: ${r.stderr}`);
  };
  const own = psql(`SELECT account_enumeration FROM gatehouse.tenants WHERE slug = '${slug}'`)[0][0];
  set(setting);
  await sleep(TENANT_CACHE_WAIT_MS);
  try {
    return await fn();
  } finally {
    set(own);
    await sleep(TENANT_CACHE_WAIT_MS);
  }
}

// metricValue reads one series of a /metrics answer, its name with its labels
// as exported (`gatehouse_requests_total{route="login",status="200"}`): 0 when
// the series has not been counted yet.
export function metricValue(text, series) {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
