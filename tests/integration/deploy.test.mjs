// The deployment files, checked the way an operator would use them:
//   - the systemd units pass `systemd-analyze verify` and the service's
//     hardening scores low in `systemd-analyze security --offline`;
//   - `make install DESTDIR=... [PREFIX=...]` lays out the expected tree and
//     needs nothing outside it;
//   - the production nginx site passes `nginx -t` inside Debian's own
//     nginx.conf, and then really serves: the installed static files and
//     Bootstrap, the installed binary's pool over FastCGI, HTTP/2, the
//     redirect, the headers and the styled error pages.
// None of this needs the test stack: everything runs from a temporary
// directory with its own ports, sockets and throwaway certificates.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { ROOT, BIN, waitFor } from './helpers.mjs';

const UNIT_DIR = path.join(ROOT, 'deploy/systemd');
const SITE = path.join(ROOT, 'deploy/nginx/gatehouse-production.conf');
const LOCAL_SITE = path.join(ROOT, 'nginx/gatehouse.conf.in');
const DEBIAN_NGINX_CONF = '/etc/nginx/nginx.conf';
// What the production files name, and the test substitutes.
const INSTALLED_BIN = '/usr/local/bin/gatehouse';
const CERT_DIR = '/etc/letsencrypt/live/example.com/';
const NGINX_LOG_DIR = '/var/log/nginx/';
const SHARE = '/usr/local/share/gatehouse';
const SOCKET = '/run/gatehouse/gatehouse.sock';
const SLOW_SOCKET = '/run/gatehouse/gatehouse-slow.sock'; // the slow lane's (GATEHOUSE_LISTEN_SLOW)
const SITE_NAME = 'example.com';
const EXPOSURE_MAX = 20; // systemd-analyze security threshold: "2.0 OK"
const START_MS = 15000;

let dir;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-deploy-'));
  // nginx's workers run as www-data when the test runs as root: they must
  // reach the installed tree and the pool's socket in here.
  fs.chmodSync(dir, 0o755);
});
after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

// run(cmd, args, opts) → {status, out} with stdout and stderr together.
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return { status: r.status, out: `${r.stdout || ''}${r.stderr || ''}` };
}

