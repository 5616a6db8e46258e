// Trust: what an attacker tried and gatehouse must refuse (the list of the
// trust issue). Each test names the hole it closes; they run against the
// test stack like the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import {
  Browser, request, uniqueEmail, emailedCode, PASSWORD, gatehouseCli, psql, cognitoLocal, HTTPS_PORT, ROOT,
} from './helpers.mjs';

const HOST = `localhost:${HTTPS_PORT}`;

function registerApi(email) {
  return request('POST', '/api/v1/auth/register', {
    headers: { host: HOST, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD, name: 'Look Alike', accept_terms: true }),
  });
}

test('lookalike emails: control, invisible and bidi characters are refused on the page and in the API', async () => {
  for (const hidden of ['\u2028', '\u202e', '\u200b', '\ufeff', '\u0085', '\u00ad']) {
    const [local, domain] = uniqueEmail('lookalike').split('@');
    const email = `${local}${hidden}@${domain}`;
    const r = await registerApi(email);
    assert.equal(r.status, 400, `U+${hidden.codePointAt(0).toString(16)}: ${r.body}`);
    const body = JSON.parse(r.body);
    assert.equal(body.field, 'email');
    const plain = `${local}@${domain}`;
    assert.equal(psql(`SELECT count(*) FROM t_default.users WHERE email IN ('${plain}')`)[0][0], '0',
      'nothing was created');

    const b = new Browser();
    await b.get('/signup');
    const p = await b.post('/signup', {
      email, name: 'Look Alike', password: PASSWORD, confirm_password: PASSWORD, terms: 'on',
    });
    assert.equal(p.status, 400);
    assert.match(p.body, /id="f-email-error"[^>]*>Enter a valid email address/);
  }
});

test('tenant logos: only https:// URLs or paths on this site, never another site by // or /\\', () => {
  for (const logo of ['//evil.example/x.svg', '/\\evil.example/x.svg', 'http://evil.example/x.svg',
    'javascript:alert(1)', 'https:///x.svg', '/x.svg" onerror="alert(1)', 'https://evil.example/a b.svg']) {
    const r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--logo', logo]);
    assert.notEqual(r.status, 0, `refused: ${logo}`);
    assert.match(r.stderr, /--logo takes an https:\/\/ URL or a path on this site/);
  }
  assert.equal(psql("SELECT coalesce(logo_url, '') = '' FROM gatehouse.tenants WHERE slug = 'default'")[0][0], 't',
    'the default tenant kept no logo');
  for (const logo of ['/brand/logo.svg', 'https://cdn.example.com/logo.svg', '']) {
    const r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--logo', logo]);
    assert.equal(r.status, 0, `${logo}: ${r.stderr}`);
  }
});

// The local Cognito signs every pool's tokens with the key its package ships:
// with it a test can sign what an attacker with a pool's key would.
const SIGNING_KEY = crypto.createPrivateKey({
  key: JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/cognito-local/lib/keys/cognitoLocal.private.json'), 'utf8')).jwk,
  format: 'jwk',
});

