// Invitations, the CSV import and export and the bulk tier change, against
// the real stack (nginx, the worker pool, PostgreSQL, cognito-local behind
// the Cognito double). The temporary password Cognito "emails" is read as
// the invited person reads their email: from cognito-local's data folder,
// where AdminCreateUser (and the double's RESEND) keep it.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  Browser, PASSWORD, adminSession, cognitoLocal, gatehouseCli, parseCsv, psql, stackInfo, uniqueEmail, waitFor,
} from './helpers.mjs';
import { plainUser, sqlText, subOf, unescape } from './admin-helpers.mjs';

const info = stackInfo();
const POOL = info.COGNITO_USER_POOL_ID;

let admin; // {b, email}
let adminSub;

before(async () => {
  admin = await adminSession();
  adminSub = subOf(admin.email);
});

// ---- helpers ----------------------------------------------------------------

// cognitoUser reads a user from cognito-local: null when there is none.
async function cognitoUser(email) {
  try {
    const u = await cognitoLocal('AdminGetUser', { UserPoolId: POOL, Username: email });
    const attr = (n) => (u.UserAttributes.find((a) => a.Name === n) || {}).Value;
    return { username: u.Username, status: u.UserStatus, tier: attr('custom:user_tier'), tenant: attr('custom:tenant_id'),
      name: attr('name'), verified: attr('email_verified'), sub: attr('sub') };
  } catch (e) {
    if (/UserNotFound/.test(e.message)) return null;
    throw e;
  }
}

async function groupsOf(username) {
  const r = await cognitoLocal('AdminListGroupsForUser', { UserPoolId: POOL, Username: username });
  return r.Groups.map((g) => g.GroupName);
}