function have(cmd) {
  return run('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

// The nested make must build nothing instrumented and join no jobserver:
// `make test SANITIZE=1` exports both through the environment.
function makeEnv() {
  const env = { ...process.env };
  for (const k of ['SANITIZE', 'MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'BUILD']) delete env[k];
  return env;
}

// install(destdir, extra) runs `make install` into destdir. When
// app/gatehouse exists it is taken as it is (-o: not remade), so the test
// does not rebuild the tree; otherwise make builds it first.
function install(destdir, extra = []) {
  const args = ['-s', '-C', ROOT];
  if (fs.existsSync(path.join(ROOT, 'app/gatehouse'))) args.push('-o', 'app/gatehouse');
  args.push('install', `DESTDIR=${destdir}`, ...extra);
  const r = run('make', args, { env: makeEnv() });
  assert.equal(r.status, 0, `make install failed:\n${r.out}`);
  return r.out;
}

// files(root) lists the files under root, relative, sorted.
function files(root, skip = () => false) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(root, p);
      if (skip(rel)) continue;
      if (e.isDirectory()) walk(p); else out.push(rel);
    }
  };
  walk(root);
  return out.sort();
}

// ---- certificates --------------------------------------------------------------

// makeCertificates writes what certbot leaves in /etc/letsencrypt/live/<name>/
// (fullchain.pem, privkey.pem, chain.pem) for example.com and *.example.com,
// signed by a throwaway CA, plus ca.pem for the client. The leaf names an
// OCSP responder (nothing listens there), so the stapling directives are
// exercised rather than skipped with a warning.
function makeCertificates(tlsDir) {
  fs.mkdirSync(tlsDir, { recursive: true });
  const f = (n) => path.join(tlsDir, n);
  const openssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', '2', '-subj', '/CN=gatehouse test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', `/CN=${SITE_NAME}`, '-keyout', f('privkey.pem'), '-out', f('leaf.csr'));
  fs.writeFileSync(f('leaf.ext'), [
    `subjectAltName=DNS:${SITE_NAME},DNS:*.${SITE_NAME}`,
    'authorityInfoAccess=OCSP;URI:http://127.0.0.1:9/',
    'extendedKeyUsage=serverAuth', '',
  ].join('\n'));
  openssl('x509', '-req', '-in', f('leaf.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'),
    '-CAcreateserial', '-days', '2', '-extfile', f('leaf.ext'), '-out', f('cert.pem'));
  fs.writeFileSync(f('chain.pem'), fs.readFileSync(f('ca.pem')));
  fs.writeFileSync(f('fullchain.pem'), Buffer.concat([fs.readFileSync(f('cert.pem')), fs.readFileSync(f('ca.pem'))]));
}

// ---- nginx -----------------------------------------------------------------------

// renderSite copies the production site with the machine-specific paths
// replaced: certificates, logs, the installed tree, the socket, and ports 80
// and 443 by free loopback ports (even `nginx -t` binds its listening
// sockets: as root it would take the machine's 80 and 443, and fail if
// anything held them). Every replaced path must be in the file, so a renamed
// path cannot slip by unreplaced.
function renderSite(out, { tlsDir, logDir, share = SHARE, socket = SOCKET, slowSocket = SLOW_SOCKET, ports }) {
  let text = fs.readFileSync(SITE, 'utf8');
  for (const p of [CERT_DIR, NGINX_LOG_DIR, SHARE, SOCKET, SLOW_SOCKET]) assert.ok(text.includes(p), `the site names ${p}`);
  const swap = (from, to) => { text = text.split(from).join(to); };
  swap(CERT_DIR, `${tlsDir}/`);
  swap(NGINX_LOG_DIR, `${logDir}/`);
  swap(SOCKET, socket);
  swap(SLOW_SOCKET, slowSocket);
  swap(SHARE, share);
  assert.match(text, /^\s*listen 80;$/m);
  assert.match(text, /^\s*listen 443 ssl http2;$/m);
  text = text.replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${ports.http};`)
    .replace(/^(\s*)listen 443 ssl http2;$/m, `$1listen 127.0.0.1:${ports.https} ssl http2;`)
    .replace(/^\s*listen \[::\]:(80|443)[^;]*;$/gm, '');
  fs.writeFileSync(out, text);
}

// renderMain copies Debian's /etc/nginx/nginx.conf with the site in place of
// sites-enabled/* and conf.d, and pid, logs and temp files in the test
// directory. Run as root the master switches to www-data as in production;
// otherwise the user line goes (only root can switch users).
function renderMain(out, { site, workDir }) {
  let text = fs.readFileSync(DEBIAN_NGINX_CONF, 'utf8');
  const replace = (re, to, what) => {
    assert.match(text, re, `Debian's nginx.conf has ${what}`);
    text = text.replace(re, to);
  };
  const tmp = (n) => path.join(workDir, 'tmp', n);
  replace(/^pid .*$/m, `pid ${workDir}/nginx.pid;`, 'a pid line');
  replace(/^error_log .*$/m, `error_log ${workDir}/log/error.log;`, 'an error_log line');
  replace(/^(\s*)access_log .*$/m, `$1access_log ${workDir}/log/access.log;\n` +
    ['client_body', 'fastcgi', 'proxy', 'uwsgi', 'scgi'].map((n) => `$1${n}_temp_path ${tmp(n)};`).join('\n'),
  'an access_log line');
  replace(/^\s*include \/etc\/nginx\/conf\.d\/\*\.conf;$/m, '', 'the conf.d include');
  replace(/^(\s*)include \/etc\/nginx\/sites-enabled\/\*;$/m, `$1include ${site};`, 'the sites-enabled include');
  if (process.getuid() !== 0) text = text.replace(/^user .*$/m, '');
  fs.writeFileSync(out, text);
}

function nginxDirs(workDir) {
  for (const d of ['log', 'tmp']) fs.mkdirSync(path.join(workDir, d), { recursive: true });
}

