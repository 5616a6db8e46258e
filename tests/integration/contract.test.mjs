// The JSON API's contract (issue 13): what the served OpenAPI document says
// is what the API does.
//
// First one test per hole the issue lists (each failed before its fix),
// then the contract test itself: for every operation of the document
// served at /api/v1/openapi.json, fast-check generates requests from the
// operation's own schemas, valid ones and ones broken on purpose (a field
// missing, of the wrong type or too long, a body that is not one JSON
// object, malformed or naming a member twice, another content type, a
// tenant header that is wrong, no or a forged token, a body too large), and
// every answer must be no 5xx, of a status the operation documents, in a
// documented content type, with a body that matches the documented schema.
// The runs are seeded and counted (CONTRACT_RUNS per operation, sent one at
// a time), so the test is repeatable and bounded; nginx's 429 is a
// documented answer like any other.
//
// The schema validator is the small one below, for the subset of JSON
// Schema the document uses ($ref, type, const, enum, required, properties,
// items, minLength, maxLength, pattern, minimum, maximum, allOf, anyOf,
// oneOf; format is an annotation, as JSON Schema 2020-12 has it).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http2 from 'node:http2';
import path from 'node:path';
import fc from 'fast-check';
import {
  request, emailedCode, uniqueEmail, PASSWORD, stackEnv, sleep, HTTPS_PORT, ROOT, STACK,
} from './helpers.mjs';

const HOST = `localhost:${HTTPS_PORT}`;
const CONTRACT_SEED = 1313;
const CONTRACT_RUNS = Number(process.env.CONTRACT_RUNS || 50);
const BODY_MAX = 64 * 1024; // REQ_BODY_MAX and nginx's client_max_body_size
// One request at a time, at most one per CONTRACT_GAP_MS: well under the
// stacks' POST rate limit, so the runs test the API rather than the limit.
const CONTRACT_GAP_MS = 20;

let doc;

// ---- JSON Schema, the subset the document uses --------------------------------

function resolve(schema) {
  while (schema && schema.$ref) {
    schema = schema.$ref.replace(/^#\//, '').split('/').reduce((o, k) => o[k], doc);
  }
  return schema;
}

function typeOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (Number.isInteger(v)) return 'integer';
  return typeof v;
}

// problems lists why value does not match schema (empty: it does), each
// naming where in the value it is.
function problems(value, schema, at = '$') {
  schema = resolve(schema);
  if (!schema || schema === true) return [];
  const out = [];
  if ('const' in schema && JSON.stringify(value) !== JSON.stringify(schema.const)) out.push(`${at}: not ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) out.push(`${at}: not one of ${schema.enum}`);
  if (schema.type) {
    const t = typeOf(value);
    const ok = [].concat(schema.type).some((want) => want === t || (want === 'number' && t === 'integer'));
    if (!ok) return [...out, `${at}: ${t}, not ${schema.type}`];
  }
  if (typeof value === 'string') {
    const len = [...value].length; // code points, as JSON Schema counts
    if (schema.minLength !== undefined && len < schema.minLength) out.push(`${at}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && len > schema.maxLength) out.push(`${at}: longer than ${schema.maxLength}`);
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) out.push(`${at}: does not match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) out.push(`${at}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) out.push(`${at}: above ${schema.maximum}`);
  }
  if (typeOf(value) === 'object') {
    for (const r of schema.required || []) if (!(r in value)) out.push(`${at}: "${r}" is missing`);
    for (const [k, s] of Object.entries(schema.properties || {})) {
      if (k in value) out.push(...problems(value[k], s, `${at}.${k}`));
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => out.push(...problems(v, schema.items, `${at}[${i}]`)));
  for (const s of schema.allOf || []) out.push(...problems(value, s, at));
  if (schema.anyOf && !schema.anyOf.some((s) => problems(value, s, at).length === 0)) out.push(`${at}: matches none of anyOf`);
  if (schema.oneOf && schema.oneOf.filter((s) => problems(value, s, at).length === 0).length !== 1) {
    out.push(`${at}: does not match exactly one of oneOf`);
  }
  return out;
}

// ---- operations and the requests made from them -----------------------------

// operations lists every operation of the document: {method, path, op}.
function operations() {
  const ops = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) ops.push({ method: method.toUpperCase(), path: p, op });
  }
  return ops;
}

