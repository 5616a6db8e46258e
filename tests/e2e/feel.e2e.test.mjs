// The pages people feel (issue 16, part E), in a real browser (headless
// Chromium) at a desktop (1280×800) and a phone (390×844) size: password
// entry (show/hide, the tenant's rules ticked live, the match note, a
// refusal that names the broken rule, what may be kept kept), the error
// summary (focused, linked, "Error: " in the title), the pending state of a
// sent form (and its restoring on the way back), code fields for phones,
// /confirm asking the email once, no sideways scrolling at 320 px, charts
// legible on phones, dark mode (the system's, and a remembered choice), the
// meta description and the input focus ring; axe-core in light and dark on
// every page touched; sign-up and log-in with the keyboard alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueEmail, PASSWORD, emailedCode, sleep, fault, gatehouseCli } from '../integration/helpers.mjs';
import { confirmedUser } from '../integration/admin-helpers.mjs';
import { openBrowser, Visitor, SITE, logIn, accessible, VIEWPORTS as SIZES } from './browser.mjs';

const TEST = { timeout: 240000 };
// Colours ease over .15 s (Bootstrap's buttons, the tier cards): read them after.
const TRANSITION_MS = 300;
// Pages are checked with axe in the light and the dark scheme (the system's
// preference, emulated).
const IN_BOTH_SCHEMES = { schemes: ['light', 'dark'], settleMs: TRANSITION_MS };

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { if (browser) await browser.close(); });

const activeId = (v) => v.page.evaluate(() => document.activeElement && document.activeElement.id);

// submitAndWait clicks the named button (in scope) and waits for the page it
// leads to; it answers the document's status.
async function submitAndWait(v, name, scope = v.page.locator('main')) {
  const loaded = v.page.waitForEvent('load');
  await scope.getByRole('button', { name, exact: true }).click();
  await loaded;
  return v.lastDocument.status;
}

test('password entry: a show/hide toggle on every password, the rules ticked live, a match note, and a plain list without script', TEST, async () => {
  const v = await Visitor.open(browser, 'feel-password');
  try {
    const page = v.page;
    for (const size of SIZES) {
      await page.setViewportSize(size);
      for (const where of ['/login', '/signup', '/reset']) {
        await v.goto(where);
        const ids = await page.locator('input.form-control[type=password]').evaluateAll((l) => l.map((e) => e.id));
        assert.ok(ids.length >= 1, `${where} has a password`);
        for (const id of ids) {
          const toggle = page.locator(`button[aria-controls="${id}"]`);
          assert.ok(await toggle.isVisible(), `${where} ${id}: the toggle is visible`);
          assert.equal(await toggle.getAttribute('aria-label'), 'Show password');
          assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
          await page.locator(`#${id}`).fill('Secret-1');
          await toggle.click();
          assert.equal(await toggle.getAttribute('aria-pressed'), 'true', `${where} ${id}: pressed`);
          assert.equal(await page.locator(`#${id}`).getAttribute('type'), 'text', `${where} ${id}: shown`);
          assert.equal(await toggle.innerText(), 'Hide');
          await toggle.click();
          assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
          assert.equal(await page.locator(`#${id}`).getAttribute('type'), 'password', `${where} ${id}: hidden again`);
        }
      }
      await v.check(`toggles at ${size.width}`);

      // The tenant's rules (12 characters and every class here), ticked live.
      await v.goto('/signup');
      const rules = page.locator('#f-password-rules li');
      assert.deepEqual(await rules.evaluateAll((l) => l.map((li) => li.dataset.rule)),
        ['length', 'upper', 'lower', 'digit', 'symbol']);
      const met = () => rules.evaluateAll((l) => l.filter((li) => li.classList.contains('gh-rule-met')).map((li) => li.dataset.rule));
      assert.deepEqual(await met(), [], 'nothing is ticked before typing');
      await page.getByLabel('Password', { exact: true }).pressSequentially('abc');
      assert.deepEqual(await met(), ['lower']);
      assert.match(await rules.nth(0).innerText(), /not yet/, 'a screen reader hears the state too');
      await page.getByLabel('Password', { exact: true }).pressSequentially('DEF12');
      assert.deepEqual(await met(), ['upper', 'lower', 'digit']);
      await page.getByLabel('Password', { exact: true }).pressSequentially('-ghij');
      assert.deepEqual(await met(), ['length', 'upper', 'lower', 'digit', 'symbol']);

      const note = page.locator('#f-confirm_password-match');
      assert.equal(await note.innerText(), '', 'no note before the second password');
      await page.getByLabel('Confirm password').pressSequentially('abcDEF');
      assert.equal(await note.innerText(), 'The passwords do not match yet.');
      await page.getByLabel('Confirm password').pressSequentially('12-ghij');
      assert.equal(await note.innerText(), 'The passwords match.');
      assert.equal(await note.getAttribute('aria-live'), 'polite');
      await v.check(`checklist at ${size.width}`);
    }
    await accessible(v, '/signup with the checklist ticked', IN_BOTH_SCHEMES);
  } finally {
    await v.close();
  }

  // Without script: the rules are a plain list, no toggle, the form works.
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: SIZES[1] });
  try {
    const page = await context.newPage();
    await page.goto(`${SITE}/signup`);
    assert.equal(await page.locator('#f-password-rules li').count(), 5, 'the rules are listed');
    assert.ok(await page.locator('#f-password-rules').isVisible());
    assert.equal(await page.locator('#f-password-rules.gh-rules-live').count(), 0);
    assert.equal(await page.locator('.gh-pw-toggle:visible').count(), 0, 'no dead toggle');
  } finally {
    await context.close();
  }
});

