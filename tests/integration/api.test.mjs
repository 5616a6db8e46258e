// The JSON API and the S3 file URLs against the real stack: nginx over TLS,
// the pool, PostgreSQL, cognito-local (through the shim) and s3rver.
//
// Every response a test receives is checked against GET /api/v1/openapi.json:
// the route and status must be documented, and the body must have the
// documented required fields and no undocumented ones. The last test checks
// that every route called here is in the document.
//
// s3rver (3.7) does not verify SigV4 signatures at all (its source says the
// v4 calculation is "unimplemented"; it only checks that the access key
// exists) but it does refuse a presigned URL whose X-Amz-Date +
// X-Amz-Expires has passed. So the tests check our signatures themselves,
// recomputing them here with the stack's S3RVER secret, and test expiry by
// the URL's own X-Amz-Date/X-Amz-Expires: a URL of ours moved back past its
// 15 minutes is refused by s3rver.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  Browser, request, emailedCode, uniqueEmail, PASSWORD, cognitoLocal, fault, stackInfo, stackEnv,
  psql, sleep, HTTPS_PORT, withEnumeration,
} from './helpers.mjs';

const HOST = `localhost:${HTTPS_PORT}`;
const SITE = `https://${HOST}`;
const NEW_PASSWORD = 'Another-Passw0rd?';
const URL_TTL_S = 900;
const S3_SECRET = 'S3RVER';

// ---- the OpenAPI document, and responses checked against it ----------------

let doc;
const called = new Set(); // "METHOD /path" of every route called