function takesTenant(op) {
  return (op.parameters || []).some((prm) => resolve(prm).name === 'X-Tenant-ID');
}

function bodySchema(op) {
  const body = op.requestBody && resolve(op.requestBody);
  return body && body.content['application/json'] && resolve(body.content['application/json'].schema);
}

function needsBearer(op) {
  return (op.security || []).some((s) => 'bearerAuth' in s);
}

// The strings fast-check makes: plain ones, any code point (lone surrogates
// too: JSON.stringify writes them as \u escapes), and a few that tend to
// find holes.
const TRICKY = ['', ' ', '\u0000', 'a\u0000b', '\u202e', '../../etc/passwd', '%00', '<script>', 'null', '{}',
  '\ud800', 'x'.repeat(300), 'ä'.repeat(200)];
function anyString({ minLength = 0, maxLength = 64 } = {}) {
  const max = Math.min(maxLength, 64);
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength, maxLength: Math.max(minLength, max) }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength, maxLength: Math.max(minLength, max) }) },
    { weight: 1, arbitrary: fc.constantFrom(...TRICKY) },
  );
}

// Values a real client sends, mixed into the generated ones so that valid
// requests get past the first checks often enough to reach Cognito and S3.
const REALISTIC = {
  name: ['Ada Lovelace', 'Zoë Ñúñez', '李小龍'],
  filename: ['report.pdf', 'photo 1.png', 'naïve résumé.txt'],
  content_type: ['image/png', 'application/pdf', 'text/plain; charset=utf-8'],
};

const email = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z0-9]{1,12}$/).map((local) => `contract-${local}-${Date.now().toString(36)}@example.com`) },
  { weight: 1, arbitrary: fc.emailAddress().filter((e) => e.length <= 254) },
);

