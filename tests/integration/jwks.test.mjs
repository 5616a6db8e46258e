// Token verification when the JWKS misbehaves. A pool of its own
// (one process, so one key cache whose fetches its log shows) behind an
// nginx of its own, against the stack's Cognito double and cognito-local:
//   - with the keys cached, the JWKS endpoint going dark changes nothing;
//   - tokens with bogus key ids are refused without a fetch storm;
//   - a new signing key (a rotation: the double serves cognito-local's JWKS
//     plus a key this test holds) is fetched once, then verifies;
//   - that key withdrawn from the JWKS again, its token, which verified and
//     was remembered, is refused once the worker has refetched the JWKS.
// The cache refetches an issuer's JWKS for an unknown kid at most once per
// JWKS_REFETCH_MIN_S (60 s, app/core/limits.h), so the tests run in order
// on one timeline from the first fetch: the outage and the bogus kids inside
// that minute, the rotation just after it, the withdrawal a minute later.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fault, sleep, HTTPS_PORT, PASSWORD } from './helpers.mjs';
import {
  startPool, stopPool, startNginx, tempDir, apiCall, confirmedUser, apiTokens, SiteBrowser, closeClients,
} from './pools.mjs';

const JWKS = 'GET /.well-known/jwks.json';
const REFETCH_MIN_MS = 60_000;  // JWKS_REFETCH_MIN_S
const WINDOW_MARGIN_MS = 5_000; // stay this far from the minute's edge
const BOGUS_BATCH = 10;

let dir, pool, site, email, tokens, primedAt;
let rotated, rotatedAt; // the rotation's token and when its key was fetched

// fetches counts the JWKS fetches (made and failed) in the pool's log.
const fetches = () => (pool.log.match(/event=jwks_fetch(ed|_failed)/g) || []).length;

const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
const partsOf = (jwt) => jwt.split('.');
const claimsOf = (jwt) => JSON.parse(Buffer.from(partsOf(jwt)[1], 'base64url').toString());
const headerOf = (jwt) => JSON.parse(Buffer.from(partsOf(jwt)[0], 'base64url').toString());

// withKid is a real token with its header's kid changed (the signature no
// longer matters: a key that is not there is looked for first).
function withKid(jwt, kid) {
  const [, p, s] = partsOf(jwt);
  return `${b64({ ...headerOf(jwt), kid })}.${p}.${s}`;
}

const me = (token) => apiCall(site.port, 'GET', '/api/v1/me', { token });

before(async () => {
  await fault({ reset: true });
  dir = tempDir('jwks');
  pool = await startPool({ socket: path.join(dir, 'pool.sock'), processes: 1, threads: 4 });
  site = await startNginx([pool.socket]);
  email = await confirmedUser(HTTPS_PORT, { tag: 'jwks' }); // through the stack: no fetch of ours
  assert.equal(fetches(), 0, 'nothing fetched before the first token');
  tokens = await apiTokens(site.port, email);               // verifies two tokens: the first fetch
  primedAt = Date.now();
  assert.equal(fetches(), 1, 'the first token fetched the JWKS once');
  assert.match(pool.log, /event=jwks_fetched .*keys=1/);
});

after(async () => {
  await fault({ reset: true });
  if (site) await site.stop();
  await stopPool(pool);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  closeClients();
});

test('jwks-outage: with the keys cached, logins and bearer calls go on while the JWKS does not answer', async () => {
  await fault({ op: JWKS, mode: 'timeout' });
  try {
    const before = fetches();
    let r = await me(tokens.access_token);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.email, email);
    const fresh = await apiTokens(site.port, email); // verifies a new id and access token
    r = await me(fresh.access_token);
    assert.equal(r.status, 200);
    const b = new SiteBrowser(site.port);
    await b.get('/login');
    r = await b.post('/login', { email, password: PASSWORD });
    assert.equal(r.status, 303, 'a page login verifies its tokens too');
    r = await b.get('/account');
    assert.equal(r.status, 200);
    assert.equal(fetches(), before, 'no fetch was needed');
  } finally {
    await fault({ reset: true });
  }
});