test('a refused form: the summary is focused and links to the fields, the title says Error, the refusal names the broken rule, email and name are kept', TEST, async () => {
  const v = await Visitor.open(browser, 'feel-errors');
  try {
    const page = v.page;
    for (const size of SIZES) {
      await page.setViewportSize(size);
      const email = uniqueEmail('feel-bad');
      await v.goto('/signup');
      const okTitle = await page.title();
      await page.getByLabel('Email address').fill(email);
      await page.getByLabel('Full name').fill('Kept Name');
      await page.getByLabel('Password', { exact: true }).fill('weakpassword');
      await page.getByLabel('Confirm password').fill('weakpassword2');
      await page.getByRole('checkbox', { name: /accept the terms/ }).check();
      assert.equal(await submitAndWait(v, 'Create account'), 400);
      await v.check(`sign-up refused at ${size.width}`, { status: 400 });

      assert.equal(await page.title(), `Error: ${okTitle}`, 'the title says there is an error');
      assert.equal(await activeId(v), 'gh-error-summary', 'the summary has the focus');
      const summary = page.locator('#gh-error-summary');
      assert.equal(await summary.getByRole('heading').innerText(), 'Please fix these problems');
      const links = summary.getByRole('link');
      assert.deepEqual(await links.evaluateAll((l) => l.map((a) => a.getAttribute('href'))),
        ['#f-password', '#f-confirm_password']);
      // The refusal names the rules this password breaks, not the whole policy.
      const refusal = await v.fieldError('Password');
      assert.equal(refusal, 'Your password needs an uppercase letter, a number and a symbol such as ! - # or a space.');
      assert.match(await links.nth(0).innerText(), /^Password: Your password needs an uppercase letter/);
      await links.nth(1).click();
      assert.equal(await activeId(v), 'f-confirm_password', 'a summary link moves the focus to its field');

      assert.equal(await page.getByLabel('Email address').inputValue(), email, 'the email is kept');
      assert.equal(await page.getByLabel('Full name').inputValue(), 'Kept Name', 'the name is kept');
      assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'never a password');
      assert.doesNotMatch(await page.content(), /weakpassword/);
      await accessible(v, '/signup with errors', IN_BOTH_SCHEMES);
    }

    // A form-level refusal (wrong password): focused, the title says so, email kept.
    const email = uniqueEmail('feel-wrong');
    await confirmedUser(email);
    await v.goto('/login');
    const loginTitle = await page.title();
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password', { exact: true }).fill('Not-The-Passw0rd!');
    assert.equal(await submitAndWait(v, 'Log in'), 401);
    await v.check('login refused', { status: 401 });
    assert.equal(await page.title(), `Error: ${loginTitle}`);
    assert.ok(await page.evaluate(() => document.activeElement.classList.contains('gh-form-error')),
      'the form\'s error has the focus');
    assert.equal(await page.getByLabel('Email address').inputValue(), email);
    await accessible(v, '/login with an error', IN_BOTH_SCHEMES);

    // Each state has its own title.
    const titles = new Set();
    for (const p of ['/', '/login', '/signup', '/confirm', '/forgot', '/reset']) {
      await v.goto(p);
      titles.add(await page.title());
      assert.ok((await page.locator('meta[name=description]').getAttribute('content')).length > 20, `${p}: a meta description`);
    }
    assert.equal(titles.size, 6, `distinct titles: ${[...titles].join(' | ')}`);
  } finally {
    await v.close();
  }
});