function resolve(schema) {
  while (schema && schema.$ref) {
    schema = schema.$ref.replace(/^#\//, '').split('/').reduce((o, k) => o[k], doc);
  }
  return schema;
}

// fieldsOf collects the required and allowed property names of a schema
// (through $ref and allOf); oneOf and anyOf give the alternatives.
function shapes(schema) {
  schema = resolve(schema);
  if (schema.oneOf || schema.anyOf) return (schema.oneOf || schema.anyOf).flatMap(shapes);
  const out = { required: new Set(schema.required || []), props: schema.properties || {}, open: false };
  for (const part of schema.allOf || []) {
    for (const s of shapes(part)) {
      s.required.forEach((r) => out.required.add(r));
      Object.assign(out.props, s.props);
    }
  }
  if (schema.type === 'object' && !schema.properties && !schema.allOf) out.open = true;
  return [out];
}

function typeOk(value, schema) {
  schema = resolve(schema);
  if (!schema) return true;
  if ('const' in schema) return value === schema.const;
  if (schema.enum && !schema.enum.includes(value)) return false;
  const types = [].concat(schema.type || []);
  if (!types.length) return true;
  return types.some((t) => (t === 'null' ? value === null
    : t === 'integer' ? Number.isInteger(value)
      : t === 'array' ? Array.isArray(value)
        : t === 'object' ? value !== null && typeof value === 'object' && !Array.isArray(value)
          : typeof value === t));
}

// documented asserts that res is what openapi.json says method+path answers.
function documented(method, path, res) {
  const route = path.replace(/\?.*$/, '');
  called.add(`${method} ${route}`);
  const op = doc.paths[route] && doc.paths[route][method.toLowerCase()];
  assert.ok(op, `${method} ${route} is in openapi.json`);
  const answer = resolve(op.responses[String(res.status)]);
  assert.ok(answer, `${method} ${route} documents status ${res.status} (body ${res.body.slice(0, 200)})`);
  const media = answer.content && answer.content['application/json'];
  if (!media) return;
  assert.match(res.headers['content-type'] || '', /^application\/json/);
  const body = JSON.parse(res.body);
  const candidates = shapes(media.schema);
  const problems = candidates.map((s) => {
    if (s.open) return null;
    for (const r of s.required) if (!(r in body)) return `missing "${r}"`;
    for (const [k, v] of Object.entries(body)) {
      if (!(k in s.props)) return `undocumented "${k}"`;
      if (!typeOk(v, s.props[k])) return `"${k}" has the wrong type`;
    }
    return null;
  });
  assert.ok(problems.some((p) => p === null),
    `${method} ${route} ${res.status} matches its schema: ${problems.join('; ')} in ${res.body.slice(0, 300)}`);
}

// ---- calls --------------------------------------------------------------------

// api sends one API call and checks its answer against the document.
async function api(method, path, { json, token, headers = {}, raw, contentType } = {}) {
  const h = { host: HOST, accept: 'application/json', ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let body = raw;
  if (json !== undefined) body = JSON.stringify(json);
  if (body !== undefined) h['content-type'] = contentType || 'application/json';
  const res = await request(method, path, { headers: h, body });
  documented(method, path, res);
  res.json = res.headers['content-type']?.startsWith('application/json') ? JSON.parse(res.body) : null;
  return res;
}

function assertError(res, status, code, field) {
  assert.equal(res.status, status, res.body);
  if (code !== undefined) assert.equal(res.json.error, code, res.body);
  else assert.match(res.json.error, /^[a-z_]+$/);
  assert.equal(typeof res.json.message, 'string');
  assert.ok(res.json.message.length > 0);
  if (field !== undefined) assert.equal(res.json.field, field, res.body);
  assert.ok(res.json.request_id, 'errors carry the request id');
}

// registered makes a confirmed user through the API; it returns the email.
async function registered({ tier = 'standard', tag = 'api' } = {}) {
  const email = uniqueEmail(tag);
  let r = await api('POST', '/api/v1/auth/register',
    { json: { email, password: PASSWORD, name: 'Api Person', tier, accept_terms: true } });
  assert.equal(r.status, 201, r.body);
  r = await api('POST', '/api/v1/auth/verify-otp',
    { json: { email, code: await emailedCode(email), purpose: 'email_verification' } });
  assert.equal(r.status, 200, r.body);
  return email;
}

async function login(email, password = PASSWORD) {
  const r = await api('POST', '/api/v1/auth/login', { json: { email, password } });
  assert.equal(r.status, 200, r.body);
  return r.json;
}

function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

// storedCode is the code cognito-local holds for email right now (if any),
// so a test can wait for the next one.
function storedCode(email) {
  const info = stackInfo();
  const db = JSON.parse(fs.readFileSync(path.join(info.COGNITO_DB_DIR, `${info.COGNITO_USER_POOL_ID}.json`), 'utf8'));
  const user = Object.values(db.Users || {}).find((u) => (u.Attributes || [])
    .some((a) => a.Name === 'email' && a.Value.toLowerCase() === email.toLowerCase()));
  return user && user.ConfirmationCode;
}

function cognitoUser(email) {
  return cognitoLocal('AdminGetUser', { UserPoolId: stackInfo().COGNITO_USER_POOL_ID, Username: email });
}

// s3 sends a request straight to s3rver (what a browser or app does with a URL).
function s3(method, url, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

// sigv4 recomputes the signature of one of our presigned S3 URLs, as S3
// would, from the URL and the headers the client will send.
function expectedSignature(url, method, headers) {
  const u = new URL(url);
  const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const params = [...u.searchParams].filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [enc(k), enc(v)]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signed = u.searchParams.get('X-Amz-SignedHeaders').split(';');
  const all = { host: u.host, ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) };
  const canonical = [method, u.pathname, params.map(([k, v]) => `${k}=${v}`).join('&'),
    signed.map((h) => `${h}:${String(all[h]).trim()}\n`).join(''), signed.join(';'), 'UNSIGNED-PAYLOAD'].join('\n');
  const date = u.searchParams.get('X-Amz-Date');
  const scope = u.searchParams.get('X-Amz-Credential').split('/').slice(1).join('/');
  const sts = ['AWS4-HMAC-SHA256', date, scope, crypto.createHash('sha256').update(canonical).digest('hex')].join('\n');
  const [day, region, service] = scope.split('/');
  let key = `AWS4${S3_SECRET}`;
  for (const part of [day, region, service, 'aws4_request']) key = crypto.createHmac('sha256', key).update(part).digest();
  return crypto.createHmac('sha256', key).update(sts).digest('hex');
}

function amzTime(s) { // 20260101T120000Z → ms
  return Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(9, 11), +s.slice(11, 13), +s.slice(13, 15));
}

before(async () => {
  const r = await request('GET', '/api/v1/openapi.json', { headers: { host: HOST } });
  assert.equal(r.status, 200);
  doc = JSON.parse(r.body);
  called.add('GET /api/v1/openapi.json');
});
after(async () => { await fault({ reset: true }); });

// ---- the auth API ------------------------------------------------------------------

test('api-flow: register, verify-otp, login, me, refresh, logout, then the tokens are refused', async () => {
  const email = uniqueEmail('flow');
  let r = await api('POST', '/api/v1/auth/register', {
    json: { email, password: PASSWORD, name: 'Flow Api', tier: 'premium', accept_terms: true },
  });
  assert.equal(r.status, 201);
  assert.equal(r.json.message, 'code sent');
  // The default tenant hides accounts: no sign-up tells its sub (a taken
  // email has none to give); the mirror has it.
  assert.equal(r.json.user_sub, null);
  const [[sub]] = psql(`SELECT sub FROM t_default.users WHERE email = '${email}'`);
  assert.match(sub, /^[0-9a-f-]{36}$/);
  assert.deepEqual(psql(`SELECT tier, status FROM t_default.users WHERE sub = '${sub}'`), [['premium', 'UNCONFIRMED']]);

  const first = await emailedCode(email);
  r = await api('POST', '/api/v1/auth/verify-otp', { json: { email, code: first, purpose: 'email_verification' } });
  assert.equal(r.status, 200);
  assert.equal(r.json.message, 'email verified');

  r = await api('POST', '/api/v1/auth/login', { json: { email, password: PASSWORD } });
  assert.equal(r.status, 200);
  const tokens = r.json;
  assert.equal(tokens.token_type, 'Bearer');
  assert.ok(Number.isInteger(tokens.expires_in) && tokens.expires_in > 0);
  for (const t of ['id_token', 'access_token', 'refresh_token']) assert.ok(tokens[t], t);
  assert.equal(claims(tokens.access_token).token_use, 'access');
  assert.equal(claims(tokens.id_token).email, email);
  assert.equal(r.headers['cache-control'], 'no-store', 'tokens are never cached');

  r = await api('GET', '/api/v1/me', { token: tokens.access_token });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, {
    sub, email, name: 'Flow Api', tier: 'premium', groups: [], is_admin: false, tenant: 'default',
  });

  // iat has whole seconds, and cognito-local's tokens carry no origin_jti
  // (real Cognito links a refreshed token to its sign-in with it): the next
  // second makes the first token one that the logout's per-user cut-off
  // must catch on its own.
  await sleep(1100);
  r = await api('POST', '/api/v1/auth/refresh', { json: { refresh_token: tokens.refresh_token } });
  assert.equal(r.status, 200);
  const fresh = r.json;
  assert.equal(fresh.token_type, 'Bearer');
  assert.notEqual(fresh.access_token, tokens.access_token);
  r = await api('GET', '/api/v1/me', { token: fresh.access_token });
  assert.equal(r.status, 200);
  assert.equal(r.json.email, email);

  r = await api('POST', '/api/v1/auth/logout', {
    token: fresh.access_token, json: { refresh_token: tokens.refresh_token },
  });
  assert.equal(r.status, 200);
  assert.equal(r.json.message, 'logged out');

  for (const [what, token] of [['the token logged out with', fresh.access_token], ['the earlier token', tokens.access_token]]) {
    r = await api('GET', '/api/v1/me', { token });
    assertError(r, 401, 'token_revoked', null);
    assert.match(r.headers['www-authenticate'], /^Bearer .*error="invalid_token"/, what);
  }
  r = await api('POST', '/api/v1/auth/refresh', { json: { refresh_token: tokens.refresh_token } });
  assertError(r, 401, 'session_expired', null);
  r = await api('POST', '/api/v1/auth/logout', { token: fresh.access_token });
  assertError(r, 401, 'token_revoked');

  // Logging in again after a logout works at once.
  const again = await login(email);
  r = await api('GET', '/api/v1/me', { token: again.access_token });
  assert.equal(r.status, 200);
});

