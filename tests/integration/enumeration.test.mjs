// Account enumeration: where a tenant hides its accounts (`hide`, the
// default), sign-up, confirm and verify-otp answer exactly alike for an
// unknown email, an unconfirmed account's and a confirmed one's; where it
// reveals them (`tenant set --enumeration reveal`), the older answers stay.
// Each tenant here is made by `tenant create`; H keeps the default setting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Browser, request, uniqueEmail, emailedCode, gatehouseCli, psql, fault, HTTPS_PORT, PASSWORD,
} from './helpers.mjs';

const run = Date.now().toString(36);
const HIDE = `eh-${run}`, REVEAL = `er-${run}`;
const pools = {};
const KINDS = ['unknown', 'unconfirmed', 'confirmed'];

function fieldError(body, field) {
  const m = body.match(new RegExp(`id="f-${field}-error"[^>]*>([^<]*)<`));
  return m ? m[1] : null;
}

function flashText(body) {
  return [...body.matchAll(/<div class="gh-alert-text">([^<]*)<\/div>/g)].map((m) => m[1]);
}

function api(slug, path, json) {
  return request('POST', path, {
    headers: { host: `localhost:${HTTPS_PORT}`, 'content-type': 'application/json', 'x-tenant-id': slug },
    body: JSON.stringify(json),
  }).then((r) => ({ status: r.status, json: JSON.parse(r.body) }));
}

// withoutRequestId drops what differs on every answer anyway.
function withoutRequestId(json) {
  const { request_id: _, ...rest } = json;
  return rest;
}

async function signUpPage(slug, email, password = PASSWORD) {
  const b = new Browser();
  await b.get(`/t/${slug}/signup`);
  const r = await b.post(`/t/${slug}/signup`, {
    email, name: 'Enum Person', password, confirm_password: password, tier: 'standard', terms: '1',
  });
  return { b, r };
}

// account makes an email of each kind at slug: none, signed up, confirmed.
async function account(slug, kind) {
  const email = uniqueEmail(`enum-${kind}`);
  if (kind === 'unknown') return { email };
  const { r } = await signUpPage(slug, email);
  assert.equal(r.status, 303, r.body.slice(0, 300));
  const code = await emailedCode(email, undefined, pools[slug]);
  if (kind === 'confirmed') {
    const v = await api(slug, '/api/v1/auth/verify-otp', { email, code });
    assert.equal(v.status, 200, JSON.stringify(v.json));
  }
  return { email, code };
}

async function accounts(slug) {
  const out = {};
  for (const kind of KINDS) out[kind] = await account(slug, kind);
  return out;
}

