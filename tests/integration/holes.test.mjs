// The smaller holes of the trust issue, against the stack:
//   - fastcgi-socket: the pool's sockets are mode 660 in a directory of mode
//     750, both in the group of nginx's workers: nginx still serves pages
//     (on both lanes), and another local user cannot connect, so cannot
//     speak FastCGI to the pool and say what REMOTE_ADDR is;
//   - unknown-host: a Host that is not BASE_DOMAIN, one of its tenant
//     subdomains or a name of SITE_HOSTS gets 421 and a page (or JSON)
//     naming no tenant, instead of being served as the default tenant;
//     every legitimate form (localhost, 127.0.0.1, [::1], <slug>.localhost,
//     /t/<slug>/, X-Tenant-ID) still works, and /healthz answers any host.
// (The JWKS hole, a remembered signature outliving its key, is in
// jwks.test.mjs, which has the pool and the timeline it needs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fcgiRequest } from './fcgi.mjs';
import { request, stackEnv, psql, HTTPS_PORT } from './helpers.mjs';

const isRoot = process.getuid() === 0;

// The primary group of nginx's workers: www-data's as root (the stack runs
// them as www-data, or nobody where there is none), else our own.
function nginxGid() {
  if (!isRoot) return process.getgid();
  const user = spawnSync('getent', ['passwd', 'www-data']).status === 0 ? 'www-data' : 'nobody';
  return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
}

// connectAs tries to connect to a unix socket as another user and says
// what happened: "connected", or the error code (EACCES...).
function connectAs(user, socket) {
  const script = `
    const s = require('node:net').createConnection(process.argv[1]);
    s.on('connect', () => { console.log('connected'); s.destroy(); });
    s.on('error', (e) => console.log(e.code));`;
  const r = spawnSync('runuser', ['-u', user, '--', process.execPath, '-e', script, socket],
    { encoding: 'utf8', timeout: 10000 });
  assert.equal(r.status, 0, `runuser: ${r.stderr}`);
  return r.stdout.trim();
}

