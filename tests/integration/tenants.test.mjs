// Many tenants: each with its own Cognito pool (provisioned in cognito-local
// through the platform API), its own schema, and reached by host
// (<slug>.localhost) or by the /t/<slug>/ prefix. Nothing of one tenant may
// work at another.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import {
  Browser, request, emailedCode, uniqueEmail, PASSWORD, psql, cognitoLocal, fault, stackInfo,
  BIN, HTTPS_PORT, waitFor, adminSession, gatehouseCli,
} from './helpers.mjs';

const run = Date.now().toString(36);
const A = `ta-${run}`, B = `tb-${run}`;
const pools = {};

function platform(body, token = stackInfo().PLATFORM_ADMIN_TOKEN) {
  const headers = { 'content-type': 'application/json', host: `localhost:${HTTPS_PORT}` };
  if (token) headers.authorization = `Bearer ${token}`;
  return request('POST', '/auth/tenants', { headers, body: JSON.stringify(body) });
}

function psqlAdmin(sql) {
  const url = stackInfo().DATABASE_URL.replace('gatehouse@', 'postgres@');
  return execFileSync('psql', [url, '-At', '-c', sql], { encoding: 'utf8' }).trim();
}

function gatehouse(args) {
  return execFileSync(BIN, [...args, '--env-file', stackInfo().GATEHOUSE_ENV_FILE],
    { encoding: 'utf8', stdio: 'pipe', env: { PATH: process.env.PATH } });
}

before(async () => {
  for (const [slug, name] of [[A, 'Tenant Alpha'], [B, 'Tenant Beta']]) {
    const r = await platform({ slug, name, admin_email: `admin@${slug}.example`, with_secret: slug === B });
    assert.equal(r.status, 201, r.body);
    const body = JSON.parse(r.body);
    pools[slug] = body.userPoolId;
  }
});

after(async () => {
  await fault({ reset: true });
  for (const slug of [A, B]) { try { gatehouse(['tenant', 'delete', '--slug', slug, '--yes']); } catch { /* reported by its test */ } }
});

// visit gives a browser for a tenant by one of the two routing forms.
function visit(slug, form) {
  return form === 'host' ? { b: new Browser({ host: `${slug}.localhost:${HTTPS_PORT}` }), base: '' }
    : { b: new Browser(), base: `/t/${slug}` };
}

async function signUpAt(slug, form, email) {
  const { b, base } = visit(slug, form);
  let r = await b.get(`${base}/signup`);
  assert.equal(r.status, 200);
  r = await b.post(`${base}/signup`, { email, name: `Person of ${slug}`, password: PASSWORD, confirm_password: PASSWORD, tier: 'standard', terms: '1' });
  assert.equal(r.status, 303, r.body.slice(0, 400));
  assert.equal(r.headers.location, `${base}/confirm?email=${encodeURIComponent(email)}`, 'the redirect keeps the tenant');
  r = await b.post(`${base}/confirm`, { email, code: await emailedCode(email, undefined, pools[slug]) });
  assert.equal(r.status, 303);
  r = await b.post(`${base}/login`, { email, password: PASSWORD });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, `${base}/account`);
  return { b, base };
}

test('the tenant API answers public fields only, and 404 for an unknown tenant', async () => {
  for (const url of [`/api/getTenant?tenant=${B}`, `/api/v1/tenants/${B}`]) {
    const r = await request('GET', url);
    assert.equal(r.status, 200);
    const body = JSON.parse(r.body);
    assert.deepEqual(Object.keys(body).sort(), ['clientId', 'name', 'region', 'tenant', 'userPoolId']);
    assert.equal(body.userPoolId, pools[B]);
    assert.doesNotMatch(r.body, /secret/i);
  }
  assert.equal((await request('GET', '/api/v1/tenants/no-such-tenant')).status, 404);
  assert.equal((await request('GET', '/api/getTenant?tenant=..%2Fetc')).status, 404);
  const stored = psql(`SELECT client_secret_enc IS NOT NULL, position('${'x'}' in '') FROM gatehouse.tenants WHERE slug = '${B}'`);
  assert.equal(stored[0][0], 't', 'the secret is kept, sealed');
});