test('jwks-bogus-kids: tokens with unknown key ids are refused without fetching again', async (t) => {
  const before = fetches();
  const until = primedAt + REFETCH_MIN_MS - WINDOW_MARGIN_MS;
  let sent = 0;
  while (Date.now() + 1000 < until) {
    const batch = Array.from({ length: BOGUS_BATCH }, () => withKid(tokens.access_token, crypto.randomUUID()));
    const answers = await Promise.all(batch.map(me));
    for (const r of answers) {
      assert.equal(r.status, 401, r.body);
      assert.equal(r.json.error, 'invalid_token');
    }
    sent += batch.length;
    await sleep(1000);
  }
  t.diagnostic(`${sent} bogus-kid tokens over ${Math.round((Date.now() - primedAt) / 1000)} s, ${fetches() - before} fetches`);
  assert.ok(sent >= 5 * BOGUS_BATCH, `a stream of bogus tokens (${sent})`);
  assert.equal(fetches(), before, 'not one fetch for them inside the minute');
  assert.equal((await me(tokens.access_token)).status, 200, 'real tokens still verify');
});

test('jwks-new-kid: a new signing key is fetched once and then verifies; bogus kids after it fetch nothing', async () => {
  const wait = primedAt + REFETCH_MIN_MS + 2000 - Date.now();
  if (wait > 0) await sleep(wait);
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `rotated-${crypto.randomUUID()}`;
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  await fault({ op: JWKS, mode: 'addKeys', keys: [jwk] });
  try {
    // An access token as the pool would sign it after rotating its key.
    const now = Math.floor(Date.now() / 1000);
    const claims = { ...claimsOf(tokens.access_token), jti: crypto.randomUUID(), iat: now, auth_time: now, exp: now + 3600 };
    const head = b64({ alg: 'RS256', typ: 'JWT', kid });
    const body = b64(claims);
    const sig = crypto.sign('sha256', Buffer.from(`${head}.${body}`), privateKey).toString('base64url');
    rotated = `${head}.${body}.${sig}`;

    const before = fetches();
    rotatedAt = Date.now();
    let r = await me(rotated);
    assert.equal(r.status, 200, `the new key verifies: ${r.body}`);
    assert.equal(r.json.email, email);
    assert.equal(fetches(), before + 1, 'after exactly one fetch');
    assert.match(pool.log, /event=jwks_fetched .*keys=2/);

    // The same key again, old tokens, and a burst of bogus kids: no fetch.
    const burst = await Promise.all(Array.from({ length: 3 * BOGUS_BATCH },
      () => me(withKid(tokens.access_token, crypto.randomUUID()))));
    assert.ok(burst.every((x) => x.status === 401), 'bogus kids are refused');
    assert.equal((await me(rotated)).status, 200);
    assert.equal((await me(tokens.access_token)).status, 200, 'the old key is still known');
    assert.equal(fetches(), before + 1, 'no fetch storm after the rotation');

    // A forged signature under the new kid is still refused.
    const forged = `${head}.${b64({ ...claims, sub: crypto.randomUUID() })}.${sig}`;
    r = await me(forged);
    assert.equal(r.status, 401);
  } finally {
    await fault({ reset: true });
  }
});

test('jwks-removed-kid: a key withdrawn from the JWKS takes its remembered tokens with it', async () => {
  assert.ok(rotated, 'the rotation test left its token');
  // The double serves cognito-local's JWKS alone again (the rotation test
  // reset it). Until the worker refetches, the key it holds still counts.
  let r = await me(rotated);
  assert.equal(r.status, 200, `before the refetch: ${r.body}`);

  // The refetch, the way gatehouse refetches: an unknown kid, once the
  // minute since the last fetch has passed.
  const wait = rotatedAt + REFETCH_MIN_MS + 2000 - Date.now();
  if (wait > 0) await sleep(wait);
  const before = fetches();
  r = await me(withKid(tokens.access_token, crypto.randomUUID()));
  assert.equal(r.status, 401);
  assert.equal(fetches(), before + 1, 'the unknown kid refetched the JWKS');
  const fetched = pool.log.match(/event=jwks_fetched .*keys=\d+/g);
  assert.match(fetched[fetched.length - 1], /keys=1$/, 'the refetched JWKS holds one key');

  // The same bytes that verified (and were remembered) a minute ago.
  r = await me(rotated);
  assert.equal(r.status, 401, `the withdrawn key's token is refused: ${r.body}`);
  assert.equal(r.json.error, 'invalid_token');
  assert.equal((await me(tokens.access_token)).status, 200, 'tokens of the remaining key still verify');
  assert.equal(fetches(), before + 1, 'and no further fetch');
});