test('api-login: an unconfirmed user is told so and sent a fresh code; bad credentials read alike', async () => {
  const email = uniqueEmail('unconfirmed');
  let r = await api('POST', '/api/v1/auth/register',
    { json: { email, password: PASSWORD, name: 'Not Yet', accept_terms: true } });
  assert.equal(r.status, 201);
  const first = await emailedCode(email);
  r = await api('POST', '/api/v1/auth/login', { json: { email, password: PASSWORD } });
  assertError(r, 403, 'user_not_confirmed', null);
  assert.equal(r.json.code_sent, true);
  const second = await emailedCode(email, first);
  assert.notEqual(second, first, 'a fresh code was emailed');
  r = await api('POST', '/api/v1/auth/verify-otp', { json: { email, code: second } });
  assert.equal(r.status, 200, 'the fresh code confirms (purpose defaults to email_verification)');
  assert.equal((await cognitoUser(email)).UserStatus, 'CONFIRMED');

  const wrong = await api('POST', '/api/v1/auth/login', { json: { email, password: 'Wrong-Passw0rd!' } });
  assertError(wrong, 401, 'not_authorized', null);
  const unknown = await api('POST', '/api/v1/auth/login',
    { json: { email: uniqueEmail('nobody'), password: PASSWORD } });
  assertError(unknown, 401, 'not_authorized', null);
  assert.equal(unknown.json.message, wrong.json.message, 'an unknown email reads like a wrong password');
});

test('api-errors: every input error answers the one shape, naming the field', async () => {
  const ok = { email: uniqueEmail('shape'), password: PASSWORD, name: 'Shape', accept_terms: true };
  const cases = [
    [{ ...ok, email: undefined }, 'missing_field', 'email'],
    [{ ...ok, email: '' }, 'missing_field', 'email'],
    [{ ...ok, email: null }, 'missing_field', 'email'],
    [{ ...ok, email: 5 }, 'invalid_type', 'email'],
    [{ ...ok, email: ['a@b.c'] }, 'invalid_type', 'email'],
    [{ ...ok, email: 'not-an-email' }, 'invalid_field', 'email'],
    [{ ...ok, password: 'short' }, 'invalid_field', 'password'],
    [{ ...ok, password: { x: 1 } }, 'invalid_type', 'password'],
    [{ ...ok, name: 'a\u0001b' }, 'invalid_field', 'name'],
    [{ ...ok, name: 'a\u0000b' }, 'invalid_field', 'name'],
    [{ ...ok, tier: 'gold' }, 'invalid_field', 'tier'],
    [{ ...ok, tier: 2 }, 'invalid_type', 'tier'],
    [{ ...ok, accept_terms: false }, 'invalid_field', 'accept_terms'],
    [{ ...ok, accept_terms: 'yes' }, 'invalid_type', 'accept_terms'],
  ];
  for (const [json, code, field] of cases) {
    const r = await api('POST', '/api/v1/auth/register', { json });
    assertError(r, 400, code, field);
  }
  let r = await api('POST', '/api/v1/auth/login', { json: [] });
  assertError(r, 400, 'invalid_body', null);
  r = await api('POST', '/api/v1/auth/login', { raw: '"just a string"' });
  assertError(r, 400, 'invalid_body', null);
  r = await api('POST', '/api/v1/auth/login', { raw: '' });
  assertError(r, 400);
  r = await api('POST', '/api/v1/auth/login', { raw: '{"email": "a@example.com",' });
  assertError(r, 400, 'bad_request');
  r = await api('POST', '/api/v1/auth/login',
    { raw: Buffer.concat([Buffer.from('{"email": "'), Buffer.from([0xff]), Buffer.from('"}')]) });
  assertError(r, 400, 'bad_request'); // not UTF-8
  r = await api('POST', '/api/v1/auth/login', { raw: 'email=a%40example.com', contentType: 'application/x-www-form-urlencoded' });
  assertError(r, 415, 'unsupported_media_type');
  r = await api('POST', '/api/v1/auth/login', { raw: 'hello', contentType: 'text/plain' });
  assertError(r, 415, 'unsupported_media_type');
  r = await api('POST', '/api/v1/auth/login', { raw: JSON.stringify({ email: 'a'.repeat(70 * 1024) }) });
  assertError(r, 413, 'payload_too_large');
  r = await api('POST', '/api/v1/auth/verify-otp', { json: { email: ok.email, code: '12ab56' } });
  assertError(r, 400, 'invalid_field', 'code');
  r = await api('POST', '/api/v1/auth/verify-otp', { json: { email: ok.email, code: '123456', purpose: 'other' } });
  assertError(r, 400, 'invalid_field', 'purpose');
  r = await api('POST', '/api/v1/auth/verify-otp',
    { json: { email: ok.email, code: '123456', purpose: 'password_reset' } });
  assertError(r, 400, 'missing_field', 'password');
  r = await api('POST', '/api/v1/auth/refresh', { json: {} });
  assertError(r, 400, 'missing_field', 'refresh_token');
  r = await api('POST', '/api/v1/auth/refresh', { json: { refresh_token: 'x'.repeat(9000) } });
  assertError(r, 400, 'invalid_field', 'refresh_token');
  r = await api('POST', '/api/v1/auth/refresh', { json: { refresh_token: 'not-a-token' } });
  assertError(r, 401, 'session_expired');

  // Cognito's refusals, through the shared catalogue.
  const email = await registered({ tag: 'cogerr' });
  r = await withEnumeration('default', 'reveal',
    () => api('POST', '/api/v1/auth/register', { json: { ...ok, email } }));
  assertError(r, 409, 'username_exists', 'email');
  const pending = uniqueEmail('mismatch');
  await api('POST', '/api/v1/auth/register', { json: { ...ok, email: pending } });
  const code = await emailedCode(pending);
  r = await api('POST', '/api/v1/auth/verify-otp',
    { json: { email: pending, code: code === '000000' ? '111111' : '000000' } });
  assertError(r, 400, 'code_mismatch', 'code');
  await fault({ op: 'InitiateAuth', mode: 'throttle' });
  r = await api('POST', '/api/v1/auth/login', { json: { email, password: PASSWORD } });
  await fault({ reset: true });
  assertError(r, 429, 'too_many_requests', null);
  assert.ok(Number(r.headers['retry-after']) > 0, 'a throttled answer says when to retry');
  await fault({ op: 'SignUp', mode: 'error5xx' });
  r = await api('POST', '/api/v1/auth/register', { json: { ...ok, email: uniqueEmail('down') } });
  await fault({ reset: true });
  assertError(r, 503, 'internal_error', null);

  // 405 for a method the route does not take.
  r = await request('GET', '/api/v1/auth/login', { headers: { host: HOST, accept: 'application/json' } });
  assert.equal(r.status, 405);
  assert.equal(JSON.parse(r.body).error, 'method_not_allowed');
});