test('creating a tenant needs the platform token, and checks the slug', async () => {
  let r = await platform({ slug: 'tz-nope', name: 'X', admin_email: 'a@x.example' }, null);
  assert.equal(r.status, 401);
  r = await platform({ slug: 'tz-nope', name: 'X', admin_email: 'a@x.example' }, 'wrong-token');
  assert.equal(r.status, 401);
  for (const slug of ['admin', 'default', 'ab', 'Upper', 'has_underscore', '-dash', 'x'.repeat(41)]) {
    r = await platform({ slug, name: 'X', admin_email: 'a@x.example' });
    assert.equal(r.status, 400, `refused slug ${slug}`);
    assert.equal(JSON.parse(r.body).field, 'slug');
  }
  r = await platform({ slug: A, name: 'Again', admin_email: 'a@x.example' });
  assert.equal(r.status, 409);
  r = await platform({ slug: 123, name: 'X', admin_email: 'a@x.example' });
  assert.equal(r.status, 400);
});

for (const form of ['path', 'host']) {
  test(`sign-up, confirm and login at two tenants by ${form}, with the same email`, async () => {
    const email = uniqueEmail(`both-${form}`);
    const a = await signUpAt(A, form, email);
    const bb = await signUpAt(B, form, email);
    for (const [slug, t] of [[A, a], [B, bb]]) {
      const r = await t.b.get(`${t.base}/account`);
      assert.equal(r.status, 200);
      assert.match(r.body, slug === A ? /Tenant Alpha/ : /Tenant Beta/);
      assert.match(r.body, new RegExp(`href="${t.base}/account"`), 'links keep the tenant');
    }
    const schema = (slug) => psql(`SELECT count(*) FROM "t_${slug}".users WHERE email = '${email}'`)[0][0];
    assert.equal(schema(A), '1');
    assert.equal(schema(B), '1');
    assert.equal(psql(`SELECT count(*) FROM t_default.users WHERE email = '${email}'`)[0][0], '0');
    const user = await cognitoLocal('AdminGetUser', { UserPoolId: pools[A], Username: email });
    assert.equal(user.UserAttributes.find((x) => x.Name === 'custom:tenant_id').Value, A);
  });
}

test("a session of tenant A does not work at tenant B, nor at the default tenant", async () => {
  const email = uniqueEmail('cross');
  const { b } = await signUpAt(A, 'path', email);
  const cookie = b.cookie(`__Host-gh_session-${A}`);
  assert.ok(cookie, "tenant A's session cookie has its own name");
  const thief = new Browser();
  thief.jar.set(`__Host-gh_session-${B}`, { value: cookie.value });
  thief.jar.set('__Host-gh_session', { value: cookie.value });
  let r = await thief.get(`/t/${B}/account`);
  assert.equal(r.status, 303);
  assert.match(r.headers.location, new RegExp(`^/t/${B}/login`));
  r = await thief.get('/account');
  assert.equal(r.status, 303);
  const hostThief = new Browser({ host: `${B}.localhost:${HTTPS_PORT}` });
  hostThief.jar.set(`__Host-gh_session-${B}`, { value: cookie.value });
  r = await hostThief.get('/account');
  assert.equal(r.status, 303);
  r = await b.get(`/t/${A}/account`);
  assert.equal(r.status, 200, 'while it still works at A');
});

test('an unknown or malformed tenant is a 404 page', async () => {
  let r = await request('GET', '/t/no-such-tenant/login');
  assert.equal(r.status, 404);
  assert.match(r.body, /<nav\b/);
  r = await request('GET', '/t/BAD_slug/login');
  assert.equal(r.status, 404);
  r = await request('GET', '/login', { headers: { host: `nobody-here.localhost:${HTTPS_PORT}` } });
  assert.equal(r.status, 404);
  r = await request('GET', '/api/v1/tenants/x', { headers: { 'x-tenant-id': 'no-such-tenant' } });
  assert.equal(r.status, 404);
});

