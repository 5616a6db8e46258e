// The two lanes under a slow Cognito: the GETs that always wait on it
// (ROUTE_WAITS in app/server/router.c) are the slow lane's, like the POSTs,
// so a run of them does not hold the pages. Against the real stack: nginx's
// map, the pool's two sockets, and the Cognito double holding AdminGetUser.
// Ordered, not timed: more admin user pages than the page lane has threads
// are all in flight at once (which the page lane could not hold), and the
// login page answers while every one of them still waits.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Browser, adminSession, fault, request, stackEnv, waitFor } from './helpers.mjs';

const HOLD_MS = 4000; // how long the double holds each AdminGetUser

after(async () => { await fault({ reset: true }); });

// The pool's threads now on route, from /status.
async function busyOn(route) {
  const status = JSON.parse((await request('GET', '/status?json')).body);
  return status.workers.flatMap((w) => w.threads).filter((t) => t.state === 'busy' && t.route === route).length;
}

test('admin user pages waiting on a slow Cognito do not hold the page lane', async () => {
  const env = stackEnv();
  const pageThreads = Number(env.GATEHOUSE_PROCESSES) * Number(env.GATEHOUSE_THREADS);
  const slowThreads = Number(env.GATEHOUSE_PROCESSES) * Number(env.GATEHOUSE_SLOW_THREADS);
  const views = pageThreads + 2;
  assert.ok(views <= slowThreads, `the slow lane can hold ${views} views (${slowThreads} threads)`);
  const admin = await adminSession();
  const userPage = `/admin/users/${encodeURIComponent(admin.email)}`;
  assert.equal((await admin.b.get(userPage)).status, 200, 'the user page, before Cognito slows');

  await fault({ op: 'AdminGetUser', mode: 'delay', delayMs: HOLD_MS });
  let answered = 0;
  const pending = Array.from({ length: views }, () => admin.b.get(userPage).then((r) => { answered++; return r; }));
  try {
    await waitFor(async () => (await busyOn('admin_user')) === views, HOLD_MS / 2,
      `all ${views} user pages in flight at once`);
    const login = await new Browser().get('/login');
    assert.equal(login.status, 200);
    assert.equal(answered, 0, 'the login page answered while every user page still waited');
  } finally {
    const pages = await Promise.all(pending);
    await fault({ reset: true });
    assert.ok(pages.every((r) => r.status === 200), `the user pages: ${pages.map((r) => r.status)}`);
  }
});
