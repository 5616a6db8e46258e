// Password policy: every tenant's pages and API show and check the policy of
// that tenant's own Cognito pool (read with DescribeUserPool and kept with
// the tenant's record), not one rule written into gatehouse; new pools are
// made with at least 12 characters.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Browser, request, uniqueEmail, emailedCode, gatehouseCli, psql, cognitoLocal, fault, stackInfo,
  waitFor, HTTPS_PORT,
} from './helpers.mjs';

const run = Date.now().toString(36);
const SLUG = `pw-${run}`;
const BASE = `/t/${SLUG}`;
// The second tenant's pool, once changed: 14 characters, no symbol needed.
const POLICY = {
  MinimumLength: 14, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true,
  RequireSymbols: false, TemporaryPasswordValidityDays: 7,
};
const HELP = 'At least 14 characters, with an uppercase letter, a lowercase letter and a number.';
// What Cognito refused, unsaid which rule: the whole policy.
const REFUSAL = 'Choose a stronger password: at least 14 characters, with an uppercase letter, '
  + 'a lowercase letter and a number, and no space at either end.';
// What gatehouse refuses itself names the rule the password breaks.
const TOO_SHORT = 'Your password needs at least 14 characters.';
const TWELVE = 'Twelve-Char1';       // every class, 12 characters: too short here
const FOURTEEN = 'Fourteenchars1';   // 14 characters, no symbol: enough here
let pool, createdPolicy, createOutput;

function fieldHelp(body, field) {
  const m = body.match(new RegExp(`id="f-${field}-help"[^>]*>([^<]*)<`));
  return m ? m[1] : null;
}

function fieldError(body, field) {
  const m = body.match(new RegExp(`id="f-${field}-error"[^>]*>([^<]*)<`));
  return m ? m[1] : null;
}

async function calls(op) {
  const res = await fetch(stackInfo().COGNITO_DOUBLE_CONTROL);
  return (await res.json()).calls[op] ?? 0;
}

function registerApi(email, password) {
  return request('POST', '/api/v1/auth/register', {
    headers: { host: `localhost:${HTTPS_PORT}`, 'content-type': 'application/json', 'x-tenant-id': SLUG },
    body: JSON.stringify({ email, password, name: 'Policy Person', accept_terms: true }),
  });
}

async function signUp(b, email, password) {
  await b.get(`${BASE}/signup`);
  return b.post(`${BASE}/signup`, {
    email, name: 'Policy Person', password, confirm_password: password, tier: 'standard', terms: '1',
  });
}

before(async () => {
  const made = gatehouseCli(['tenant', 'create', '--slug', SLUG, '--name', 'Policy Corp',
    '--admin-email', `admin@${SLUG}.example`]);
  assert.equal(made.status, 0, made.stderr);
  createOutput = made.stdout;
  pool = psql(`SELECT user_pool_id FROM gatehouse.tenants WHERE slug = '${SLUG}'`)[0][0];
  const { UserPool } = await cognitoLocal('DescribeUserPool', { UserPoolId: pool });
  createdPolicy = UserPool.Policies.PasswordPolicy;
  // An operator changes the pool's policy in Cognito (cognito-local's
  // UpdateUserPool replaces every setting, so the others are sent again).
  await cognitoLocal('UpdateUserPool', {
    UserPoolId: pool, Policies: { PasswordPolicy: POLICY },
    AutoVerifiedAttributes: UserPool.AutoVerifiedAttributes,
    VerificationMessageTemplate: UserPool.VerificationMessageTemplate,
    AdminCreateUserConfig: UserPool.AdminCreateUserConfig,
  });
});

after(async () => {
  await fault({ reset: true });
  gatehouseCli(['tenant', 'delete', '--slug', SLUG, '--yes']);
});

test('a pool made by tenant create asks for at least 12 characters, and the tenant keeps that policy', () => {
  assert.ok(createdPolicy.MinimumLength >= 12, `MinimumLength ${createdPolicy.MinimumLength}`);
  assert.match(createOutput, /password policy: At least 12 characters/);
  assert.deepEqual(psql(`SELECT password_min_length, password_policy_pool FROM gatehouse.tenants WHERE slug = '${SLUG}'`),
    [[String(createdPolicy.MinimumLength), pool]]);
});

test("tenant refresh reads the pool's changed policy, and the sign-up page shows exactly its rules", async () => {
  const refreshed = gatehouseCli(['tenant', 'refresh', '--slug', SLUG]);
  assert.equal(refreshed.status, 0, refreshed.stderr);
  assert.match(refreshed.stdout, /At least 14 characters/);
  // Workers keep a tenant for 1 s on the test stack.
  let page;
  await waitFor(async () => {
    page = await request('GET', `${BASE}/signup`);
    return fieldHelp(page.body, 'password') === HELP;
  }, 5000, `the sign-up page to show "${HELP}"`);
  assert.doesNotMatch(fieldHelp(page.body, 'password'), /symbol|8 characters/);
  for (const path of ['/reset']) {
    const r = await request('GET', `${BASE}${path}`);
    assert.equal(fieldHelp(r.body, 'password'), HELP, `${path} shows the same rules`);
  }
});