before(() => {
  for (const slug of [HIDE, REVEAL]) {
    const r = gatehouseCli(['tenant', 'create', '--slug', slug, '--name', `Enum ${slug}`, '--admin-email', `admin@${slug}.example`]);
    assert.equal(r.status, 0, r.stderr);
    pools[slug] = psql(`SELECT user_pool_id FROM gatehouse.tenants WHERE slug = '${slug}'`)[0][0];
  }
  const r = gatehouseCli(['tenant', 'set', '--slug', REVEAL, '--enumeration', 'reveal']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(psql(`SELECT slug, account_enumeration FROM gatehouse.tenants WHERE slug IN ('${HIDE}', '${REVEAL}') ORDER BY slug`),
    [[HIDE, 'hide'], [REVEAL, 'reveal']], 'a new tenant hides its accounts by default');
  assert.notEqual(gatehouseCli(['tenant', 'set', '--slug', HIDE, '--enumeration', 'sometimes']).status, 0);
});

after(async () => {
  await fault({ reset: true });
  for (const slug of [HIDE, REVEAL]) gatehouseCli(['tenant', 'delete', '--slug', slug, '--yes']);
});

test('hide: the sign-up page answers alike for unknown, unconfirmed and confirmed emails', async () => {
  const who = await accounts(HIDE);
  const seen = {};
  for (const kind of KINDS) {
    const { b, r } = await signUpPage(HIDE, who[kind].email, 'Another-Passw0rd!');
    const page = await b.follow(r);
    seen[kind] = {
      status: r.status,
      location: (r.headers.location ?? '').replace(encodeURIComponent(who[kind].email), 'EMAIL'),
      flash: flashText(page.body),
    };
  }
  assert.deepEqual(seen.unconfirmed, seen.unknown);
  assert.deepEqual(seen.confirmed, seen.unknown);
  assert.equal(seen.unknown.status, 303);
  assert.equal(seen.unknown.location, `/t/${HIDE}/confirm?email=EMAIL`);
  assert.match(seen.unknown.flash.join(' '), /If you already have an account, log in or reset your password/);

  // The unconfirmed owner really got a new code, and it works.
  const fresh = await emailedCode(who.unconfirmed.email, who.unconfirmed.code, pools[HIDE]);
  const v = await api(HIDE, '/api/v1/auth/verify-otp', { email: who.unconfirmed.email, code: fresh });
  assert.equal(v.status, 200, JSON.stringify(v.json));
  // Nothing of the confirmed account changed: its password is the old one.
  const b = new Browser();
  await b.get(`/t/${HIDE}/login`);
  assert.equal((await b.post(`/t/${HIDE}/login`, { email: who.confirmed.email, password: PASSWORD })).status, 303);
});

test('hide: the register API answers the same status and body for every email', async () => {
  const who = await accounts(HIDE);
  const seen = {};
  for (const kind of KINDS) {
    const r = await api(HIDE, '/api/v1/auth/register',
      { email: who[kind].email, password: 'Another-Passw0rd!', name: 'Enum Api', accept_terms: true });
    seen[kind] = { status: r.status, body: withoutRequestId(r.json) };
  }
  assert.deepEqual(seen.unknown, { status: 201, body: { message: 'code sent', user_sub: null } });
  assert.deepEqual(seen.unconfirmed, seen.unknown);
  assert.deepEqual(seen.confirmed, seen.unknown);
});

test('hide: a wrong code on /confirm and verify-otp reads alike for every email', async () => {
  const who = await accounts(HIDE);
  const wrong = who.unconfirmed.code === '000000' ? '111111' : '000000';
  const page = {}, json = {};
  for (const kind of KINDS) {
    const b = new Browser();
    await b.get(`/t/${HIDE}/confirm`);
    const r = await b.post(`/t/${HIDE}/confirm`, { email: who[kind].email, code: wrong });
    page[kind] = { status: r.status, error: fieldError(r.body, 'code'), flash: flashText(r.body) };
    const a = await api(HIDE, '/api/v1/auth/verify-otp', { email: who[kind].email, code: wrong });
    json[kind] = { status: a.status, body: withoutRequestId(a.json) };
  }
  assert.equal(page.unknown.status, 400);
  assert.ok(page.unknown.error, 'the code field says why');
  assert.deepEqual(page.unconfirmed, page.unknown);
  assert.deepEqual(page.confirmed, page.unknown);
  assert.equal(json.unknown.status, 400);
  assert.equal(json.unknown.body.error, 'code_mismatch');
  assert.deepEqual(json.unconfirmed, json.unknown);
  assert.deepEqual(json.confirmed, json.unknown);
  // The right code still works after the wrong ones.
  const v = await api(HIDE, '/api/v1/auth/verify-otp', { email: who.unconfirmed.email, code: who.unconfirmed.code });
  assert.equal(v.status, 200, JSON.stringify(v.json));
});

test('reveal: sign-up tells a taken email (409 "already exists"), on the page and in the API', async () => {
  const who = await accounts(REVEAL);
  for (const kind of ['unconfirmed', 'confirmed']) {
    const { r } = await signUpPage(REVEAL, who[kind].email);
    assert.equal(r.status, 409, kind);
    assert.match(fieldError(r.body, 'email') || '', /already exists/);
    const a = await api(REVEAL, '/api/v1/auth/register',
      { email: who[kind].email, password: PASSWORD, name: 'Enum Api', accept_terms: true });
    assert.deepEqual([a.status, a.json.error], [409, 'username_exists'], kind);
  }
  const { r } = await signUpPage(REVEAL, who.unknown.email);
  assert.equal(r.status, 303);
  const a = await api(REVEAL, '/api/v1/auth/register',
    { email: uniqueEmail('enum-reveal-new'), password: PASSWORD, name: 'Enum Api', accept_terms: true });
  assert.equal(a.status, 201);
  assert.match(a.json.user_sub, /^[0-9a-f-]{36}$/, 'the sub is told where accounts are revealed');
});

test('reveal: a wrong code tells a known unconfirmed email apart from an unknown one', async () => {
  const who = await accounts(REVEAL);
  const wrong = who.unconfirmed.code === '000000' ? '111111' : '000000';
  const errors = {};
  for (const kind of KINDS) {
    const b = new Browser();
    await b.get(`/t/${REVEAL}/confirm`);
    const r = await b.post(`/t/${REVEAL}/confirm`, { email: who[kind].email, code: wrong });
    const a = await api(REVEAL, '/api/v1/auth/verify-otp', { email: who[kind].email, code: wrong });
    errors[kind] = { page: fieldError(r.body, 'code'), api: a.json.message };
  }
  assert.match(errors.unconfirmed.page, /not correct/);
  assert.match(errors.unknown.page, /cannot be used/);
  assert.equal(errors.unconfirmed.api, errors.unconfirmed.page);
  assert.notEqual(errors.unknown.page, errors.unconfirmed.page);
});