test('a sent form waits visibly: buttons disabled, a spinner, aria-busy, no second submit; all restored on the way back', TEST, async () => {
  const email = uniqueEmail('feel-pending');
  await confirmedUser(email);
  const v = await Visitor.open(browser, 'feel-pending');
  // While a form's POST is on its way nothing can be read through DevTools
  // (the page's tasks wait on the navigation), so the page notes its own
  // state 100 ms after the submit, in sessionStorage (kept across the
  // navigation), and tries to send the form a second time (the login form).
  await v.context.addInitScript(() => {
    document.addEventListener('submit', (e) => {
      const form = e.target;
      if (!form.action.endsWith('/login')) return;
      setTimeout(() => {
        const button = form.querySelector('button[type=submit]');
        sessionStorage.setItem('gh-pending', JSON.stringify({
          form: form.getAttribute('aria-busy'), disabled: button.disabled,
          button: button.getAttribute('aria-busy'), spinner: button.querySelectorAll('.spinner-border').length,
        }));
        form.requestSubmit();
      }, 100);
    }, true);
  });
  try {
    const page = v.page;
    let posts = 0;
    page.on('request', (r) => { if (r.method() === 'POST' && r.isNavigationRequest()) posts++; });
    for (const size of SIZES) {
      await page.setViewportSize(size);
      // A slow answer, as a real Cognito gives one.
      await fault({ op: 'InitiateAuth', mode: 'delay', delayMs: 1000, count: 1 });
      await v.goto('/login');
      await page.getByLabel('Email address').fill(email);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      posts = 0;
      assert.equal(await submitAndWait(v, 'Log in'), 200);
      assert.equal(v.path, '/account');
      const seen = JSON.parse(await page.evaluate(() => sessionStorage.getItem('gh-pending')));
      assert.deepEqual(seen, { form: 'true', disabled: true, button: 'true', spinner: 1 },
        'while waiting: the form busy, its button disabled, busy and spinning');
      assert.equal(posts, 1, 'the form was sent once, however often it was submitted');
      await page.evaluate(() => sessionStorage.removeItem('gh-pending'));
      await fault({ reset: true });
      // Log out (a form too, in the menu on a phone): the next page is fresh.
      const menu = page.getByRole('button', { name: 'Toggle navigation' });
      if (await menu.isVisible()) await menu.click();
      await submitAndWait(v, 'Log out', page.getByRole('navigation', { name: 'Main' }));
      assert.equal(await page.locator('[aria-busy=true]').count(), 0);
    }

    // Shown again (the back button, from the back/forward cache: pageshow):
    // usable again. A 204 answer leaves the sent page where it is, pending.
    await v.goto('/forgot');
    await page.route('**/forgot', (route) => (route.request().method() === 'POST'
      ? route.fulfill({ status: 204 }) : route.continue()));
    await page.getByLabel('Email address').fill(uniqueEmail('feel-forgot'));
    await page.getByRole('button', { name: 'Send reset code' }).click();
    await page.waitForFunction(() => document.querySelector('main form').getAttribute('aria-busy') === 'true');
    await page.waitForFunction(() => document.querySelector('main form button').disabled);
    await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true })));
    assert.equal(await page.getByRole('button', { name: 'Send reset code' }).isDisabled(), false, 'restored on pageshow');
    assert.equal(await page.locator('[aria-busy]').count(), 0, 'not busy after pageshow');
    assert.equal(await page.locator('.gh-spinner').count(), 0);
    await page.unroute('**/forgot');
  } finally {
    await v.close();
  }
});

