// Footfall dashboard: progressive enhancements only; every page works without this file.
(function () {
  'use strict';

  // Copy buttons: <button data-copy="ID"> copies the value of #ID.
  document.addEventListener('click', function (e) {
    var button = e.target.closest('[data-copy]');
    if (!button) return;
    var field = document.getElementById(button.getAttribute('data-copy'));
    var done = function () {
      var note = button.parentElement.querySelector('.copied');
      if (note) note.textContent = 'Copied to the clipboard.';
      button.textContent = 'Copied';
    };
    field.select();
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(field.value).then(done, function () {
      document.execCommand('copy');
      done();
    });
    else {
      document.execCommand('copy');
      done();
    }
  });

  // A select that navigates when changed (the site switcher); its form works without JS too.
  document.addEventListener('change', function (e) {
    if (e.target.matches('select[data-autosubmit]')) e.target.form.submit();
    // A page picker (<select data-fills="ID">): puts the chosen page in #ID and shows it.
    if (e.target.matches('select[data-fills]') && e.target.value) {
      document.getElementById(e.target.getAttribute('data-fills')).value = e.target.value;
      e.target.form.submit();
    }
  });

  // Parts of a page computed later (the funnel's page-load performance, the Overview's open
  // anomalies): the page at data-deferred-from holds them complete; each [data-deferred] element
  // inside is swapped for its namesake.
  document.querySelectorAll('[data-deferred-from]').forEach(function (later) {
    var failed = function () {
      var note = document.getElementById('performance-status');
      if (note) note.firstChild.textContent = 'The page loads could not be measured just now. ';
      later.querySelectorAll('[aria-busy]').forEach(function (el) { el.removeAttribute('aria-busy'); });
    };
    fetch(later.getAttribute('data-deferred-from'), { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html');
        var parts = later.querySelectorAll('[data-deferred]');
        if (!parts.length || Array.prototype.some.call(parts, function (el) { return !fresh.getElementById(el.id); })) {
          return failed();
        }
        parts.forEach(function (el) { el.replaceWith(document.importNode(fresh.getElementById(el.id), true)); });
        later.removeAttribute('data-deferred-from');
      }, failed);
  });

  // The install page's live state: polls until the first event arrives, then every 30 s.
  var status = document.getElementById('install-status');
  if (status) {
    var poll = function () {
      fetch(status.getAttribute('data-status-url'), { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (s) {
            status.textContent = s.text;
            status.setAttribute('data-state', s.state);
          }
          setTimeout(poll, s && s.state === 'installed' ? 30000 : 3000);
        }, function () { setTimeout(poll, 10000); });
    };
    setTimeout(poll, 3000);
  }
})();
