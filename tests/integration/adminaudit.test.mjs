// The audit page of every admin action (issue 15) against the real stack:
// GET /admin/audit reads admin_actions, filtered by actor, target and
// action (plain GET parameters), paged by id, with a CSV that follows the
// filters; a tier change writes its admin_actions row in the transaction of
// its tier_changes row, and a tier the users sync corrects is recorded as
// the system's.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  adminSession, gatehouseCli, parseCsv, psql, uniqueEmail,
} from './helpers.mjs';
import { plainUser, sqlText, subOf, unescape } from './admin-helpers.mjs';

let admin; // {b, email}
let adminSub;

before(async () => {
  admin = await adminSession();
  adminSub = subOf(admin.email);
});


// The rows of an audit page: [when, admin, user, before, after, action, request, client, note].
function table(body) {
  return [...body.matchAll(/<tr class="gh-audit-row">([\s\S]*?)<\/tr>/g)]
    .map((m) => [...m[1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => unescape(c[1].replace(/<[^>]*>/g, '').trim())));
}

function link(body, rel) {
  const m = body.match(new RegExp(`<a class="page-link" href="([^"]*)" rel="${rel}">`));
  return m ? unescape(m[1]) : null;
}

const csvLink = (body) => unescape(body.match(/href="([^"]*)" download id="gh-audit-csv"/)[1]);

async function tierForm(email) {
  const page = await admin.b.get(`/admin/users/${encodeURIComponent(email)}`);
  const form = page.body.slice(page.body.indexOf('id="gh-tier-form"'));
  return unescape(form.match(/name="username" value="([^"]*)"/)[1]);
}

// seed writes admin_actions rows: [action, actor email, target email, target sub, detail].
function seed(rows) {
  const values = rows.map(([action, actor, target, sub, detail]) =>
    `(${sqlText(action)}, ${sqlText(sub)}, ${sqlText(target)}, 'a', 'b', ${sqlText(`sub-of-${actor.toLowerCase()}`)}, ${sqlText(actor)}, ${detail ? sqlText(detail) : 'NULL'}, 'seed', '10.1.2.3')`);
  psql(`INSERT INTO t_default.admin_actions (action, target_sub, target_email, before_value, after_value, actor_sub, actor_email, detail, request_id, client_addr)
    VALUES ${values.join(', ')}`);
}

// ---- what writes it ----------------------------------------------------------------------

test('a tier change writes its admin_actions row with its tier_changes row, in one transaction', async () => {
  const user = await plainUser('aud');
  const r = await admin.b.post('/admin/update-tier', { username: await tierForm(user.email), tier: 'premium' });
  assert.equal(r.status, 303);
  assert.match(r.headers.location, /done=tier_changed$/);
  const [change] = psql(`SELECT old_tier, new_tier, changed_by_sub, changed_by_email, request_id, client_addr FROM t_default.tier_changes WHERE user_sub = '${user.sub}'`);
  const rows = psql(`SELECT action, before_value, after_value, actor_sub, actor_email, request_id, client_addr, target_email
    FROM t_default.admin_actions WHERE target_sub = '${user.sub}'`);
  assert.deepEqual(rows, [['tier_changed', ...change, user.email]]);
  assert.equal(change[2], adminSub);
  // On the page, filtered to this user, in plain words.
  const page = await admin.b.get(`/admin/audit?target=${encodeURIComponent(user.email)}`);
  assert.deepEqual(table(page.body).map((c) => c.slice(1, 6)), [[admin.email, user.email, 'standard', 'premium', 'Tier changed']]);

  // A refused admin_actions row undoes the whole record: no tier_changes row,
  // no mirror change (users sync completes it later, as for any record refused).
  const other = await plainUser('aud');
  const constraint = `refuse_audit_${process.pid}_${Date.now()}`;
  psql(`ALTER TABLE t_default.admin_actions ADD CONSTRAINT ${constraint} CHECK (target_sub IS DISTINCT FROM '${other.sub}') NOT VALID`);
  try {
    const refused = await admin.b.post('/admin/update-tier', { username: await tierForm(other.email), tier: 'premium' });
    assert.equal(refused.status, 303);
    assert.match(refused.headers.location, /done=tier_unrecorded$/);
  } finally {
    psql(`ALTER TABLE t_default.admin_actions DROP CONSTRAINT ${constraint}`);
  }
  assert.equal(psql(`SELECT count(*) FROM t_default.tier_changes WHERE user_sub = '${other.sub}'`)[0][0], '0');
  assert.deepEqual(psql(`SELECT tier FROM t_default.users WHERE sub = '${other.sub}'`), [['standard']]);
});

test('users sync: a tier it corrects is an admin action of the system; a second run adds nothing', async () => {
  const user = await plainUser('aud');
  psql(`UPDATE t_default.users SET tier = 'premium' WHERE sub = '${user.sub}'`);
  let out = gatehouseCli(['users', 'sync', '--tenant', 'default']);
  assert.equal(out.status, 0, out.stderr);
  assert.deepEqual(psql(`SELECT tier FROM t_default.users WHERE sub = '${user.sub}'`), [['standard']]);
  const rows = () => psql(`SELECT action, before_value, after_value, actor_sub, coalesce(actor_email, '-'), target_email, detail
    FROM t_default.admin_actions WHERE target_sub = '${user.sub}'`);
  assert.deepEqual(rows(), [['tier_changed', 'premium', 'standard', 'system', '-', user.email,
    'corrected by users sync: Cognito holds this tier']]);
  out = gatehouseCli(['users', 'sync', '--tenant', 'default']);
  assert.equal(out.status, 0, out.stderr);
  assert.equal(rows().length, 1);
  const page = await admin.b.get(`/admin/audit?actor=system&target=${encodeURIComponent(user.email)}`);
  assert.deepEqual(table(page.body).map((c) => c.slice(1, 6)), [['System (users sync)', user.email, 'premium', 'standard', 'Tier changed']]);
});

// ---- the filters ------------------------------------------------------------------------

test('filters by actor, target and action (alone and together), and the CSV follows them', async () => {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const alice = `Alice-${run}@Example.com`, bob = `bob-${run}@example.com`;
  const t1 = `t1-${run}@example.com`, t2 = `t2-${run}@example.com`;
  seed([
    ['user_disabled', alice, t1, `s1-${run}`],
    ['password_reset', alice, t2, `s2-${run}`],
    ['user_disabled', bob, t2, `s2-${run}`, 'by bob'],
    ['user_enabled', bob, t1, `s1-${run}`],
    ['admin_granted', alice, t1, `s1-${run}`],
  ]);
  const pageOf = async (query) => {
    const r = await admin.b.get(`/admin/audit?${query}`);
    assert.equal(r.status, 200, query);
    return r;
  };
  // Actor, in any case.
  let r = await pageOf(`actor=${encodeURIComponent(alice.toUpperCase())}`);
  assert.deepEqual(table(r.body).map((c) => [c[1], c[2], c[5]]), [
    [alice, t1, 'Made an administrator'], [alice, t2, 'Password reset'], [alice, t1, 'User disabled']]);
  // Target.
  r = await pageOf(`target=${encodeURIComponent(t2)}`);
  assert.deepEqual(table(r.body).map((c) => [c[1], c[5], c[8]]), [[bob, 'User disabled', 'by bob'], [alice, 'Password reset', '']]);
  // Action, and every filter together.
  r = await pageOf(`action=user_disabled&target=${encodeURIComponent(t1)}`);
  assert.deepEqual(table(r.body).map((c) => [c[1], c[2]]), [[alice, t1]]);
  r = await pageOf(`actor=${encodeURIComponent(bob)}&target=${encodeURIComponent(t1)}&action=user_enabled`);
  assert.deepEqual(table(r.body).map((c) => [c[1], c[2], c[5]]), [[bob, t1, 'User enabled']]);
  assert.match(r.body, /<option value="user_enabled" selected>User enabled<\/option>/, 'the chosen action stays chosen');
  r = await pageOf(`actor=${encodeURIComponent(bob)}&action=admin_granted`);
  assert.equal(table(r.body).length, 0);
  assert.match(r.body, /No admin action matches/);
  // The select names the actions in plain words.
  assert.match(r.body, /<option value="">Any action<\/option>/);
  for (const label of ['Tier changed', 'Upgrade request approved', 'Upgrade request declined', 'User deleted', 'Signed out everywhere'])
    assert.match(r.body, new RegExp(`>${label}</option>`));

  // The CSV of a filtered page is those rows, and only those.
  r = await pageOf(`actor=${encodeURIComponent(alice)}&action=user_disabled`);
  const url = csvLink(r.body);
  assert.match(url, /^\/admin\/audit\.csv\?actor=.*&action=user_disabled$/);
  const csv = await admin.b.get(url);
  assert.equal(csv.status, 200);
  const rows = parseCsv(csv.body);
  assert.deepEqual(rows[0], ['at', 'admin_email', 'admin_sub', 'user_email', 'user_sub', 'before', 'after', 'request_id', 'client_addr', 'detail', 'action']);
  assert.deepEqual(rows.slice(1).map((c) => [c[1], c[3], c[10]]), [[alice, t1, 'user_disabled']]);
  const viaFormat = parseCsv((await admin.b.get(`/admin/audit?format=csv&target=${encodeURIComponent(t2)}`)).body);
  assert.deepEqual(viaFormat.slice(1).map((c) => [c[1], c[10]]), [[bob, 'user_disabled'], [alice, 'password_reset']]);
  const unfiltered = parseCsv((await admin.b.get('/admin/audit.csv')).body);
  assert.equal(unfiltered.length - 1, Number(psql('SELECT count(*) FROM t_default.admin_actions')[0][0]));
});

test('a target is found by the email the row recorded and by the person the mirror knows now', async () => {
  const user = await plainUser('aud');
  const old = `old-${process.pid}-${Date.now().toString(36)}@example.com`;
  // An action recorded before the user's email changed, and one after.
  seed([['profile_edited', admin.email, old, user.sub, 'then'], ['user_disabled', admin.email, user.email, user.sub, 'now']]);
  let r = await admin.b.get(`/admin/audit?target=${encodeURIComponent(user.email)}`);
  assert.deepEqual(table(r.body).map((c) => c[8]), ['now', 'then'], 'both, by the sub the mirror knows');
  r = await admin.b.get(`/admin/audit?target=${encodeURIComponent(old.toUpperCase())}`);
  assert.deepEqual(table(r.body).map((c) => c[8]), ['then'], 'the old address finds what it named');
  // A user deleted since is still found by the address recorded.
  psql(`UPDATE t_default.users SET deleted_at = now() WHERE sub = '${user.sub}'`);
  r = await admin.b.get(`/admin/audit?target=${encodeURIComponent(user.email)}`);
  assert.deepEqual(table(r.body).map((c) => c[8]), ['now']);
});

test('paged by id: the next page keeps the filters and goes on below the last id', async () => {
  const target = uniqueEmail('paged');
  const rows = [];
  for (let i = 0; i < 57; i++) rows.push(['password_reset', admin.email, target, `paged-${target}`, `n${i}`]);
  seed(rows);
  seed([['password_reset', admin.email, uniqueEmail('elsewhere'), 'elsewhere', 'other']]);
  const first = await admin.b.get(`/admin/audit?target=${encodeURIComponent(target)}&action=password_reset`);
  const one = table(first.body);
  assert.equal(one.length, 50);
  assert.equal(one[0][8], 'n56', 'newest first');
  assert.equal(link(first.body, 'prev'), null);
  const next = link(first.body, 'next');
  assert.match(next, new RegExp(`^/admin/audit\\?target=${encodeURIComponent(target).replace(/[.+]/g, '\\$&')}&action=password_reset&before=\\d+$`));
  const second = await admin.b.get(next);
  const two = table(second.body);
  assert.deepEqual(two.map((c) => c[8]), ['n6', 'n5', 'n4', 'n3', 'n2', 'n1', 'n0']);
  assert.equal(link(second.body, 'next'), null);
  assert.match(link(second.body, 'prev'), /^\/admin\/audit\?target=.*&action=password_reset$/);
  // The CSV of a page's filters has every row of them, not one page.
  const csv = parseCsv((await admin.b.get(csvLink(second.body))).body);
  assert.equal(csv.length - 1, 57);
});

test('filters that cannot be searched are 400; a plain user gets 403 for the page and the CSV', async () => {
  for (const q of ['action=no_such_action', 'action=tier_changed%27--', `actor=${'a'.repeat(300)}`, 'target=a%07b',
    'before=abc', 'before=-5', 'before=0']) {
    const r = await admin.b.get(`/admin/audit?${q}`);
    assert.equal(r.status, 400, q);
    assert.match(r.body, /<nav\b/, 'the styled page');
    assert.equal((await admin.b.get(`/admin/audit.csv?${q}`)).status, 400, `csv ${q}`);
  }
  const user = await plainUser('aud');
  for (const p of ['/admin/audit?actor=system', '/admin/audit.csv?action=tier_changed', '/admin/audit?format=csv']) {
    const r = await user.b.get(p);
    assert.equal(r.status, 403, p);
    assert.doesNotMatch(r.body, /gh-audit-row/);
  }
});
