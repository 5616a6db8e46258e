// The pages people feel, server side (issue 16, part F): the wait between
// two emailed codes, forms that survive a Cognito outage, error pages that
// know the visitor, GET /logout, the page after confirming, the tenant
// prefix of a return path, and the tenant's terms, privacy and colour
// settings. Each test runs against the real stack (nginx, the pool,
// PostgreSQL, the Cognito double in front of cognito-local).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  Browser, request, uniqueEmail, emailedCode, fault, psql, stackInfo, gatehouseCli, waitFor,
  PASSWORD, HTTPS_PORT, ROOT, STACK,
} from './helpers.mjs';
import { totp } from './totp.mjs';

const HOST = `localhost:${HTTPS_PORT}`;
const WAIT_S = 60;                 // CODE_RESEND_COOLDOWN_S
const SECRET = 'Outage-Secr3t!kept'; // a password typed during an outage: never sent back
const RETRY_THROTTLED = '30';      // COGNITO_RETRY_AFTER_S
const RETRY_DOWN = '30';           // COGNITO_DOWN_RETRY_AFTER_S

after(async () => { await fault({ reset: true }).catch(() => fault({ reset: true })); });

async function calls(op) {
  const r = await fetch(stackInfo().COGNITO_DOUBLE_CONTROL);
  return (await r.json()).calls[op] ?? 0;
}

async function api(method, urlPath, json) {
  const r = await request(method, urlPath, {
    headers: { host: HOST, 'content-type': 'application/json', accept: 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  try { r.json = JSON.parse(r.body); } catch { r.json = null; }
  return r;
}

// waitOver ends the wait of every code sent so far, as if a minute passed.
function waitOver() {
  psql("UPDATE t_default.code_sends SET sent_at = sent_at - interval '1 hour'");
}

async function signUp(b, email) {
  await b.get('/signup');
  const r = await b.post('/signup', {
    email, name: 'Feel Person', password: PASSWORD, confirm_password: PASSWORD, terms: '1',
  });
  assert.equal(r.status, 303, `sign-up: ${r.body.slice(0, 200)}`);
  return r;
}

async function confirmedSignedIn() {
  const b = new Browser();
  const email = uniqueEmail('feel');
  await signUp(b, email);
  let r = await b.post('/confirm', { email, code: await emailedCode(email) });
  assert.equal(r.status, 303);
  await b.get('/login');
  r = await b.post('/login', { email, password: PASSWORD });
  assert.equal(r.status, 303, `login: ${r.body.slice(0, 200)}`);
  return { b, email };
}

function inputValue(body, name) {
  const m = body.match(new RegExp(`<input[^>]*name="${name}"[^>]*>`));
  const v = m && m[0].match(/value="([^"]*)"/);
  return v ? v[1] : null;
}

// ---- 4. codes: their life in words, and the wait between two ---------------------

test('resend wait: a second code inside the wait is 429 with Retry-After, sends nothing, and the page counts down', async () => {
  const b = new Browser();
  const email = uniqueEmail('wait');
  await signUp(b, email);
  let page = await b.get(`/confirm?email=${encodeURIComponent(email)}`);
  assert.match(page.body, /A code lasts 24 hours/, 'the real life of a sign-up code');
  assert.doesNotMatch(page.body, /data-wait-s=/, 'no wait before the first resend');

  const before = await calls('ResendConfirmationCode');
  let r = await b.post('/confirm/resend', { email });
  assert.equal(r.status, 303, 'the first new code goes out');
  assert.equal(await calls('ResendConfirmationCode'), before + 1);

  page = await b.get(`/confirm?email=${encodeURIComponent(email)}`);
  const shown = Number((page.body.match(/data-wait-s="(\d+)"/) || [])[1]);
  assert.ok(shown > 0 && shown <= WAIT_S, `the page gives the seconds left (${shown})`);
  assert.match(page.body, new RegExp(`in <span data-countdown>${shown}</span> seconds`), 'readable without JavaScript');

  r = await b.post('/confirm/resend', { email });
  assert.equal(r.status, 429, 'a second code inside the wait is refused');
  const retry = Number(r.headers['retry-after']);
  assert.ok(retry > 0 && retry <= WAIT_S, `Retry-After tells the seconds left (${retry})`);
  assert.match(r.body, /You can ask for a new one in \d+ seconds?/);
  assert.equal(inputValue(r.body, 'email'), email, 'the form is shown again for the same email');
  assert.equal(await calls('ResendConfirmationCode'), before + 1, 'nothing was sent');

  // The API keeps the same wait: it is the server's, not the page's.
  r = await api('POST', '/api/v1/auth/request-otp', { email, purpose: 'email_verification' });
  assert.equal(r.status, 429, r.body);
  assert.equal(r.json.error, 'code_recently_sent');
  assert.ok(Number(r.headers['retry-after']) > 0);
  assert.equal(await calls('ResendConfirmationCode'), before + 1, 'nothing was sent through the API either');

  // Once the wait is over, a new code goes out again.
  waitOver();
  r = await b.post('/confirm/resend', { email });
  assert.equal(r.status, 303);
  assert.equal(await calls('ResendConfirmationCode'), before + 2);
});

test('reset codes: their life in words, and the wait between two on the forgot page, the reset page and the API', async () => {
  const { email } = await confirmedSignedIn();
  const b = new Browser();
  let page = await b.get('/forgot');
  assert.match(page.body, /the code lasts 1 hour/);
  const before = await calls('ForgotPassword');
  let r = await b.post('/forgot', { email });
  assert.equal(r.status, 303);
  page = await b.follow(r);
  assert.match(page.body, /A code lasts 1 hour/);
  assert.match(page.body, /data-wait-s="\d+"/, 'the reset page shows the wait before a new code');
  assert.match(page.body, /<form method="post" action="\/forgot"/, 'a new code is one button away');
  r = await b.post('/forgot', { email });
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers['retry-after']) > 0);
  r = await api('POST', '/api/v1/auth/forgot-password', { email });
  assert.equal(r.status, 429);
  assert.equal(await calls('ForgotPassword'), before + 1, 'one code sent, however often asked');
  // The same wait for an email without an account: the wait tells nothing.
  const ghost = uniqueEmail('ghost');
  assert.equal((await b.post('/forgot', { email: ghost })).status, 303);
  assert.equal((await b.post('/forgot', { email: ghost })).status, 429);
  waitOver();
});

