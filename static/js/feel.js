// feel.js — what every form does with script, on every page (loaded by the
// layout, deferred). Each part only improves what works without it:
//   - a show/hide button on each password (server-rendered, hidden until
//     wired here), put back to hidden before the form is sent, so that no
//     browser keeps a password in its history of typed text;
//   - the tenant's password rules (a plain list from the server) ticked as
//     the person types, and a live "passwords match" note;
//   - the error summary (or the form's error) focused when a form comes
//     back with errors; its links move the focus to the field;
//   - a pending state once a form is sent: its buttons disabled, a
//     spinner, aria-busy; a second submit is dropped; all restored when the
//     page is shown again (the back button);
//   - "send a new code" held until the wait the server enforces is over,
//     the seconds counted down;
//   - the navbar's dark-mode toggle (static/js/theme.js applies the scheme).
// No inline script anywhere: the CSP allows only scripts from /static.
(function () {
  'use strict';
  var d = document;
  var root = d.documentElement;
  // Cognito's symbols (svc/input.c): a space counts where it may be.
  var SYMBOLS = '^$*.[]{}()?"!@#%&/\\,><\':;|_~`=+- ';
  var each = function (sel, fn, scope) { Array.prototype.forEach.call((scope || d).querySelectorAll(sel), fn); };

  // ---- show/hide passwords ------------------------------------------------
  each('.gh-pw-toggle', function (b) {
    var input = d.getElementById(b.getAttribute('aria-controls'));
    if (!input) return;
    b.hidden = false;
    b.addEventListener('click', function () {
      var show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      b.setAttribute('aria-pressed', show ? 'true' : 'false');
    });
  });

  function hidePasswords(form) {
    each('.gh-pw-input', function (input) { input.type = 'password'; }, form);
    each('.gh-pw-toggle', function (b) { b.setAttribute('aria-pressed', 'false'); }, form);
  }

  // ---- the password rules and the match note --------------------------------
  var RULES = {
    length: function (v, li) { return Array.from(v).length >= Number(li.getAttribute('data-min')); },
    upper: function (v) { return /[A-Z]/.test(v); },
    lower: function (v) { return /[a-z]/.test(v); },
    digit: function (v) { return /[0-9]/.test(v); },
    symbol: function (v) {
      for (var i = 0; i < v.length; i++) if (SYMBOLS.indexOf(v[i]) >= 0) return true;
      return false;
    },
  };

  each('[data-gh-rules]', function (list) {
    var input = d.getElementById(list.getAttribute('data-gh-rules'));
    if (!input) return;
    list.classList.add('gh-rules-live');
    var tick = function () {
      each('li[data-rule]', function (li) {
        var check = RULES[li.getAttribute('data-rule')];
        if (!check) return;
        var met = input.value !== '' && check(input.value, li);
        li.classList.toggle('gh-rule-met', met);
        li.querySelector('.gh-rule-state').textContent = input.value === '' ? '' : met ? ' (done)' : ' (not yet)';
      }, list);
    };
    input.addEventListener('input', tick);
    tick();
  });

  each('[data-gh-match]', function (note) {
    var first = d.getElementById(note.getAttribute('data-gh-match'));
    var again = d.getElementById(note.getAttribute('data-gh-for'));
    if (!first || !again) return;
    var say = function () {
      var match = again.value !== '' && again.value === first.value;
      note.classList.toggle('gh-match-yes', match);
      note.textContent = again.value === '' ? '' : match ? 'The passwords match.' : 'The passwords do not match yet.';
    };
    first.addEventListener('input', say);
    again.addEventListener('input', say);
    say();
  });

  // ---- errors ---------------------------------------------------------------
  var summary = d.getElementById('gh-error-summary') || d.querySelector('.gh-form-error');
  if (summary) {
    summary.setAttribute('tabindex', '-1');
    summary.focus();
  }
  each('#gh-error-summary a[href^="#"]', function (a) {
    a.addEventListener('click', function (e) {
      var target = d.getElementById(a.getAttribute('href').slice(1));
      if (!target) return;
      e.preventDefault();
      // A radio group's anchor is its fieldset: focus the picked option.
      var control = target.matches('fieldset') ? target.querySelector('input:checked, input') : target;
      (control || target).focus();
    });
  });

  // ---- pending forms --------------------------------------------------------
  d.addEventListener('submit', function (e) {
    var form = e.target;
    if (e.defaultPrevented) return; // a page's own script sends it (files.js)
    if (form.getAttribute('aria-busy') === 'true') {
      e.preventDefault(); // already on its way: never twice
      return;
    }
    form.setAttribute('aria-busy', 'true');
    hidePasswords(form);
    var pressed = e.submitter || form.querySelector('[type=submit]');
    // After this event the browser has read the form (and the pressed
    // button's name), so disabling now changes nothing that is sent.
    setTimeout(function () {
      each('button[type=submit], input[type=submit], button:not([type])', function (b) {
        b.disabled = true;
      }, form);
      if (pressed && pressed.tagName === 'BUTTON') {
        pressed.setAttribute('aria-busy', 'true');
        var spin = d.createElement('span');
        spin.className = 'spinner-border spinner-border-sm gh-spinner';
        spin.setAttribute('aria-hidden', 'true');
        pressed.insertBefore(spin, pressed.firstChild);
      }
    }, 0);
  });

  window.addEventListener('pageshow', function () {
    each('form[aria-busy]', function (form) {
      form.removeAttribute('aria-busy');
      each('[aria-busy]', function (b) { b.removeAttribute('aria-busy'); }, form);
      each('.gh-spinner', function (s) { s.remove(); }, form);
      each('button[type=submit], input[type=submit], button:not([type])', function (b) {
        b.disabled = false;
      }, form);
    });
  });

  // ---- "send a new code": the wait the server enforces, counted down ---------
  each('[data-wait-s]', function (b) {
    var left = +b.getAttribute('data-wait-s');
    var line = d.getElementById(b.getAttribute('aria-describedby') || '');
    var shown = line && line.querySelector('[data-countdown]');
    b.disabled = true;
    var tick = setInterval(function () {
      left -= 1;
      if (shown) shown.textContent = left;
      if (left > 0) return;
      clearInterval(tick);
      b.disabled = false;
      if (line) line.hidden = true;
    }, 1000);
  });

  // ---- dark mode toggle -----------------------------------------------------
  each('.gh-theme-toggle', function (b) {
    var show = function () {
      b.setAttribute('aria-pressed', root.getAttribute('data-bs-theme') === 'dark' ? 'true' : 'false');
    };
    b.hidden = false;
    show();
    b.addEventListener('click', function () {
      var next = root.getAttribute('data-bs-theme') === 'dark' ? 'light' : 'dark';
      root.setAttribute('data-bs-theme', next);
      try { window.localStorage.setItem('gh-theme', next); } catch (err) { /* kept for this page only */ }
    });
    // The system's scheme may change too (theme.js follows it).
    new MutationObserver(show).observe(root, { attributes: true, attributeFilter: ['data-bs-theme'] });
  });
})();