// invitedPassword reads the temporary password the invitation of email
// carried, waiting for one other than previous.
async function invitedPassword(email, previous) {
  const file = path.join(info.COGNITO_DB_DIR, `${POOL}.json`);
  let password;
  await waitFor(() => {
    let db;
    try { db = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { return false; }
    for (const u of Object.values(db.Users || {})) {
      const mail = (u.Attributes || []).find((a) => a.Name === 'email');
      if (mail && mail.Value.toLowerCase() === email.toLowerCase() && u.UserStatus === 'FORCE_CHANGE_PASSWORD' &&
          u.Password && u.Password !== previous) {
        password = u.Password;
        return true;
      }
    }
    return false;
  }, 5000, `the temporary password of ${email}`);
  return password;
}

// firstLogin signs the invited person in with the temporary password and
// chooses PASSWORD at the new-password step; resolves with their Browser.
async function firstLogin(email, temporary) {
  const b = new Browser();
  await b.get('/login');
  let r = await b.post('/login', { email, password: temporary });
  const challenge = (r.body.match(/name="challenge" value="([^"]*)"/) || [])[1];
  assert.equal(r.status, 200, `login with the temporary password: ${r.status}`);
  assert.ok(challenge, 'the new-password step');
  r = await b.post('/login/new-password', { email, challenge, password: PASSWORD, confirm_password: PASSWORD });
  assert.equal(r.status, 303, `new password: ${r.status} ${r.body.slice(0, 200)}`);
  return b;
}

async function loginFails(email, password) {
  const b = new Browser();
  await b.get('/login');
  const r = await b.post('/login', { email, password });
  assert.ok(r.status >= 400 || !/name="challenge"/.test(r.body), 'the password is refused');
  assert.doesNotMatch(r.body, /name="challenge"/);
}

function actions(where) {
  return psql(`SELECT action, target_sub, target_email, coalesce(before_value, ''), coalesce(after_value, ''),
    actor_sub, actor_email, coalesce(detail, ''), request_id IS NOT NULL, client_addr IS NOT NULL
    FROM t_default.admin_actions WHERE ${where} ORDER BY id`);
}

function mirror(email) {
  return psql(`SELECT sub, tier, status, coalesce(name, '') FROM t_default.users WHERE email = ${sqlText(email.toLowerCase())}`)[0];
}

function tierChanges(sub) {
  return psql(`SELECT old_tier, new_tier, changed_by_sub, request_id FROM t_default.tier_changes
    WHERE user_sub = ${sqlText(sub)} ORDER BY id`);
}

async function invite(form) {
  await admin.b.get('/admin/invite');
  return admin.b.post('/admin/invite', form);
}

// ---- invitations ------------------------------------------------------------------

test('an invitation creates the user with their tier and tenant, and they choose a password at first sign-in', async () => {
  const email = uniqueEmail('invited');
  let r = await admin.b.get('/admin/invite');
  assert.equal(r.status, 200);
  assert.match(r.body, /id="gh-invite-form"/);
  r = await admin.b.post('/admin/invite', { email: email.toUpperCase(), name: 'Ada Invited', tier: 'premium', admin: 'yes' });
  assert.equal(r.status, 200, r.body.slice(0, 300));
  assert.match(r.body, /Invitation sent to/);

  const u = await cognitoUser(email);
  assert.equal(u.status, 'FORCE_CHANGE_PASSWORD');
  assert.equal(u.tier, 'premium', 'the tier is set server-side');
  assert.equal(u.tenant, 'default', 'so is the tenant');
  assert.equal(u.name, 'Ada Invited');
  assert.equal(u.verified, 'true');
  assert.deepEqual(await groupsOf(u.username), ['admin'], 'asked for: the admin group');
  const [sub, tier, status, name] = mirror(email);
  assert.equal(sub, u.sub);
  assert.deepEqual([tier, status, name], ['premium', 'FORCE_CHANGE_PASSWORD', 'Ada Invited']);
  const rows = actions(`target_sub = ${sqlText(sub)}`);
  assert.deepEqual(rows.map((x) => x[0]), ['invitation_sent', 'admin_granted']);
  assert.deepEqual(rows[0].slice(1), [sub, email.toLowerCase(), '', 'premium', adminSub, admin.email,
    'invited as an administrator', 't', 't']);

  // The invited person: the temporary password, then their own.
  const temporary = await invitedPassword(email);
  const b = await firstLogin(email, temporary);
  r = await b.get('/account');
  assert.equal(r.status, 200);
  assert.match(r.body, /premium/i);
  assert.equal((await b.get('/admin')).status, 200, 'invited as an administrator');
  assert.equal((await cognitoUser(email)).status, 'CONFIRMED');
  await loginFails(email, temporary);
});

test('an invitation to an email that has a user changes nothing and says so', async () => {
  const user = await plainUser('plain');
  const before = actions(`target_sub = ${sqlText(user.sub)}`).length;
  const r = await invite({ email: user.email, name: 'Someone Else', tier: 'premium' });
  assert.equal(r.status, 409);
  assert.match(r.body, /already exists: nothing was changed/);
  const u = await cognitoUser(user.email);
  assert.deepEqual([u.tier, u.name, u.status], ['standard', 'Plain Person', 'CONFIRMED']);
  assert.equal(actions(`target_sub = ${sqlText(user.sub)}`).length, before);
  assert.equal((await user.b.get('/account')).status, 200, 'their session goes on');
});

test('an invitation with bad input is a 400 and creates nobody', async () => {
  const email = uniqueEmail('bad-invite');
  for (const [form, what] of [
    [{ email: 'not-an-email', name: 'X', tier: 'standard' }, /email/i],
    [{ email, name: 'X', tier: 'gold' }, /Choose Standard or Premium/],
    [{ email, name: 'bad\u0001name', tier: 'standard' }, /name/i],
    [{ email, name: 'two\nlines', tier: 'standard' }, /name/i],
    [{ email, name: 'in\u200bvisible', tier: 'standard' }, /name/i],
    [{ name: 'X', tier: 'standard' }, /email/i],
  ]) {
    const r = await invite(form);
    assert.equal(r.status, 400, JSON.stringify(form));
    assert.match(r.body, what);
  }
  assert.equal(await cognitoUser(email), null);
  assert.equal(mirror(email), undefined);
});

test('resend: a new temporary password replaces the first, only until the person signs in', async () => {
  const email = uniqueEmail('resend');
  let r = await invite({ email, name: 'Re Send', tier: 'standard' });
  assert.equal(r.status, 200);
  const first = await invitedPassword(email);
  const { username, sub } = await cognitoUser(email);
  await admin.b.get('/admin/users');
  r = await admin.b.post(`/admin/users/${encodeURIComponent(username)}/resend-invitation`);
  assert.equal(r.status, 303, r.body.slice(0, 300));
  assert.equal(r.headers.location, `/admin/users/${encodeURIComponent(username)}?done=invitation_resent`);
  const second = await invitedPassword(email, first);
  assert.notEqual(second, first);
  let rows = actions(`target_sub = ${sqlText(sub)} AND action = 'invitation_resent'`);
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0].slice(5, 7), [adminSub, admin.email]);
  assert.equal((await admin.b.follow(r)).status, 200);

  // (That the first password stops working cannot be seen here: cognito-local
  // answers a FORCE_CHANGE_PASSWORD user's sign-in with the new-password
  // challenge before it looks at the password.)
  await firstLogin(email, second);
  await loginFails(email, first);
  await loginFails(email, second);
  // Signed in: there is no invitation left to send.
  await admin.b.get('/admin/users');
  r = await admin.b.post(`/admin/users/${encodeURIComponent(username)}/resend-invitation`);
  assert.equal(r.status, 409);
  assert.match(r.body, /already chosen a password/);
  rows = actions(`target_sub = ${sqlText(sub)} AND action = 'invitation_resent'`);
  assert.equal(rows.length, 1, 'nothing recorded for the refusal');

  r = await admin.b.post('/admin/users/no-such-user-0000/resend-invitation');
  assert.equal(r.status, 404);
});

