// The token issuer (issue 13). Cognito's tokens carry the issuer
// https://cognito-idp.<region>.amazonaws.com/<pool> whatever endpoint the API
// is reached at (a VPC or FIPS endpoint, COGNITO_ENDPOINT); gatehouse used to
// expect COGNITO_ENDPOINT/<pool> and refused every sign-in there. Here a
// tenant's pool behaves as Cognito does: the stack's Cognito double signs its
// tokens again with a key of its own and Cognito's issuer (awsIssuer), and
// serves that key at the pool's JWKS path, while the API and the JWKS stay on
// loopback. A pool of our own with the default COGNITO_ISSUER (the AWS form)
// and the stack's COGNITO_JWKS_URL (the double) must let the first admin, a
// web login, an API login, a refresh, /api/v1/me and a logout through; one
// whose COGNITO_ISSUER names another issuer must refuse them and say in its
// log which issuer it expected and which it got. check-config says what each
// tenant's JWKS holds, and refuses templates that cannot work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, ROOT, PASSWORD, stackInfo, psql, gatehouseCli, cognitoLocal } from './helpers.mjs';
import { startPool, stopPool, startNginx, tempDir, apiCall, SiteBrowser, closeClients } from './pools.mjs';

const SLUG = `iss${process.pid}${Date.now().toString(36)}`.slice(0, 30);
const BASE = `/t/${SLUG}`;
const ADMIN_EMAIL = `admin@${SLUG}.example`;
const ADMIN_TEMP_PASSWORD = 'Temp-Issu3r-Passw0rd!';
const USER_EMAIL = `user@${SLUG}.example`; // a member with a password of their own
const REGION = 'us-east-1'; // the stack's AWS_REGION, which tenant create gives the tenant

const info = stackInfo();
const SHIM = info.COGNITO_ENDPOINT; // the double, where the stack's API and JWKS are
const AWS_ISSUER_TEMPLATE = 'https://cognito-idp.{region}.amazonaws.com/{pool}';

let dir, pool, clientId, awsPool, awsSite, signed; // signed: what the double answered to awsIssuer

const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
const headerOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString());
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const awsIssuer = () => `https://cognito-idp.${REGION}.amazonaws.com/${pool}`;
const localIssuer = () => `${SHIM}/${pool}`;

