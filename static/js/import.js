// import.js — the CSV import page (/admin/import): a CSV file chosen with the
// file input is read in the browser and put, as text, into the text area the
// form posts (the server reads url-encoded forms only). Without script the
// file input stays hidden and the text area alone works. No inline script:
// the CSP allows only scripts from /static.
(function () {
  'use strict';

  var field = document.getElementById('gh-csv-file-field');
  var input = document.getElementById('f-csv-file');
  var area = document.getElementById('f-csv');
  var statusBox = document.getElementById('f-csv-file-status');
  if (!field || !input || !area || !statusBox) return;
  var max = Number(field.getAttribute('data-max')) || 16384;

  function say(text) { statusBox.textContent = text; }

  input.addEventListener('change', function () {
    var file = input.files && input.files[0];
    if (!file) return;
    if (file.size > max) {
      say('That file is larger than ' + Math.floor(max / 1024) + ' KB: split it and import each part.');
      return;
    }
    var reader = new FileReader();
    reader.onload = function () {
      area.value = String(reader.result).replace(/^\uFEFF/, '');
      say('Read ' + file.name + ': check it below, then preview.');
    };
    reader.onerror = function () { say('That file could not be read.'); };
    reader.readAsText(file, 'utf-8');
  });
  field.hidden = false;
}());
