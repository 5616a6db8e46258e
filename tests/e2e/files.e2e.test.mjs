// The /files page in a real browser (headless Chromium): a premium user
// uploads a file from the page, which PUTs it straight to s3rver with a
// presigned URL (so the CSP's connect-src and s3rver's CORS must both let
// it), sees it listed, and downloads it back; a standard user gets the
// upsell page instead. Every page reached is checked for console errors,
// failed requests and CSP violations, and kept as a screenshot.
// The protocol-level details (keys, signatures, CSRF, tiers) are the
// integration tests' (tests/integration/api.test.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { request, emailedCode, uniqueEmail, PASSWORD, HTTPS_PORT } from '../integration/helpers.mjs';
import { openBrowser, Visitor, logIn } from './browser.mjs';

const TEST = { timeout: 120000 };
const HOST = `localhost:${HTTPS_PORT}`;

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { if (browser) await browser.close(); });

// apiUser registers and confirms a user through the JSON API.
async function apiUser(tier) {
  const email = uniqueEmail(`e2e-${tier}`);
  const json = (body) => ({ headers: { host: HOST, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  let r = await request('POST', '/api/v1/auth/register',
    json({ email, password: PASSWORD, name: 'Files Person', tier, accept_terms: true }));
  assert.equal(r.status, 201, r.body);
  r = await request('POST', '/api/v1/auth/verify-otp', json({ email, code: await emailedCode(email) }));
  assert.equal(r.status, 200, r.body);
  return email;
}

test('a premium user uploads a file on /files and downloads it back', TEST, async () => {
  const email = await apiUser('premium');
  const v = await Visitor.open(browser, 'files-premium');
  const page = v.page;
  const content = `hello from the browser ${Date.now()}\n`;
  try {
    await v.goto('/login');
    assert.equal(await logIn(v, email, PASSWORD), 200);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Files', exact: true }).click();
    await page.waitForLoadState('load');
    assert.equal(v.path, '/files');
    await page.getByText('No files yet.').waitFor();
    await v.check('empty files page');

    await page.getByLabel('File to upload', { exact: true }).setInputFiles({ name: 'notes from e2e.txt', mimeType: 'text/plain', buffer: Buffer.from(content) });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByRole('status').getByText('Uploaded notes from e2e.txt.').waitFor();
    const row = page.getByRole('row', { name: /notes from e2e\.txt/ });
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(`${content.length} bytes`));
    await v.check('after the upload');

    // The download is the object itself, served by s3rver from a presigned
    // URL as an attachment: the browser saves it and stays on the page, so
    // no uploaded file is ever shown as a page.
    const downloading = page.waitForEvent('download');
    await row.getByRole('button', { name: 'Download notes from e2e.txt' }).click();
    const download = await downloading;
    const url = new URL(download.url());
    assert.equal(url.hostname, '127.0.0.1');
    assert.match(url.pathname, /-notes-from-e2e\.txt$/);
    assert.ok(url.searchParams.get('X-Amz-Signature'), 'a presigned URL');
    assert.equal(url.searchParams.get('response-content-disposition'), 'attachment');
    assert.equal(fs.readFileSync(await download.path(), 'utf8'), content);
    assert.equal(v.path, '/files', 'the page stays where it was');
    // A navigation that becomes a download ends, for Chromium, as an
    // aborted request of that URL: that one is the download itself.
    const ours = v.problems.filter((p) => !(p.kind === 'request' && p.text === `GET ${download.url()}: net::ERR_ABORTED`));
    assert.deepEqual(ours, [], 'no console errors, failed requests or CSP violations');
  } finally {
    await v.close();
  }
});

test('a standard user is offered Premium instead of files', TEST, async () => {
  const email = await apiUser('standard');
  const v = await Visitor.open(browser, 'files-standard');
  const page = v.page;
  try {
    await v.goto('/login');
    assert.equal(await logIn(v, email, PASSWORD), 200);
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Files', exact: true }).count(), 0,
      'no Files link for standard users');
    assert.equal(await v.goto('/files'), 403);
    await v.check('upsell', { status: 403 });
    assert.ok(await page.getByRole('heading', { name: 'This is a Premium feature' }).isVisible());
  } finally {
    await v.close();
  }
});