// control talks to the Cognito double and answers its JSON.
async function control(body) {
  const res = await fetch(info.COGNITO_DOUBLE_CONTROL, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`double control: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

// doubleSignIn signs email in at the double itself, as a client of the
// tenant's pool would: the tokens Cognito would hand out.
async function doubleSignIn(email) {
  const res = await fetch(SHIM, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth' },
    body: JSON.stringify({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: email, PASSWORD } }),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`InitiateAuth: ${res.status} ${JSON.stringify(json)}`);
  return json.AuthenticationResult;
}

// checkConfig runs check-config with the stack's settings and env on top:
// {status, stdout, stderr}.
function checkConfig(env = {}) {
  const r = spawnSync(BIN, ['check-config', '--env-file', info.GATEHOUSE_ENV_FILE], {
    cwd: ROOT, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 120000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// pageLogin signs email in through the login page of the site on port.
async function pageLogin(port, email, password) {
  const b = new SiteBrowser(port);
  await b.get(`${BASE}/login`);
  return { b, r: await b.post(`${BASE}/login`, { email, password }) };
}

before(async () => {
  const made = gatehouseCli(['tenant', 'create', '--slug', SLUG, '--name', 'Issuer Corp',
    '--admin-email', ADMIN_EMAIL, '--admin-temp-password', ADMIN_TEMP_PASSWORD]);
  assert.equal(made.status, 0, made.stderr);
  let region;
  [[pool, clientId, region]] = psql(`SELECT user_pool_id, client_id, region FROM gatehouse.tenants WHERE slug = '${SLUG}'`);
  assert.equal(region, REGION);
  await cognitoLocal('AdminCreateUser', {
    UserPoolId: pool, Username: USER_EMAIL, MessageAction: 'SUPPRESS', TemporaryPassword: ADMIN_TEMP_PASSWORD,
    UserAttributes: [{ Name: 'email', Value: USER_EMAIL }, { Name: 'email_verified', Value: 'true' },
      { Name: 'custom:tenant_id', Value: SLUG }, { Name: 'custom:user_tier', Value: 'standard' }],
  });
  await cognitoLocal('AdminSetUserPassword', { UserPoolId: pool, Username: USER_EMAIL, Password: PASSWORD, Permanent: true });
  signed = await control({ awsIssuer: { pool, region: REGION } });
  assert.equal(signed.issuer, awsIssuer());
  dir = tempDir('issuer');
  // COGNITO_ISSUER empty is COGNITO_ISSUER unset: the default, Cognito's
  // own form. COGNITO_ENDPOINT and COGNITO_JWKS_URL stay the stack's (the
  // double, on loopback).
  awsPool = await startPool({ socket: path.join(dir, 'aws.sock'), processes: 1, env: { COGNITO_ISSUER: '' } });
  awsSite = await startNginx([awsPool.socket]);
});

after(async () => {
  if (pool) await control({ awsIssuer: { pool, off: true } }).catch(() => {});
  if (awsSite) await awsSite.stop();
  await stopPool(awsPool);
  gatehouseCli(['tenant', 'delete', '--slug', SLUG, '--yes']);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  closeClients();
});

test('issuer-aws-form: tokens in Cognito\'s own name, API and JWKS on loopback: the first admin, web and API logins, a refresh, /api/v1/me and a logout work', async () => {
  // The first admin signs in with the temporary password and chooses one
  // (RespondToAuthChallenge hands out the tokens).
  let { b, r } = await pageLogin(awsSite.port, ADMIN_EMAIL, ADMIN_TEMP_PASSWORD);
  assert.equal(r.status, 200, r.body.slice(0, 300));
  const challenge = (r.body.match(/name="challenge" value="([^"]*)"/) || [])[1];
  assert.ok(challenge, 'the new-password step');
  r = await b.post(`${BASE}/login/new-password`, { email: ADMIN_EMAIL, challenge, password: PASSWORD, confirm_password: PASSWORD });
  assert.equal(r.status, 303, `the first admin's login: ${r.status} ${r.body.slice(0, 300)}`);
  r = await b.get(`${BASE}/admin`);
  assert.equal(r.status, 200, 'the first admin administers the tenant');

  // Web logins (InitiateAuth), of the admin and of a member.
  for (const email of [ADMIN_EMAIL, USER_EMAIL]) {
    ({ b, r } = await pageLogin(awsSite.port, email, PASSWORD));
    assert.equal(r.status, 303, `a web login of ${email}: ${r.status} ${r.body.slice(0, 300)}`);
    assert.equal((await b.get(`${BASE}/account`)).status, 200);
  }

  // An API login: its tokens carry Cognito's issuer and the double's key,
  // so they cannot have passed on cognito-local's.
  r = await apiCall(awsSite.port, 'POST', `${BASE}/api/v1/auth/login`, { json: { email: USER_EMAIL, password: PASSWORD } });
  assert.equal(r.status, 200, `an API login: ${r.body}`);
  const apiTokens = r.json;
  for (const token of [apiTokens.access_token, apiTokens.id_token].filter(Boolean)) {
    assert.equal(claimsOf(token).iss, awsIssuer(), 'the token carries the AWS-form issuer');
    assert.equal(headerOf(token).kid, signed.kid, "the token is signed with the double's key");
  }
  r = await apiCall(awsSite.port, 'GET', `${BASE}/api/v1/me`, { token: apiTokens.access_token });
  assert.equal(r.status, 200, `/api/v1/me: ${r.body}`);
  assert.equal(r.json.email, USER_EMAIL);

  // A refresh (InitiateAuth REFRESH_TOKEN_AUTH) and its new access token.
  r = await apiCall(awsSite.port, 'POST', `${BASE}/api/v1/auth/refresh`, { json: { refresh_token: apiTokens.refresh_token } });
  assert.equal(r.status, 200, `a refresh: ${r.body}`);
  assert.equal(claimsOf(r.json.access_token).iss, awsIssuer());
  const fresh = r.json.access_token;
  r = await apiCall(awsSite.port, 'GET', `${BASE}/api/v1/me`, { token: fresh });
  assert.equal(r.status, 200, `/api/v1/me with the refreshed token: ${r.body}`);
  r = await apiCall(awsSite.port, 'POST', `${BASE}/api/v1/auth/logout`, { token: fresh });
  assert.ok([200, 204].includes(r.status), `a logout with the token: ${r.status} ${r.body}`);

  // The keys came from the JWKS URL of the settings, under Cognito's issuer.
  const jwksUrl = `${localIssuer()}/.well-known/jwks.json`;
  assert.match(awsPool.log, new RegExp(`event=jwks_fetched issuer="${escape(awsIssuer())}" url="${escape(jwksUrl)}" keys=1`));
  assert.doesNotMatch(awsPool.log, /event=token_wrong_issuer|event=token_refused/);
});