// ---- 5. after confirming -----------------------------------------------------------

test('after confirming: the login page says the email is confirmed, keeps it and focuses the password', async () => {
  const b = new Browser();
  const email = uniqueEmail('confirmed');
  await signUp(b, email);
  const r = await b.post('/confirm', { email, code: await emailedCode(email) });
  assert.equal(r.status, 303);
  const page = await b.follow(r);
  assert.equal(page.status, 200);
  assert.match(page.body, /<title>Email confirmed/, 'a title of its own');
  assert.match(page.body, /<h1[^>]*>Your email is confirmed<\/h1>/);
  assert.doesNotMatch(page.body, /Welcome back/);
  assert.equal(inputValue(page.body, 'email'), email, 'the email is filled in');
  assert.match(page.body, /<input[^>]*name="password"[^>]*autofocus/, 'the focus goes to the password');
  assert.doesNotMatch(page.body, /<input[^>]*name="email"[^>]*autofocus/);
  // A plain visit, or one with only an email, is the usual login page.
  const plain = await new Browser().get(`/login?email=${encodeURIComponent(email)}`);
  assert.match(plain.body, /Welcome back/);
  assert.doesNotMatch(plain.body, /autofocus/);
});

// ---- 9. Cognito down, slow or throttling -------------------------------------------

