// Trust: what an attacker tried and gatehouse must refuse (the list of the
// trust issue). Each test names the hole it closes; they run against the
// test stack like the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Browser, request, uniqueEmail, PASSWORD, gatehouseCli, psql, HTTPS_PORT,
} from './helpers.mjs';

const HOST = `localhost:${HTTPS_PORT}`;

function registerApi(email) {
  return request('POST', '/api/v1/auth/register', {
    headers: { host: HOST, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD, name: 'Look Alike', accept_terms: true }),
  });
}

test('lookalike emails: control, invisible and bidi characters are refused on the page and in the API', async () => {
  for (const hidden of ['\u2028', '\u202e', '\u200b', '\ufeff', '\u0085', '\u00ad']) {
    const [local, domain] = uniqueEmail('lookalike').split('@');
    const email = `${local}${hidden}@${domain}`;
    const r = await registerApi(email);
    assert.equal(r.status, 400, `U+${hidden.codePointAt(0).toString(16)}: ${r.body}`);
    const body = JSON.parse(r.body);
    assert.equal(body.field, 'email');
    const plain = `${local}@${domain}`;
    assert.equal(psql(`SELECT count(*) FROM t_default.users WHERE email IN ('${plain}')`)[0][0], '0',
      'nothing was created');

    const b = new Browser();
    await b.get('/signup');
    const p = await b.post('/signup', {
      email, name: 'Look Alike', password: PASSWORD, confirm_password: PASSWORD, terms: 'on',
    });
    assert.equal(p.status, 400);
    assert.match(p.body, /id="f-email-error"[^>]*>Enter a valid email address/);
  }
});

test('tenant logos: only https:// URLs or paths on this site, never another site by // or /\\', () => {
  for (const logo of ['//evil.example/x.svg', '/\\evil.example/x.svg', 'http://evil.example/x.svg',
    'javascript:alert(1)', 'https:///x.svg', '/x.svg" onerror="alert(1)', 'https://evil.example/a b.svg']) {
    const r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--logo', logo]);
    assert.notEqual(r.status, 0, `refused: ${logo}`);
    assert.match(r.stderr, /--logo takes an https:\/\/ URL or a path on this site/);
  }
  assert.equal(psql("SELECT coalesce(logo_url, '') = '' FROM gatehouse.tenants WHERE slug = 'default'")[0][0], 't',
    'the default tenant kept no logo');
  for (const logo of ['/brand/logo.svg', 'https://cdn.example.com/logo.svg', '']) {
    const r = gatehouseCli(['tenant', 'set', '--slug', 'default', '--logo', logo]);
    assert.equal(r.status, 0, `${logo}: ${r.stderr}`);
  }
});
