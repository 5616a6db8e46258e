// login-storm: keeps N logins in flight against the pool's slow lane for a
// while, while the bench measures GET /login through nginx. With the Cognito
// double answering InitiateAuth after 300 ms, every login holds a slow-lane
// thread (or waits for one) for at least that long.
//
// It speaks FastCGI to the pool's slow socket directly rather than going
// through nginx, because nginx's limit_req (10 POSTs/s per address) would
// answer most of a storm from one address with 429 before it reached the
// pool, and the point is to load the pool, not the rate limit.
//
// usage: node login-storm.mjs SLOW_SOCKET PAGE_SOCKET CONCURRENCY SECONDS
// prints one JSON line: {"completed": n, "statuses": {...}}
import { fcgiRequest } from '../integration/fcgi.mjs';

const [socket, pageSocket, concurrency = '200', seconds = '8'] = process.argv.slice(2);
const host = 'localhost:8443';

// One anonymous CSRF cookie and its token serve every login of the storm.
const page = await fcgiRequest(pageSocket, { uri: '/login', headers: { HTTP_HOST: host } });
const cookie = [].concat(page.headers['set-cookie'] || '').join('').match(/__Host-gh_csrf=([^;]+)/)[1];
const token = page.body.match(/name="csrf" value="([^"]+)"/)[1];
const run = Date.now().toString(36);
const login = (n) => new URLSearchParams({
  csrf: token, email: `storm-${run}-${n}@example.com`, password: 'Wrong-Passw0rd!',
}).toString();
const address = (n) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
const headers = {
  HTTP_HOST: host, HTTP_ORIGIN: `https://${host}`, HTTP_COOKIE: `__Host-gh_csrf=${cookie}`,
  CONTENT_TYPE: 'application/x-www-form-urlencoded',
};

const end = Date.now() + Number(seconds) * 1000;
const statuses = {};
let completed = 0, started = 0;
async function loop() {
  while (Date.now() < end) {
    let status = 'error';
    const n = started++;
    try {
      status = (await fcgiRequest(socket, {
        method: 'POST', uri: '/login', headers: { ...headers, REMOTE_ADDR: address(n) }, body: login(n),
      })).status;
    } catch { /* counted */ }
    statuses[status] = (statuses[status] || 0) + 1;
    completed++;
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, loop));
console.log(JSON.stringify({ completed, statuses }));