// ---- small clients ---------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// send(port, method, path, opts) → {status, headers, body} over TLS with SNI
// and the Host of the site, trusting only the throwaway CA; opts.plain for HTTP.
function send(port, method, urlPath, { ca, plain = false, host = SITE_NAME, headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const mod = plain ? http : https;
    const req = mod.request({
      host: '127.0.0.1', port, method, path: urlPath, servername: host, ca,
      headers: { host, ...headers, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) },
      agent: false,
    }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts).toString() }));
    });
    req.setTimeout(10000, () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

function alpn(port, ca) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: SITE_NAME, ca, ALPNProtocols: ['h2', 'http/1.1'] },
      () => { const proto = s.alpnProtocol; s.end(); resolve(proto); });
    s.on('error', reject);
  });
}

function stopChild(child, signal = 'SIGTERM') {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => { child.once('exit', resolve); child.kill(signal); });
}

// ---- systemd -----------------------------------------------------------------------

// unitCopies writes each unit of deploy/systemd into out/ for
// systemd-analyze: ExecStart names the binary just built (verify refuses a
// command that is not there, and /usr/local/bin/gatehouse is not installed
// on a build machine), and a template is copied as its instance @default
// (a bare template cannot be verified). Returns the copies' paths.
function unitCopies(out) {
  fs.mkdirSync(out, { recursive: true });
  const copies = [];
  for (const name of fs.readdirSync(UNIT_DIR).sort()) {
    const text = fs.readFileSync(path.join(UNIT_DIR, name), 'utf8');
    const target = path.join(out, name.replace('@.', '@default.'));
    fs.writeFileSync(target, text.split(INSTALLED_BIN).join(BIN));
    copies.push(target);
  }
  return copies;
}

// unitValue(text, key) → the last value of key= in the unit text.
function unitValue(text, key) {
  const all = [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1].trim());
  return all.length ? all[all.length - 1] : undefined;
}

test('the systemd units pass systemd-analyze verify', () => {
  assert.ok(have('systemd-analyze'), 'systemd-analyze is missing (Debian package systemd)');
  assert.ok(fs.existsSync(BIN), `${BIN} is missing: build it first (make)`);
  const copies = unitCopies(path.join(dir, 'units'));
  const names = copies.map((c) => path.basename(c));
  assert.ok(names.includes('gatehouse.service'), `units: ${names.join(' ')}`);
  const r = run('systemd-analyze', ['verify', '--man=no', ...copies]);
  // verify exits 0 on mere warnings (an unknown key, say), so any line
  // about one of our units fails the test as well.
  const ours = r.out.split('\n').filter((l) => names.some((n) => l.includes(n)));
  assert.equal(r.status, 0, r.out);
  assert.deepEqual(ours, [], r.out);
});

test('gatehouse.service is confined (systemd-analyze security)', () => {
  const copies = unitCopies(path.join(dir, 'units-security'));
  const unit = copies.find((c) => path.basename(c) === 'gatehouse.service');
  const r = run('systemd-analyze', ['security', '--offline=yes', '--no-pager',
    `--threshold=${EXPOSURE_MAX}`, unit]);
  const overall = r.out.split('\n').find((l) => l.includes('Overall exposure level')) || r.out;
  assert.equal(r.status, 0, `exposure above ${EXPOSURE_MAX / 10}: ${overall}`);
});

