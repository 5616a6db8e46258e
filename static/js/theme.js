// theme.js — the colour scheme, set before the page is painted (loaded in
// <head> without defer, so no page ever flashes the other scheme). The
// person's own choice (the navbar toggle, static/js/feel.js) is kept in
// localStorage under "gh-theme"; without one the system's
// prefers-color-scheme decides, and a change of it applies at once.
// Bootstrap 5.3 reads the scheme from data-bs-theme on <html>.
(function () {
  'use strict';
  var root = document.documentElement;
  var system = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;

  function chosen() {
    try {
      var v = window.localStorage.getItem('gh-theme');
      return v === 'dark' || v === 'light' ? v : null;
    } catch (e) {
      return null; // storage refused (privacy settings): follow the system
    }
  }

  function apply() {
    root.setAttribute('data-bs-theme', chosen() || (system && system.matches ? 'dark' : 'light'));
  }

  apply();
  if (system && system.addEventListener) system.addEventListener('change', apply);
})();