test('issuer-mismatch: with a COGNITO_ISSUER the tokens do not carry, logins and bearer calls fail and the log names both issuers', async () => {
  // What gatehouse expected before: the issuer at COGNITO_ENDPOINT.
  const wrong = await startPool({ socket: path.join(dir, 'wrong.sock'), processes: 1,
    env: { COGNITO_ISSUER: `${SHIM}/{pool}` } });
  const site = await startNginx([wrong.socket]);
  try {
    const { r: page } = await pageLogin(site.port, USER_EMAIL, PASSWORD);
    assert.equal(page.status, 502, 'the web login is refused');
    assert.match(page.body, /We could not verify your sign-in/);
    const api = await apiCall(site.port, 'POST', `${BASE}/api/v1/auth/login`, { json: { email: USER_EMAIL, password: PASSWORD } });
    assert.equal(api.status, 502, `the API login is refused: ${api.body}`);
    const line = new RegExp(`event=token_wrong_issuer tenant="${SLUG}" expected="${escape(localIssuer())}" received="${escape(awsIssuer())}"`);
    assert.match(wrong.log, line, `the log names both issuers:\n${wrong.log.slice(-3000)}`);
    // A token as Cognito hands it out, taken at the double itself.
    const { AccessToken } = await doubleSignIn(USER_EMAIL);
    assert.equal(claimsOf(AccessToken).iss, awsIssuer());
    const me = await apiCall(site.port, 'GET', `${BASE}/api/v1/me`, { token: AccessToken });
    assert.equal(me.status, 401, 'a token in Cognito\'s name is refused');
    assert.equal(me.json.error, 'invalid_token');
    assert.equal(wrong.log.match(/event=token_wrong_issuer/g).length, 3, 'one line for each refusal');
  } finally {
    await site.stop();
    await stopPool(wrong);
  }
});

