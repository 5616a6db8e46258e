// Credentials: a password reset or change takes the account back. Every
// cookie, access token and refresh token the user had before ends, in the
// stack's pool and in a second pool on the same database (two app hosts),
// within CROSS_POOL_MS; and an API logout ends its sign-in's refresh chain
// whether or not it sends the refresh token. The second pool is a complete
// gatehouse master with its own nginx (tests/integration/pools.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Browser, HTTPS_PORT, emailedCode, fault, psql, stackInfo, waitFor } from './helpers.mjs';
import {
  startPool, stopPool, startNginx, tempDir, SiteBrowser, sameSessionAt, apiCall, confirmedUser,
  apiTokens, closeClients,
} from './pools.mjs';

const NEW_PASSWORD = 'Another-Passw0rd!';
// How long an ended credential may keep working anywhere: a notification's
// trip through PostgreSQL to the other pool's caches.
const CROSS_POOL_MS = 2000;

let dir, poolB, onlyB;

before(async () => {
  dir = tempDir('creds');
  poolB = await startPool({ socket: path.join(dir, 'b.sock'), slowSocket: path.join(dir, 'b-slow.sock') });
  onlyB = await startNginx([poolB.socket], { slow: [poolB.slowSocket] });
});

after(async () => {
  if (onlyB) await onlyB.stop();
  if (poolB) await stopPool(poolB);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  closeClients();
});

const PORTS = () => [HTTPS_PORT, onlyB.port];

// refreshAtCognito trades a refresh token at the local Cognito itself, as a
// client holding it could without gatehouse.
async function refreshAtCognito(refreshToken) {
  const info = stackInfo();
  const res = await fetch(info.COGNITO_LOCAL, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth' },
    body: JSON.stringify({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: info.COGNITO_CLIENT_ID,
      AuthParameters: { REFRESH_TOKEN: refreshToken } }),
  });
  return res.status;
}

// everything signs a user in every way, on both pools, and makes each pool
// cache what it saw: a remembered browser session, a second browser, API
// tokens. It returns them with a check that says what still works.
async function everything(email, password) {
  const browsers = [];
  for (const port of PORTS()) {
    const b = new SiteBrowser(port);
    await b.get('/login');
    const r = await b.post('/login', { email, password, remember: 'on' });
    assert.equal(r.status, 303, `login at ${port}: ${r.body.slice(0, 200)}`);
    browsers.push(b);
  }
  const api = (await apiCall(HTTPS_PORT, 'POST', '/api/v1/auth/login', { json: { email, password } })).json;
  assert.ok(api.access_token && api.refresh_token, 'API tokens');
  // Every credential works everywhere, and every pool has cached it.
  for (const port of PORTS()) {
    for (const b of browsers) {
      const there = sameSessionAt(b, new SiteBrowser(port));
      assert.equal((await there.get('/account')).status, 200, `a session at ${port}`);
      assert.equal((await there.get('/account')).status, 200, `a session at ${port}, cached`);
    }
    assert.equal((await apiCall(port, 'GET', '/api/v1/me', { token: api.access_token })).status, 200);
    assert.equal((await apiCall(port, 'GET', '/api/v1/me', { token: api.access_token })).status, 200);
  }
  return { browsers, api };
}

// whatWorks lists the old credentials that still open something: [] when
// the account is taken back.
async function whatWorks({ browsers, api }, keep) {
  const working = [];
  for (const port of PORTS()) {
    for (const [i, b] of browsers.entries()) {
      if (b === keep) continue;
      const there = sameSessionAt(b, new SiteBrowser(port));
      if ((await there.get('/account')).status === 200) working.push(`cookie ${i} at ${port}`);
    }
    if ((await apiCall(port, 'GET', '/api/v1/me', { token: api.access_token })).status === 200)
      working.push(`access token at ${port}`);
    const r = await apiCall(port, 'POST', '/api/v1/auth/refresh', { json: { refresh_token: api.refresh_token } });
    if (r.status === 200) {
      working.push(`refresh token at ${port}`);
      if ((await apiCall(port, 'GET', '/api/v1/me', { token: r.json.access_token })).status === 200)
        working.push(`a refreshed access token at ${port}`);
    }
  }
  if ((await refreshAtCognito(api.refresh_token)) === 200) working.push('refresh token at Cognito');
  return working;
}

async function takenBack(creds, keep) {
  let left;
  await waitFor(async () => (left = await whatWorks(creds, keep)).length === 0, CROSS_POOL_MS,
    'every old credential refused').catch(() => assert.deepEqual(left, [], 'nothing old works'));
}

