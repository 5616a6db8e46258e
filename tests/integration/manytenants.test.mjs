// Many tenants (issue 13): an installation has one user pool per tenant, so
// hundreds or thousands of tenants, and a page of any of them must cost what
// one tenant's does. A worker process keeps up to TENANT_CACHE_MAX (2,048)
// tenant records for GATEHOUSE_TENANT_CACHE_TTL; it used to keep 64 and
// read the others from PostgreSQL on every page.
//
// The tenants here are rows made by SQL: a GET of the login page reads only
// the row (name, status, a pool id), not the pool nor the tenant's schema.
// They have no app client, so the pool's start-up check (one Cognito call per
// tenant's client) leaves them out. A pool of this file's own, one process,
// talks FastCGI: every request reaches the same cache, and its TTL is long
// enough for a round over every tenant (the stack's profile uses 1 s).
//
// That a record is served from the cache shows twice: the page still shows
// the name the row had before an UPDATE, and /metrics counts hits and misses
// (gatehouse_tenant_cache_total).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { metricValue, psql, sleep } from './helpers.mjs';
import { startPool, stopPool, tempDir } from './pools.mjs';
import { fcgiRequest } from './fcgi.mjs';

const TENANTS = 150; // well past the old cache's 64
const TTL_S = 10; // GATEHOUSE_TENANT_CACHE_TTL of this file's pool
const SLACK_MS = 1500; // a change is seen within TTL_S and this
const TAG = `mt${Date.now().toString(36)}`;
const slugs = Array.from({ length: TENANTS }, (_, i) => `${TAG}-${String(i + 1).padStart(3, '0')}`);
const nameOf = (slug) => `Many ${slug}`;

let dir, pool;

before(async () => {
  psql(`INSERT INTO gatehouse.tenants (slug, name, status, region, user_pool_id)
        SELECT '${TAG}-' || lpad(g::text, 3, '0'), 'Many ${TAG}-' || lpad(g::text, 3, '0'), 'active',
               'us-east-1', 'us-east-1_${TAG}' || g
        FROM generate_series(1, ${TENANTS}) g`);
  dir = tempDir('manytenants');
  pool = await startPool({
    socket: path.join(dir, 'p.sock'), processes: 1, threads: 2,
    env: { GATEHOUSE_TENANT_CACHE_TTL: String(TTL_S) },
  });
});

after(async () => {
  if (pool) await stopPool(pool);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  psql(`DELETE FROM gatehouse.tenants WHERE slug LIKE '${TAG}-%'`);
});

// loginPage GETs slug's login page from the pool, by its /t/<slug> path or
// by its host (<slug>.localhost, BASE_DOMAIN being localhost).
function loginPage(slug, { byHost = false } = {}) {
  return fcgiRequest(pool.socket, {
    uri: byHost ? '/login' : `/t/${slug}/login`,
    headers: { HTTP_HOST: byHost ? `${slug}.localhost` : 'localhost', HTTPS: 'on' },
  });
}

async function cacheCounts() {
  const r = await fcgiRequest(pool.socket, { uri: '/metrics', headers: { HTTP_HOST: 'localhost', HTTPS: 'on' } });
  assert.equal(r.status, 200, r.body);
  const count = (result) => metricValue(r.body, `gatehouse_tenant_cache_total{result="${result}"}`);
  return {
    exported: /^# TYPE gatehouse_tenant_cache_total counter$/m.test(r.body),
    hit: count('hit'), miss: count('miss'), evicted: count('evicted'),
  };
}

test(`a worker keeps all of ${TENANTS} tenants: a second round within the TTL reads none of them again`, async () => {
  const started = Date.now();
  for (const slug of slugs) {
    const r = await loginPage(slug);
    assert.equal(r.status, 200, `${slug}: ${r.body.slice(0, 300)}`);
    assert.ok(r.body.includes(`Log in to ${nameOf(slug)}`), `${slug}: its name on the page`);
  }
  const before = await cacheCounts();
  // Every row changes; a page served from the cache still shows the old name.
  psql(`UPDATE gatehouse.tenants SET name = name || ' renamed' WHERE slug LIKE '${TAG}-%'`);
  const stale = [];
  for (const slug of slugs) {
    const r = await loginPage(slug, { byHost: true });
    assert.equal(r.status, 200, `${slug} by host: ${r.body.slice(0, 300)}`);
    if (!r.body.includes(`Log in to ${nameOf(slug)}<`)) stale.push(slug);
  }
  const elapsed = Date.now() - started;
  assert.ok(elapsed < TTL_S * 1000, `both rounds took ${elapsed} ms, more than the TTL: too slow to tell`);
  const after = await cacheCounts();
  assert.deepEqual(stale, [], `read again from PostgreSQL within the TTL (evicted): ${stale.length} of ${TENANTS}`);
  assert.ok(after.exported, 'the cache counts are in /metrics');
  assert.equal(after.miss - before.miss, 0, 'no misses in the second round');
  assert.ok(after.hit - before.hit >= TENANTS, `${after.hit - before.hit} hits in the second round`);
  assert.equal(after.evicted, 0, 'nothing live was evicted');
});

test('a changed, disabled or deleted tenant is seen within the TTL', async () => {
  const [renamed, disabled, deleted] = slugs.slice(-3);
  for (const slug of [renamed, disabled, deleted]) {
    const r = await loginPage(slug);
    assert.equal(r.status, 200, slug);
  }
  const changedAt = Date.now();
  psql(`UPDATE gatehouse.tenants SET name = 'Changed ${renamed}' WHERE slug = '${renamed}'`);
  psql(`UPDATE gatehouse.tenants SET status = 'disabled' WHERE slug = '${disabled}'`);
  psql(`DELETE FROM gatehouse.tenants WHERE slug = '${deleted}'`);
  const seen = {};
  while (Object.keys(seen).length < 3 && Date.now() - changedAt < TTL_S * 1000 + SLACK_MS) {
    const [a, b, c] = await Promise.all([loginPage(renamed), loginPage(disabled, { byHost: true }), loginPage(deleted)]);
    if (!seen.renamed && a.status === 200 && a.body.includes(`Log in to Changed ${renamed}<`)) seen.renamed = Date.now() - changedAt;
    if (!seen.disabled && b.status === 404) seen.disabled = Date.now() - changedAt;
    if (!seen.deleted && c.status === 404) seen.deleted = Date.now() - changedAt;
    await sleep(200);
  }
  assert.deepEqual(Object.keys(seen).sort(), ['deleted', 'disabled', 'renamed'],
    `seen within ${TTL_S} s + ${SLACK_MS} ms: ${JSON.stringify(seen)}`);
});