test('fastcgi-socket: the sockets are 0660 in a 0750 directory of nginx\'s group; nginx serves, another user cannot connect', async (t) => {
  const env = stackEnv();
  const sockets = [env.GATEHOUSE_LISTEN, env.GATEHOUSE_LISTEN_SLOW];
  assert.ok(sockets.every(Boolean), 'the stack has both lanes');
  const gid = nginxGid();
  for (const socket of sockets) {
    const st = fs.statSync(socket);
    assert.ok(st.isSocket(), socket);
    assert.equal((st.mode & 0o777).toString(8), '660', `${socket} mode`);
    assert.equal(st.gid, gid, `${socket} is in nginx's group`);
    const dir = fs.statSync(path.dirname(socket));
    assert.equal((dir.mode & 0o777).toString(8), '750', `${path.dirname(socket)} mode`);
    assert.equal(dir.gid, gid, `${path.dirname(socket)} is in nginx's group`);
  }

  // nginx (another user when the stack runs as root) still reaches both
  // lanes: a page, and a POST that the app itself refuses (no CSRF token),
  // where an unreachable pool would be nginx's 502.
  const page = await request('GET', '/login', { headers: { host: `localhost:${HTTPS_PORT}` } });
  assert.equal(page.status, 200);
  assert.match(page.body, /<form\b/);
  const post = await request('POST', '/login', {
    headers: { host: `localhost:${HTTPS_PORT}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'email=a%40example.com&password=x',
  });
  assert.equal(post.status, 403, 'the slow lane answered, not nginx');
  assert.match(post.body, /did not come from this site/);

  // The pool's own user still connects.
  assert.equal((await fcgiRequest(env.GATEHOUSE_LISTEN, { uri: '/healthz' })).status, 200);

  if (!isRoot) {
    t.skip('only root can run a process as another user');
    return;
  }
  for (const socket of sockets) {
    assert.equal(connectAs('nobody', socket), 'EACCES', `nobody cannot connect to ${socket}`);
  }
  // The check has teeth: nobody does connect to a socket open to all, as
  // the pool's were (mode 777 in a directory of mode 755).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-holes-'));
  const open = net.createServer((c) => c.destroy());
  try {
    fs.chmodSync(dir, 0o755);
    const socket = path.join(dir, 'open.sock');
    await new Promise((resolve) => open.listen(socket, resolve));
    fs.chmodSync(socket, 0o777);
    assert.equal(connectAs('nobody', socket), 'connected');
  } finally {
    await new Promise((resolve) => open.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// A 421 carries nothing of any tenant: no layout, no form, no cookie.
function assertMisdirected(r, what, { json = false } = {}) {
  assert.equal(r.status, 421, `${what}: ${r.body.slice(0, 200)}`);
  assert.equal(r.headers['set-cookie'], undefined, `${what}: no cookie`);
  if (json) {
    assert.match(r.headers['content-type'], /^application\/json/, what);
    assert.equal(JSON.parse(r.body).error, 'misdirected_request', what);
    return;
  }
  assert.match(r.headers['content-type'], /^text\/html/, what);
  assert.match(r.body, /Misdirected Request/, what);
  assert.match(r.body, /does not answer to that host name/, what);
  assert.doesNotMatch(r.body, /<nav\b|<form\b|<link\b|navbar|csrf/i, `${what}: no layout, no form`);
  const [[name]] = psql("SELECT name FROM gatehouse.tenants WHERE slug = 'default'");
  assert.ok(!r.body.includes(name), `${what}: the default tenant's name (${name}) is not shown`);
}

test('unknown-host: a host outside BASE_DOMAIN and SITE_HOSTS gets 421 and no tenant\'s page', async () => {
  const port = HTTPS_PORT;
  const foreign = ['evil.com', `evil.com:${port}`, `a.b.localhost:${port}`, `localhost.evil.com:${port}`,
    `evillocalhost:${port}`, `127.0.0.2:${port}`, `[::2]:${port}`];
  for (const host of foreign) {
    assertMisdirected(await request('GET', '/login', { headers: { host } }), `GET /login as ${host}`);
    assertMisdirected(await request('GET', '/', { headers: { host } }), `GET / as ${host}`);
  }
  const host = 'evil.com';
  assertMisdirected(await request('GET', '/t/default/login', { headers: { host } }), '/t/default/ as evil.com');
  assertMisdirected(await request('GET', '/no-such-page', { headers: { host } }), 'an unknown path as evil.com');
  assertMisdirected(await request('POST', '/login', {
    headers: { host, 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=a%40b.c&password=x',
  }), 'POST /login as evil.com');
  assertMisdirected(await request('GET', '/api/v1/me', { headers: { host, accept: 'application/json' } }),
    'the API as evil.com', { json: true });
  assertMisdirected(await request('GET', '/api/v1/me', { headers: { host, 'x-tenant-id': 'default' } }),
    'the API with X-Tenant-ID as evil.com', { json: true });
  assertMisdirected(await request('POST', '/api/v1/auth/login', {
    headers: { host, 'content-type': 'application/json' }, body: '{"email":"a@b.c","password":"x"}',
  }), 'an API login as evil.com', { json: true });

  // What a balancer probes answers any host.
  const health = await request('GET', '/healthz', { headers: { host } });
  assert.equal(health.status, 200);
  assert.equal(JSON.parse(health.body).status, 'ok');
});

test('unknown-host: every name of the site still answers', async () => {
  const port = HTTPS_PORT;
  for (const host of [`localhost:${port}`, `LocalHost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`,
    `default.localhost:${port}`]) {
    const r = await request('GET', '/login', { headers: { host } });
    assert.equal(r.status, 200, `GET /login as ${host}`);
    assert.match(r.body, /<form\b/, host);
  }
  // Node's own Host (127.0.0.1:port), as the bench and most tests send it.
  assert.equal((await request('GET', '/login')).status, 200);
  // The path form, and the API's header form.
  const host = `localhost:${port}`;
  assert.equal((await request('GET', '/t/default/login', { headers: { host } })).status, 200);
  const me = await request('GET', '/api/v1/me', { headers: { host, 'x-tenant-id': 'default', accept: 'application/json' } });
  assert.equal(me.status, 401, 'the API answers (no token)');
  // A subdomain of BASE_DOMAIN is a tenant's: one that does not exist is
  // that tenant's 404, not a stranger's 421.
  const none = await request('GET', '/login', { headers: { host: `nobody-here.localhost:${port}` } });
  assert.equal(none.status, 404);
});