test('provisioning that fails half-way is completed by running it again', async () => {
  const slug = `tc-${run}`;
  await fault({ op: 'CreateUserPoolClient', mode: 'error5xx' });
  let r = await platform({ slug, name: 'Half Way', admin_email: `admin@${slug}.example` });
  assert.equal(r.status, 503);
  assert.equal(JSON.parse(r.body).error, 'provisioning_incomplete');
  assert.deepEqual(psql(`SELECT status, provision_step FROM gatehouse.tenants WHERE slug = '${slug}'`), [['provisioning', 'pool']]);
  await fault({ reset: true });

  psqlAdmin('REVOKE CREATE ON DATABASE gatehouse FROM gatehouse');
  try {
    r = await platform({ slug, name: 'Half Way', admin_email: `admin@${slug}.example` });
    assert.equal(r.status, 503, 'the database refused the schema');
  } finally {
    psqlAdmin('GRANT CREATE ON DATABASE gatehouse TO gatehouse');
  }
  assert.equal(psql(`SELECT provision_step FROM gatehouse.tenants WHERE slug = '${slug}'`)[0][0], 'admin');

  r = await platform({ slug, name: 'Half Way', admin_email: `admin@${slug}.example` });
  assert.equal(r.status, 201, r.body);
  const pool = JSON.parse(r.body).userPoolId;
  const { UserPools } = await cognitoLocal('ListUserPools', { MaxResults: 60 });
  assert.equal(UserPools.filter((p) => p.Name === `gatehouse-${slug}`).length, 1, 'no second pool was made');
  assert.equal((await request('GET', `/t/${slug}/login`)).status, 200);

  const out = gatehouse(['tenant', 'delete', '--slug', slug, '--yes']);
  assert.match(out, /deleted/);
  assert.equal(psql(`SELECT count(*) FROM gatehouse.tenants WHERE slug = '${slug}'`)[0][0], '0');
  assert.equal(psql(`SELECT count(*) FROM pg_namespace WHERE nspname = 't_${slug}'`)[0][0], '0');
  await assert.rejects(cognitoLocal('DescribeUserPool', { UserPoolId: pool }), /ResourceNotFound/);
  // Workers forget it when their tenant cache entry ends (1 s on the test stack).
  await waitFor(async () => (await request('GET', `/t/${slug}/login`)).status === 404, 5000, 'the deleted tenant is gone');
});

test('a deleted tenant can be made again with its slug, tables and all', async () => {
  const slug = `tr-${run}`;
  let r = await platform({ slug, name: 'Again', admin_email: `admin@${slug}.example` });
  assert.equal(r.status, 201, r.body);
  assert.match(gatehouse(['tenant', 'delete', '--slug', slug, '--yes']), /deleted/);
  assert.equal(psql(`SELECT count(*) FROM gatehouse.schema_migrations WHERE scope = 'tenant:${slug}'`)[0][0], '0',
    'the record of its migrations went with the schema');
  r = await platform({ slug, name: 'Again', admin_email: `admin@${slug}.example` });
  assert.equal(r.status, 201, r.body);
  pools[slug] = JSON.parse(r.body).userPoolId;
  assert.equal(psql(`SELECT count(*) FROM pg_tables WHERE schemaname = 't_${slug}' AND tablename = 'users'`)[0][0], '1');
  try {
    // A person signs up there, and the API knows them.
    const email = uniqueEmail('again');
    await waitFor(async () => (await request('GET', `/t/${slug}/signup`)).status === 200, 5000, 'the tenant is served');
    await signUpAt(slug, 'path', email);
    assert.equal(psql(`SELECT status FROM "t_${slug}".users WHERE email = '${email}'`)[0][0], 'CONFIRMED');
  } finally {
    gatehouse(['tenant', 'delete', '--slug', slug, '--yes']);
  }
});