test('code fields ask phones for digits, take six, have the focus; /confirm asks the email once', TEST, async () => {
  const v = await Visitor.open(browser, 'feel-codes');
  try {
    const page = v.page;
    const email = uniqueEmail('feel-code');
    const codeAttrs = async (label) => {
      const c = page.getByLabel(label, { exact: true });
      return {
        inputmode: await c.getAttribute('inputmode'), pattern: await c.getAttribute('pattern'),
        maxlength: await c.getAttribute('maxlength'), autocomplete: await c.getAttribute('autocomplete'),
        autofocus: await c.evaluate((e) => e.hasAttribute('autofocus')),
      };
    };
    const WANT = { inputmode: 'numeric', pattern: '[0-9]{6}', maxlength: '6', autocomplete: 'one-time-code', autofocus: true };
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await v.goto(`/confirm?email=${encodeURIComponent(email)}`);
      await v.check(`confirm with the email known at ${size.width}`);
      assert.deepEqual(await codeAttrs('Confirmation code'), WANT);
      assert.equal(await activeId(v), 'f-code', 'the code has the focus');
      assert.equal(await page.locator('input[name=email]:not([type=hidden])').count(), 0, 'the known email is not asked');
      assert.equal(await page.locator('input[name=email]').count(), 1, 'one email, sent with both buttons');
      assert.match(await page.locator('main').innerText(), new RegExp(email.replace(/[.+]/g, '\\$&')));
      await accessible(v, '/confirm with the email known', IN_BOTH_SCHEMES);
      await page.getByRole('link', { name: /Not you/ }).click();
      await page.waitForLoadState('load');
      assert.equal(v.path, '/confirm');
      assert.equal(await page.locator('input[name=email]').count(), 1, 'asked once, not twice');
      assert.ok(await page.getByLabel('Email address').isVisible());
      assert.equal((await codeAttrs('Confirmation code')).autofocus, false, 'the email comes first then');
      await accessible(v, '/confirm without an email', IN_BOTH_SCHEMES);

      await v.goto(`/reset?email=${encodeURIComponent(email)}`);
      assert.deepEqual(await codeAttrs('Code from the email'), WANT);
    }

    // Sign up, ask for a new code from the one form, then confirm: it works.
    await v.goto('/signup');
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Full name').fill('Cody Code');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill(PASSWORD);
    await page.getByRole('checkbox', { name: /accept the terms/ }).check();
    assert.equal(await submitAndWait(v, 'Create account'), 200);
    assert.ok(v.path.startsWith('/confirm?email='));
    const first = await emailedCode(email);
    assert.equal(await submitAndWait(v, 'Send a new code'), 200, 'no code needed to ask for a new one');
    await v.check('a new code sent');
    const second = await emailedCode(email, first);
    await page.getByLabel('Confirmation code').fill(second);
    assert.equal(await submitAndWait(v, 'Confirm account'), 200);
    assert.ok(v.path.startsWith('/login'), v.path);

    // Signed in: the new email's code and the authenticator's code.
    await logIn(v, email, PASSWORD);
    await v.goto('/account/email');
    if (v.path.startsWith('/account/reauth')) {
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await submitAndWait(v, 'Continue');
    }
    assert.equal(v.path, '/account/email');
    const attrs = await codeAttrs('Code from the email');
    assert.equal(attrs.inputmode, 'numeric');
    assert.equal(attrs.maxlength, '6');
    assert.equal(attrs.autofocus, false, 'no code is on its way yet: the new address comes first');
    await page.getByLabel('New email address').fill(uniqueEmail('feel-new'));
    await submitAndWait(v, 'Send code');
    assert.deepEqual(await codeAttrs('Code from the email'), WANT);
    await accessible(v, '/account/email with a code sent', IN_BOTH_SCHEMES);
    await v.goto('/account/security');
    await submitAndWait(v, 'Set up two-step verification');
    assert.deepEqual(await codeAttrs('6-digit code from the app'), WANT);
    await accessible(v, '/account/security enrolment', IN_BOTH_SCHEMES);
  } finally {
    await v.close();
  }
});

