// The HTTP layer through the real front: nginx with TLS in front of the
// pool. Error answers must be the site's styled pages, security headers
// must be on everything, and plain HTTP must go to HTTPS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, stackEnv, HTTPS_PORT, HTTP_PORT } from './helpers.mjs';
import { fcgiRequest } from './fcgi.mjs';

// A styled page is one rendered through the layout: it has the site's
// stylesheet and navbar, not nginx's or a bare error text.
function assertStyledPage(res, status) {
  assert.equal(res.status, status);
  assert.match(res.headers['content-type'] || '', /text\/html/);
  assert.match(res.body, /<link[^>]+bootstrap[^>]*\.css/, 'uses the Bootstrap stylesheet');
  assert.match(res.body, /<nav\b/, 'has the site navbar');
  assert.match(res.body, new RegExp(`\\b${status}\\b`), 'shows the status');
}

test('the home page renders through the layout', async () => {
  const res = await request('GET', '/');
  assert.equal(res.status, 200);
  assert.match(res.body, /<nav\b/);
  assert.match(res.body, /href="\/signup"/);
  assert.match(res.body, /href="\/login"/);
  assert.match(res.headers['x-request-id'] || '', /^[0-9a-f]{32}$/);
});

test('GET / with Accept: application/json answers health with the tenant', async () => {
  const res = await request('GET', '/', { headers: { accept: 'application/json' } });
  assert.equal(res.status, 200);
  const body = JSON.parse(res.body);
  assert.equal(body.status, 'ok');
  assert.equal(body.tenant, 'default');
});

test('an unknown path is a styled 404', async () => {
  assertStyledPage(await request('GET', '/no/such/page'), 404);
});

test('a known path with the wrong method is a styled 405 with Allow', async () => {
  const res = await request('DELETE', '/healthz');
  assert.equal(res.status, 405);
  assert.equal(res.headers.allow, 'GET, HEAD');
  const page = await request('PUT', '/', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
  assertStyledPage(page, 405);
  assert.equal(page.headers.allow, 'GET, HEAD');
});

test('an oversized body is a styled 413 from nginx', async () => {
  const res = await request('POST', '/', {
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=' + 'x'.repeat(70 * 1024),
  });
  assertStyledPage(res, 413);
});

test('the worker refuses an oversized body itself (413) without trusting nginx', async () => {
  const sock = stackEnv().GATEHOUSE_LISTEN;
  const res = await fcgiRequest(sock, {
    method: 'POST', uri: '/', headers: { CONTENT_TYPE: 'application/x-www-form-urlencoded' },
    body: 'a=' + 'x'.repeat(70 * 1024),
  });
  assert.equal(res.status, 413);
  assert.match(res.body, /<nav\b/);
});

test('malformed percent-encoding and invalid UTF-8 are styled 400s', async () => {
  assertStyledPage(await request('GET', '/?q=%zz'), 400);
  assertStyledPage(await request('GET', '/?q=%ff%fe'), 400);
  assertStyledPage(await request('GET', '/?q=%C0%AF'), 400); // overlong '/'
  assertStyledPage(await request('POST', '/', {
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=%4',
  }), 400);
  assertStyledPage(await request('POST', '/', {
    headers: { 'content-type': 'application/json' }, body: '{"a": ',
  }), 400);
  const sock = stackEnv().GATEHOUSE_LISTEN;
  const raw = await fcgiRequest(sock, { uri: '/a%2Fb' });
  assert.equal(raw.status, 400, 'an encoded slash in the path is refused');
});

test('an unknown content type is a styled 415', async () => {
  assertStyledPage(await request('POST', '/', { headers: { 'content-type': 'text/plain' }, body: 'hello' }), 415);
  assertStyledPage(await request('POST', '/', { headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--' }), 415);
});

test('API paths answer errors as JSON', async () => {
  const res = await request('GET', '/api/v1/nothing-here');
  assert.equal(res.status, 404);
  assert.match(res.headers['content-type'], /application\/json/);
  assert.equal(JSON.parse(res.body).error, 'not_found');
});

test('security headers are on pages, errors and static files', async () => {
  for (const p of ['/', '/no/such/page', '/static/css/gatehouse.css']) {
    const res = await request('GET', p);
    assert.match(res.headers['strict-transport-security'] || '', /max-age=\d+/, p);
    const csp = res.headers['content-security-policy'] || '';
    assert.match(csp, /default-src 'self'/, p);
    assert.match(csp, /frame-ancestors 'none'/, p);
    assert.doesNotMatch(csp, /unsafe-inline/, p);
    assert.equal(res.headers['x-content-type-options'], 'nosniff', p);
    assert.ok(res.headers['referrer-policy'], p);
  }
});

test('pages contain no inline script or style', async () => {
  const res = await request('GET', '/');
  assert.doesNotMatch(res.body, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.doesNotMatch(res.body, /\sstyle=/);
  assert.doesNotMatch(res.body, /<style\b/);
});

test('plain HTTP redirects to HTTPS', async () => {
  const res = await request('GET', '/login?x=1', { plain: true, headers: { host: `localhost:${HTTP_PORT}` } });
  assert.equal(res.status, 301);
  assert.equal(res.headers.location, `https://localhost:${HTTPS_PORT}/login?x=1`);
});

test('Bootstrap is served from the npm package with cache headers', async () => {
  const res = await request('GET', '/static/vendor/bootstrap/css/bootstrap.min.css');
  assert.equal(res.status, 200);
  assert.match(res.body, /Bootstrap/);
  assert.match(res.headers['cache-control'] || '', /max-age=\d+/);
});

test('/healthz and /readyz answer JSON', async () => {
  const live = await request('GET', '/healthz');
  assert.equal(live.status, 200);
  assert.equal(JSON.parse(live.body).status, 'ok');
  const ready = await request('GET', '/readyz');
  assert.equal(ready.status, 200, ready.body);
  assert.deepEqual(JSON.parse(ready.body).checks, { postgresql: 'ok', cognito: 'ok' });
});

test('HEAD answers headers without a body', async () => {
  const res = await request('HEAD', '/');
  assert.equal(res.status, 200);
  assert.equal(res.body, '');
});