test('tenant create can hand over the first admin where Cognito sends no email', async () => {
  const slug = `tm-${run}`;
  const adminEmail = `admin@${slug}.example`;
  let out;
  try {
    // A step after the admin was made fails: the password is shown all the
    // same, since a re-run keeps the admin as they are.
    await fault({ op: 'AdminAddUserToGroup', mode: 'type', type: 'InvalidParameterException', count: 1 });
    const made = gatehouseCli(['tenant', 'create', '--slug', slug, '--name', 'No Mail', '--admin-email', adminEmail,
      '--admin-no-email']);
    await fault({ reset: true });
    assert.equal(made.status, 1, made.stderr);
    out = made.stdout;
    const password = (out.match(/temporary password \(shown once\): (\S+)/) || [])[1];
    assert.ok(password, out);
    const again = gatehouseCli(['tenant', 'create', '--slug', slug, '--name', 'No Mail', '--admin-email', adminEmail,
      '--admin-no-email']);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /no email sent/);
    assert.doesNotMatch(again.stdout, /shown once/);
    assert.match(again.stdout, /password is unchanged/);
    // The admin signs in with it, chooses a password, and reaches the panel.
    const b = new Browser();
    await waitFor(async () => (await b.get(`/t/${slug}/login`)).status === 200, 5000, 'the tenant is served');
    let r = await b.post(`/t/${slug}/login`, { email: adminEmail, password });
    const challenge = (r.body.match(/name="challenge" value="([^"]*)"/) || [])[1];
    assert.ok(challenge, `a new-password step: ${r.status}`);
    r = await b.post(`/t/${slug}/login/new-password`, { email: adminEmail, challenge, password: PASSWORD, confirm_password: PASSWORD });
    assert.equal(r.status, 303, r.body.slice(0, 300));
    assert.equal((await b.get(`/t/${slug}/admin`)).status, 200);
    // A password of one's own works the same way; both at once is a usage error.
    assert.equal(gatehouseCli(['tenant', 'create', '--slug', `${slug}x`, '--name', 'X', '--admin-email', adminEmail,
      '--admin-no-email', '--admin-temp-password', 'Given-Passw0rd-123!']).status, 2);
  } finally {
    gatehouseCli(['tenant', 'delete', '--slug', slug, '--yes']);
  }
});

test('the tenant commands list tenants and change their branding', async () => {
  assert.match(gatehouse(['tenant', 'list']), new RegExp(`${A}\\s+active\\s+Tenant Alpha`));
  gatehouse(['tenant', 'set', '--slug', A, '--name', 'Alpha Renamed', '--color', '#123abc']);
  assert.deepEqual(psql(`SELECT name, brand_color FROM gatehouse.tenants WHERE slug = '${A}'`), [['Alpha Renamed', '#123abc']]);
  await waitFor(async () => /Alpha Renamed/.test((await request('GET', `/t/${A}/login`)).body), 5000, 'the new name');
  const page = await request('GET', `/t/${A}/login`);
  assert.match(page.body, new RegExp(`<link rel="stylesheet" href="/t/${A}/brand.css">`));
  const css = await request('GET', `/t/${A}/brand.css`);
  assert.equal(css.status, 200);
  assert.match(css.headers['content-type'], /text\/css/);
  assert.match(css.body, /--gh-primary: #123abc;/);
  assert.doesNotMatch((await request('GET', `/t/${B}/login`)).body, /brand\.css/, 'other tenants keep the default');
  assert.throws(() => gatehouse(['tenant', 'set', '--slug', A, '--color', 'red']));
  assert.throws(() => gatehouse(['tenant', 'delete', '--slug', 'default', '--yes']));
});

test("A's access token is refused as a bearer at B, and accepted at A", async () => {
  const email = uniqueEmail('bearer');
  await signUpAt(A, 'path', email);
  const login = await request('POST', `/t/${A}/api/v1/auth/login`, {
    headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }),
  });
  assert.equal(login.status, 200, login.body);
  const token = JSON.parse(login.body).access_token;
  const at = (base, extra = {}) => request('GET', `${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}`, ...extra } });
  assert.equal((await at(`/t/${A}`)).status, 200);
  assert.equal((await at(`/t/${B}`)).status, 401, 'by path');
  assert.equal((await at('', { 'x-tenant-id': B })).status, 401, 'by X-Tenant-ID');
  assert.equal((await at('', { host: `${B}.localhost:${HTTPS_PORT}` })).status, 401, 'by host');
  assert.equal((await at('')).status, 401, 'at the default tenant');
});