test('confirm by hand: an unconfirmed sign-up can sign in, the mirror and admin log follow', async () => {
  const email = uniqueEmail('unconfirmed');
  const b = new Browser();
  await b.get('/signup');
  let r = await b.post('/signup', { email, name: 'Not Yet', password: PASSWORD, confirm_password: PASSWORD, tier: 'standard', terms: '1' });
  assert.equal(r.status, 303);
  const u = await cognitoUser(email);
  assert.equal(u.status, 'UNCONFIRMED');
  assert.equal(mirror(email)[2], 'UNCONFIRMED');
  await b.get('/login');
  r = await b.post('/login', { email, password: PASSWORD });
  assert.notEqual(r.headers.location, '/', 'not signed in before the confirmation');

  await admin.b.get('/admin/users');
  r = await admin.b.post(`/admin/users/${encodeURIComponent(u.username)}/confirm`);
  assert.equal(r.status, 303, r.body.slice(0, 300));
  assert.equal(r.headers.location, `/admin/users/${encodeURIComponent(u.username)}?done=signup_confirmed`);
  assert.equal((await cognitoUser(email)).status, 'CONFIRMED');
  assert.equal(mirror(email)[2], 'CONFIRMED');
  const rows = actions(`target_sub = ${sqlText(u.sub)} AND action = 'signup_confirmed'`);
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0].slice(3, 7), ['UNCONFIRMED', 'CONFIRMED', adminSub, admin.email]);

  const person = new Browser();
  await person.get('/login');
  r = await person.post('/login', { email, password: PASSWORD });
  assert.equal(r.status, 303);
  assert.equal((await person.get('/account')).status, 200);

  await admin.b.get('/admin/users');
  r = await admin.b.post(`/admin/users/${encodeURIComponent(u.username)}/confirm`);
  assert.equal(r.status, 409, 'a confirmed user is not confirmed again');
  assert.equal(actions(`target_sub = ${sqlText(u.sub)} AND action = 'signup_confirmed'`).length, 1);
});

// ---- CSV import ---------------------------------------------------------------------

function previewRows(body) {
  return [...body.matchAll(/<tr class="gh-import-row" data-kind="([^"]*)"><td>(\d+)<\/td><td class="text-break">([^<]*)<\/td>[\s\S]*?<\/tr>/g)]
    .map((m) => ({ kind: m[1], line: Number(m[2]), email: unescape(m[3]), text: unescape(m[0]) }));
}

function resultRows(body) {
  return [...body.matchAll(/<tr class="gh-import-row" data-result="([^"]*)"><td>(\d+)<\/td><td class="text-break">([^<]*)<\/td>[\s\S]*?<\/tr>/g)]
    .map((m) => ({ result: m[1], line: Number(m[2]), email: unescape(m[3]) }));
}

