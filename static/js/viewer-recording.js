// viewer-recording.js shows, on a recorded session's viewer, that what the
// engineer sees is being recorded (the REC chip), and says so plainly when
// saving it fails. The viewer (wasm/viewer/record.go) records and uploads;
// it reports on window as "tether:recording".
(function () {
  'use strict';
  var chip = document.getElementById('v-rec');
  if (!chip) {
    return;
  }
  window.addEventListener('tether:recording', function (e) {
    var s = e.detail || {};
    chip.hidden = false;
    chip.dataset.state = s.state || '';
    chip.dataset.chunks = String(s.chunks || 0);
    if (s.state === 'on') {
      chip.textContent = window.tetherMsg('console_js_rec');
      chip.title = window.tetherMsg('console_js_rec_on', { Count: s.chunks || 0 });
    } else if (s.state === 'failing') {
      chip.textContent = window.tetherMsg('console_js_rec_failing');
      chip.title = window.tetherMsg('console_js_rec_failing_title', { Count: s.queued || 0 });
    } else {
      chip.textContent = window.tetherMsg('console_js_rec_off');
      chip.title = window.tetherMsg('console_js_rec_off_title');
    }
  });
})();

// Ending the session from the toolbar leaves the page: the recording's last
// seconds go up first (for at most 5 s).
(function () {
  'use strict';
  var chip = document.getElementById('v-rec');
  var form = document.querySelector('#v-toolbar form[action$="/end"]');
  if (!chip || !form) {
    return;
  }
  var leaving = false;
  form.addEventListener('submit', function (e) {
    if (leaving || chip.dataset.state !== 'on' || !window.tetherViewer || typeof window.tetherViewer.command !== 'function') {
      return;
    }
    e.preventDefault();
    leaving = true;
    var button = form.querySelector('button');
    if (button) {
      button.disabled = true;
      button.textContent = window.tetherMsg('console_js_rec_saving');
    }
    var done = function () {
      window.removeEventListener('tether:recording', onState);
      form.submit();
    };
    var timer = setTimeout(done, 5000);
    var onState = function (ev) {
      var s = ev.detail || {};
      if (s.state !== 'on' || s.queued === 0) {
        clearTimeout(timer);
        done();
      }
    };
    window.addEventListener('tether:recording', onState);
    window.tetherViewer.command('recording-flush');
  });
})();
