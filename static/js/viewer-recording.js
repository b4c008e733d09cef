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
      chip.textContent = 'REC';
      chip.title = 'This session is recorded: what you see here is saved as it happens (' +
        (s.chunks || 0) + ' parts saved). The customer was told before they agreed.';
    } else if (s.state === 'failing') {
      chip.textContent = 'REC · not saved';
      chip.title = (s.message || 'The recording cannot be saved right now') + '. ' + (s.queued || 0) +
        ' parts wait and are sent as soon as the server answers.';
    } else {
      chip.textContent = 'Not recording';
      chip.title = s.message || 'This session is not recorded.';
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
      button.textContent = 'Saving the recording…';
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