test('CSV import: preview, apply, per-row results, and a second run changes nothing', async () => {
  const fresh1 = uniqueEmail('csv-new'), fresh2 = uniqueEmail('csv-new');
  const toPremium = await plainUser('csv-old');
  const samePremium = await plainUser('csv-same', { tier: 'premium' });
  const csv = [
    'Email,Name,Tier',
    `${fresh1},Grace Hopper,premium`,
    `"${fresh2.toUpperCase()}","Lovelace, Ada",standard`,
    `${toPremium.email},,premium`,
    `${samePremium.email},Same,premium`,
    'not-an-email,Bad,standard',
    `${uniqueEmail('csv-bad')},Bad tier,gold`,
    `${fresh1},Twice,standard`,
    `${uniqueEmail('csv-bad')},too,many,fields`,
    `${uniqueEmail('csv-bad')},"two\nlines",standard`,
    '',
  ].join('\r\n');

  await admin.b.get('/admin/import');
  let r = await admin.b.post('/admin/import', { csv, step: 'preview' });
  assert.equal(r.status, 200, r.body.slice(0, 400));
  const preview = previewRows(r.body);
  assert.deepEqual(preview.map((p) => [p.line, p.kind]), [
    [2, 'invite'], [3, 'invite'], [4, 'tier'], [5, 'nothing'], [6, 'invalid'], [7, 'invalid'], [8, 'invalid'], [9, 'invalid'],
    [10, 'invalid'],
  ]);
  assert.match(preview[8].text, /on one line/);
  assert.match(preview[2].text, /standard → premium/);
  assert.match(preview[6].text, /same email is on line 2/);
  assert.match(preview[7].text, /three fields/);
  assert.match(r.body, /2 to invite, 1 tier changes, 1 with nothing to do, 5 invalid/);
  // The preview changed nothing.
  assert.equal(await cognitoUser(fresh1), null);
  assert.equal((await cognitoUser(toPremium.email)).tier, 'standard');
  const hidden = unescape(r.body.match(/name="csv" value="([^"]*)"/)[1]);
  assert.equal(hidden.replace(/\r\n/g, '\n'), csv.replace(/\r\n/g, '\n'), 'the file goes on unchanged');

  r = await admin.b.post('/admin/import', { csv: hidden, step: 'apply' });
  assert.equal(r.status, 200, r.body.slice(0, 400));
  assert.deepEqual(resultRows(r.body).map((x) => [x.line, x.result]), [
    [2, 'invited'], [3, 'invited'], [4, 'tier_changed'], [5, 'unchanged'], [6, 'skipped'], [7, 'skipped'], [8, 'skipped'], [9, 'skipped'],
    [10, 'skipped'],
  ]);
  assert.match(r.body, /2 invited, 1 tier changes, 1 unchanged, 5 skipped, 0 failed/);
  const u1 = await cognitoUser(fresh1), u2 = await cognitoUser(fresh2);
  assert.deepEqual([u1.status, u1.tier, u1.name, u1.tenant], ['FORCE_CHANGE_PASSWORD', 'premium', 'Grace Hopper', 'default']);
  assert.deepEqual([u2.status, u2.tier, u2.name], ['FORCE_CHANGE_PASSWORD', 'standard', 'Lovelace, Ada']);
  assert.deepEqual(mirror(fresh2).slice(1), ['standard', 'FORCE_CHANGE_PASSWORD', 'Lovelace, Ada']);
  assert.equal((await cognitoUser(toPremium.email)).tier, 'premium');
  assert.deepEqual(tierChanges(toPremium.sub).map((x) => x.slice(0, 3)), [['standard', 'premium', adminSub]]);
  assert.equal(actions(`target_sub = ${sqlText(u1.sub)} AND action = 'invitation_sent'`).length, 1);
  assert.equal(actions(`target_sub = ${sqlText(u2.sub)} AND action = 'invitation_sent'`).length, 1);
  // The imported user can sign in with the invitation.
  await firstLogin(fresh1, await invitedPassword(fresh1));

  // The same file again: nothing left to do, and the page says so.
  const countActions = () => psql(`SELECT count(*) FROM t_default.admin_actions`)[0][0];
  const before = countActions();
  r = await admin.b.post('/admin/import', { csv: hidden, step: 'preview' });
  assert.equal(r.status, 200);
  assert.deepEqual(previewRows(r.body).map((p) => p.kind).slice(0, 4), ['nothing', 'nothing', 'nothing', 'nothing']);
  assert.match(r.body, /id="gh-nothing-to-do"/);
  r = await admin.b.post('/admin/import', { csv: hidden, step: 'apply' });
  assert.equal(r.status, 200);
  assert.match(r.body, /Nothing changed: every row was already done/);
  assert.deepEqual(resultRows(r.body).map((x) => x.result).slice(0, 4), ['unchanged', 'unchanged', 'unchanged', 'unchanged']);
  assert.equal(countActions(), before, 'no admin action recorded');
  assert.equal(tierChanges(toPremium.sub).length, 1, 'no second tier change');
});