function resign(token, change) {
  const [header, payload] = token.split('.');
  const claims = change(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  const body = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${body}.${crypto.sign('RSA-SHA256', Buffer.from(body), SIGNING_KEY).toString('base64url')}`;
}

async function apiLogin(email = uniqueEmail('lifetime')) {
  const json = { host: HOST, 'content-type': 'application/json', accept: 'application/json' };
  let r = await registerApi(email);
  assert.equal(r.status, 201, r.body);
  r = await request('POST', '/api/v1/auth/verify-otp', { headers: json,
    body: JSON.stringify({ email, code: await emailedCode(email), purpose: 'email_verification' }) });
  assert.equal(r.status, 200, r.body);
  return apiTokens(email);
}

async function apiTokens(email) {
  const r = await request('POST', '/api/v1/auth/login', {
    headers: { host: HOST, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body).access_token;
}


const me = (token) => request('GET', '/api/v1/me', { headers: { host: HOST, authorization: `Bearer ${token}` } });

test('token lifetime: a token that lives longer than Cognito ever issues is refused, whatever signed it', async () => {
  const token = await apiLogin();
  // The same claims signed again verify: the test signs as the pool does.
  assert.equal((await me(resign(token, (c) => c))).status, 200);
  const tenYears = resign(token, (c) => ({ ...c, exp: c.iat + 10 * 365 * 86400 }));
  let r = await me(tenYears);
  assert.equal(r.status, 401, r.body);
  assert.equal(JSON.parse(r.body).error, 'invalid_token');
  const twoDays = resign(token, (c) => ({ ...c, exp: c.iat + 2 * 86400 }));
  r = await me(twoDays);
  assert.equal(r.status, 401, 'two days is more than a Cognito token ever lives');
  const oneDay = resign(token, (c) => ({ ...c, exp: c.iat + 86400 }));
  assert.equal((await me(oneDay)).status, 200, 'a day, Cognito\'s longest, still works');
});

test('the tier is the mirror\'s: a user who writes custom:user_tier=premium with their own token stays standard', async () => {
  const email = uniqueEmail('selftier');
  const token = await apiLogin(email);
  // The attack: UpdateUserAttributes with the user's own access token, sent
  // to cognito-local itself, which does not enforce the app client's write
  // attributes: a client that could write the tier (the stack's Cognito
  // double refuses it: tierattr.test.mjs). Even then the mirror decides.
  await cognitoLocal('UpdateUserAttributes', {
    AccessToken: token, UserAttributes: [{ Name: 'custom:user_tier', Value: 'premium' }],
  });
  const held = await cognitoLocal('GetUser', { AccessToken: token });
  assert.equal(held.UserAttributes.find((a) => a.Name === 'custom:user_tier')?.Value, 'premium',
    'Cognito now holds what the user wrote');
  const again = await apiTokens(email);
  const b = new Browser();
  await b.get('/login');
  assert.equal((await b.post('/login', { email, password: PASSWORD })).status, 303);
  const files = await b.get('/files');
  assert.equal(files.status, 403, 'the browser meets the upsell page, not the files');
  assert.match(files.body, /Premium feature/);
  const r = await me(again);
  assert.equal(r.status, 200, r.body);
  assert.equal(JSON.parse(r.body).tier, 'standard', 'the API says standard too');
  assert.equal(psql(`SELECT tier FROM t_default.users WHERE email = '${email}'`)[0][0], 'standard',
    'the mirror kept the tier sign-up wrote');
  const up = await request('POST', '/files/upload-url', {
    headers: { host: HOST, 'content-type': 'application/json', authorization: `Bearer ${again}` },
    body: JSON.stringify({ filename: 'a.txt', content_type: 'text/plain', size: 1 }),
  });
  assert.equal(up.status, 403, 'no upload URL for a self-made premium');
});

// fromElsewhere sends a GET to our nginx from 127.0.0.2: loopback to the
// kernel, but not an address the operations pages admit.
function fromElsewhere(urlPath) {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: HTTPS_PORT, path: urlPath, localAddress: '127.0.0.2',
      headers: { host: HOST }, rejectUnauthorized: false, agent: false,
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end();
  });
}

test('operations pages: /status and /metrics are for this machine under a /t/<slug> prefix too', async () => {
  for (const page of ['/status', '/metrics']) {
    assert.equal(await fromElsewhere(page), 403, `${page} from elsewhere`);
    assert.equal(await fromElsewhere(`/t/default${page}`), 403, `/t/default${page} from elsewhere`);
    const own = await request('GET', `/t/default${page}`, { headers: { host: HOST } });
    assert.equal(own.status, 200, `/t/default${page} from this machine`);
  }
});

test('a copy of gatehouse.sessions, api_signins and tenants authenticates nowhere', async () => {
  const email = uniqueEmail('dbcopy');
  await apiLogin(email); // a user the API knows…
  const b = new Browser();
  await b.get('/login');
  assert.equal((await b.post('/login', { email, password: PASSWORD, remember: 'on' })).status, 303);
  assert.equal((await b.get('/account')).status, 200); // …with a live browser session
  // The rows of this user (the table is large after the other tests) and
  // every tenant.
  const rows = psql(`SELECT row_to_json(s)::text FROM gatehouse.sessions s WHERE s.email = '${email}'
    UNION ALL SELECT row_to_json(a)::text FROM gatehouse.api_signins a
      WHERE a.user_sub = (SELECT user_sub FROM gatehouse.sessions WHERE email = '${email}' LIMIT 1)
    UNION ALL SELECT row_to_json(t)::text FROM gatehouse.tenants t`)
    .map((r) => r[0]).join('\n');
  assert.match(rows, new RegExp(email.replace(/[.+]/g, '\\$&')), 'the copy holds the session of that user');
  assert.match(rows, /"username"/, 'and the API sign-in of that user');
  // Every token-like value: JWTs, and any long run of base64url or hex.
  const candidates = new Set([
    ...(rows.match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g) || []),
    ...(rows.match(/[A-Za-z0-9_-]{40,}/g) || []),
  ]);
  assert.ok(candidates.size > 0, 'there are values to try');
  for (const value of candidates) {
    const r = await me(value.startsWith('\\x') ? value.slice(2) : value);
    assert.notEqual(r.status, 200, `a value from the copy opens /api/v1/me: ${value.slice(0, 24)}…`);
    await assert.rejects(cognitoLocal('GetUser', { AccessToken: value }),
      `a value from the copy is accepted by the local Cognito: ${value.slice(0, 24)}…`);
  }
});