test('no page scrolls sideways at 320 px; the admin charts stay legible on a phone', TEST, async () => {
  const email = uniqueEmail('feel-narrow');
  await confirmedUser(email, { group: 'admin' });
  const v = await Visitor.open(browser, 'feel-narrow');
  try {
    const page = v.page;
    const sideways = () => page.evaluate(() => {
      const wide = document.documentElement.scrollWidth - document.documentElement.clientWidth;
      if (!wide) return 0;
      // Say what sticks out, to fix it.
      const out = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5);
      return `${wide} px: ${out.slice(0, 5).map((e) => `${e.tagName}.${e.className}`).join(', ')}`;
    });
    const narrow = async (paths) => {
      for (const width of [320, 390]) {
        await page.setViewportSize({ width, height: 800 });
        for (const p of paths) {
          await v.goto(p);
          assert.equal(await sideways(), 0, `${p} at ${width} px scrolls sideways`);
          await page.getByRole('button', { name: 'Toggle navigation' }).click();
          await page.waitForTimeout(800); // the menu's slide
          assert.equal(await sideways(), 0, `${p} at ${width} px with the menu open scrolls sideways`);
        }
      }
    };
    await narrow(['/', '/login', '/signup', `/confirm?email=${encodeURIComponent('a.very.long.address.of.someone@an-example-of-a-long-domain.example.com')}`,
      '/confirm', '/forgot', '/reset', '/no-such-page']);
    await page.setViewportSize(SIZES[0]);
    await logIn(v, email, PASSWORD);
    await narrow(['/', '/account', '/account/security', '/account/sessions', '/admin']);

    // The charts: labels at least 9 px high on a phone, the page still not wider.
    await page.setViewportSize(SIZES[1]);
    await v.goto('/admin');
    v.problems = []; // the 404 visited above logged its status
    await v.check('admin statistics on a phone');
    const smallest = await page.evaluate(() => Math.min(...[...document.querySelectorAll('svg.gh-chart text')]
      .map((t) => t.getBoundingClientRect().height).filter((h) => h > 0)));
    assert.ok(smallest >= 9, `chart labels are ${smallest.toFixed(1)} px high`);
    assert.equal(await sideways(), 0);
    await accessible(v, '/admin statistics', IN_BOTH_SCHEMES);
  } finally {
    await v.close();
  }
});