test('CSV import: a file that cannot be used is a 400 and changes nothing', async () => {
  const email = uniqueEmail('csv-refused');
  const many = ['email,name,tier', ...Array.from({ length: 101 }, (_, i) => `${i}-${email},N,standard`)].join('\n');
  await admin.b.get('/admin/import');
  for (const [csv, why] of [
    ['', /Paste the CSV first/],
    [`${email},No header,standard`, /header/],
    ['email,name\n', /header/],
    ['email,name,tier\n', /no users/],
    [`email,name,tier\n"${email},bad quote,standard\n`, /not valid CSV/],
    [many, /at most 100 users/],
  ]) {
    const r = await admin.b.post('/admin/import', { csv, step: 'apply' });
    assert.equal(r.status, 400, csv.slice(0, 60));
    assert.match(r.body, why);
  }
  let r = await admin.b.post('/admin/import', { csv: `email,name,tier\n${email},X,standard\n`, step: 'run-it' });
  assert.equal(r.status, 400);
  // Not UTF-8 (a Latin-1 é): refused before anything is read.
  r = await admin.b.send('POST', '/admin/import', {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `csrf=${encodeURIComponent(admin.b.lastCsrf)}&step=apply&csv=email%2Cname%2Ctier%0A${encodeURIComponent(email)}%2CJos%E9%2Cstandard`,
  });
  assert.equal(r.status, 400);
  assert.equal(await cognitoUser(email), null);
  assert.equal(await cognitoUser(`0-${email}`), null);
});

// ---- CSV export -----------------------------------------------------------------------

test('CSV export follows the list\'s filters and defuses formulas', async () => {
  const tag = `exp${Date.now().toString(36)}`;
  const names = ['=HYPERLINK("http://evil.example","x")', '+1+2', '-3', '@SUM(A1)', 'Plain, Name'];
  const emails = [];
  for (const [i, name] of names.entries()) {
    const email = uniqueEmail(tag);
    emails.push(email);
    const r = await invite({ email, name, tier: i % 2 ? 'premium' : 'standard' });
    assert.equal(r.status, 200);
  }
  let r = await admin.b.get(`/admin/users.csv?q=${encodeURIComponent(tag + '-')}`);
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /^text\/csv/);
  assert.match(r.headers['content-disposition'], /attachment; filename="users-default.csv"/);
  assert.equal(r.headers['cache-control'], 'no-store');
  const rows = parseCsv(r.body);
  assert.deepEqual(rows[0], ['email', 'name', 'tier', 'status', 'enabled', 'created_at', 'last_sign_in_at', 'sub']);
  const body = rows.slice(1);
  assert.deepEqual(body.map((x) => x[0]).sort(), [...emails].sort());
  const byEmail = Object.fromEntries(body.map((x) => [x[0], x]));
  for (const [i, name] of names.entries()) {
    const row = byEmail[emails[i]];
    assert.equal(row[1], /^[=+\-@]/.test(name) ? `'${name}` : name, 'a formula is never a formula');
    assert.equal(row[2], i % 2 ? 'premium' : 'standard');
    assert.equal(row[3], 'FORCE_CHANGE_PASSWORD');
    assert.equal(row[4], 'true');
  }
  assert.doesNotMatch(r.body, /(^|,)[=+@]/m, 'no cell starts a formula');

  r = await admin.b.get(`/admin/users.csv?q=${encodeURIComponent(tag + '-')}&tier=premium`);
  assert.equal(r.status, 200);
  assert.deepEqual(parseCsv(r.body).slice(1).map((x) => x[0]).sort(), [emails[1], emails[3]].sort());
  r = await admin.b.get(`/admin/users.csv?q=${encodeURIComponent(tag + '-')}&status=CONFIRMED`);
  assert.deepEqual(parseCsv(r.body).slice(1), []);
  for (const bad of ['tier=gold', 'status=NOPE', `q=${encodeURIComponent('a\tb')}`]) {
    r = await admin.b.get(`/admin/users.csv?${bad}`);
    assert.equal(r.status, 400, bad);
  }
  // The list page hands the export its filters and its order, and the
  // export follows them.
  r = await admin.b.get(`/admin/users?tier=premium&q=${encodeURIComponent(tag + '-')}&sort=email&dir=desc`);
  const link = (r.body.match(/href="([^"]*\/admin\/users\.csv[^"]*)" id="gh-export"/) || [])[1];
  assert.ok(link, 'the list links to its export');
  const url = new URL(link.replace(/&amp;/g, '&'), 'https://x');
  assert.equal(url.searchParams.get('q'), tag + '-');
  assert.equal(url.searchParams.get('tier'), 'premium');
  r = await admin.b.get(url.pathname + url.search);
  assert.deepEqual(parseCsv(r.body).slice(1).map((x) => x[0]), [emails[1], emails[3]].sort().reverse(),
    'the list\'s rows in the list\'s order');
});