test('gatehouse.service runs the pool as the deployment guide says', () => {
  const text = fs.readFileSync(path.join(UNIT_DIR, 'gatehouse.service'), 'utf8');
  assert.equal(unitValue(text, 'ExecStart'), `${INSTALLED_BIN} serve --env-file /etc/gatehouse/gatehouse.env`);
  assert.equal(unitValue(text, 'ExecReload'), '/bin/kill -HUP $MAINPID');
  assert.equal(unitValue(text, 'User'), 'gatehouse');
  assert.equal(unitValue(text, 'RuntimeDirectory'), 'gatehouse');
  assert.equal(path.dirname(SOCKET), '/run/gatehouse');
  assert.equal(unitValue(text, 'KillMode'), 'mixed');
  assert.equal(unitValue(text, 'Restart'), 'on-failure');
  // The master kills leftover workers GATEHOUSE_REQUEST_TIMEOUT +
  // STOP_GRACE_EXTRA_S after SIGTERM; systemd must wait longer than that.
  const timeout = Number(fs.readFileSync(path.join(ROOT, 'app/core/config.c'), 'utf8')
    .match(/"GATEHOUSE_REQUEST_TIMEOUT",\s*(\d+)\)/)[1]);
  const grace = Number(fs.readFileSync(path.join(ROOT, 'app/server/master.c'), 'utf8')
    .match(/#define STOP_GRACE_EXTRA_S (\d+)/)[1]);
  const stop = Number(unitValue(text, 'TimeoutStopSec').replace(/s$/, ''));
  assert.ok(stop > timeout + grace, `TimeoutStopSec=${stop} must exceed ${timeout} + ${grace}`);
  // The users-sync template runs a command the binary has.
  const sync = fs.readFileSync(path.join(UNIT_DIR, 'gatehouse-users-sync@.service'), 'utf8');
  assert.match(unitValue(sync, 'ExecStart'), /^\/usr\/local\/bin\/gatehouse users sync --tenant %i --env-file /);
  const usage = run(BIN, ['users']);
  assert.match(usage.out, /gatehouse users sync \[--tenant SLUG\]/);
});

// ---- make install ------------------------------------------------------------------

test('make install DESTDIR=... lays out the binary, data and deploy files', () => {
  const dest = path.join(dir, 'stage');
  install(dest);
  const prefix = path.join(dest, 'usr/local');
  // Nothing lands outside the prefix.
  assert.deepEqual(fs.readdirSync(dest), ['usr']);
  assert.deepEqual(fs.readdirSync(path.join(dest, 'usr')), ['local']);
  assert.deepEqual(fs.readdirSync(prefix).sort(), ['bin', 'share']);

  const bin = path.join(prefix, 'bin/gatehouse');
  assert.ok(fs.statSync(bin).mode & 0o111, 'the binary is executable');
  assert.ok(fs.readFileSync(bin).equals(fs.readFileSync(path.join(ROOT, 'app/gatehouse'))), 'bin/gatehouse is app/gatehouse');

  const share = path.join(prefix, 'share/gatehouse');
  assert.deepEqual(fs.readdirSync(share).sort(), ['deploy', 'doc', 'sql', 'static', 'templates', 'vendor']);
  // templates/ and sql/ whole; static/ without the site-rendered errors/.
  assert.deepEqual(files(path.join(share, 'templates')), files(path.join(ROOT, 'templates')));
  assert.deepEqual(files(path.join(share, 'sql')), files(path.join(ROOT, 'sql')));
  assert.deepEqual(files(path.join(share, 'static')), files(path.join(ROOT, 'static'), (rel) => rel === 'errors'));
  assert.ok(files(path.join(share, 'sql')).some((f) => f.startsWith('core/')) &&
    files(path.join(share, 'sql')).some((f) => f.startsWith('tenant/')), 'both migration sets');
  assert.deepEqual(files(path.join(share, 'vendor/bootstrap')), files(path.join(ROOT, 'node_modules/bootstrap/dist')));
  for (const f of ['templates/layout.mustache', 'static/css/gatehouse.css']) {
    assert.ok(fs.readFileSync(path.join(share, f)).equals(fs.readFileSync(path.join(ROOT, f))), `${f} is a copy`);
  }
  assert.deepEqual(files(path.join(share, 'deploy')),
    ['gatehouse-production.conf', 'gatehouse-users-sync@.service', 'gatehouse-users-sync@.timer', 'gatehouse.service']);
  assert.deepEqual(files(path.join(share, 'doc')), ['DEPLOY.md', 'SCALING.md']);
  // With the default PREFIX the deploy files are the repository's, unchanged.
  assert.equal(fs.readFileSync(path.join(share, 'deploy/gatehouse.service'), 'utf8'),
    fs.readFileSync(path.join(UNIT_DIR, 'gatehouse.service'), 'utf8'));

  // Readable by nginx's workers whatever the umask: files 644, dirs 755.
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const mode = fs.statSync(p).mode & 0o777;
      if (e.isDirectory()) { assert.equal(mode, 0o755, p); walk(p); } else assert.equal(mode, 0o644, p);
    }
  };
  walk(share);
});