test('at a tenant whose app client has a secret, an API refresh needs only the refresh token', async () => {
  const email = uniqueEmail('secretrefresh');
  await signUpAt(B, 'path', email); // B's client holds a secret (SECRET_HASH)
  const json = { 'content-type': 'application/json' };
  const login = await request('POST', `/t/${B}/api/v1/auth/login`, { headers: json, body: JSON.stringify({ email, password: PASSWORD }) });
  assert.equal(login.status, 200, login.body);
  const { refresh_token: refreshToken } = JSON.parse(login.body);
  // No username, or the email alias as one (Cognito wants the user name in
  // SECRET_HASH): both refresh, since the server keeps the user name.
  for (const extra of [{}, { username: email }]) {
    const r = await request('POST', `/t/${B}/api/v1/auth/refresh`, { headers: json, body: JSON.stringify({ refresh_token: refreshToken, ...extra }) });
    assert.equal(r.status, 200, r.body);
    const me = await request('GET', `/t/${B}/api/v1/me`, { headers: { authorization: `Bearer ${JSON.parse(r.body).access_token}` } });
    assert.equal(me.status, 200);
  }
});

test("an admin of A can neither list nor change the users of B", async () => {
  const victim = uniqueEmail('victim');
  await signUpAt(B, 'path', victim);
  const { b: adminA } = await adminSession({ poolId: pools[A], base: `/t/${A}` });
  // At B, A's admin is nobody: every admin page sends them to log in.
  for (const url of [`/t/${B}/admin`, `/t/${B}/admin/users`]) {
    const r = await adminA.get(url);
    assert.equal(r.status, 303, url);
    assert.match(r.headers.location, new RegExp(`^/t/${B}/login`));
  }
  // Even with A's session id presented under B's cookie name.
  const stolen = new Browser();
  stolen.jar.set(`__Host-gh_session-${B}`, { value: adminA.cookie(`__Host-gh_session-${A}`).value });
  assert.equal((await stolen.get(`/t/${B}/admin/users`)).status, 303);
  // At A, the list is A's pool only: B's user is not there, and changing
  // B's user through A's panel finds no such user.
  const list = await adminA.get(`/t/${A}/admin/users?q=${encodeURIComponent(victim)}`);
  assert.equal(list.status, 200);
  // The search box echoes the query, and the Sync now form carries it back.
  const rows = list.body.replace(/(value|action)="[^"]*"/g, '');
  assert.doesNotMatch(rows, new RegExp(victim.replace(/[.+]/g, '\\$&')));
  await adminA.get(`/t/${A}/admin/users`);
  const change = await adminA.post(`/t/${A}/admin/update-tier`, { username: victim, tier: 'premium' });
  assert.notEqual(change.status, 303, 'no change was made');
  assert.equal(psql(`SELECT tier FROM "t_${B}".users WHERE email = '${victim}'`)[0][0], 'standard');
  const { b: adminB } = await adminSession({ poolId: pools[B], base: `/t/${B}` });
  const own = await adminB.get(`/t/${B}/admin/users?q=${encodeURIComponent(victim)}`);
  assert.equal(own.status, 200);
  assert.match(own.body, new RegExp(victim.replace(/[.+]/g, '\\$&')), "B's admin sees B's user");
});