// ---- bulk tier change -------------------------------------------------------------------

test('bulk tier change: each selected user changed and audited like a single change', async () => {
  const a = await plainUser('bulk'), b = await plainUser('bulk'), c = await plainUser('bulk', { tier: 'premium' });
  // The list shows each row's box with the sub the form posts.
  let r = await admin.b.get(`/admin/users?q=${encodeURIComponent(a.email)}`);
  assert.match(r.body, new RegExp(`name="sub" value="${a.sub}" form="gh-bulk-form"`));
  assert.match(r.body, /id="gh-bulk-form"/);

  const form = new URLSearchParams();
  form.append('csrf', admin.b.lastCsrf);
  form.append('tier', 'premium');
  for (const s of [a.sub, b.sub, c.sub, a.sub]) form.append('sub', s);
  r = await admin.b.send('POST', '/admin/users/bulk-tier', {
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(),
  });
  assert.equal(r.status, 200, r.body.slice(0, 300));
  assert.match(r.body, /2 of 3 selected users changed/);
  const results = [...r.body.matchAll(/class="gh-bulk-row" data-result="([^"]*)"/g)].map((m) => m[1]);
  assert.deepEqual(results, ['changed', 'changed', 'unchanged']);
  for (const u of [a, b, c]) assert.equal((await cognitoUser(u.email)).tier, 'premium');
  const ta = tierChanges(a.sub), tb = tierChanges(b.sub);
  assert.deepEqual(ta.map((x) => x.slice(0, 3)), [['standard', 'premium', adminSub]]);
  assert.deepEqual(tb.map((x) => x.slice(0, 3)), [['standard', 'premium', adminSub]]);
  assert.equal(ta[0][3], tb[0][3], 'one request id for the one request');
  assert.equal(tierChanges(c.sub).length, 0);
  assert.deepEqual(psql(`SELECT tier FROM t_default.users WHERE sub IN (${sqlText(a.sub)}, ${sqlText(b.sub)})`), [['premium'], ['premium']]);
  // The affected user's next page has the new tier.
  await waitFor(async () => /premium/i.test((await a.b.get('/account')).body), 3000, 'the new tier on the user\'s page');
});

