// The smaller holes of the trust issue, against the stack:
//   - fastcgi-socket: the pool's sockets are mode 660 in a directory of mode
//     750, both in the group of nginx's workers: nginx still serves pages
//     (on both lanes), and another local user cannot connect, so cannot
//     speak FastCGI to the pool and say what REMOTE_ADDR is.
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
import { request, stackEnv, HTTPS_PORT } from './helpers.mjs';

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