test('dark mode follows the system, a toggle remembers the choice, and inputs show a clear focus ring', TEST, async () => {
  const email = uniqueEmail('feel-dark');
  await confirmedUser(email);
  const v = await Visitor.open(browser, 'feel-dark');
  try {
    const page = v.page;
    const background = () => page.evaluate(() => {
      const m = getComputedStyle(document.body).backgroundColor.match(/\d+(\.\d+)?/g).map(Number);
      return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255;
    });
    const cardBackground = () => page.evaluate(() => {
      const c = document.querySelector('.card');
      const m = getComputedStyle(c).backgroundColor.match(/\d+(\.\d+)?/g).map(Number);
      return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255;
    });
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await page.emulateMedia({ colorScheme: 'dark' });
      await v.goto('/login');
      assert.equal(await page.evaluate(() => document.documentElement.dataset.bsTheme), 'dark');
      assert.ok(await cardBackground() < 0.2, 'the card is dark');
      assert.match(await page.locator('meta[name=color-scheme]').getAttribute('content'), /dark/, 'not forced light');
      await v.check(`login dark at ${size.width}`);
      await page.emulateMedia({ colorScheme: 'light' });
      await page.waitForTimeout(TRANSITION_MS);
      assert.ok(await cardBackground() > 0.8, 'the system going light is followed');
    }

    // The toggle: the choice stays across a reload, whatever the system says.
    await page.setViewportSize(SIZES[0]);
    await page.emulateMedia({ colorScheme: 'light' });
    await v.goto('/signup');
    const toggle = page.getByRole('button', { name: 'Dark mode' });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.ok(await cardBackground() < 0.2);
    await page.reload();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.bsTheme), 'dark', 'remembered');
    assert.equal(await page.getByRole('button', { name: 'Dark mode' }).getAttribute('aria-pressed'), 'true');
    await v.check('sign-up with dark chosen');
    await page.setViewportSize(SIZES[1]);
    await page.getByRole('button', { name: 'Toggle navigation' }).click();
    await page.getByRole('button', { name: 'Dark mode' }).click();
    await page.reload();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.bsTheme), 'light', 'light chosen on the phone menu');
    await page.evaluate(() => localStorage.removeItem('gh-theme'));

    // The focus ring on an input: solid, at least 2 px.
    await page.setViewportSize(SIZES[0]);
    await v.goto('/login');
    await page.getByLabel('Email address').focus();
    const ring = await page.getByLabel('Email address').evaluate((e) => {
      const s = getComputedStyle(e);
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
    });
    assert.equal(ring.style, 'solid');
    assert.ok(ring.width >= 2, `outline ${ring.width}px`);

    // axe in both schemes on the signed-in pages too.
    for (const p of ['/', '/login', '/signup', '/forgot', '/reset', '/confirm', '/no-such-page']) {
      await v.goto(p);
      await accessible(v, p, IN_BOTH_SCHEMES);
    }
    await logIn(v, email, PASSWORD);
    for (const p of ['/', '/account', '/account/security', '/account/sessions', '/account/profile']) {
      await v.goto(p);
      await accessible(v, p, IN_BOTH_SCHEMES);
    }
  } finally {
    await v.close();
  }
});