test('bulk tier change refuses bad input with a 400 and changes nothing', async () => {
  const a = await plainUser('bulkbad');
  await admin.b.get('/admin/users');
  const send = (pairs) => {
    const form = new URLSearchParams([['csrf', admin.b.lastCsrf], ...pairs]);
    return admin.b.send('POST', '/admin/users/bulk-tier', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(),
    });
  };
  for (const [pairs, why] of [
    [[['tier', 'premium']], /Select the users/],
    [[['tier', 'gold'], ['sub', a.sub]], /Choose Standard or Premium/],
    [[['sub', a.sub]], /Choose Standard or Premium/],
    [[['tier', 'premium'], ['sub', 'a\tb']], /not valid/],
    [[['tier', 'premium'], ...Array.from({ length: 61 }, (_, i) => ['sub', `${a.sub.slice(0, -3)}${String(i).padStart(3, '0')}`])],
      /at most 60/],
  ]) {
    const r = await send(pairs);
    assert.equal(r.status, 400, JSON.stringify(pairs).slice(0, 80));
    assert.match(r.body, why);
  }
  assert.equal((await cognitoUser(a.email)).tier, 'standard');
  assert.equal(tierChanges(a.sub).length, 0);
  const r = await send([['tier', 'premium'], ['sub', '00000000-0000-4000-8000-000000000000']]);
  assert.equal(r.status, 200);
  assert.match(r.body, /No such user/);
});

// ---- access and CSRF -------------------------------------------------------------------

test('plain users get 403 on every route here, anonymous visitors are sent to log in; nothing changes', async () => {
  const user = await plainUser('noadmin');
  const target = uniqueEmail('never-invited');
  const anon = new Browser();
  await anon.get('/login');
  for (const p of ['/admin/invite', '/admin/import', '/admin/users.csv', '/admin/users.csv?tier=premium']) {
    let r = await user.b.get(p);
    assert.equal(r.status, 403, `plain GET ${p}`);
    r = await anon.get(p);
    assert.equal(r.status, 303, `anonymous GET ${p}`);
    assert.match(r.headers.location, /^\/login\?next=/);
  }
  await user.b.get('/account');
  const posts = [
    ['/admin/invite', { email: target, name: 'X', tier: 'premium', admin: 'yes' }],
    [`/admin/users/${encodeURIComponent(user.email)}/resend-invitation`, {}],
    [`/admin/users/${encodeURIComponent(user.email)}/confirm`, {}],
    ['/admin/import', { csv: `email,name,tier\n${target},X,premium\n`, step: 'apply' }],
    ['/admin/users/bulk-tier', { tier: 'premium', sub: user.sub }],
  ];
  for (const [p, form] of posts) {
    let r = await user.b.post(p, form);
    assert.equal(r.status, 403, `plain POST ${p}`);
    r = await anon.post(p, form);
    assert.equal(r.status, 303, `anonymous POST ${p}`);
  }
  assert.equal(await cognitoUser(target), null);
  assert.equal((await cognitoUser(user.email)).tier, 'standard');
  assert.equal(tierChanges(user.sub).length, 0);
  assert.deepEqual(actions(`actor_sub = ${sqlText(user.sub)}`), []);
});

test('CSRF: every POST here needs the page\'s token and our Origin', async () => {
  const user = await plainUser('csrf');
  const target = uniqueEmail('csrf-invite');
  const other = new Browser();
  await other.get('/login');
  await admin.b.get('/admin/invite');
  const posts = [
    ['/admin/invite', { email: target, name: 'X', tier: 'premium' }],
    [`/admin/users/${encodeURIComponent(user.email)}/resend-invitation`, {}],
    [`/admin/users/${encodeURIComponent(user.email)}/confirm`, {}],
    ['/admin/import', { csv: `email,name,tier\n${target},X,premium\n`, step: 'apply' }],
    ['/admin/users/bulk-tier', { tier: 'premium', sub: user.sub }],
  ];
  for (const [p, form] of posts) {
    for (const [why, extra, opts] of [
      ['no token', { csrf: null }, {}],
      ['a made-up token', { csrf: 'x'.repeat(43) }, {}],
      ['another visitor\'s token', { csrf: other.lastCsrf }, {}],
      ['a foreign Origin', {}, { headers: { origin: 'https://evil.example' } }],
    ]) {
      const r = await admin.b.post(p, { ...form, ...extra }, opts);
      assert.equal(r.status, 403, `${p} with ${why}`);
    }
  }
  assert.equal(await cognitoUser(target), null);
  assert.equal((await cognitoUser(user.email)).tier, 'standard');
  assert.equal(tierChanges(user.sub).length, 0);
});

// ---- tenants ----------------------------------------------------------------------------

