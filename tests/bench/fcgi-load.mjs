// fcgi-load: a closed-loop load of one request against a FastCGI socket, for
// the bench targets nginx would not let through: POST /files/upload-url is a
// POST, and nginx allows one client address 10 POSTs a second (the dev
// profile, as in production), so wrk through nginx would measure the rate
// limit. bench.sh runs it against the pool's slow lane and, for scale,
// against the plain responder, so the two figures come from the same client.
//
// usage: node fcgi-load.mjs SOCKET METHOD URI SECONDS CONCURRENCY [NAME=VALUE...]
//   NAME=VALUE pairs are FastCGI parameters (HTTP_AUTHORIZATION=Bearer ...,
//   CONTENT_TYPE=...); BODY=... is the request body.
// prints one JSON line: {"completed","rps","p50_ms","p99_ms","statuses"}
import { fcgiRequest } from '../integration/fcgi.mjs';

const [socket, method, uri, seconds = '4', concurrency = '16', ...pairs] = process.argv.slice(2);
const headers = { HTTP_HOST: 'localhost:8443', HTTPS: 'on', SERVER_PORT: '8443' };
let body;
for (const pair of pairs) {
  const at = pair.indexOf('=');
  const name = pair.slice(0, at), value = pair.slice(at + 1);
  if (name === 'BODY') body = value; else headers[name] = value;
}

const start = Date.now();
const end = start + Number(seconds) * 1000;
const statuses = {};
const latencies = [];
async function loop() {
  while (Date.now() < end) {
    const t0 = process.hrtime.bigint();
    let status = 'error';
    try { status = (await fcgiRequest(socket, { method, uri, headers, body })).status; } catch { /* counted */ }
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    statuses[status] = (statuses[status] || 0) + 1;
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, loop));
const elapsed = (Date.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const at = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : 0);
console.log(JSON.stringify({
  completed: latencies.length, rps: Math.round(latencies.length / elapsed),
  p50_ms: Number(at(0.5).toFixed(2)), p99_ms: Number(at(0.99).toFixed(2)), statuses,
}));