test('make install PREFIX=... points the deploy files at that prefix', () => {
  const dest = path.join(dir, 'stage-opt');
  install(dest, ['PREFIX=/opt/gatehouse']);
  const share = path.join(dest, 'opt/gatehouse/share/gatehouse');
  assert.ok(fs.existsSync(path.join(dest, 'opt/gatehouse/bin/gatehouse')));
  const unit = fs.readFileSync(path.join(share, 'deploy/gatehouse.service'), 'utf8');
  assert.equal(unitValue(unit, 'ExecStart'), '/opt/gatehouse/bin/gatehouse serve --env-file /etc/gatehouse/gatehouse.env');
  assert.equal(unitValue(unit, 'WorkingDirectory'), '/opt/gatehouse/share/gatehouse');
  const site = fs.readFileSync(path.join(share, 'deploy/gatehouse-production.conf'), 'utf8');
  assert.ok(!site.includes('/usr/local'), 'no /usr/local left in the site');
  assert.match(site, /alias \/opt\/gatehouse\/share\/gatehouse\/vendor\/bootstrap\/;/);
});

// ---- nginx ---------------------------------------------------------------------------

// The GET routes of app/server/router.c, with their flags: [pattern, flags].
function getRoutes() {
  const src = fs.readFileSync(path.join(ROOT, 'app/server/router.c'), 'utf8');
  return [...src.matchAll(/\{GET_OR_HEAD, "([^"]+)", \w+, ([^,]+), "\w+"\}/g)].map((m) => [m[1], m[2]]);
}

// The regular expressions of a site's $gh_upstream map that pick the slow
// lane, as JavaScript ones (the patterns use nothing the two differ on).
function slowLaneRules(text) {
  const map = text.match(/map "\$request_method \$uri" \$gh_upstream \{([\s\S]*?)\}/);
  assert.ok(map, 'the site maps method and path to an upstream');
  return [...map[1].matchAll(/"~([^"]+)"\s+gatehouse_slow;/g)].map((m) => new RegExp(m[1]));
}

test('both sites send every POST and exactly the GETs that wait on Cognito to the slow lane', () => {
  const routes = getRoutes();
  assert.ok(routes.length > 30, `the route table was read (${routes.length} GET routes)`);
  const waits = routes.filter(([, flags]) => flags.includes('ROUTE_WAITS')).map(([p]) => p);
  assert.deepEqual(waits.sort(), ['/account/security', '/admin/users/{username}', '/api/v1/me/mfa']);
  for (const site of [SITE, LOCAL_SITE]) {
    const rules = slowLaneRules(fs.readFileSync(site, 'utf8'));
    const slow = (method, uri) => rules.some((re) => re.test(`${method} ${uri}`));
    for (const [pattern, flags] of routes) {
      const uri = pattern.replace(/\{[^}]+\}/, 'someone@example.com');
      for (const prefix of ['', '/t/acme']) {
        for (const method of ['GET', 'HEAD']) {
          assert.equal(slow(method, prefix + uri), flags.includes('ROUTE_WAITS'),
            `${path.basename(site)}: ${method} ${prefix}${uri}`);
        }
      }
    }
    for (const method of ['POST', 'PATCH', 'DELETE']) assert.ok(slow(method, '/login'), `${method} goes slow`);
    // A page thread hands a page whose session is due for a refresh to the
    // slow lane through this named location (app/server/dispatch.c).
    const named = fs.readFileSync(path.join(ROOT, 'app/server/dispatch.c'), 'utf8')
      .match(/#define SLOW_LANE_LOCATION "(@[\w-]+)"/);
    assert.ok(named, 'dispatch.c names the location');
    assert.match(fs.readFileSync(site, 'utf8'),
      new RegExp(`location ${named[1]} \\{\\s*fastcgi_pass gatehouse_slow;\\s*\\}`),
      `${path.basename(site)}: ${named[1]} passes to the slow lane`);
    assert.ok(!slow('GET', '/admin/users'), 'the list stays a page');
    assert.ok(!slow('GET', '/admin/users.csv'), 'the export stays a page');
  }
});

test('the production site keeps the local site\'s headers, limits and FastCGI settings', () => {
  const prod = fs.readFileSync(SITE, 'utf8');
  // The local site less its bench locations (their responder is measured
  // without keep-alive on purpose), which production does not have.
  const bench = /# ---- the two ceilings[\s\S]*?# ---- the application ----/;
  const localWhole = fs.readFileSync(LOCAL_SITE, 'utf8');
  assert.match(localWhole, bench, 'the local site still marks its bench section');
  const local = localWhole.replace(bench, '');
  const lines = (text, re) => [...text.matchAll(re)].map((m) => m[0].replace(/\s+/g, ' ').trim()).sort();
  const fastcgi = /^\s*fastcgi_(param|keep_conn|intercept_errors|connect_timeout|buffer_size|buffers)\b.*;$/gm;
  assert.deepEqual(lines(prod, fastcgi), lines(local, fastcgi));
  const headerNames = (text) => [...text.matchAll(/^\s*add_header (\S+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(headerNames(prod), headerNames(local));
  for (const re of [/^\s*client_max_body_size .*;$/gm, /^\s*client_body_buffer_size .*;$/gm,
    /^\s*ssl_ciphers .*;$/gm, /^\s*ssl_protocols .*;$/gm, /^\s*error_page .*;$/gm]) {
    assert.deepEqual(lines(prod, re), lines(local, re), String(re));
  }
  const apiErrors = /^\s*location @api_\d+ .*$/gm;
  assert.deepEqual(lines(prod, apiErrors), lines(local, apiErrors));
  assert.doesNotMatch(prod, /location[^{]*__bench/, 'no bench locations in production');
  assert.match(prod, /max-age=31536000/);
  assert.match(prod, /ssl_stapling on;/);
  assert.match(prod, /resolver \S+/);
  assert.match(prod, /server_name example\.com \*\.example\.com;/);
  // The operations pages, with or without a /t/<slug> prefix: loopback only.
  const block = prod.match(/location ~ \^\(\/t\/\[a-z0-9-\]\+\)\?\/\(status\|metrics\)\$ \{[^}]*\}/);
  assert.ok(block, '/status and /metrics location');
  assert.match(block[0], /allow 127\.0\.0\.1;\s*allow ::1;\s*deny all;/, 'they are loopback only');
});

test('the production site passes nginx -t inside Debian\'s nginx.conf', async () => {
  assert.ok(have('nginx'), 'nginx is missing');
  const work = path.join(dir, 'nginx-t');
  nginxDirs(work);
  makeCertificates(path.join(work, 'tls'));
  const ports = { http: await freePort(), https: await freePort() };
  renderSite(path.join(work, 'site.conf'), { tlsDir: path.join(work, 'tls'), logDir: path.join(work, 'log'), ports });
  renderMain(path.join(work, 'nginx.conf'), { site: path.join(work, 'site.conf'), workDir: work });
  const r = run('nginx', ['-t', '-c', path.join(work, 'nginx.conf'), '-e', path.join(work, 'log/error.log')]);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /test is successful/);
  // No warning either (a duplicate directive, stapling without a responder,
  // a conflicting server name...).
  const warnings = r.out.split('\n').filter((l) => /\[(warn|emerg|alert|crit)\]/.test(l));
  assert.deepEqual(warnings, []);

  // And the check has teeth: a missing certificate fails it.
  fs.renameSync(path.join(work, 'tls/fullchain.pem'), path.join(work, 'tls/moved.pem'));
  const broken = run('nginx', ['-t', '-c', path.join(work, 'nginx.conf'), '-e', path.join(work, 'log/error.log')]);
  assert.notEqual(broken.status, 0, 'nginx -t accepted a missing certificate');
});

test('the production site serves the installed tree and the installed pool', async () => {
  const work = path.join(dir, 'serve');
  nginxDirs(work);
  const tlsDir = path.join(work, 'tls');
  makeCertificates(tlsDir);
  const ca = fs.readFileSync(path.join(tlsDir, 'ca.pem'));

  // The tree make install lays out, and the styled error pages rendered
  // into it by the installed binary, as docs/DEPLOY.md has the operator do.
  const dest = path.join(work, 'root');
  install(dest);
  const share = path.join(dest, 'usr/local/share/gatehouse');
  const bin = path.join(dest, 'usr/local/bin/gatehouse');
  const socket = path.join(work, 'gatehouse.sock');
  const slowSocket = path.join(work, 'gatehouse-slow.sock');
  const appEnv = {
    PATH: process.env.PATH,
    GATEHOUSE_LISTEN: socket,
    GATEHOUSE_LISTEN_SLOW: slowSocket, GATEHOUSE_SLOW_THREADS: '2',
    GATEHOUSE_PROCESSES: '1', GATEHOUSE_THREADS: '2',
    // /healthz and the static pages need no database; a setting is required.
    DATABASE_URL: 'host=127.0.0.1 port=1 dbname=gatehouse connect_timeout=1',
    SESSION_KEY: '11'.repeat(32),
    GATEHOUSE_SITE_NAME: 'Deploy Test',
    BASE_DOMAIN: SITE_NAME,
    // As the production env file: the socket (mode 660) in a group nginx's
    // workers are in; www-data's own when the test runs as root.
    GATEHOUSE_SOCKET_GROUP: process.getuid() === 0 ? 'www-data' : String(process.getgid()),
  };
  assert.deepEqual(fs.readdirSync(path.join(share, 'static/errors')), [], 'make install leaves static/errors empty');
  // From the share directory, as the unit's WorkingDirectory: the default
  // "templates" setting must find the installed templates.
  const pages = run(bin, ['error-pages', path.join(share, 'static/errors')], { cwd: share, env: appEnv });
  assert.equal(pages.status, 0, pages.out);

  const pool = spawn(bin, ['serve'], { cwd: share, env: appEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  let poolLog = '';
  pool.stderr.on('data', (d) => { poolLog += d; });
  let nginx;
  let nginxLog = '';
  try {
    await waitFor(() => (fs.existsSync(socket) && fs.existsSync(slowSocket)) || pool.exitCode !== null,
      START_MS, 'the pool sockets');
    assert.ok(fs.existsSync(socket) && fs.existsSync(slowSocket), `the installed pool did not start:\n${poolLog}`);

    const ports = { http: await freePort(), https: await freePort() };
    renderSite(path.join(work, 'site.conf'), { tlsDir, logDir: path.join(work, 'log'), share, socket, slowSocket, ports });
    renderMain(path.join(work, 'nginx.conf'), { site: path.join(work, 'site.conf'), workDir: work });
    nginx = spawn('nginx', ['-c', path.join(work, 'nginx.conf'), '-e', path.join(work, 'log/error.log'),
      '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    nginx.stderr.on('data', (d) => { nginxLog += d; });
    await waitFor(async () => nginx.exitCode !== null ||
      (await send(ports.https, 'GET', '/healthz', { ca }).then(() => true, () => false)), START_MS, 'nginx');
    assert.equal(nginx.exitCode, null, `nginx exited:\n${nginxLog}`);

    // HTTP/2 is offered; plain HTTP redirects to HTTPS on every name.
    assert.equal(await alpn(ports.https, ca), 'h2');
    const redirect = await send(ports.http, 'GET', '/login?x=1', { plain: true, host: `acme.${SITE_NAME}` });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, `https://acme.${SITE_NAME}/login?x=1`);

    // The pool answers through FastCGI, with every security header.
    const health = await send(ports.https, 'GET', '/healthz', { ca });
    assert.equal(health.status, 200, health.body);
    assert.equal(JSON.parse(health.body).status, 'ok');
    assert.equal(health.headers['strict-transport-security'], 'max-age=31536000');
    assert.match(health.headers['content-security-policy'], /frame-ancestors 'none'/);
    assert.equal(health.headers['x-content-type-options'], 'nosniff');
    assert.equal(health.headers['x-frame-options'], 'DENY');
    assert.equal(health.headers['referrer-policy'], 'same-origin');
    assert.match(health.headers['x-request-id'] || '', /^[0-9a-f]{32}$/);

    // The installed static files and Bootstrap, with their cache lifetimes.
    const css = await send(ports.https, 'GET', '/static/css/gatehouse.css', { ca });
    assert.equal(css.status, 200);
    assert.equal(css.body, fs.readFileSync(path.join(ROOT, 'static/css/gatehouse.css'), 'utf8'));
    assert.equal(css.headers['cache-control'], 'public, max-age=3600');
    const bootstrap = await send(ports.https, 'GET', '/static/vendor/bootstrap/css/bootstrap.min.css', { ca });
    assert.equal(bootstrap.status, 200);
    assert.equal(bootstrap.headers['cache-control'], 'public, max-age=604800');
    assert.match(bootstrap.headers['content-type'], /^text\/css/);

    // nginx's own refusals: the styled page rendered from the installed
    // templates, and the JSON shape under /api/.
    const big = 'x'.repeat(65 * 1024);
    const tooBig = await send(ports.https, 'POST', '/login', { ca, body: big,
      headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(tooBig.status, 413);
    assert.equal(tooBig.body, fs.readFileSync(path.join(share, 'static/errors/413.html'), 'utf8'));
    assert.match(tooBig.body, /\/static\/css\/gatehouse\.css/);
    const apiBig = await send(ports.https, 'POST', '/api/v1/auth/login', { ca, body: big,
      headers: { 'content-type': 'application/json' } });
    assert.equal(apiBig.status, 413);
    assert.equal(JSON.parse(apiBig.body).error, 'payload_too_large');

    // POSTs reach the pool through the slow lane's socket (the only way the
    // site sends them): the pool answers, and logs the route it served.
    const form = await send(ports.https, 'POST', '/login', { ca, body: 'email=a%40b.example&password=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.notEqual(form.status, 502, 'the slow lane answers');
    await waitFor(() => /event=request .*method=POST route=login_submit/.test(poolLog), 3000,
      'the pool served the POST');
    // Threads past GATEHOUSE_THREADS are the slow lane's (/status numbers
    // them): the POST was theirs, the pages were not.
    const status = JSON.parse((await send(ports.https, 'GET', '/status?json', { ca })).body);
    const served = (lane) => status.workers.flatMap((w) => w.threads)
      .filter((t) => (t.thread >= Number(appEnv.GATEHOUSE_THREADS)) === (lane === 'slow'))
      .reduce((n, t) => n + t.requests, 0);
    assert.equal(served('slow'), 1, 'the slow lane served the POST, and only it');
    // And the GETs that wait on Cognito (ROUTE_WAITS), signed in or not.
    for (const get of ['/account/security', '/admin/users/someone%40example.com', '/t/acme/api/v1/me/mfa']) {
      const r = await send(ports.https, 'GET', get, { ca });
      assert.notEqual(r.status, 502, get);
    }
    const after = JSON.parse((await send(ports.https, 'GET', '/status?json', { ca })).body);
    const slowAfter = after.workers.flatMap((w) => w.threads)
      .filter((t) => t.thread >= Number(appEnv.GATEHOUSE_THREADS)).reduce((n, t) => n + t.requests, 0);
    assert.equal(slowAfter, 4, 'the three GETs that wait on Cognito went to the slow lane too');
    assert.ok(served('page') >= 1, `the page lane served the pages (${served('page')})`);
  } finally {
    await stopChild(nginx, 'SIGQUIT');
    await stopChild(pool, 'SIGTERM');
  }
});