test('a password reset on the pages ends every cookie, access and refresh token of the user, on both pools', async () => {
  const email = await confirmedUser(HTTPS_PORT, { tag: 'reset' });
  const creds = await everything(email, 'Sturdy-Passw0rd!');
  const b = new Browser();
  await b.get('/forgot');
  assert.equal((await b.post('/forgot', { email })).status, 303);
  const code = await emailedCode(email);
  await b.get(`/reset?email=${encodeURIComponent(email)}`);
  const r = await b.post('/reset', { email, code, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
  assert.equal(r.status, 303, r.body.slice(0, 300));
  await takenBack(creds);
  assert.equal(psql(`SELECT count(*) FROM gatehouse.sessions WHERE email = '${email}'`)[0][0], '0');
  // The new password works at once, on the pages and in the API.
  const fresh = await everything(email, NEW_PASSWORD);
  assert.equal(fresh.browsers.length, 2);
});

test('a password reset through the API ends every credential of the user too', async () => {
  const email = await confirmedUser(HTTPS_PORT, { tag: 'apireset' });
  const creds = await everything(email, 'Sturdy-Passw0rd!');
  let r = await apiCall(HTTPS_PORT, 'POST', '/api/v1/auth/forgot-password', { json: { email } });
  assert.equal(r.status, 200, r.body);
  const code = await emailedCode(email);
  r = await apiCall(onlyB.port, 'POST', '/api/v1/auth/reset-password', { json: { email, code, password: NEW_PASSWORD } });
  assert.equal(r.status, 200, r.body);
  await takenBack(creds);
  const tokens = await apiTokens(HTTPS_PORT, email).catch(() => null);
  assert.equal(tokens, null, 'the old password is refused');
  r = await apiCall(HTTPS_PORT, 'POST', '/api/v1/auth/login', { json: { email, password: NEW_PASSWORD } });
  assert.equal(r.status, 200);
  assert.equal((await apiCall(onlyB.port, 'GET', '/api/v1/me', { token: r.json.access_token })).status, 200,
    'a token issued after the reset works on the other pool');
});

test('a password change ends every other session and every token, and keeps the browser that made it', async () => {
  const email = await confirmedUser(HTTPS_PORT, { tag: 'change' });
  const creds = await everything(email, 'Sturdy-Passw0rd!');
  const [changer] = creds.browsers;
  await changer.get('/account');
  const r = await changer.post('/account/password', {
    current_password: 'Sturdy-Passw0rd!', password: NEW_PASSWORD, confirm_password: NEW_PASSWORD,
  });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/account');
  assert.match((await changer.follow(r)).body, /Your password has been changed/);
  await takenBack(creds, changer);
  // The changing browser goes on, on both pools, and its session was signed
  // in again: a refresh of its tokens (made due here) still works.
  psql(`UPDATE gatehouse.sessions SET access_expires_at = now() WHERE email = '${email}'`);
  for (const port of PORTS()) {
    const there = sameSessionAt(changer, new SiteBrowser(port));
    const page = await there.get('/account');
    assert.equal(page.status, 200, `the changing browser at ${port}`);
  }
  assert.equal(psql(`SELECT count(*) FROM gatehouse.sessions WHERE email = '${email}'
    AND access_expires_at > now()`)[0][0], '1', 'one session, refreshed after the change');
});

test('an API logout without the refresh token ends that sign-in\'s refresh chain', async () => {
  const email = await confirmedUser(HTTPS_PORT, { tag: 'logout' });
  const tokens = await apiTokens(HTTPS_PORT, email);
  // A refresh first: the logout presents a refreshed access token, as a
  // client would an hour in.
  let r = await apiCall(HTTPS_PORT, 'POST', '/api/v1/auth/refresh', { json: { refresh_token: tokens.refresh_token } });
  assert.equal(r.status, 200, r.body);
  const access = r.json.access_token;
  r = await apiCall(onlyB.port, 'POST', '/api/v1/auth/logout', { token: access });
  assert.equal(r.status, 200, r.body);
  for (const port of PORTS()) {
    r = await apiCall(port, 'POST', '/api/v1/auth/refresh', { json: { refresh_token: tokens.refresh_token } });
    assert.equal(r.status, 401, `refresh after logout at ${port}: ${r.body}`);
    assert.equal((await apiCall(port, 'GET', '/api/v1/me', { token: access })).status, 401);
  }
  assert.notEqual(await refreshAtCognito(tokens.refresh_token), 200, 'revoked at Cognito too');
  // A new sign-in works.
  const again = await apiTokens(HTTPS_PORT, email);
  assert.equal((await apiCall(HTTPS_PORT, 'GET', '/api/v1/me', { token: again.access_token })).status, 200);
});

test('an API logout ends the refresh chain even when Cognito revokes nothing', async () => {
  // Some Cognito implementations (and a Cognito that fails the revocation)
  // keep honouring the refresh token: gatehouse must refuse it itself.
  const email = await confirmedUser(HTTPS_PORT, { tag: 'logoutnorevoke' });
  const tokens = await apiTokens(HTTPS_PORT, email);
  await fault({ op: 'GlobalSignOut', mode: 'type', type: 'NotAuthorizedException' });
  await fault({ op: 'RevokeToken', mode: 'type', type: 'InternalErrorException', status: 500 });
  try {
    const r = await apiCall(HTTPS_PORT, 'POST', '/api/v1/auth/logout', { token: tokens.access_token });
    assert.equal(r.status, 200, r.body);
  } finally {
    await fault({ reset: true });
  }
  assert.equal(await refreshAtCognito(tokens.refresh_token), 200, 'Cognito still honours it');
  for (const port of PORTS()) {
    const r = await apiCall(port, 'POST', '/api/v1/auth/refresh', { json: { refresh_token: tokens.refresh_token } });
    assert.equal(r.status, 401, `refresh after logout at ${port}: ${r.body}`);
  }
});

test('a refresh token gatehouse did not hand out, or of another tenant, refreshes nothing', async () => {
  const email = await confirmedUser(HTTPS_PORT, { tag: 'foreign' });
  // Straight from the local Cognito, bypassing gatehouse's login.
  const info = stackInfo();
  const res = await fetch(info.COGNITO_LOCAL, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth' },
    body: JSON.stringify({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: info.COGNITO_CLIENT_ID,
      AuthParameters: { USERNAME: email, PASSWORD: 'Sturdy-Passw0rd!' } }),
  });
  const direct = (await res.json()).AuthenticationResult;
  assert.ok(direct && direct.RefreshToken);
  const r = await apiCall(HTTPS_PORT, 'POST', '/api/v1/auth/refresh', { json: { refresh_token: direct.RefreshToken } });
  assert.equal(r.status, 401, r.body);
});
