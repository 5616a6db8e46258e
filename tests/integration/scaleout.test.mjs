// Scale-out. Two complete pools (two masters, each with its page
// socket and its slow lane, as two app hosts would run) against the stack's
// one PostgreSQL, behind one nginx whose upstreams list both; and an nginx
// in front of each alone, to see which pool answers. Sessions live in
// PostgreSQL, so a session made on one pool is served by the other, and one
// pool killed outright is noticed by no signed-in user beyond the requests
// it had in flight.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { sleep, waitFor, psql } from './helpers.mjs';
import {
  startPool, stopPool, killPool, groupAlive, startNginx, tempDir, SiteBrowser, sameSessionAt, apiCall, confirmedUser, confirmedUsers,
  signedIn, apiTokens, loop, poolStatus, closeClients,
} from './pools.mjs';

const USERS = 4;
const BEFORE_KILL_MS = 2000;
const AFTER_KILL_MS = 3000;
// How long a change may take to reach another pool's cache: a notification's
// trip through PostgreSQL, normally well under a millisecond.
const CROSS_POOL_MS = 2000;

let dir, poolA, poolB, both, onlyA, onlyB;

function sockets(name) {
  return { socket: path.join(dir, `${name}.sock`), slowSocket: path.join(dir, `${name}-slow.sock`) };
}

before(async () => {
  dir = tempDir('scale');
  [poolA, poolB] = await Promise.all([startPool(sockets('a')), startPool(sockets('b'))]);
  both = await startNginx([poolA.socket, poolB.socket], { slow: [poolA.slowSocket, poolB.slowSocket] });
  onlyA = await startNginx([poolA.socket], { slow: [poolA.slowSocket] });
  onlyB = await startNginx([poolB.socket], { slow: [poolB.slowSocket] });
});

after(async () => {
  for (const site of [both, onlyA, onlyB]) if (site) await site.stop();
  for (const pool of [poolA, poolB]) if (pool) await stopPool(pool);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  closeClients();
});

test('scaleout-session: a session or token made on one pool is served by the other', async () => {
  const email = await confirmedUser(onlyA.port, { tag: 'scale' });
  for (const [made, used] of [[onlyA, onlyB], [onlyB, onlyA]]) {
    const b = await signedIn(made.port, email);
    const elsewhere = sameSessionAt(b, new SiteBrowser(used.port));
    const r = await elsewhere.get('/account');
    assert.equal(r.status, 200, `a session made behind port ${made.port} is served behind ${used.port}`);
    assert.match(r.body, new RegExp(email.replace(/[.+]/g, '\\$&')));
    const token = (await apiTokens(made.port, email)).access_token;
    const me = await apiCall(used.port, 'GET', '/api/v1/me', { token });
    assert.equal(me.status, 200);
    assert.equal(me.json.email, email);
    // Logging out on the other pool ends the session everywhere. The pool
    // that made it has it cached: it hears of the logout through PostgreSQL
    // (NOTIFY, to each worker's cache listener), a moment after the other
    // pool answered. Within one pool the eviction is done before answering.
    await elsewhere.get('/account');
    assert.equal((await b.get('/account')).status, 200, 'cached where it was made');
    assert.equal((await elsewhere.post('/logout', {})).status, 303);
    await waitFor(async () => (await b.get('/account')).status !== 200, CROSS_POOL_MS,
      'logged out on the other pool');
  }
});

test('scaleout-revoke: a token revoked or a tier changed on one pool is seen by the other', async () => {
  const email = await confirmedUser(onlyA.port, { tag: 'scalerev' });
  const tokens = await apiTokens(onlyA.port, email);
  const me = (port, token = tokens.access_token) => apiCall(port, 'GET', '/api/v1/me', { token });
  // Pool B answers twice: the second answer comes from its cache.
  assert.equal((await me(onlyB.port)).status, 200);
  assert.equal((await me(onlyB.port)).json.tier, 'standard');
  // A change behind every pool's back (an operator, `users sync`): the users
  // mirror's trigger tells them.
  psql(`UPDATE t_default.users SET tier = 'premium' WHERE email = '${email}'`);
  await waitFor(async () => (await me(onlyB.port)).json.tier === 'premium', CROSS_POOL_MS,
    'pool B shows the tier changed in the database');
  const out = await apiCall(onlyA.port, 'POST', '/api/v1/auth/logout', {
    token: tokens.access_token, json: { refresh_token: tokens.refresh_token } });
  assert.equal(out.status, 200);
  await waitFor(async () => (await me(onlyB.port)).status === 401, CROSS_POOL_MS,
    'pool B refuses the token pool A revoked');
  assert.equal((await me(onlyA.port)).status, 401, 'pool A refuses it at once');
});

test('scaleout-kill: one pool killed outright; signed-in users notice nothing beyond requests in flight', async (t) => {
  const emails = await confirmedUsers(both.port, USERS, { tag: 'scalekill' });
  const users = await Promise.all(emails.map((e) => signedIn(both.port, e)));
  const token = (await apiTokens(both.port, emails[0])).access_token;
  const servedBefore = (await poolStatus(poolB.socket)).requests;

  const loops = [
    ...users.map((b) => loop(async () => {
      const r = await b.get('/account');
      return { ok: r.status === 200, status: r.status };
    })),
    loop(async () => {
      const r = await apiCall(both.port, 'GET', '/api/v1/me', { token });
      return { ok: r.status === 200, status: r.status };
    }),
    loop(async () => {
      const b = new SiteBrowser(both.port);
      await b.get('/login');
      const r = await b.post('/login', { email: emails[1], password: 'Sturdy-Passw0rd!' });
      return { ok: r.status === 303, status: r.status };
    }, { pauseMs: 100 }),
  ];
  await sleep(BEFORE_KILL_MS);
  const servedByB = (await poolStatus(poolB.socket)).requests - servedBefore;
  // The pool dies between the kill and its exit: a request nginx hands it
  // in that moment (accepted by a listener about to vanish) is in flight at
  // the kill as much as one it was already serving.
  const killedAt = Date.now();
  killPool(poolB);
  await poolB.exited;
  await waitFor(() => !groupAlive(poolB.pid), 5000, 'every process of pool B gone');
  const goneAt = Date.now();
  await sleep(AFTER_KILL_MS);
  const records = (await Promise.all(loops.map((l) => l.stop()))).flat();

  assert.ok(servedByB > 20, `pool B had its share of the traffic before (${servedByB} requests)`);
  const failed = records.filter((r) => !r.ok);
  t.diagnostic(`${records.length} requests, B served ${servedByB} before the kill; ${failed.length} failed`);
  for (const f of failed) {
    assert.ok(f.start <= goneAt && f.end >= killedAt, `only requests in flight at the kill failed: ${JSON.stringify(f)}`);
  }
  assert.ok(failed.length <= loops.length, `at most one request in flight per user failed (${failed.length})`);
  const afterKill = records.filter((r) => r.start > goneAt);
  assert.ok(afterKill.length > 50, `users kept going on pool A (${afterKill.length} requests)`);
  assert.ok(afterKill.every((r) => r.ok), 'everything after the kill succeeded');
  for (const b of users) assert.equal((await b.get('/account')).status, 200, 'every user is still signed in');
});