const FORMS = [
  { name: 'login', op: 'InitiateAuth', page: '/login', post: '/login',
    form: (e) => ({ email: e, password: SECRET }), kept: (e) => ({ email: e }) },
  { name: 'signup', op: 'SignUp', page: '/signup', post: '/signup',
    form: (e) => ({ email: e, name: 'Outage Person', password: SECRET, confirm_password: SECRET, company: 'Kept Co', terms: '1' }),
    kept: (e) => ({ email: e, name: 'Outage Person', company: 'Kept Co' }) },
  { name: 'confirm', op: 'ConfirmSignUp', page: '/confirm', post: '/confirm',
    form: (e) => ({ email: e, code: '123456' }), kept: (e) => ({ email: e }) },
  { name: 'confirm/resend', op: 'ResendConfirmationCode', page: '/confirm', post: '/confirm/resend',
    form: (e) => ({ email: e }), kept: (e) => ({ email: e }) },
  { name: 'forgot', op: 'ForgotPassword', page: '/forgot', post: '/forgot',
    form: (e) => ({ email: e }), kept: (e) => ({ email: e }) },
  { name: 'reset', op: 'ConfirmForgotPassword', page: '/reset', post: '/reset',
    form: (e) => ({ email: e, code: '123456', password: SECRET, confirm_password: SECRET }), kept: (e) => ({ email: e }) },
];

const MODES = [
  { mode: 'throttle', status: 429, retry: RETRY_THROTTLED, words: /briefly unavailable because of heavy load/ },
  { mode: 'error5xx', status: 503, retry: RETRY_DOWN, words: /briefly unavailable/ },
  { mode: 'timeout', status: 503, retry: RETRY_DOWN, words: /briefly unavailable/ },
];

function assertFormKept(r, f, kept, m, what) {
  assert.equal(r.status, m.status, `${what}: ${r.body.slice(0, 300)}`);
  assert.equal(r.headers['retry-after'], m.retry, `${what}: Retry-After`);
  assert.match(r.body, new RegExp(`<form method="post" action="${f.post.replace(/\/resend$/, '(/resend)?')}"`),
    `${what}: the form is shown again`);
  assert.match(r.body, m.words, `${what}: says sign-in is briefly unavailable`);
  for (const [name, value] of Object.entries(kept))
    assert.equal(inputValue(r.body, name), value, `${what}: ${name} is kept`);
  assert.ok(!r.body.includes(SECRET), `${what}: the password is never sent back`);
  assert.doesNotMatch(r.body, /Exception|__type|gh-error-code/, `${what}: no error page, no raw Cognito text`);
}

for (const m of MODES) {
  test(`outage (${m.mode}): every form comes back with what was typed, ${m.status} and Retry-After`, async () => {
    const { b: signed } = await confirmedSignedIn();
    await fault({ reset: true });
    try {
      const runs = FORMS.map(async (f) => {
        await fault({ op: f.op, mode: m.mode });
        const b = new Browser();
        const email = uniqueEmail(`outage-${f.name.replace('/', '-')}`);
        await b.get(f.page);
        const r = await b.post(f.post, f.form(email));
        assertFormKept(r, f, f.kept(email), m, `${m.mode} ${f.name}`);
      });
      // A signed-in form: changing the password on the account page.
      runs.push((async () => {
        await fault({ op: 'ChangePassword', mode: m.mode });
        await signed.get('/account');
        const r = await signed.post('/account/password',
          { current_password: SECRET, password: `${SECRET}2`, confirm_password: `${SECRET}2` });
        assertFormKept(r, { post: '/account/password' }, {}, m, `${m.mode} account password`);
        assert.match(r.body, /gh-nav-user/, 'still signed in');
      })());
      await Promise.all(runs);

      // The JSON API answers the same way, in JSON.
      await fault({ op: 'InitiateAuth', mode: m.mode });
      const r = await api('POST', '/api/v1/auth/login', { email: uniqueEmail('outage-api'), password: SECRET });
      assert.equal(r.status, m.status, r.body);
      assert.equal(r.headers['retry-after'], m.retry, 'the API tells when to try again');
      assert.ok(r.json && r.json.error && r.json.message, 'a JSON error');
      assert.ok(!r.body.includes(SECRET));
    } finally { await fault({ reset: true }); }
  });
}

// ---- 6. error pages know the visitor; GET /logout ----------------------------------

