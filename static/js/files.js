// files.js — the /files page: list the signed-in user's files, upload one
// straight to S3 with a presigned PUT URL, and download with a presigned
// GET URL. The page's JSON calls are same-origin and ride on the session
// cookie, so the one POST carries the page's CSRF token in X-CSRF-Token.
// No inline script anywhere: the CSP allows only scripts from /static.
(function () {
  'use strict';

  var root = document.getElementById('gh-files');
  if (!root) return;
  var base = root.getAttribute('data-base') || '';
  var csrf = root.getAttribute('data-csrf') || '';
  var form = document.getElementById('gh-upload-form');
  var input = document.getElementById('gh-upload-file');
  var button = document.getElementById('gh-upload-button');
  var statusBox = document.getElementById('gh-upload-status');
  var table = document.getElementById('gh-files-table');
  var body = document.getElementById('gh-files-body');
  var empty = document.getElementById('gh-files-empty');

  function say(kind, text) {
    statusBox.textContent = '';
    if (!text) return;
    var div = document.createElement('div');
    div.className = 'alert alert-' + kind + ' mb-0';
    div.setAttribute('role', kind === 'danger' ? 'alert' : 'status');
    div.textContent = text;
    statusBox.appendChild(div);
  }

  // api calls one of our JSON endpoints and resolves to its parsed answer;
  // a refusal rejects with the API's own message.
  function api(method, path, payload) {
    var headers = { 'Accept': 'application/json' };
    var init = { method: method, headers: headers, credentials: 'same-origin' };
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['X-CSRF-Token'] = csrf;
      init.body = JSON.stringify(payload);
    }
    return fetch(base + path, init).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) throw new Error(data.message || ('The server answered ' + res.status + '.'));
        return data;
      });
    });
  }

  function humanSize(n) {
    if (n === null || n === undefined) return '';
    var units = ['bytes', 'KB', 'MB', 'GB'];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
  }

  function download(key) {
    return api('GET', '/files/download-url?key=' + encodeURIComponent(key)).then(function (d) {
      window.location.assign(d.url);
    }).catch(function (err) { say('danger', err.message); });
  }

  function render(files) {
    body.textContent = '';
    table.hidden = files.length === 0;
    empty.hidden = files.length !== 0;
    files.forEach(function (f) {
      var tr = document.createElement('tr');
      var name = document.createElement('td');
      name.textContent = f.filename;
      var size = document.createElement('td');
      size.textContent = humanSize(f.size);
      var when = document.createElement('td');
      var time = document.createElement('time');
      time.dateTime = f.created_at;
      time.textContent = new Date(f.created_at).toLocaleString();
      when.appendChild(time);
      var act = document.createElement('td');
      act.className = 'text-end';
      var btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'btn btn-outline-primary btn-sm gh-download';
      btn.textContent = 'Download';
      btn.setAttribute('data-key', f.key);
      btn.setAttribute('aria-label', 'Download ' + f.filename);
      btn.addEventListener('click', function () { download(f.key); });
      act.appendChild(btn);
      tr.appendChild(name); tr.appendChild(size); tr.appendChild(when); tr.appendChild(act);
      body.appendChild(tr);
    });
  }

  function refresh() {
    return api('GET', '/files/list').then(function (d) { render(d.files || []); })
      .catch(function (err) { say('danger', err.message); });
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var file = input.files && input.files[0];
    if (!file) { say('danger', 'Choose a file first.'); return; }
    var type = file.type || 'application/octet-stream';
    button.disabled = true;
    say('info', 'Uploading ' + file.name + '\u2026');
    api('POST', '/files/upload-url', { filename: file.name, content_type: type, size: file.size })
      .then(function (u) {
        // The Content-Type is part of the URL's signature: send it exactly.
        return fetch(u.url, { method: 'PUT', headers: u.headers, body: file }).then(function (res) {
          // Read the (empty) answer to the end, so the request completes.
          return res.text().then(function () {
            if (!res.ok) throw new Error('Storage refused the upload (' + res.status + '). Please try again.');
          });
        });
      })
      .then(function () {
        say('success', 'Uploaded ' + file.name + '.');
        form.reset();
        return refresh();
      })
      .catch(function (err) { say('danger', err.message); })
      .then(function () { button.disabled = false; });
  });

  refresh();
})();