test('issuer-check-config: check-config fetches each tenant\'s JWKS and says what it found', async () => {
  // A port that was just free: nothing listens there.
  const closedPort = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
  const jwksUrl = `${localIssuer()}/.well-known/jwks.json`;
  let r = checkConfig();
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`gatehouse: tenant ${SLUG}: JWKS ${escape(jwksUrl)}: 1 signing key; tokens must carry iss ${escape(localIssuer())}\\n`));
  assert.match(r.stdout, /gatehouse: tenant default: JWKS http:\/\/127\.0\.0\.1:\d+\/[\w-]+\/\.well-known\/jwks\.json: 1 signing key/);

  // Cognito's issuer by default, the keys where the settings say.
  r = checkConfig({ COGNITO_ISSUER: '' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`tenant ${SLUG}: JWKS ${escape(jwksUrl)}: 1 signing key; tokens must carry iss ${escape(awsIssuer())}\\n`));

  // A JWKS URL where nothing answers (Cognito out of reach for now): a
  // warning, as for the app clients.
  const closed = `http://127.0.0.1:${closedPort}`;
  r = checkConfig({ COGNITO_JWKS_URL: `${closed}/{pool}/.well-known/jwks.json` });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`gatehouse: warning: tenant ${SLUG}: JWKS ${escape(`${closed}/${pool}`)}/\\.well-known/jwks\\.json could not be fetched: no answer`));

  // A JWKS URL that answers, but not with keys: a problem.
  r = checkConfig({ COGNITO_JWKS_URL: `${SHIM}/{pool}/no-such-jwks.json` });
  assert.equal(r.status, 1, 'a JWKS URL without keys fails the check');
  assert.match(r.stderr, new RegExp(`gatehouse: tenant ${SLUG}: JWKS ${escape(`${localIssuer()}/no-such-jwks.json`)} answered HTTP status 404`));

  // A disabled tenant serves nobody: its JWKS is only a warning, as its app
  // client is.
  psql(`UPDATE gatehouse.tenants SET status = 'disabled' WHERE slug = '${SLUG}'`);
  try {
    r = checkConfig({ COGNITO_JWKS_URL: `${SHIM}/{pool}/no-such-jwks.json` });
    assert.match(r.stderr, new RegExp(`gatehouse: warning: tenant ${SLUG}: JWKS \\S+ answered HTTP status 404`));
    assert.match(r.stderr, /gatehouse: tenant default: JWKS \S+ answered HTTP status 404/, 'the default tenant\'s is a problem still');
    assert.match(r.stderr, /gatehouse: 1 problem found/);
  } finally {
    psql(`UPDATE gatehouse.tenants SET status = 'active' WHERE slug = '${SLUG}'`);
  }
});

test('issuer-templates: check-config refuses issuer and JWKS templates that cannot work', () => {
  const cases = [
    ['COGNITO_ISSUER', 'ftp://cognito.example/{pool}', /must start with https:\/\//],
    ['COGNITO_ISSUER', 'https://cognito.example/', /must contain \{pool\}/],
    ['COGNITO_ISSUER', 'https://cognito.example/{tenant}/{pool}', /only \{region\} and \{pool\} can be filled in/],
    ['COGNITO_ISSUER', 'https:///{pool}', /names no host/],
    ['COGNITO_ISSUER', 'https://cognito.example/{pool} x', /a character a URL cannot/],
    ['COGNITO_ISSUER', `https://cognito.example/{pool}/${'a'.repeat(300)}`, /longer than 256 bytes/],
    ['COGNITO_ISSUER', `https://cognito.example/${'{pool}'.repeat(20)}`, /could be too long once/],
    ['COGNITO_JWKS_URL', 'https://keys.example/{pool}}/jwks.json', /no other braces/],
    ['COGNITO_JWKS_URL', '/{pool}/.well-known/jwks.json', /must start with https:\/\//],
    ['COGNITO_JWKS_URL', 'http://keys.example/{pool}/.well-known/jwks.json', /http:\/\/ for a host other than this machine/],
    ['COGNITO_JWKS_URL', 'http://127.0.0.1.evil.example/{pool}/jwks.json', /http:\/\/ for a host other than this machine/],
    ['COGNITO_ISSUER', 'http://localhost.evil.example/{pool}', /http:\/\/ for a host other than this machine/],
  ];
  for (const [key, value, why] of cases) {
    const r = checkConfig({ [key]: value });
    assert.equal(r.status, 1, `${key}=${value} is refused`);
    assert.match(r.stderr, new RegExp(`^${key}: .*${why.source}`, 'm'), `${key}=${value}: ${r.stderr}`);
  }
  // A JWKS URL needs no {pool}: one key set may serve every pool.
  const r = checkConfig({ COGNITO_JWKS_URL: `${SHIM}/${pool}/.well-known/jwks.json` });
  assert.equal(r.status, 0, r.stderr);
});