// otherTenant makes a tenant with a pool of its own (as `tenant create`
// leaves one: email usernames, the two custom attributes, the admin group).
async function otherTenant() {
  const slug = `inv-${process.pid}-${Date.now().toString(36)}`;
  const text = (Name) => ({ Name, AttributeDataType: 'String', Mutable: true, StringAttributeConstraints: { MinLength: '0', MaxLength: '64' } });
  const { UserPool } = await cognitoLocal('CreateUserPool', {
    PoolName: slug, UsernameAttributes: ['email'],
    Schema: [{ Name: 'email', AttributeDataType: 'String', Required: true, Mutable: true }, text('tenant_id'), text('user_tier')],
  });
  const { UserPoolClient } = await cognitoLocal('CreateUserPoolClient', {
    UserPoolId: UserPool.Id, ClientName: slug, ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    ReadAttributes: ['email', 'name', 'custom:user_tier', 'custom:tenant_id'], WriteAttributes: ['email', 'name'],
  });
  await cognitoLocal('CreateGroup', { UserPoolId: UserPool.Id, GroupName: 'admin' });
  psql(`INSERT INTO gatehouse.tenants (slug, name, status, region, user_pool_id, client_id)
    VALUES ('${slug}', 'Invitations Test', 'active', 'us-east-1', '${UserPool.Id}', '${UserPoolClient.ClientId}')`);
  const m = gatehouseCli(['migrate']);
  assert.equal(m.status, 0, m.stderr);
  return { slug, poolId: UserPool.Id, schema: `"t_${slug}"` };
}

test('another tenant\'s admin invites into their own pool only, and cannot reach this tenant\'s users', async () => {
  const t = await otherTenant();
  try {
    const base = `/t/${t.slug}`;
    const { b } = await adminSession({ poolId: t.poolId, base });
    const here = await plainUser('isolated');
    const email = uniqueEmail('tenant-invite');

    await b.get(`${base}/admin/invite`);
    let r = await b.post(`${base}/admin/invite`, { email, name: 'Over There', tier: 'premium' });
    assert.equal(r.status, 200, r.body.slice(0, 300));
    const u = await cognitoLocal('AdminGetUser', { UserPoolId: t.poolId, Username: email });
    assert.equal(u.UserAttributes.find((a) => a.Name === 'custom:tenant_id').Value, t.slug);
    assert.equal(await cognitoUser(email), null, 'nobody in the default pool');
    assert.deepEqual(psql(`SELECT tier, status FROM ${t.schema}.users WHERE email = ${sqlText(email)}`), [['premium', 'FORCE_CHANGE_PASSWORD']]);
    assert.equal(mirror(email), undefined, 'nor in the default tenant\'s mirror');
    assert.equal(psql(`SELECT count(*) FROM ${t.schema}.admin_actions WHERE action = 'invitation_sent' AND target_email = ${sqlText(email)}`)[0][0], '1');

    // This tenant's users are nobody there.
    r = await b.post(`${base}/admin/users/${encodeURIComponent(here.email)}/resend-invitation`);
    assert.equal(r.status, 404);
    r = await b.post(`${base}/admin/users/${encodeURIComponent(here.email)}/confirm`);
    assert.equal(r.status, 404);
    r = await b.post(`${base}/admin/users/bulk-tier`, { tier: 'premium', sub: here.sub });
    assert.equal(r.status, 200);
    assert.match(r.body, /No such user/);
    assert.equal((await cognitoUser(here.email)).tier, 'standard');
    assert.equal(tierChanges(here.sub).length, 0);
    r = await b.get(`${base}/admin/users.csv`);
    assert.equal(r.status, 200);
    const emails = parseCsv(r.body).slice(1).map((x) => x[0]);
    assert.ok(emails.includes(email));
    assert.ok(!emails.includes(here.email), 'the export holds the tenant\'s own users only');
  } finally {
    psql(`DROP SCHEMA IF EXISTS ${t.schema} CASCADE`);
    psql(`DELETE FROM gatehouse.schema_migrations WHERE scope = 'tenant:${t.slug}'`);
    psql(`DELETE FROM gatehouse.tenants WHERE slug = '${t.slug}'`);
    await cognitoLocal('DeleteUserPool', { UserPoolId: t.poolId }).catch(() => {});
  }
});
