// Throttling of failed sign-ins (issue 12): wrong passwords are counted per
// email (known or not) and per client address in PostgreSQL; past 5 free
// failures an email is locked for a time that doubles per failure, the
// right password included, and Cognito is not asked while it lasts. Every
// pool shares the counts. The stack's own profile lets 127.0.0.1 fail
// almost without limit (every test client is 127.0.0.1), so the address
// lock is tried on a pool of this file's own, spoken to over FastCGI with
// made-up client addresses.
//
// Locks last a minute and more, so a test ends one by moving its time in
// the database, as the clock would; the row is found by its key, computed
// here as gatehouse does (an HMAC under a key derived from SESSION_KEY),
// which also shows the table holds no email in clear.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  Browser, request, uniqueEmail, emailedCode, PASSWORD, psql, stackEnv, stackInfo, HTTPS_PORT,
} from './helpers.mjs';
import { startPool, stopPool, tempDir, confirmedUser, closeClients } from './pools.mjs';
import { fcgiRequest } from './fcgi.mjs';

const HOST = `localhost:${HTTPS_PORT}`;
const WRONG = 'Wrong-Passw0rd!';
const FREE = 5; // THROTTLE_ACCOUNT_FREE
const FIRST_LOCK_S = 60; // THROTTLE_LOCK_FIRST_S
const ADDRESS_FREE = 3; // GATEHOUSE_ADDRESS_FAILURES of this file's pool
const LOCKED_TEXT = /Too many attempts\. Try again in (\d+) minutes?, or reset your password\./;

let dir, pool;

before(async () => {
  dir = tempDir('throttle');
  pool = await startPool({
    socket: path.join(dir, 'p.sock'), processes: 2, threads: 4,
    env: { GATEHOUSE_ADDRESS_FAILURES: String(ADDRESS_FREE) },
  });
});

after(async () => {
  if (pool) await stopPool(pool);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  closeClients();
});

// ---- helpers ----------------------------------------------------------------