test('error pages show a signed-in visitor their navbar; anonymous ones the usual one', async () => {
  const { b, email } = await confirmedSignedIn();
  for (const [method, url, status] of [['GET', '/no-such-page', 404], ['GET', '/confirm/resend', 405],
    ['GET', '/t/default/no-such-page', 404]]) {
    const r = await b.send(method, url);
    assert.equal(r.status, status, url);
    assert.match(r.body, new RegExp(`Signed in as </span>${email.replace(/[.+]/g, '\\$&')}`), `${url}: the signed-in navbar`);
    assert.match(r.body, /action="[^"]*\/logout"/, `${url}: with its log-out button`);
    assert.doesNotMatch(r.body, />Sign up</, `${url}: no "Sign up" for a signed-in person`);
  }
  const anon = await new Browser().get('/no-such-page');
  assert.equal(anon.status, 404);
  assert.match(anon.body, />Sign up</);
  // JSON asked for, JSON given: no page, no session needed.
  const json = await request('GET', '/api/v1/no-such', { headers: { host: HOST, accept: 'application/json' } });
  assert.equal(json.status, 404);
  assert.match(json.headers['content-type'], /json/);
});

test('GET /logout asks "Log out?" with a form POST carrying the CSRF token; the button signs out', async () => {
  const { b } = await confirmedSignedIn();
  const page = await b.get('/logout');
  assert.equal(page.status, 200, page.body.slice(0, 200));
  assert.match(page.body, /<title>Log out\?/);
  assert.match(page.body, /<h1[^>]*>Log out\?<\/h1>/);
  const form = page.body.match(/<form method="post" action="\/logout" class="gh-form">[\s\S]*?<\/form>/);
  assert.ok(form, 'the page holds the log-out form');
  assert.match(form[0], /name="csrf" value="[^"]+"/);
  assert.equal((await b.get('/account')).status, 200, 'the GET itself signed nobody out');
  const r = await b.post('/logout', {});
  assert.equal(r.status, 303);
  assert.equal((await b.get('/account')).status, 303, 'the button did');
  const anon = await new Browser().get('/logout');
  assert.equal(anon.status, 303, 'nobody to sign out: to the login page');
  assert.match(anon.headers.location, /\/login$/);
});

// ---- 10. the tenant prefix of a return path; tenant settings -----------------------

test('login at /t/<slug>/login?next=/account lands on /t/<slug>/account', async () => {
  const { email } = await confirmedSignedIn();
  const b = new Browser();
  await b.get('/t/default/login?next=/account');
  let r = await b.post('/t/default/login', { email, password: PASSWORD, next: '/account' });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/t/default/account');
  // Already signed in: the same prefix, and a whole path is kept as it is.
  r = await b.get('/t/default/login?next=/account');
  assert.equal(r.headers.location, '/t/default/account');
  r = await b.get(`/t/default/login?next=${encodeURIComponent('/t/default/account?x=1')}`);
  assert.equal(r.headers.location, '/t/default/account?x=1');
  // Without a prefix nothing changes.
  const plain = new Browser();
  await plain.get('/login?next=/account');
  r = await plain.post('/login', { email, password: PASSWORD, next: '/account' });
  assert.equal(r.headers.location, '/account');
});