test('api-unknown-fields: fields the API does not name are ignored and never reach Cognito', async () => {
  const email = uniqueEmail('extra');
  const r = await api('POST', '/api/v1/auth/register', {
    json: {
      email, password: PASSWORD, name: 'Extra', accept_terms: true, tier: 'standard',
      'custom:user_tier': 'premium', user_tier: 'premium', UserAttributes: [{ Name: 'custom:user_tier', Value: 'premium' }],
      ClientMetadata: { x: '1' }, admin: true, company: 'Evil Corp',
    },
  });
  assert.equal(r.status, 201);
  const user = await cognitoUser(email);
  const attrs = Object.fromEntries(user.UserAttributes.map((a) => [a.Name, a.Value]));
  assert.equal(attrs['custom:user_tier'], 'standard');
  assert.equal(attrs['custom:tenant_id'], 'default', 'gatehouse writes the tenant, as on the sign-up page');
  assert.equal(attrs.email, email);
  assert.equal(attrs.name, 'Extra');
  assert.equal(attrs['custom:company'], undefined);
  assert.equal(attrs.admin, undefined);
});

test('api-bearer: missing, malformed, forged and misused tokens are refused', async () => {
  const email = await registered({ tag: 'bearer' });
  const tokens = await login(email);
  let r = await api('GET', '/api/v1/me');
  assertError(r, 401, 'unauthorized', null);
  assert.equal(r.headers['www-authenticate'], 'Bearer realm="gatehouse"');
  r = await api('GET', '/api/v1/me', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
  assertError(r, 401, 'invalid_token');
  r = await api('GET', '/api/v1/me', { token: 'not.a.jwt' });
  assertError(r, 401, 'invalid_token');
  const [h, p, s] = tokens.access_token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...claims(tokens.access_token), sub: 'someone-else' })).toString('base64url');
  r = await api('GET', '/api/v1/me', { token: `${h}.${forged}.${s}` });
  assertError(r, 401, 'invalid_token');
  r = await api('GET', '/api/v1/me', { token: `${h}.${p}.${s.slice(0, -4)}AAAA` });
  assertError(r, 401, 'invalid_token');
  r = await api('GET', '/api/v1/me', { token: tokens.id_token });
  assertError(r, 401, 'invalid_token', null); // an id token is not an access token
  r = await api('GET', '/api/v1/me', { token: `${h}.${Buffer.from(JSON.stringify({ ...claims(tokens.access_token), exp: 1 })).toString('base64url')}.${s}` });
  assertError(r, 401, 'invalid_token'); // the signature no longer matches, whatever exp says
  r = await api('GET', '/api/v1/me', { token: tokens.access_token });
  assert.equal(r.status, 200);
  assert.equal(r.json.tier, 'standard');

  // An admin's tier change shows at once (the mirror is the profile).
  psql(`UPDATE t_default.users SET tier = 'premium' WHERE email = '${email}'`);
  r = await api('GET', '/api/v1/me', { token: tokens.access_token });
  assert.equal(r.json.tier, 'premium');
  // A user the mirror does not know yet is fetched from Cognito once.
  psql(`DELETE FROM t_default.users WHERE email = '${email}'`);
  r = await api('GET', '/api/v1/me', { token: tokens.access_token });
  assert.equal(r.status, 200);
  assert.equal(r.json.email, email);
  assert.deepEqual(psql(`SELECT status FROM t_default.users WHERE email = '${email}'`), [['CONFIRMED']]);
});

