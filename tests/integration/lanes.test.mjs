// The two lanes under a slow Cognito: the GETs that always wait on it
// (ROUTE_WAITS in app/server/router.c) are the slow lane's, like the POSTs,
// so a run of them does not hold the pages; and a page whose session is due
// for a refresh is handed to the slow lane by the page thread (nginx's
// @gatehouse_wait). Against the real stack: nginx's map and named location,
// the pool's two sockets, and the Cognito double holding AdminGetUser or the
// refresh (InitiateAuth).
// Ordered, not timed: more admin user pages than the page lane has threads
// are all in flight at once (which the page lane could not hold), and the
// login page answers while every one of them still waits.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Browser, PASSWORD, adminSession, cognitoLocal, fault, metricValue, psql, request, stackEnv, stackInfo, uniqueEmail, waitFor,
} from './helpers.mjs';

const HOLD_MS = 4000; // how long the double holds each AdminGetUser

after(async () => { await fault({ reset: true }); });

// The pool's threads, from /status.
async function threads() {
  return JSON.parse((await request('GET', '/status?json')).body).workers.flatMap((w) => w.threads);
}

// The pool's threads now on route.
async function busyOn(route) {
  return (await threads()).filter((t) => t.state === 'busy' && t.route === route).length;
}

// Requests served so far by the slow lane's threads (those past GATEHOUSE_THREADS).
async function slowLaneServed() {
  const pageThreads = Number(stackEnv().GATEHOUSE_THREADS);
  return (await threads()).filter((t) => t.thread >= pageThreads).reduce((n, t) => n + t.requests, 0);
}

// counter reads one series of the pool's /metrics (0 before its first count).
async function counter(series) {
  return metricValue((await request('GET', '/metrics')).body, series);
}

// moreViewsThanPageThreads: how many views a test holds at once, more than
// the page lane has threads (and no more than the slow lane has).
function moreViewsThanPageThreads() {
  const env = stackEnv();
  const pageThreads = Number(env.GATEHOUSE_PROCESSES) * Number(env.GATEHOUSE_THREADS);
  const slowThreads = Number(env.GATEHOUSE_PROCESSES) * Number(env.GATEHOUSE_SLOW_THREADS);
  const views = pageThreads + 2;
  assert.ok(views <= slowThreads, `the slow lane can hold ${views} views (${slowThreads} threads)`);
  return views;
}

// holdViews opens views pages with open() while the double delays op: all
// of them are in flight at once on route, and the login page answers
// meanwhile. It resolves with the pages once answered (every one a 200).
async function holdViews({ op, route, views, open }) {
  await fault({ op, mode: 'delay', delayMs: HOLD_MS });
  let answered = 0;
  const pending = Array.from({ length: views }, () => open().then((r) => { answered++; return r; }));
  try {
    await waitFor(async () => (await busyOn(route)) === views, HOLD_MS / 2,
      `all ${views} ${route} pages in flight at once`);
    const login = await new Browser().get('/login');
    assert.equal(login.status, 200);
    assert.equal(answered, 0, `the login page answered while every ${route} page still waited`);
  } finally {
    const pages = await Promise.all(pending);
    await fault({ reset: true });
    assert.ok(pages.every((r) => r.status === 200), `the ${route} pages: ${pages.map((r) => r.status)}`);
  }
  return Promise.all(pending);
}

test('admin user pages waiting on a slow Cognito do not hold the page lane', async () => {
  const views = moreViewsThanPageThreads();
  const admin = await adminSession();
  const userPage = `/admin/users/${encodeURIComponent(admin.email)}`;
  assert.equal((await admin.b.get(userPage)).status, 200, 'the user page, before Cognito slows');

  await holdViews({ op: 'AdminGetUser', route: 'admin_user', views, open: () => admin.b.get(userPage) });
});

// signedInUser makes a user with a permanent password and signs them in
// (cognito-local refreshes the tokens of a password sign-in, not those of a
// new-password challenge's, which adminSession goes through).
async function signedInUser() {
  const pool = stackInfo().COGNITO_USER_POOL_ID;
  const email = uniqueEmail('lanes');
  await cognitoLocal('AdminCreateUser', {
    UserPoolId: pool, Username: email, MessageAction: 'SUPPRESS', TemporaryPassword: 'Temp-Passw0rd!x',
    UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' }],
  });
  await cognitoLocal('AdminSetUserPassword', { UserPoolId: pool, Username: email, Password: PASSWORD, Permanent: true });
  const b = new Browser();
  await b.get('/login');
  assert.equal((await b.post('/login', { email, password: PASSWORD })).status, 303, 'signed in');
  return { b, email };
}

test('a page whose session is due for a refresh waits on the slow lane, not the page lane', async () => {
  const views = moreViewsThanPageThreads();
  const user = await signedInUser();
  const expiry = () => Number(psql(`SELECT extract(epoch FROM access_expires_at - now())::bigint
    FROM gatehouse.sessions WHERE email = '${user.email}'`)[0][0]);

  // A session that is not due: its pages are the page lane's alone.
  const before = await slowLaneServed();
  for (let i = 0; i < 3; i++) assert.equal((await user.b.get('/account')).status, 200);
  assert.equal(await slowLaneServed(), before, 'no page of a fresh session went to the slow lane');

  // Due (its access token ends within the minute): every view waits on the
  // refresh, which the double holds; the page threads stay free.
  psql(`UPDATE gatehouse.sessions SET access_expires_at = now() + interval '20 seconds'
    WHERE email = '${user.email}'`);
  const served = 'gatehouse_requests_total{route="account",status="200"}';
  const handed = 'gatehouse_lane_handoffs_total{route="account",reason="session_refresh"}';
  const [servedBefore, handedBefore] = [await counter(served), await counter(handed)];
  const pages = await holdViews({ op: 'InitiateAuth', route: 'account', views, open: () => user.b.get('/account') });
  assert.ok(pages.every((r) => r.body.includes(user.email)), 'each is the account page of the session');
  assert.ok(expiry() > 30 * 60, `the session was refreshed (its token now lasts ${expiry()} s)`);
  // Each view is one request in the metrics, counted by the slow lane that served it; the page
  // thread's handoff is counted apart (it was once counted as a second request of its own).
  assert.equal(await counter(served) - servedBefore, views, 'each view counted once as a request');
  assert.equal(await counter(handed) - handedBefore, views, 'each view handed over once');
});