test('tenant set: terms and privacy links (https or a path here), and colours refused below 4.5:1 with the ratio', async () => {
  try {
    for (const bad of ['http://example.com/terms', '//evil.example/t', 'javascript:alert(1)', '/t" x="']) {
      const r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--terms-url', bad]);
      assert.notEqual(r.status, 0, `refused: ${bad}`);
      assert.match(r.stderr, /--terms-url and --privacy-url take an https:\/\/ URL or a path/);
    }
    let r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--terms-url', 'https://example.com/terms',
      '--privacy-url', '/legal/privacy']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(psql("SELECT terms_url, privacy_url FROM gatehouse.tenants WHERE slug = 'default'"),
      [['https://example.com/terms', '/legal/privacy']]);

    r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--color', '#ffcc00']);
    assert.equal(r.status, 2, 'a yellow white text cannot be read on is refused');
    assert.match(r.stderr, /contrast ratio of 1\.\d\d:1 with white/);
    assert.match(r.stderr, /at least 4\.5:1/);
    assert.equal(psql("SELECT coalesce(brand_color, '-') FROM gatehouse.tenants WHERE slug = 'default'")[0][0], '-');
    r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--color', '#777777']);
    assert.equal(r.status, 2, '#777777 is 4.48:1: just below');
    assert.match(r.stderr, /4\.48:1/);
    r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--color', '#123abc']);
    assert.equal(r.status, 0, r.stderr);
    const tint = (r.stdout.match(/dark scheme links use (#[0-9a-f]{6})/) || [])[1];
    assert.ok(tint, r.stdout);

    // The logo in the sign-in card, and the dark tint in the tenant's stylesheet.
    r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--logo', '/static/favicon.svg']);
    assert.equal(r.status, 0, r.stderr);
    await waitFor(async () => {
      const page = await new Browser().get('/login');
      return /<img src="\/static\/favicon\.svg"[^>]*class="gh-auth-mark"/.test(page.body);
    }, 10000, "the tenant's logo in the sign-in card");
    const css = await request('GET', '/brand.css', { headers: { host: HOST } });
    assert.match(css.body, new RegExp(`--gh-primary-on-dark: ${tint};`));
  } finally {
    gatehouseCli(['tenant', 'set', '--slug', 'default', '--terms-url', '', '--privacy-url', '', '--color', '',
      '--logo', '']);
  }
});

test('outage: the two-step code form (/login/mfa) comes back too, the challenge kept for the next try', async () => {
  const { b, email } = await confirmedSignedIn();
  let r = await b.post('/account/security/mfa/start', {});
  assert.equal(r.status, 200, r.body.slice(0, 200));
  const secret = (r.body.match(/id="gh-mfa-secret"[^>]*>([A-Z2-7]+)</) || [])[1];
  r = await b.post('/account/security/mfa/verify', { code: totp(secret), device_name: 'feel phone' });
  assert.equal(r.status, 303, r.body.slice(0, 200));

  const v = new Browser();
  await v.get('/login');
  r = await v.post('/login', { email, password: PASSWORD });
  assert.equal(r.headers.location, '/login/mfa');
  await v.get('/login/mfa');
  try {
    for (const m of MODES) {
      await fault({ op: 'RespondToAuthChallenge', mode: m.mode });
      r = await v.post('/login/mfa', { code: '123456' });
      assertFormKept(r, { post: '/login/mfa' }, {}, m, `${m.mode} /login/mfa`);
      await fault({ reset: true });
    }
    r = await v.post('/login/mfa', { code: totp(secret) });
    assert.equal(r.status, 303, `the same challenge still signs in: ${r.body.slice(0, 200)}`);
  } finally { await fault({ reset: true }); }
});

// Last: it stops and restarts cognito-local.
test('outage (Cognito stopped): the login form comes back with the email, 503 and Retry-After; the API answers 503 JSON', async () => {
  const pidFile = path.join(STACK, 'run/cognito-local.pid');
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  await fault({ reset: true });
  process.kill(pid, 'SIGTERM');
  try {
    await waitFor(async () => { try { process.kill(pid, 0); return false; } catch { return true; } }, 10000, 'cognito-local stopped');
    const b = new Browser();
    const email = uniqueEmail('stopped');
    await b.get('/login');
    let r = await b.post('/login', { email, password: SECRET });
    assertFormKept(r, FORMS[0], { email }, MODES[1], 'stopped login');
    await b.get('/signup');
    r = await b.post('/signup', FORMS[1].form(email));
    assertFormKept(r, FORMS[1], FORMS[1].kept(email), MODES[1], 'stopped signup');
    r = await api('POST', '/api/v1/auth/login', { email, password: SECRET });
    assert.equal(r.status, 503, r.body);
    assert.equal(r.headers['retry-after'], RETRY_DOWN);
    assert.equal(r.json.error, 'service_unavailable');
  } finally {
    execFileSync(path.join(ROOT, 'scripts/stack.sh'), ['start'], { env: process.env, stdio: 'ignore' });
    // Connections kept alive across the restart may be closed under us:
    // the next test starts once both the double and the site answer again.
    await waitFor(async () => {
      try {
        await fault({ reset: true });
        return (await request('GET', '/login', { headers: { host: HOST } })).status === 200;
      } catch { return false; }
    }, 20000, 'the stack answers again');
  }
});