test('api-request-otp: both purposes, the same answer for unknown emails, and a reset', async () => {
  const unconfirmed = uniqueEmail('resend');
  let r = await api('POST', '/api/v1/auth/register',
    { json: { email: unconfirmed, password: PASSWORD, name: 'Resend', accept_terms: true } });
  const first = await emailedCode(unconfirmed);
  r = await api('POST', '/api/v1/auth/request-otp', { json: { email: unconfirmed, purpose: 'email_verification' } });
  assert.equal(r.status, 200);
  const known = r.json.message;
  const second = await emailedCode(unconfirmed, first);
  assert.notEqual(second, first);
  r = await api('POST', '/api/v1/auth/verify-otp', { json: { email: unconfirmed, code: second, purpose: 'email_verification' } });
  assert.equal(r.status, 200);

  for (const purpose of ['email_verification', 'password_reset']) {
    r = await api('POST', '/api/v1/auth/request-otp', { json: { email: uniqueEmail('ghost'), purpose } });
    assert.equal(r.status, 200, `${purpose} for an unknown email`);
    assert.equal(r.json.message, known, 'the same words whether or not the email has an account');
  }
  // One code per email and purpose per wait (feel.test.mjs): the wait is over.
  psql("UPDATE t_default.code_sends SET sent_at = sent_at - interval '1 hour'");
  r = await api('POST', '/api/v1/auth/request-otp', { json: { email: unconfirmed, purpose: 'email_verification' } });
  assert.equal(r.status, 200, 'an already confirmed email is answered the same');
  assert.equal(r.json.message, known);
  r = await api('POST', '/api/v1/auth/request-otp', { json: { email: unconfirmed, purpose: 'sms' } });
  assertError(r, 400, 'invalid_field', 'purpose');

  // password_reset: a reset code, then a new password through verify-otp.
  const email = await registered({ tag: 'reset' });
  const before = storedCode(email);
  r = await api('POST', '/api/v1/auth/request-otp', { json: { email, purpose: 'password_reset' } });
  assert.equal(r.status, 200);
  assert.equal(r.json.message, known);
  const resetCode = await emailedCode(email, before);
  r = await api('POST', '/api/v1/auth/verify-otp',
    { json: { email, code: resetCode, purpose: 'password_reset', password: 'weak' } });
  assertError(r, 400, 'invalid_field', 'password');
  r = await api('POST', '/api/v1/auth/verify-otp',
    { json: { email, code: resetCode, purpose: 'password_reset', password: NEW_PASSWORD } });
  assert.equal(r.status, 200);
  assert.equal(r.json.message, 'password reset');
  await login(email, NEW_PASSWORD);

  // The same through forgot-password and reset-password, once the wait
  // between two codes is over.
  psql("UPDATE t_default.code_sends SET sent_at = sent_at - interval '1 hour'");
  r = await api('POST', '/api/v1/auth/forgot-password', { json: { email } });
  assert.equal(r.status, 200);
  assert.equal(r.json.message, known);
  const another = await emailedCode(email, resetCode);
  r = await api('POST', '/api/v1/auth/reset-password', { json: { email, code: another } });
  assertError(r, 400, 'missing_field', 'password');
  r = await api('POST', '/api/v1/auth/reset-password', { json: { email, code: another, password: PASSWORD } });
  assert.equal(r.status, 200);
  await login(email, PASSWORD);
  r = await api('POST', '/api/v1/auth/forgot-password', { json: { email: uniqueEmail('ghost') } });
  assert.equal(r.status, 200);
  assert.equal(r.json.message, known);
});

test('api-aliases: /auth/signup and /auth/signin answer as register and login', async () => {
  const email = uniqueEmail('alias');
  let r = await api('POST', '/auth/signup',
    { json: { email, password: PASSWORD, name: 'Alias', tier: 'premium', accept_terms: true } });
  assert.equal(r.status, 201);
  assert.equal(r.json.message, 'code sent');
  const first = await emailedCode(email);
  r = await withEnumeration('default', 'reveal', () => api('POST', '/auth/signup',
    { json: { email, password: PASSWORD, name: 'Alias', accept_terms: true } }));
  assertError(r, 409, 'username_exists', 'email');
  r = await api('POST', '/auth/signin', { json: { email, password: PASSWORD } });
  assertError(r, 403, 'user_not_confirmed');
  assert.equal(r.json.code_sent, true);
  r = await api('POST', '/api/v1/auth/verify-otp', { json: { email, code: await emailedCode(email, first) } });
  assert.equal(r.status, 200);
  r = await api('POST', '/auth/signin', { json: { email, password: PASSWORD } });
  assert.equal(r.status, 200);
  assert.equal(r.json.token_type, 'Bearer');
  r = await api('GET', '/api/v1/me', { token: r.json.access_token });
  assert.equal(r.json.tier, 'premium');
  r = await api('POST', '/auth/signin', { json: { email, password: 'Wrong-Passw0rd!' } });
  assertError(r, 401, 'not_authorized');
});

test('api-rate-limit: nginx answers the API\'s 429 in JSON, with Retry-After', async () => {
  const burst = await Promise.all(Array.from({ length: 500 }, () => request('POST', '/api/v1/auth/login', {
    headers: { host: HOST, 'content-type': 'application/json' }, body: '{}',
  })));
  const limited = burst.filter((r) => r.status === 429);
  assert.ok(limited.length > 0, 'a burst beyond the limit is refused');
  const r = limited[0];
  documented('POST', '/api/v1/auth/login', r);
  assert.match(r.headers['content-type'], /^application\/json/);
  assert.equal(JSON.parse(r.body).error, 'too_many_requests');
  assert.ok(Number(r.headers['retry-after']) >= 1);
  assert.ok(r.headers['content-security-policy'], 'the security headers stay on');
  await sleep(3000); // let the bucket drain for the tests that follow
});

// ---- CORS ---------------------------------------------------------------------------