test("a 12-character password is refused before Cognito with the tenant's rules, on the page and in the API", async () => {
  const before = await calls('SignUp');
  const email = uniqueEmail('pw-short');
  const r = await signUp(new Browser(), email, TWELVE);
  assert.equal(r.status, 400, r.body.slice(0, 300));
  assert.equal(fieldError(r.body, 'password'), TOO_SHORT);
  const a = await registerApi(email, TWELVE);
  assert.equal(a.status, 400, a.body);
  const body = JSON.parse(a.body);
  assert.equal(body.field, 'password');
  assert.equal(body.message, TOO_SHORT);
  assert.equal(await calls('SignUp'), before, 'Cognito never saw the password');
});

test('a 14-character password without a symbol is accepted, and the account works', async () => {
  const email = uniqueEmail('pw-long');
  const b = new Browser();
  let r = await signUp(b, email, FOURTEEN);
  assert.equal(r.status, 303, fieldError(r.body, 'password') || r.body.slice(0, 300));
  r = await b.post(`${BASE}/confirm`, { email, code: await emailedCode(email, undefined, pool) });
  assert.equal(r.status, 303);
  r = await b.post(`${BASE}/login`, { email, password: FOURTEEN });
  assert.equal(r.status, 303);
  r = await b.get(`${BASE}/account`);
  assert.equal(r.status, 200);
  assert.equal(fieldHelp(r.body, 'password'), HELP, 'the password change shows the same rules');
  const a = await registerApi(uniqueEmail('pw-long-api'), FOURTEEN);
  assert.equal(a.status, 201, a.body);
});

test("a password Cognito refuses anyway is told with the tenant's rules, never the old fixed ones", async () => {
  await fault({ op: 'SignUp', mode: 'type', type: 'InvalidPasswordException', count: 2 });
  try {
    const r = await signUp(new Browser(), uniqueEmail('pw-cognito'), FOURTEEN);
    assert.equal(r.status, 400);
    assert.equal(fieldError(r.body, 'password'), REFUSAL);
    const a = await registerApi(uniqueEmail('pw-cognito-api'), FOURTEEN);
    assert.equal(a.status, 400, a.body);
    assert.deepEqual([JSON.parse(a.body).error, JSON.parse(a.body).message], ['invalid_password', REFUSAL]);
  } finally {
    await fault({ reset: true });
  }
});

test('the new-password step of an admin-made user shows the tenant rules', async () => {
  const email = uniqueEmail('pw-invited');
  const temporary = 'Temp-Passw0rd-Long!';
  await cognitoLocal('AdminCreateUser', {
    UserPoolId: pool, Username: email, TemporaryPassword: temporary, MessageAction: 'SUPPRESS',
    UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' }],
  });
  const b = new Browser();
  await b.get(`${BASE}/login`);
  let r = await b.post(`${BASE}/login`, { email, password: temporary });
  assert.equal(r.status, 200);
  assert.equal(fieldHelp(r.body, 'password'), HELP);
  const challenge = r.body.match(/name="challenge" value="([^"]*)"/)[1];
  r = await b.post(`${BASE}/login/new-password`, { email, challenge, password: TWELVE, confirm_password: TWELVE });
  assert.equal(r.status, 400);
  assert.equal(fieldError(r.body, 'password'), TOO_SHORT);
});

test("a worker reads a tenant's policy itself when none is kept (the default tenant's own pool)", async () => {
  const info = stackInfo();
  const { UserPool } = await cognitoLocal('DescribeUserPool', { UserPoolId: info.COGNITO_USER_POOL_ID });
  const want = UserPool.Policies.PasswordPolicy.MinimumLength;
  psql(`UPDATE gatehouse.tenants SET password_min_length = NULL, password_require_upper = NULL,
        password_require_lower = NULL, password_require_digit = NULL, password_require_symbol = NULL,
        password_policy_pool = NULL, password_policy_read_at = NULL, password_policy_tried_at = NULL
        WHERE slug = 'default'`);
  // Workers may still hold the tenant as they cached it; within its TTL one
  // of them finds no policy kept, reads the pool's and keeps it.
  const kept = () => psql("SELECT password_min_length, password_policy_pool FROM gatehouse.tenants WHERE slug = 'default'");
  await waitFor(async () => {
    await request('GET', '/signup');
    return JSON.stringify(kept()) === JSON.stringify([[String(want), info.COGNITO_USER_POOL_ID]]);
  }, 5000, 'the pool\'s policy kept with the tenant for the other workers');
  const page = await request('GET', '/signup');
  assert.ok((fieldHelp(page.body, 'password') || '').startsWith(`At least ${want} characters`),
    `the default sign-up page states the pool's ${want} characters`);
});

test("Cognito's symbols are ASCII: a non-ASCII letter does not stand for a symbol where the pool asks for one", async () => {
  // The default tenant's pool asks for every class (the stack's bootstrap).
  const email = uniqueEmail('ascii');
  const r = await request('POST', '/api/v1/auth/register', {
    headers: { host: `localhost:${HTTPS_PORT}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'SturdyPassw0rdé', name: 'Ascii Person', accept_terms: true }),
  });
  assert.equal(r.status, 400, r.body);
  assert.equal(JSON.parse(r.body).field, 'password');
  assert.equal(psql(`SELECT count(*) FROM t_default.users WHERE email = '${email}'`)[0][0], '0');
});
