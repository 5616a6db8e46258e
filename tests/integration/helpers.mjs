// Shared helpers for the integration tests: where the repo and the test
// stack are, a waitFor that fails with a reason, and an HTTPS client that
// trusts the stack's own self-signed certificate (and nothing else).
import fs from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const STACK = path.join(ROOT, 'var/test');
export const HTTPS_PORT = 18443;
export const HTTP_PORT = 18080;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(check, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}

// stackEnv reads the test stack's env file into an object.
export function stackEnv() {
  const env = {};
  const text = fs.readFileSync(path.join(STACK, 'gatehouse.env'), 'utf8');
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*(?:export\s+)?([A-Z0-9_]+)=(.*)$/);
    if (m) env[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return env;
}

let ca;
function stackCa() {
  if (!ca) ca = fs.readFileSync(path.join(STACK, 'tls/cert.pem'));
  return ca;
}

const agent = new https.Agent({ keepAlive: true, maxSockets: 16 });

// request(method, path, opts) → {status, headers, body} over TLS to the
// test stack's nginx. opts: headers, body (string or Buffer), plain (use the
// plain-HTTP port), host (Host header).
export function request(method, urlPath, opts = {}) {
  return new Promise((resolve, reject) => {
    const plain = !!opts.plain;
    const mod = plain ? http : https;
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
    const headers = { ...(opts.headers || {}) };
    if (body && headers['content-length'] === undefined) headers['content-length'] = body.length;
    const req = mod.request({
      host: '127.0.0.1', port: plain ? HTTP_PORT : HTTPS_PORT, method, path: urlPath,
      headers, servername: 'localhost', ca: plain ? undefined : stackCa(),
      agent: plain ? undefined : agent,
      checkServerIdentity: () => undefined,
    }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts).toString() }));
    });
    req.setTimeout(20000, () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}