test('api-cors: preflight for listed origins only, never with credentials', async () => {
  const listed = (stackEnv().CORS_ORIGINS || process.env.CORS_ORIGINS || '').split(',').map((s) => s.trim())
    .filter((s) => s && s !== '*');
  assert.ok(listed.length, 'the stack lists an origin in CORS_ORIGINS (scripts/stack.sh writes it into gatehouse.env)');
  const origin = listed[0];
  let r = await request('OPTIONS', '/api/v1/auth/login', {
    headers: { host: HOST, origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  assert.equal(r.status, 204);
  assert.equal(r.headers['access-control-allow-origin'], origin);
  assert.match(r.headers['access-control-allow-methods'], /\bPOST\b/);
  assert.match(r.headers['access-control-allow-headers'], /Content-Type/i);
  assert.match(r.headers['access-control-allow-headers'], /Authorization/i);
  assert.equal(r.headers['access-control-allow-credentials'], undefined);
  assert.match(r.headers.vary, /Origin/);
  r = await request('OPTIONS', '/api/v1/me', {
    headers: { host: HOST, origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  });
  assert.equal(r.status, 204);
  assert.match(r.headers['access-control-allow-methods'], /\bGET\b/);

  // The real call then carries the header (errors too, so they can be read).
  r = await api('POST', '/api/v1/auth/login', { json: {}, headers: { origin } });
  assert.equal(r.status, 400);
  assert.equal(r.headers['access-control-allow-origin'], origin);
  assert.equal(r.headers['access-control-allow-credentials'], undefined);
  r = await api('GET', '/api/v1/me', { headers: { origin } });
  assert.equal(r.headers['access-control-allow-origin'], origin);
  assert.match(r.headers['access-control-expose-headers'], /WWW-Authenticate/i);

  // An origin not listed gets no CORS header at all.
  const evil = 'https://evil.example';
  r = await request('OPTIONS', '/api/v1/auth/login', {
    headers: { host: HOST, origin: evil, 'access-control-request-method': 'POST' },
  });
  assert.equal(r.status, 403);
  assert.equal(JSON.parse(r.body).error, 'cors_origin_refused');
  assert.equal(r.headers['access-control-allow-origin'], undefined);
  r = await api('POST', '/api/v1/auth/login', { json: {}, headers: { origin: evil } });
  assert.equal(r.headers['access-control-allow-origin'], undefined);

  // A plain OPTIONS learns what the path allows; pages take no preflight.
  r = await request('OPTIONS', '/api/v1/auth/refresh', { headers: { host: HOST } });
  assert.equal(r.status, 204);
  assert.equal(r.headers.allow, 'POST, OPTIONS');
  r = await request('OPTIONS', '/login', { headers: { host: HOST, origin, 'access-control-request-method': 'POST' } });
  assert.equal(r.status, 405);
  assert.equal(r.headers['access-control-allow-origin'], undefined);
});

// ---- files ----------------------------------------------------------------------------

test('files: a presigned PUT then GET round trip through s3rver, bytes compared', async () => {
  const email = await registered({ tier: 'premium', tag: 'files' });
  const { access_token: token } = await login(email);
  const me = (await api('GET', '/api/v1/me', { token })).json;
  const bytes = crypto.randomBytes(40000);
  let r = await api('POST', '/files/upload-url', {
    token, json: { filename: 'Quarterly report (v2).bin', content_type: 'application/octet-stream', size: bytes.length },
  });
  assert.equal(r.status, 200);
  const up = r.json;
  assert.equal(up.method, 'PUT');
  assert.deepEqual(up.headers, { 'Content-Type': 'application/octet-stream' });
  assert.match(up.key, new RegExp(`^default/${me.sub}/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-Quarterly-report-v2.bin$`));
  const url = new URL(up.url);
  const info = stackInfo();
  assert.equal(`${url.protocol}//${url.host}`, info.S3_ENDPOINT);
  assert.equal(decodeURIComponent(url.pathname), `/${info.S3_BUCKET_NAME}/${up.key}`);
  assert.equal(url.searchParams.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
  assert.equal(url.searchParams.get('X-Amz-Expires'), String(URL_TTL_S));
  assert.equal(url.searchParams.get('X-Amz-SignedHeaders'), 'content-length;content-type;host',
    'the content type and the size are bound');
  assert.ok(Math.abs(amzTime(url.searchParams.get('X-Amz-Date')) - Date.now()) < 120000);
  // s3rver does not check v4 signatures: check ours as S3 would.
  const declared = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) };
  assert.equal(url.searchParams.get('X-Amz-Signature'), expectedSignature(up.url, 'PUT', declared));
  assert.notEqual(url.searchParams.get('X-Amz-Signature'),
    expectedSignature(up.url, 'PUT', { ...declared, 'Content-Type': 'text/html' }), 'another type would not verify');
  assert.notEqual(url.searchParams.get('X-Amz-Signature'),
    expectedSignature(up.url, 'PUT', { ...declared, 'Content-Length': '200000' }), 'another size would not verify');
  assert.deepEqual(psql(`SELECT filename, content_type, size_bytes FROM t_default.files WHERE s3_key = '${up.key}'`),
    [['Quarterly report (v2).bin', 'application/octet-stream', String(bytes.length)]]);

  let s = await s3('PUT', up.url, { headers: up.headers, body: bytes });
  assert.equal(s.status, 200, s.body.toString());

  const dl = await api('GET', `/files/download-url?key=${encodeURIComponent(up.key)}`, { token });
  assert.equal(dl.status, 200);
  assert.equal(dl.json.method, 'GET');
  assert.equal(dl.json.key, up.key);
  assert.equal(dl.json.expires_in, URL_TTL_S);
  const down = new URL(dl.json.url);
  assert.equal(down.searchParams.get('X-Amz-SignedHeaders'), 'host');
  assert.equal(down.searchParams.get('response-content-disposition'), 'attachment',
    'a download is answered as an attachment, never shown inline');
  assert.equal(down.searchParams.get('X-Amz-Signature'), expectedSignature(dl.json.url, 'GET', {}));
  s = await s3('GET', dl.json.url);
  assert.equal(s.status, 200);
  assert.match(s.headers['content-disposition'] || '', /^attachment/);
  assert.ok(Buffer.compare(s.body, bytes) === 0, 'the same bytes come back');

  r = await api('GET', '/files/list', { token });
  assert.equal(r.status, 200);
  const listed = r.json.files.find((f) => f.key === up.key);
  assert.deepEqual(listed && { ...listed, created_at: undefined }, {
    key: up.key, filename: 'Quarterly report (v2).bin', content_type: 'application/octet-stream',
    size: bytes.length, created_at: undefined,
  });
  assert.ok(Math.abs(Date.parse(listed.created_at) - Date.now()) < 120000);

  // Expiry, by the URL's own fields: moved back past its 15 minutes, s3rver
  // refuses it.
  const stale = new URL(dl.json.url);
  const past = new Date(Date.now() - (URL_TTL_S + 60) * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  stale.searchParams.set('X-Amz-Date', past);
  s = await s3('GET', stale.toString());
  assert.equal(s.status, 403);
  assert.match(s.body.toString(), /Request has expired/);
  const expiresAt = amzTime(down.searchParams.get('X-Amz-Date')) + URL_TTL_S * 1000;
  assert.ok(expiresAt > Date.now() && expiresAt <= Date.now() + URL_TTL_S * 1000 + 2000);
  assert.equal(Date.parse(dl.json.expires_at), expiresAt);
});

test('files-keys: traversal, foreign and malformed keys are refused; admins see the tenant', async () => {
  const alice = await registered({ tier: 'premium', tag: 'alice' });
  const bob = await registered({ tier: 'premium', tag: 'bob' });
  const aliceToken = (await login(alice)).access_token;
  const bobToken = (await login(bob)).access_token;
  const aliceSub = (await api('GET', '/api/v1/me', { token: aliceToken })).json.sub;
  const bobSub = (await api('GET', '/api/v1/me', { token: bobToken })).json.sub;
  const bobFile = (await api('POST', '/files/upload-url', {
    token: bobToken, json: { filename: 'secret.txt', content_type: 'text/plain', size: 6 },
  })).json.key;

  const refused = [
    [`default/${aliceSub}/../${bobSub}/x.txt`, 400, 'invalid_key'],
    [`default/${aliceSub}/..`, 400, 'invalid_key'],
    [`default/${aliceSub}/a\u0001b`, 400, 'invalid_key'],
    [`default/${aliceSub}/a\nb`, 400, 'invalid_key'],
    [`/default/${aliceSub}/x`, 400, 'invalid_key'],
    [`default/${aliceSub}/dir/x`, 400, 'invalid_key'],
    [`default/${aliceSub}`, 400, 'invalid_key'],
    [`default//x`, 400, 'invalid_key'],
    [`default\\${aliceSub}\\x`, 400, 'invalid_key'],
    [bobFile, 403, 'forbidden_key'],
    [`acme/${aliceSub}/x.txt`, 403, 'forbidden_key'],
    [`defaultx/${aliceSub}/x.txt`, 403, 'forbidden_key'],
  ];
  for (const [key, status, code] of refused) {
    const r = await api('GET', `/files/download-url?key=${encodeURIComponent(key)}`, { token: aliceToken });
    assertError(r, status, code, 'key');
  }
  let r = await api('GET', '/files/download-url', { token: aliceToken });
  assertError(r, 400, 'missing_field', 'key');
  r = await api('GET', `/files/download-url?key=${encodeURIComponent(`default/${aliceSub}/mine.txt`)}`, { token: aliceToken });
  assert.equal(r.status, 200, 'her own prefix is fine');

  // An admin of the tenant may reach any key under the tenant's prefix,
  // and still none outside it.
  await cognitoLocal('AdminAddUserToGroup',
    { UserPoolId: stackInfo().COGNITO_USER_POOL_ID, Username: alice, GroupName: 'admin' });
  const adminToken = (await login(alice)).access_token;
  r = await api('GET', '/api/v1/me', { token: adminToken });
  assert.equal(r.json.is_admin, true);
  r = await api('GET', `/files/download-url?key=${encodeURIComponent(bobFile)}`, { token: adminToken });
  assert.equal(r.status, 200);
  r = await api('GET', `/files/download-url?key=${encodeURIComponent(`acme/${bobSub}/x.txt`)}`, { token: adminToken });
  assertError(r, 403, 'forbidden_key', 'key');
  r = await api('GET', `/files/download-url?key=${encodeURIComponent(`default/${bobSub}/../../acme/x`)}`, { token: adminToken });
  assertError(r, 400, 'invalid_key', 'key');

  // Upload input is checked like any other.
  for (const [json, code, field] of [
    [{ content_type: 'text/plain', size: 1 }, 'missing_field', 'filename'],
    [{ filename: 'a', size: 1 }, 'missing_field', 'content_type'],
    [{ filename: 'a', content_type: 'text/plain' }, 'missing_field', 'size'],
    [{ filename: 'a', content_type: 'text/plain', size: '1' }, 'invalid_type', 'size'],
    [{ filename: 'a', content_type: 'text/plain', size: 1.5 }, 'invalid_type', 'size'],
    [{ filename: 'a', content_type: 'text/plain', size: -1 }, 'invalid_field', 'size'],
    [{ filename: 'a', content_type: 'text/plain', size: 6 * 1024 ** 3 }, 'invalid_field', 'size'],
    [{ filename: 'a', content_type: 'text/plain\r\nX-Evil: 1', size: 1 }, 'invalid_field', 'content_type'],
    [{ filename: 'a', content_type: 'nonsense', size: 1 }, 'invalid_field', 'content_type'],
    [{ filename: 'a\u0007', content_type: 'text/plain', size: 1 }, 'invalid_field', 'filename'],
    [{ filename: 'x'.repeat(300), content_type: 'text/plain', size: 1 }, 'invalid_field', 'filename'],
  ]) {
    r = await api('POST', '/files/upload-url', { token: bobToken, json });
    assertError(r, 400, code, field);
  }
  r = await api('POST', '/files/upload-url', {
    token: bobToken, json: { filename: '../../../etc/passwd', content_type: 'text/plain; charset=utf-8', size: 1 },
  });
  assert.equal(r.status, 200);
  assert.match(r.json.key, new RegExp(`^default/${bobSub}/[0-9a-f-]{36}-etc-passwd$`));
  assert.deepEqual(r.json.headers, { 'Content-Type': 'text/plain; charset=utf-8' });
});

test('files-tier: standard users and strangers are refused files', async () => {
  const email = await registered({ tier: 'standard', tag: 'standard' });
  const { access_token: token } = await login(email);
  const sub = (await api('GET', '/api/v1/me', { token })).json.sub;
  let r = await api('POST', '/files/upload-url', { token, json: { filename: 'a.txt', content_type: 'text/plain', size: 1 } });
  assert.equal(r.status, 403);
  assert.equal(r.json.error, 'tier_required');
  assert.equal(r.json.required_tier, 'premium');
  r = await api('GET', `/files/download-url?key=${encodeURIComponent(`default/${sub}/x`)}`, { token });
  assert.equal(r.json.error, 'tier_required');
  r = await api('GET', '/files/list', { token });
  assert.equal(r.json.error, 'tier_required');
  r = await api('POST', '/files/upload-url', { json: { filename: 'a.txt', content_type: 'text/plain', size: 1 } });
  assertError(r, 401, 'unauthorized');
  r = await api('GET', '/files/list');
  assertError(r, 401, 'unauthorized');

  // In the browser: the upsell page.
  const b = new Browser();
  await b.get('/login');
  assert.equal((await b.post('/login', { email, password: PASSWORD })).status, 303);
  r = await b.get('/files');
  assert.equal(r.status, 403);
  assert.match(r.body, /Premium feature/);
  assert.doesNotMatch(r.body, /files\.js/);
});

test('files-page: the browser session works with the page\'s CSRF token, and the CSP lets the script reach S3', async () => {
  const email = await registered({ tier: 'premium', tag: 'page' });
  const b = new Browser();
  await b.get('/login');
  assert.equal((await b.post('/login', { email, password: PASSWORD })).status, 303);
  let r = await b.get('/files');
  assert.equal(r.status, 200);
  assert.match(r.body, /<script src="\/static\/js\/files\.js" defer><\/script>/);
  assert.doesNotMatch(r.body, /<script>/, 'no inline script');
  const csrf = r.body.match(/data-csrf="([^"]+)"/)[1];
  const csp = r.headers['content-security-policy'];
  assert.match(csp, /script-src 'self'/);
  const connect = csp.match(/connect-src ([^;]+)/)[1].split(/\s+/);
  const storage = new URL(stackInfo().S3_ENDPOINT);
  assert.ok(connect.includes(`${storage.protocol}//${storage.hostname}:*`) || connect.includes(storage.origin),
    `connect-src ${connect} allows ${storage.origin}`);
  const js = await request('GET', '/static/js/files.js', { headers: { host: HOST } });
  assert.equal(js.status, 200);
  assert.match(js.headers['content-type'], /javascript/);

  const body = JSON.stringify({ filename: 'page.txt', content_type: 'text/plain', size: 4 });
  const json = { 'content-type': 'application/json', accept: 'application/json' };
  r = await b.send('POST', '/files/upload-url', { headers: json, body });
  assertError({ ...r, json: JSON.parse(r.body) }, 403, 'csrf_failed');
  r = await b.send('POST', '/files/upload-url', { headers: { ...json, 'x-csrf-token': 'A'.repeat(43) }, body });
  assert.equal(r.status, 403, 'a wrong token is refused');
  r = await b.send('POST', '/files/upload-url', { headers: { ...json, 'x-csrf-token': csrf, origin: 'https://evil.example' }, body });
  assert.equal(r.status, 403, 'another origin is refused even with the token');
  r = await b.send('POST', '/files/upload-url', { headers: { ...json, 'x-csrf-token': csrf }, body });
  assert.equal(r.status, 200, r.body);
  documented('POST', '/files/upload-url', r);
  const up = JSON.parse(r.body);
  assert.equal((await s3('PUT', up.url, { headers: up.headers, body: 'page' })).status, 200);
  r = await b.get('/files/list', { headers: { accept: 'application/json' } });
  assert.equal(r.status, 200);
  documented('GET', '/files/list', r);
  assert.equal(JSON.parse(r.body).files[0].key, up.key);
  r = await b.get(`/files/download-url?key=${encodeURIComponent(up.key)}`);
  assert.equal(r.status, 200);
  assert.equal((await s3('GET', JSON.parse(r.body).url)).body.toString(), 'page');
});

test('openapi: every route called is documented in openapi.json', async () => {
  assert.equal(doc.openapi, '3.1.0');
  for (const route of called) {
    const [method, path] = route.split(' ');
    assert.ok(doc.paths[path] && doc.paths[path][method.toLowerCase()], `${route} is documented`);
  }
  const expected = ['POST /api/v1/auth/register', 'POST /api/v1/auth/verify-otp', 'POST /api/v1/auth/login',
    'POST /api/v1/auth/request-otp', 'POST /api/v1/auth/refresh', 'POST /api/v1/auth/logout',
    'POST /api/v1/auth/forgot-password', 'POST /api/v1/auth/reset-password', 'GET /api/v1/me',
    'POST /auth/signup', 'POST /auth/signin', 'POST /files/upload-url', 'GET /files/download-url', 'GET /files/list'];
  for (const route of expected) assert.ok(called.has(route), `the tests called ${route}`);
  // One error shape: what every error has, documented once.
  const error = doc.components.schemas.Error;
  assert.deepEqual(error.required, ['error', 'message', 'request_id']);
  assert.deepEqual(Object.keys(error.properties).sort(), ['error', 'field', 'message', 'request_id']);
});