// apiLogin signs in through the stack's nginx: {status, headers, json}.
async function apiLogin(email, password) {
  const r = await request('POST', '/api/v1/auth/login', {
    headers: { host: HOST, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  r.json = JSON.parse(r.body);
  return r;
}

// poolLogin signs in at this file's pool directly, from client address addr.
async function poolLogin(email, password, addr) {
  const r = await fcgiRequest(pool.socket, {
    method: 'POST', uri: '/api/v1/auth/login',
    headers: {
      HTTP_HOST: 'localhost', HTTPS: 'on', REMOTE_ADDR: addr,
      CONTENT_TYPE: 'application/json', HTTP_ACCEPT: 'application/json',
    },
    body: JSON.stringify({ email, password }),
  });
  r.json = JSON.parse(r.body);
  return r;
}

// initiateAuthCalls is how many InitiateAuth calls the Cognito double saw.
async function initiateAuthCalls() {
  const res = await fetch(stackInfo().COGNITO_DOUBLE_CONTROL);
  const body = await res.json();
  return body.calls.InitiateAuth || 0;
}

// accountKey is the hex key of email's count at the default tenant.
function accountKey(email) {
  const derived = crypto.createHmac('sha256', Buffer.from(stackEnv().SESSION_KEY, 'hex'))
    .update('gatehouse login-failures v1').digest();
  return crypto.createHmac('sha256', derived).update(`account\ndefault\n${email.toLowerCase()}`).digest('hex');
}

// countOf is {failures, locked} of email's row, or null without one.
function countOf(email) {
  const rows = psql(`SELECT failures, coalesce(locked_until > now(), false) FROM t_default.login_failures
                     WHERE key = decode('${accountKey(email)}', 'hex') AND kind = 'account'`);
  return rows.length ? { failures: Number(rows[0][0]), locked: rows[0][1] === 't' } : null;
}

// endLock moves email's lock into the past, as waiting it out would.
function endLock(email) {
  psql(`UPDATE t_default.login_failures SET locked_until = now() - interval '1 second'
        WHERE key = decode('${accountKey(email)}', 'hex')`);
}

async function failTimes(email, n, login = apiLogin) {
  for (let i = 0; i < n; i++) {
    const r = await login(email, WRONG);
    assert.equal(r.status, 401, `wrong password ${i + 1} of ${n}: ${r.body}`);
    assert.equal(r.json.error, 'not_authorized');
  }
}

function assertLocked(r, what, maxWaitS = FIRST_LOCK_S) {
  assert.equal(r.status, 429, `${what}: ${r.body}`);
  assert.equal(r.json.error, 'too_many_attempts', what);
  assert.match(r.json.message, LOCKED_TEXT, what);
  const wait = Number(r.headers['retry-after']);
  assert.ok(wait > 0 && wait <= maxWaitS, `${what}: Retry-After ${r.headers['retry-after']}`);
  return wait;
}

// subnet is a /64 of the documentation range not used before (the
// database keeps the counts of earlier runs): '2001:db8:x:y:'.
const subnet = () => `2001:db8:${crypto.randomBytes(2).toString('hex')}:${crypto.randomBytes(2).toString('hex')}:`;

// currentCode is the code cognito-local holds for email now (or undefined).
function currentCode(email) {
  const info = stackInfo();
  try {
    const db = JSON.parse(fs.readFileSync(path.join(info.COGNITO_DB_DIR, `${info.COGNITO_USER_POOL_ID}.json`), 'utf8'));
    for (const u of Object.values(db.Users || {})) {
      const mail = (u.Attributes || []).find((a) => a.Name === 'email');
      if (mail && mail.Value.toLowerCase() === email.toLowerCase()) return u.ConfirmationCode;
    }
  } catch { /* being rewritten: no code known */ }
  return undefined;
}

// ---- tests ----------------------------------------------------------------------

test('throttle-api: after 5 wrong passwords the right one is refused with 429 and Retry-After, and Cognito is not asked', async () => {
  const email = await confirmedUser(HTTPS_PORT, { tag: 'thr-api' });
  await failTimes(email, FREE);
  assert.deepEqual(countOf(email), { failures: FREE, locked: true }, 'counted under an HMAC key, and locked');
  assert.equal(psql(`SELECT count(*) FROM t_default.login_failures
                     WHERE position(convert_to('${email}', 'UTF8') IN key) > 0`)[0][0], '0');

  const calls = await initiateAuthCalls();
  assertLocked(await apiLogin(email, PASSWORD), 'the right password during the lock');
  assertLocked(await apiLogin(email, WRONG), 'a wrong one');
  assertLocked(await apiLogin(email.toUpperCase(), PASSWORD), 'the same email in capitals');
  assert.equal(await initiateAuthCalls(), calls, 'no InitiateAuth while locked');
  assert.equal(countOf(email).failures, FREE, 'refused attempts are not counted');

  // Another email from the same address is not locked by this one.
  const other = await confirmedUser(HTTPS_PORT, { tag: 'thr-api2' });
  assert.equal((await apiLogin(other, PASSWORD)).status, 200);
});

test('throttle-same: a locked unknown email reads exactly like a locked account, on the page and in the API', async () => {
  const known = await confirmedUser(HTTPS_PORT, { tag: 'thr-known' });
  const unknown = uniqueEmail('thr-ghost');
  const pages = {};
  for (const email of [known, unknown]) {
    const b = new Browser();
    await b.get('/login');
    for (let i = 0; i < FREE; i++) {
      const r = await b.post('/login', { email, password: WRONG });
      assert.equal(r.status, 401, `${email}: failure ${i + 1}`);
      assert.match(r.body, /Incorrect email or password/);
    }
    const calls = await initiateAuthCalls();
    const r = await b.post('/login', { email, password: email === known ? PASSWORD : WRONG });
    assert.equal(r.status, 429, `${email}: ${r.body.slice(0, 300)}`);
    assert.equal(r.headers['retry-after'] !== undefined, true);
    const text = r.body.match(LOCKED_TEXT);
    assert.ok(text, 'the page says why and how long');
    assert.match(r.body, /href="\/forgot"/, 'and links to the password reset');
    assert.match(r.body, /name="password"/, 'the form is still there');
    assert.equal(await initiateAuthCalls(), calls, 'Cognito was not asked');
    pages[email === known ? 'known' : 'unknown'] = text[0];
  }
  assert.equal(pages.known, pages.unknown, 'the same words for both');
  const [a, b] = [await apiLogin(known, PASSWORD), await apiLogin(unknown, PASSWORD)];
  assertLocked(a, 'known');
  assertLocked(b, 'unknown');
  assert.equal(a.json.message, b.json.message);
  assert.deepEqual(Object.keys(a.json).sort(), Object.keys(b.json).sort());
});

test('throttle-window: after the lock the right password works and clears the count; locks double; quiet counts start over', async () => {
  const email = await confirmedUser(HTTPS_PORT, { tag: 'thr-window' });
  await failTimes(email, FREE);
  assertLocked(await apiLogin(email, PASSWORD), 'locked');
  endLock(email);
  assert.equal((await apiLogin(email, PASSWORD)).status, 200, 'the lock is over');
  assert.equal(countOf(email), null, 'a right password clears the count');

  // Counting starts again from nothing: 4 failures lock nothing.
  await failTimes(email, FREE - 1);
  assert.equal((await apiLogin(email, PASSWORD)).status, 200, 'a success clears the count');
  assert.equal(countOf(email), null);

  // Each failure past the free ones doubles the lock.
  await failTimes(email, FREE);
  endLock(email);
  await failTimes(email, 1);
  const wait = assertLocked(await apiLogin(email, PASSWORD), 'the sixth failure', 2 * FIRST_LOCK_S);
  assert.ok(wait > FIRST_LOCK_S, `twice as long: ${wait}`);
  assert.deepEqual(countOf(email), { failures: FREE + 1, locked: true });

  // A count untouched for the quiet period (12 h) starts over at one.
  psql(`UPDATE t_default.login_failures SET locked_until = NULL, last_failure = now() - interval '13 hours'
        WHERE key = decode('${accountKey(email)}', 'hex')`);
  await failTimes(email, 1);
  assert.deepEqual(countOf(email), { failures: 1, locked: false });
  assert.equal((await apiLogin(email, PASSWORD)).status, 200);
});

test('throttle-pools: a lock made through one pool holds at another, and counts add up across pools', async () => {
  const email = await confirmedUser(HTTPS_PORT, { tag: 'thr-pools' });
  await failTimes(email, FREE); // the stack's pool
  const calls = await initiateAuthCalls();
  assertLocked(await poolLogin(email, PASSWORD, `${subnet()}:1`), 'at the other pool');
  assert.equal(await initiateAuthCalls(), calls, 'the other pool did not ask Cognito');

  // Failures split between the pools (each from an address of its own,
  // below this pool's address limit) lock the account for both.
  const split = await confirmedUser(HTTPS_PORT, { tag: 'thr-split' });
  for (let i = 0; i < FREE; i++) {
    const r = i % 2 ? await apiLogin(split, WRONG) : await poolLogin(split, WRONG, `${subnet()}:1`);
    assert.equal(r.status, 401, `failure ${i + 1}`);
  }
  assertLocked(await apiLogin(split, PASSWORD), 'at the stack');
  assertLocked(await poolLogin(split, PASSWORD, `${subnet()}:1`), 'at the other pool');
});

test('throttle-address: one address trying many emails is locked (IPv6 per /64), another address is not', async () => {
  const right = await confirmedUser(HTTPS_PORT, { tag: 'thr-addr' });
  const net = subnet();
  for (let i = 0; i < ADDRESS_FREE; i++) {
    const r = await poolLogin(uniqueEmail('thr-spray'), WRONG, `${net}:${i + 1}`);
    assert.equal(r.status, 401, `spray ${i + 1}`);
  }
  const calls = await initiateAuthCalls();
  assertLocked(await poolLogin(uniqueEmail('thr-spray'), WRONG, `${net}ffff::9`), 'a new email from the same /64');
  assertLocked(await poolLogin(right, PASSWORD, `${net}:77`), 'a right password from the same /64');
  assert.equal(await initiateAuthCalls(), calls, 'Cognito was not asked');
  assert.equal((await poolLogin(right, PASSWORD, `${subnet()}:1`)).status, 200, 'another /64 signs in');
  assert.equal((await poolLogin(right, PASSWORD, '203.0.113.9')).status, 200, 'so does an IPv4 address');
});

test('throttle-burst: parallel guesses after a lock ends let one through to Cognito, not all', async () => {
  const email = uniqueEmail('thr-burst');
  await failTimes(email, FREE);
  endLock(email);
  const calls = await initiateAuthCalls();
  const burst = await Promise.all(Array.from({ length: 26 }, () => apiLogin(email, WRONG)));
  const statuses = burst.map((r) => r.status);
  assert.equal(await initiateAuthCalls() - calls, 1, `one guess reached Cognito: ${statuses.join(' ')}`);
  assert.equal(statuses.filter((s) => s === 401).length, 1);
  assert.equal(statuses.filter((s) => s === 429).length, 25);
  assert.deepEqual(countOf(email), { failures: FREE + 1, locked: true });
});

test('throttle-reset: a password reset with the emailed code ends the lock', async () => {
  const email = await confirmedUser(HTTPS_PORT, { tag: 'thr-reset' });
  await failTimes(email, FREE);
  assertLocked(await apiLogin(email, PASSWORD), 'locked');
  const json = (body) => ({
    headers: { host: HOST, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  const previous = currentCode(email);
  assert.equal((await request('POST', '/api/v1/auth/forgot-password', json({ email }))).status, 200);
  const code = await emailedCode(email, previous);
  const r = await request('POST', '/api/v1/auth/reset-password', json({ email, code, password: PASSWORD }));
  assert.equal(r.status, 200, r.body);
  assert.equal(countOf(email), null, 'the count is gone');
  assert.equal((await apiLogin(email, PASSWORD)).status, 200);
});
