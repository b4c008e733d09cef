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