// valueOf is an arbitrary of values that match schema (named: the
// property's name, for the few that need a realistic value to get past the
// first check).
function valueOf(schema, name) {
  schema = resolve(schema);
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = [].concat(schema.type)[0];
  switch (type) {
    case 'string':
      if (schema.format === 'email') return email;
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      if (REALISTIC[name]) return fc.oneof(fc.constantFrom(...REALISTIC[name]), anyString(schema).filter((v) => problems(v, schema).length === 0));
      if (name === 'password') {
        return fc.oneof(fc.constant(PASSWORD), anyString({ minLength: schema.minLength || 1, maxLength: schema.maxLength || 64 })
          .filter((s) => [...s].length >= (schema.minLength || 0)));
      }
      return anyString({ minLength: schema.minLength || 0, maxLength: schema.maxLength || 64 })
        .filter((s) => problems(s, schema).length === 0);
    case 'integer': {
      const bounds = [schema.minimum, schema.maximum].filter((v) => v !== undefined);
      const inner = fc.integer({ min: schema.minimum ?? -1000, max: Math.min(schema.maximum ?? 1e9, 2 ** 31 - 1) });
      return bounds.length ? fc.oneof(inner, fc.constantFrom(...bounds)) : inner;
    }
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(valueOf(schema.items || {}), { maxLength: 3 });
    case 'object': {
      const props = schema.properties || {};
      const record = {};
      for (const [k, s] of Object.entries(props)) record[k] = valueOf(s, k);
      return fc.record(record, { requiredKeys: schema.required || [] });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

// A value of another type than schema allows.
function wrongValueOf(schema) {
  return fc.constantFrom(null, 0, -1, 1.5, true, false, '', 'x', [], ['x'], {}, { a: 1 })
    .filter((v) => problems(v, schema).length > 0);
}

// bodies of an operation: [kind, {text, type}] pairs; text undefined: no body.
function validBody(schema) {
  return valueOf(schema).map((v) => ({ text: JSON.stringify(v), type: 'application/json', value: v }));
}

function brokenBody(schema) {
  const props = Object.keys(schema.properties || {});
  const required = schema.required || [];
  const json = (text) => ({ text, type: 'application/json' });
  const kinds = [
    fc.constantFrom('1', 'true', 'null', '1.5', '"x"', '[1]', '[]', '-0', '1e400').map(json),
    fc.constantFrom('', '{', '{"a":}', '{"a":1,}', "{'a':1}", '{"a":1}x', 'nul', '\u0000{}', '{"a":"\\x"}').map(json),
    fc.tuple(validBody(schema), fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml'))
      .map(([b, type]) => ({ ...b, type })),
    fc.constant({ text: 'x'.repeat(BODY_MAX + 1), type: 'application/json' }),
  ];
  if (props.length) {
    // A member named twice: its first value anything, the last a valid one.
    kinds.push(fc.tuple(validBody(schema), fc.constantFrom(...props), fc.jsonValue({ maxDepth: 1 })).map(([b, k, first]) => {
      const rest = JSON.stringify(b.value).slice(1);
      return json(`{${JSON.stringify(k)}:${JSON.stringify(first) ?? 'null'}${rest === '}' ? '' : ','}${rest}`);
    }));
    // A field of the wrong type (null included).
    kinds.push(fc.tuple(validBody(schema), fc.constantFrom(...props)).chain(([b, k]) => wrongValueOf(resolve(schema.properties[k]))
      .map((v) => json(JSON.stringify({ ...b.value, [k]: v })))));
  }
  if (required.length) {
    kinds.push(fc.tuple(validBody(schema), fc.constantFrom(...required)).map(([b, k]) => {
      const v = { ...b.value };
      delete v[k];
      return json(JSON.stringify(v));
    }));
  }
  const long = props.filter((k) => resolve(schema.properties[k]).maxLength !== undefined);
  if (long.length) {
    kinds.push(fc.tuple(validBody(schema), fc.constantFrom(...long), fc.integer({ min: 1, max: 40 })).map(([b, k, extra]) =>
      json(JSON.stringify({ ...b.value, [k]: 'a'.repeat(resolve(schema.properties[k]).maxLength + extra) }))));
  }
  return fc.oneof(...kinds);
}

// A tenant as the request names it: {prefix, host, header}; the broken ones
// are what the document says is refused.
const goodTenant = fc.constantFrom({ prefix: '', host: HOST }, { prefix: '', host: HOST, header: 'default' },
  { prefix: '/t/default', host: HOST }, { prefix: '', host: `default.${HOST}` });
const badTenant = fc.constantFrom(
  { prefix: '', host: HOST, header: 'no-such-tenant-13' },
  { prefix: '', host: HOST, header: 'BAD_SLUG' },
  { prefix: '', host: HOST, header: '../default' },
  { prefix: '/t/default', host: HOST, header: 'other-tenant' },
  { prefix: '/t/no-such-tenant-13', host: HOST },
  { prefix: '/t/Bad_Slug', host: HOST },
  { prefix: '/t/other-tenant', host: `default.${HOST}` },
);

const auth = { token: null, logoutToken: null };

// requestOf is an arbitrary of requests to one operation: valid ones, and
// ones broken in one way.
function requestOf({ method, path: p, op }) {
  const schema = bodySchema(op);
  const params = (op.parameters || []).map(resolve).filter((prm) => prm.in === 'query');
  const query = params.length
    ? fc.record(Object.fromEntries(params.map((prm) => [prm.name, valueOf(prm.schema)])),
      { requiredKeys: params.filter((prm) => prm.required).map((prm) => prm.name) })
    : fc.constant({});
  const badQuery = params.length
    ? fc.oneof(fc.constant({}), fc.record(Object.fromEntries(params.map((prm) => [prm.name, anyString({ maxLength: 2000 })]))))
    : fc.constant({});
  const token = p === '/api/v1/auth/logout' ? () => auth.logoutToken : () => auth.token;
  const goodAuth = needsBearer(op) ? fc.constant('token') : fc.constantFrom('none', 'token');
  const badAuth = fc.constantFrom('none', 'forged', 'basic', 'empty');
  const tenant = takesTenant(op) ? goodTenant : fc.constant({ prefix: '', host: HOST });
  const body = schema ? validBody(schema) : fc.constant({});
  const valid = fc.record({ tenant, query, auth: goodAuth, body }).map((r) => ({ ...r, kind: 'valid' }));
  const broken = [];
  if (schema) broken.push(fc.record({ tenant, query, auth: goodAuth, body: brokenBody(schema) }).map((r) => ({ ...r, kind: 'broken body' })));
  if (params.length) broken.push(fc.record({ tenant, query: badQuery, auth: goodAuth, body }).map((r) => ({ ...r, kind: 'broken query' })));
  if (takesTenant(op)) broken.push(fc.record({ tenant: badTenant, query, auth: goodAuth, body }).map((r) => ({ ...r, kind: 'broken tenant' })));
  if (needsBearer(op)) broken.push(fc.record({ tenant, query, auth: badAuth, body }).map((r) => ({ ...r, kind: 'broken auth' })));
  // Half the runs valid, the other half broken in one of the ways.
  const all = broken.length ? fc.oneof({ weight: broken.length, arbitrary: valid }, ...broken) : valid;
  return all.map((r) => {
    const headers = { host: r.tenant.host, accept: 'application/json' };
    if (r.tenant.header !== undefined) headers['x-tenant-id'] = r.tenant.header;
    const t = token();
    if (r.auth === 'token' && t) headers.authorization = `Bearer ${t}`;
    if (r.auth === 'forged') headers.authorization = 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.';
    if (r.auth === 'basic') headers.authorization = 'Basic eDp4';
    if (r.auth === 'empty') headers.authorization = 'Bearer ';
    if (r.body.type) headers['content-type'] = r.body.type;
    const qs = new URLSearchParams(r.query).toString();
    const req = { kind: r.kind, method, path: `${r.tenant.prefix}${p}${qs ? `?${qs}` : ''}`, headers, body: r.body.text };
    // How fast-check shows a failing request: the token left out.
    req[fc.toStringMethod] = () => {
      const { authorization, ...shown } = headers;
      return `${req.kind}: ${method} ${req.path} ${JSON.stringify(shown)}${authorization ? ' (with an Authorization header)' : ''} ` +
        `${JSON.stringify((req.body || '').slice(0, 300))}`;
    };
    return req;
  });
}

// contractProblems lists what in res the operation does not document.
function contractProblems(op, res) {
  if (res.status >= 500) return [`a ${res.status}: ${res.body.slice(0, 300)}`];
  const answer = resolve(op.responses[String(res.status)]);
  if (!answer) return [`status ${res.status} is not documented (${res.body.slice(0, 300)})`];
  if (!answer.content) return res.body ? [`status ${res.status} documents no body, got ${res.body.slice(0, 100)}`] : [];
  const type = (res.headers['content-type'] || '').split(';')[0].trim();
  const media = answer.content[type];
  if (!media) return [`content type "${type}" is not documented for ${res.status}`];
  let body;
  try { body = JSON.parse(res.body); } catch { return [`the ${type} body does not parse: ${res.body.slice(0, 200)}`]; }
  return problems(body, media.schema).map((p) => `${res.status} body ${p}: ${res.body.slice(0, 300)}`);
}

// ---- set-up: a premium user's bearer token for each operation --------------

async function api(method, p, json, headers = {}) {
  const res = await request(method, p, {
    headers: { host: HOST, accept: 'application/json', 'content-type': 'application/json', ...headers },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  res.json = /^application\/json/.test(res.headers['content-type'] || '') ? JSON.parse(res.body) : null;
  return res;
}

async function confirmedUser({ tier = 'standard', password = PASSWORD, tag = 'contract' } = {}) {
  const address = uniqueEmail(tag);
  let r = await api('POST', '/api/v1/auth/register', { email: address, password, name: 'Contract', tier, accept_terms: true });
  assert.equal(r.status, 201, r.body);
  r = await api('POST', '/api/v1/auth/verify-otp', { email: address, code: await emailedCode(address) });
  assert.equal(r.status, 200, r.body);
  return address;
}

async function tokenOf(address, password = PASSWORD) {
  const r = await api('POST', '/api/v1/auth/login', { email: address, password });
  assert.equal(r.status, 200, r.body);
  return r.json.access_token;
}

function assertErrorShape(res, status, code, what) {
  assert.equal(res.status, status, `${what}: ${res.body.slice(0, 300)}`);
  assert.match(res.headers['content-type'] || '', /^application\/json/, `${what}: JSON, not a page`);
  const body = JSON.parse(res.body);
  if (code) assert.equal(body.error, code, `${what}: ${res.body}`);
  assert.deepEqual(problems(body, doc.components.schemas.Error), [], `${what}: the one error shape`);
  return body;
}

before(async () => {
  const r = await request('GET', '/api/v1/openapi.json', { headers: { host: HOST } });
  assert.equal(r.status, 200);
  doc = JSON.parse(r.body);
});

// ---- the holes of issue 13, one test each --------------------------------------

test('JSON routes outside /api/ refuse a bad request in the one error shape, not a page', async () => {
  const routes = [['POST', '/auth/signup'], ['POST', '/auth/signin'], ['POST', '/files/upload-url'], ['POST', '/auth/tenants']];
  for (const [method, p] of routes) {
    for (const prefix of ['', '/t/default']) {
      // No Accept header: the route alone decides.
      const h = { host: HOST };
      let r = await request(method, `${prefix}${p}`, { headers: { ...h, 'content-type': 'text/plain' }, body: 'hello' });
      assertErrorShape(r, 415, 'unsupported_media_type', `${method} ${prefix}${p} text/plain`);
      r = await request(method, `${prefix}${p}`, { headers: { ...h, 'content-type': 'application/json' }, body: '{"email":' });
      assertErrorShape(r, 400, 'bad_request', `${method} ${prefix}${p} malformed JSON`);
      r = await request(method, `${prefix}${p}`, { headers: { ...h, 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=%zz' });
      assertErrorShape(r, 400, 'bad_request', `${method} ${prefix}${p} malformed form`);
    }
    const r = await request('GET', p, { headers: { host: HOST } });
    assertErrorShape(r, 405, 'method_not_allowed', `GET ${p}`);
    assert.match(r.headers.allow, /POST/);
  }
  // A page route keeps its page.
  const page = await request('POST', '/login', { headers: { host: HOST, 'content-type': 'text/plain' }, body: 'x' });
  assert.equal(page.status, 415);
  assert.match(page.headers['content-type'], /^text\/html/);
});

test('every JSON value that is not an object is invalid_body', async () => {
  for (const p of ['/api/v1/auth/login', '/auth/signin', '/api/v1/auth/register']) {
    for (const text of ['1', 'true', 'false', 'null', '1.5', '-0', '1e5', '"x"', '[1]', '[]', ' 7 ', '\n null\n']) {
      const r = await request('POST', p, { headers: { host: HOST, 'content-type': 'application/json' }, body: text });
      const body = assertErrorShape(r, 400, 'invalid_body', `${p} ${JSON.stringify(text)}`);
      assert.equal(body.field, null);
    }
    // What is not JSON at all stays malformed.
    for (const text of ['', 'nul', 'tru', '1 2', '{"a":1}x', '-']) {
      const r = await request('POST', p, { headers: { host: HOST, 'content-type': 'application/json' }, body: text });
      assertErrorShape(r, 400, 'bad_request', `${p} ${JSON.stringify(text)}`);
    }
  }
});

test('a body naming a member twice is refused, wherever it is nested', async () => {
  // The password holds the characters a member count could trip on.
  const password = 'Colon:"Quote\\Brace{1}-Passw0rd!';
  const address = await confirmedUser({ password, tag: 'dupkeys' });
  const ok = JSON.stringify({ email: address, password });
  const right = await request('POST', '/api/v1/auth/login', { headers: { host: HOST, 'content-type': 'application/json' }, body: ok });
  assert.equal(right.status, 200, `the right password signs in: ${right.body}`);
  const bodies = [
    `{"email":${JSON.stringify(address)},"password":"nope","password":${JSON.stringify(password)}}`,
    `{"password":"nope","email":${JSON.stringify(address)},"pass\\u0077ord":${JSON.stringify(password)}}`,
    `{"email":"someone@example.com","email":${JSON.stringify(address)},"password":${JSON.stringify(password)}}`,
    `{"email":${JSON.stringify(address)},"password":${JSON.stringify(password)},"x":{"a":1,"a":2}}`,
    `{"email":${JSON.stringify(address)},"password":${JSON.stringify(password)},"x":[{"b":[{"c":1,"c":1}]}]}`,
  ];
  for (const p of ['/api/v1/auth/login', '/auth/signin']) {
    for (const body of bodies) {
      const r = await request('POST', p, { headers: { host: HOST, 'content-type': 'application/json' }, body });
      assertErrorShape(r, 400, 'bad_request', `${p} ${body}`);
      assert.match(JSON.parse(r.body).message, /twice/);
    }
  }
  // Members with the same name in different objects are no duplicates.
  const nested = `{"email":${JSON.stringify(address)},"password":${JSON.stringify(password)},"x":{"email":1,"password":{"email":2}}}`;
  const r = await request('POST', '/api/v1/auth/login', { headers: { host: HOST, 'content-type': 'application/json' }, body: nested });
  assert.equal(r.status, 200, r.body);
});

test('null for an optional string is invalid_type, as the document has no null there', async () => {
  const cases = [
    ['/api/v1/auth/register', { email: uniqueEmail('nulltier'), password: PASSWORD, name: 'Null', accept_terms: true, tier: null }, 'tier'],
    ['/auth/signup', { email: uniqueEmail('nulltier'), password: PASSWORD, name: 'Null', accept_terms: true, tier: null }, 'tier'],
    ['/api/v1/auth/request-otp', { email: uniqueEmail('nullpurpose'), purpose: null }, 'purpose'],
    ['/api/v1/auth/verify-otp', { email: uniqueEmail('nullpurpose'), code: '123456', purpose: null }, 'purpose'],
    ['/api/v1/auth/refresh', { refresh_token: 'x', username: null }, 'username'],
  ];
  for (const [p, json, field] of cases) {
    const r = await api('POST', p, json);
    const body = assertErrorShape(r, 400, 'invalid_type', `${p} ${field}: null`);
    assert.equal(body.field, field);
    const schema = resolve(bodySchema(doc.paths[p].post).properties[field]);
    assert.ok(problems(null, schema).length > 0, `${p} ${field}: the document does not allow null either`);
  }
  // A required field sent as null is missing, as before.
  const r = await api('POST', '/api/v1/auth/login', { email: null, password: 'x' });
  assert.equal(assertErrorShape(r, 400, 'missing_field', 'email: null').field, 'email');
});

test('unknown, malformed and disagreeing tenants are told apart, in JSON, as documented', async () => {
  const me = (p, headers) => request('GET', p, { headers: { host: HOST, ...headers } });
  assertErrorShape(await me('/api/v1/me', { 'x-tenant-id': 'no-such-tenant-13' }), 404, 'tenant_not_found', 'unknown X-Tenant-ID');
  assertErrorShape(await me('/api/v1/me', { 'x-tenant-id': 'BAD_slug' }), 400, 'invalid_tenant', 'malformed X-Tenant-ID');
  assertErrorShape(await me('/api/v1/me', { 'x-tenant-id': '../x' }), 400, 'invalid_tenant', 'X-Tenant-ID ../x');
  assertErrorShape(await me('/t/no-such-tenant-13/api/v1/me'), 404, 'tenant_not_found', 'unknown /t/ prefix');
  assertErrorShape(await me('/t/Bad_Slug/auth/signin'), 404, 'tenant_not_found', 'malformed /t/ prefix on a JSON route');
  assertErrorShape(await me('/api/v1/me', { host: `no-such-tenant-13.${HOST}` }), 404, 'tenant_not_found', 'unknown host');
  assertErrorShape(await me('/t/default/api/v1/me', { 'x-tenant-id': 'other-tenant' }), 400, 'tenant_mismatch', 'path and header');
  assertErrorShape(await me('/api/v1/me', { host: `default.${HOST}`, 'x-tenant-id': 'other-tenant' }), 400, 'tenant_mismatch', 'host and header');
  assertErrorShape(await me('/t/other-tenant/api/v1/me', { host: `default.${HOST}` }), 400, 'tenant_mismatch', 'host and path');
  const post = await request('POST', '/t/other-tenant/auth/signin', {
    headers: { host: `default.${HOST}`, 'content-type': 'application/json' }, body: '{}',
  });
  assertErrorShape(post, 400, 'tenant_mismatch', 'host and path, POST');
  // Names that agree are one tenant.
  for (const headers of [{ 'x-tenant-id': 'default' }, { host: `default.${HOST}`, 'x-tenant-id': 'default' }]) {
    assertErrorShape(await me('/t/default/api/v1/me', headers), 401, 'unauthorized', JSON.stringify(headers));
  }
  // A page keeps its 404 page for an unknown tenant.
  const page = await request('GET', '/t/no-such-tenant-13/login', { headers: { host: HOST } });
  assert.equal(page.status, 404);
  assert.match(page.headers['content-type'], /^text\/html/);
  // All documented: every operation that takes a tenant documents the 400 and the 404.
  const bad = doc.components.responses.BadRequest.description;
  assert.match(bad, /`invalid_tenant`/);
  assert.match(bad, /`tenant_mismatch`/);
  for (const { method, path: p, op } of operations().filter((o) => takesTenant(o.op))) {
    assert.ok(op.responses['400'], `${method} ${p} documents 400`);
    const notFound = resolve(op.responses['404']);
    assert.ok(notFound, `${method} ${p} documents 404`);
    assert.match(notFound.description, /`tenant_not_found`/, `${method} ${p}`);
  }
});

test('nginx\'s own 413 and 429 on the API carry CORS, Retry-After and no-store', async () => {
  const origin = (stackEnv().CORS_ORIGINS || '').split(',')[0].trim() || 'https://app.example.org';
  const check = (r, status, what) => {
    assertErrorShape(r, status, null, what);
    assert.ok(r.headers['access-control-allow-origin'], `${what}: a browser app may read it`);
    assert.match(r.headers['access-control-expose-headers'] || '', /Retry-After/, `${what}: and its Retry-After`);
    assert.equal(r.headers['cache-control'], 'no-store', `${what}: no-store`);
    assert.ok(r.headers['content-security-policy'], `${what}: the security headers stay on`);
  };
  const big = await request('POST', '/api/v1/auth/login', {
    headers: { host: HOST, origin, 'content-type': 'application/json' }, body: 'x'.repeat(BODY_MAX + 1024),
  });
  check(big, 413, 'nginx 413');
  assert.equal(JSON.parse(big.body).error, 'payload_too_large');
  // Under a /t/ prefix that names no tenant too: the API's shape, not a page.
  const prefixed = await request('POST', '/t/Bad_Slug/files/upload-url', {
    headers: { host: HOST, origin, 'content-type': 'application/json' }, body: 'x'.repeat(BODY_MAX + 1024),
  });
  check(prefixed, 413, 'nginx 413 under /t/Bad_Slug/');
  const burst = await Promise.all(Array.from({ length: 450 }, () => request('POST', '/api/v1/auth/login', {
    headers: { host: HOST, origin, 'content-type': 'application/json' }, body: '{}',
  })));
  const limited = burst.filter((r) => r.status === 429);
  assert.ok(limited.length > 0, 'a burst beyond the limit is refused');
  check(limited[0], 429, 'nginx 429');
  assert.equal(JSON.parse(limited[0].body).error, 'too_many_requests');
  assert.ok(Number(limited[0].headers['retry-after']) >= 1);
  // The app's own answers keep the app's CORS: no second header from nginx.
  const own = burst.find((r) => r.status === 400);
  assert.ok(own, 'some of the burst reached the app');
  assert.equal(own.headers['access-control-allow-origin'], origin);
  assert.equal(own.headers['access-control-expose-headers'], 'Retry-After, WWW-Authenticate, X-Request-Id');
  await sleep(3000); // let the bucket drain for the tests that follow
});

// h2post sends one POST over HTTP/2 with its Content-Length, as a browser
// sends a form, and resolves with {status, headers, body}.
function h2post(p, body, contentType) {
  return new Promise((resolve, reject) => {
    const client = http2.connect(`https://127.0.0.1:${HTTPS_PORT}`, {
      ca: fs.readFileSync(path.join(STACK, 'tls/cert.pem')), servername: 'localhost', checkServerIdentity: () => undefined,
    });
    client.on('error', reject);
    const req = client.request({
      ':method': 'POST', ':path': p, ':authority': HOST, 'content-type': contentType, 'content-length': Buffer.byteLength(body),
    });
    let status;
    let headers;
    const parts = [];
    req.on('response', (h) => { status = h[':status']; headers = h; });
    req.on('data', (d) => parts.push(d));
    req.on('end', () => { client.close(); resolve({ status, headers, body: Buffer.concat(parts).toString() }); });
    req.on('error', (e) => { client.close(); reject(e); });
    req.end(body);
  });
}

test('a 200,000-byte POST over HTTP/2 gets the styled 413 page, and JSON on the API', async () => {
  const body = 'x'.repeat(200000);
  const page = await h2post('/login', body, 'application/x-www-form-urlencoded');
  assert.equal(page.status, 413);
  assert.equal(page.body, fs.readFileSync(path.join(ROOT, 'static/errors/413.html'), 'utf8'), 'the styled page, not nginx\'s bare one');
  const json = await h2post('/api/v1/auth/login', body, 'application/json');
  assert.equal(json.status, 413);
  assert.equal(JSON.parse(json.body).error, 'payload_too_large');
});

test('the document is relative, names no seed, says what it refuses and under which licence', () => {
  assert.deepEqual(doc.servers.map((s) => s.url), ['/'], 'servers: relative, not the dev stack');
  assert.ok(doc.info.license && doc.info.license.name, 'info.license');
  assert.doesNotMatch(JSON.stringify(doc), /seed-\d+/i, 'no seed names');
  // Every required string refuses the empty string, as the API does.
  const strings = [];
  for (const [name, s] of Object.entries(doc.components.schemas)) {
    for (const r of s.required || []) {
      const prop = s.properties && resolve(s.properties[r]);
      if (prop && [].concat(prop.type).includes('string') && name.endsWith('Request')) strings.push([name, r, prop]);
    }
  }
  assert.ok(strings.length >= 10);
  for (const [name, r, prop] of strings) assert.ok(prop.minLength >= 1, `${name}.${r} has minLength`);
  for (const { op } of operations()) {
    for (const prm of (op.parameters || []).map(resolve)) {
      if (prm.required && prm.schema.type === 'string') assert.ok(prm.schema.minLength >= 1, `parameter ${prm.name}`);
    }
  }
  // tier_required carries the request id like every error, and a body of
  // it matches the documented 403 of the files operations.
  const tierError = { error: 'tier_required', message: 'm', field: null, request_id: 'r', required_tier: 'premium' };
  for (const p of ['/files/upload-url', '/files/download-url', '/files/list']) {
    const op = doc.paths[p].post || doc.paths[p].get;
    const schema = resolve(op.responses['403']).content['application/json'].schema;
    assert.deepEqual(problems(tierError, schema), [], p);
    const { request_id: _, ...without } = tierError;
    assert.notDeepEqual(problems(without, schema), [], `${p}: a tier_required without request_id is not documented`);
  }
});

// ---- the contract ----------------------------------------------------------------

test('contract: every operation of the served document answers as documented, for valid and broken requests', async (t) => {
  const seen = new Map(); // "METHOD path" → statuses answered
  let lastSent = 0;
  for (const operation of operations()) {
    const name = `${operation.method} ${operation.path}`;
    // Each operation gets a premium user of its own: a valid request may
    // end its sessions, turn things off or delete the account.
    auth.token = await tokenOf(await confirmedUser({ tier: 'premium', tag: 'contractp' }));
    auth.logoutToken = auth.token;
    seen.set(name, new Set());
    await fc.assert(fc.asyncProperty(requestOf(operation), async (req) => {
      await sleep(Math.max(0, lastSent + CONTRACT_GAP_MS - Date.now()));
      lastSent = Date.now();
      const res = await request(req.method, req.path, { headers: req.headers, body: req.body });
      seen.get(name).add(`${res.status} ${req.kind}`);
      const found = contractProblems(operation.op, res);
      if (found.length) throw new Error(found.join('; '));
    }), { seed: CONTRACT_SEED, numRuns: CONTRACT_RUNS, endOnFailure: true, includeErrorInReport: true });
  }
  // The runs reached past the first checks: the operations a client needs
  // no secret for answered a success, and every one that can be refused
  // answered a refusal.
  const succeeds = ['POST /api/v1/auth/register', 'POST /auth/signup', 'POST /api/v1/auth/request-otp',
    'POST /api/v1/auth/forgot-password', 'GET /api/v1/me', 'GET /api/v1/openapi.json', 'POST /files/upload-url',
    'GET /files/list', 'POST /api/v1/auth/logout'];
  for (const [name, statuses] of seen) {
    const list = [...statuses].sort();
    t.diagnostic(`${name}: ${list.join(', ')}`);
    if (succeeds.includes(name)) assert.ok(list.some((s) => /^2\d\d valid$/.test(s)), `${name} answered a success (${list})`);
    if (name !== 'GET /api/v1/openapi.json') assert.ok(list.some((s) => /^4/.test(s)), `${name} answered a refusal (${list})`);
  }
});
