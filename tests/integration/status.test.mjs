// What operators see: /status and /metrics (loopback only), and the
// slow-request log with its phase timings.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { request, stackEnv, Browser, fault, uniqueEmail, PASSWORD, waitFor, STACK } from './helpers.mjs';
import { fcgiRequest } from './fcgi.mjs';

after(async () => { await fault({ reset: true }); });

test('/status shows the pool and each worker thread', async () => {
  const text = await request('GET', '/status');
  assert.equal(text.status, 200);
  assert.match(text.body, /^processes:\s+2$/m);
  assert.match(text.body, /^threads per process:\s+\d+$/m);
  assert.match(text.body, /worker pid \d+, generation \d+/);
  const json = JSON.parse((await request('GET', '/status?json')).body);
  for (const key of ['start_time', 'uptime_s', 'processes', 'idle_threads', 'busy_threads', 'requests', 'slow_requests', 'workers'])
    assert.ok(key in json, key);
  assert.equal(json.workers.length, 2);
  assert.ok(json.workers.some((w) => w.threads.some((t) => t.state === 'busy' && t.route === 'status')),
    'this request is seen in flight, in whichever worker serves it');
});

test('/metrics counts requests by route and status, with latency histograms', async () => {
  await request('GET', '/no-such-page-for-metrics');
  await request('GET', '/login');
  const res = await request('GET', '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /text\/plain/);
  assert.match(res.body, /^# TYPE gatehouse_requests_total counter$/m);
  assert.match(res.body, /^gatehouse_requests_total\{route="login",status="200"\} \d+$/m);
  assert.match(res.body, /^gatehouse_requests_total\{route="-",status="404"\} \d+$/m);
  assert.match(res.body, /^gatehouse_requests_seconds_bucket\{route="login",status="200",le="\+Inf"\} \d+$/m);
  assert.match(res.body, /^# TYPE gatehouse_cognito_calls_seconds histogram$/m);
});

test('/status and /metrics are refused to anyone but loopback', async () => {
  const sock = stackEnv().GATEHOUSE_LISTEN;
  for (const uri of ['/status', '/metrics']) {
    const r = await fcgiRequest(sock, { uri, headers: { REMOTE_ADDR: '203.0.113.9' } });
    assert.equal(r.status, 404, uri);
  }
});

test('a slow request is logged with its route and its Cognito, PostgreSQL and render times', async () => {
  const b = new Browser();
  await b.get('/login');
  await fault({ op: 'InitiateAuth', mode: 'delay', delayMs: 1200 });
  const email = uniqueEmail('slow');
  const r = await b.post('/login', { email, password: PASSWORD });
  assert.equal(r.status, 401);
  const log = path.join(STACK, 'log/gatehouse.log');
  await waitFor(() => fs.readFileSync(log, 'utf8').includes(`event=slow_request id=${r.headers['x-request-id']}`), 3000, 'the slow-request line');
  const line = fs.readFileSync(log, 'utf8').split('\n').find((l) => l.includes(`event=slow_request id=${r.headers['x-request-id']}`));
  assert.match(line, /route=login_submit/);
  const cognito = Number(line.match(/cognito_us=(\d+)/)[1]);
  assert.ok(cognito >= 1000000, `the Cognito time is there (${cognito} us)`);
  assert.match(line, /postgres_us=\d+ render_us=\d+/);
  assert.doesNotMatch(line, new RegExp(email.replace(/[.+]/g, '\\$&')), 'no email in the log');
});