test("a tenant's own colour works in both schemes", TEST, async () => {
  const slug = `feel-${Date.now().toString(36)}`;
  let made = gatehouseCli(['tenant', 'create', '--slug', slug, '--name', 'Teal Corp', '--admin-email', `admin@${slug}.example`]);
  assert.equal(made.status, 0, made.stderr);
  made = gatehouseCli(['tenant', 'set', '--slug', slug, '--color', '#0f766e']);
  assert.equal(made.status, 0, made.stderr);
  const v = await Visitor.open(browser, 'feel-tenant-colour');
  try {
    for (const p of ['login', 'signup', 'forgot']) {
      await v.goto(`/t/${slug}/${p}`);
      assert.equal(await v.page.locator(`link[href="/t/${slug}/brand.css"]`).count(), 1);
      await v.check(`tenant ${p}`);
      await accessible(v, `/t/${slug}/${p}`, IN_BOTH_SCHEMES);
      await v.page.emulateMedia({ colorScheme: 'dark' });
      await v.page.waitForTimeout(TRANSITION_MS);
      const colours = await v.page.evaluate(() => {
        // WCAG's relative luminance of a computed colour: rgb() in 0-255,
        // or color(srgb ...) in 0-1 (what color-mix computes to).
        const lum = (css) => {
          const scale = css.startsWith('color(srgb') ? 1 : 255;
          const [r, g, b] = css.match(/[\d.]+/g).slice(0, 3).map((x) => {
            const c = Number(x) / scale;
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const link = getComputedStyle(document.querySelector('.gh-auth-after a')).color;
        return {
          button: getComputedStyle(document.querySelector('main .btn-primary')).backgroundColor,
          link, linkLum: lum(link),
          page: lum(getComputedStyle(document.querySelector('.gh-card')).backgroundColor),
        };
      });
      assert.equal(colours.button, 'rgb(15, 118, 110)', 'the button keeps the tenant colour in the dark');
      assert.ok(colours.page < 0.05, `the card is dark (${colours.page})`);
      const contrast = (colours.linkLum + 0.05) / (colours.page + 0.05);
      assert.ok(contrast >= 4.5, `links take a lighter mix of it (${colours.link}, ${contrast.toFixed(2)}:1)`);
      assert.notEqual(colours.link, 'rgb(15, 118, 110)');
      await v.page.emulateMedia({ colorScheme: 'light' });
    }
  } finally {
    await v.close();
    gatehouseCli(['tenant', 'delete', '--slug', slug, '--yes']);
  }
});

test('sign-up and log-in with the keyboard alone, at both sizes', TEST, async () => {
  for (const size of SIZES) {
    const v = await Visitor.open(browser, `feel-keyboard-${size.width}`);
    try {
      const page = v.page;
      await page.setViewportSize(size);
      const email = uniqueEmail('feel-keys');
      await v.goto('/signup');
      // Tab from the top into the form, typing as a person would.
      const tabTo = async (id) => {
        const order = await v.tabOrder((el) => el.id === id);
        assert.ok(order[order.length - 1].visible, `${id} is visible when focused`);
      };
      await tabTo('f-email');
      await page.keyboard.type(email);
      await page.keyboard.press('Tab');
      await page.keyboard.type('Kim Keys');
      await page.keyboard.press('Tab');
      await page.keyboard.type(PASSWORD);
      await page.keyboard.press('Tab'); // the show/hide button
      assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-controls')), 'f-password');
      await page.keyboard.press('Space');
      assert.equal(await page.locator('#f-password').getAttribute('type'), 'text', 'shown with the keyboard');
      await page.keyboard.press('Space');
      await page.keyboard.press('Tab');
      await page.keyboard.type(PASSWORD);
      assert.equal(await page.locator('#f-confirm_password-match').innerText(), 'The passwords match.');
      await tabTo('f-terms');
      await page.keyboard.press('Space');
      await v.tabOrder((el) => el.text === 'Create account');
      const loaded = page.waitForEvent('load');
      await page.keyboard.press('Enter');
      await loaded;
      assert.equal(v.lastDocument.status, 200);
      assert.ok(v.path.startsWith('/confirm'), v.path);
      assert.equal(await activeId(v), 'f-code', 'the code field has the focus');
      await page.keyboard.type(await emailedCode(email));
      const confirmed = page.waitForEvent('load');
      await page.keyboard.press('Enter');
      await confirmed;
      assert.ok(v.path.startsWith('/login'), v.path);

      await tabTo('f-password');
      await page.keyboard.type(PASSWORD);
      const signedIn = page.waitForEvent('load');
      await page.keyboard.press('Enter');
      await signedIn;
      assert.equal(v.path, '/account');
      await v.check(`signed in by keyboard at ${size.width}`);
    } finally {
      await v.close();
    }
  }
});
