// viewer-playback.js is the playback page's controls: play and pause, the
// timeline (seek), the speed and the time. The viewer (wasm/viewer/
// playback.go) plays the recording and reports where it is as
// "tether:playback"; the controls answer through
// window.tetherViewer.command("playback", {action, ms, speed}).
(function () {
  'use strict';
  var root = document.getElementById('viewer');
  var play = document.getElementById('p-play');
  var time = document.getElementById('p-time');
  var seek = document.getElementById('p-seek');
  var speeds = document.getElementById('p-speed');
  var damaged = document.getElementById('p-damaged');
  if (!root || !play || !seek) {
    return;
  }
  var state = null;
  var dragging = false;

  function command(detail) {
    if (window.tetherViewer && typeof window.tetherViewer.command === 'function') {
      window.tetherViewer.command('playback', detail);
    }
  }

  function clock(ms) {
    var s = Math.floor(ms / 1000);
    var two = function (n) { return (n < 10 ? '0' : '') + n; };
    if (s >= 3600) {
      return Math.floor(s / 3600) + ':' + two(Math.floor(s / 60) % 60) + ':' + two(s % 60);
    }
    return two(Math.floor(s / 60)) + ':' + two(s % 60);
  }

  window.addEventListener('tether:playback', function (e) {
    state = e.detail || {};
    play.disabled = false;
    seek.disabled = false;
    play.textContent = state.playing ? '❚❚' : '▶';
    play.setAttribute('aria-label', state.playing ? play.dataset.pause : play.dataset.play);
    seek.max = String(state.end_ms);
    if (!dragging) {
      seek.value = String(state.pos_ms);
    }
    time.textContent = clock(state.pos_ms) + ' / ' + clock(state.end_ms);
    root.dataset.pos = String(state.pos_ms);
    root.dataset.playing = state.playing ? 'true' : 'false';
    root.dataset.speed = String(state.speed);
    Array.prototype.forEach.call(speeds.querySelectorAll('button'), function (b) {
      b.classList.toggle('on', Number(b.dataset.speed) === state.speed);
    });
    damaged.hidden = !state.damaged;
    damaged.textContent = state.damaged || '';
    root.dataset.damaged = state.damaged || '';
  });

  play.addEventListener('click', function () {
    command({ action: state && state.playing ? 'pause' : 'play' });
  });
  seek.addEventListener('input', function () {
    dragging = true;
    time.textContent = clock(Number(seek.value)) + ' / ' + clock(Number(seek.max));
  });
  seek.addEventListener('change', function () {
    dragging = false;
    command({ action: 'seek', ms: Number(seek.value) });
  });
  speeds.addEventListener('click', function (e) {
    var b = e.target.closest('button[data-speed]');
    if (b) {
      command({ action: 'speed', speed: Number(b.dataset.speed) });
    }
  });
  document.addEventListener('keydown', function (e) {
    if (!state || e.target === seek || e.ctrlKey || e.metaKey || e.altKey) {
      return;
    }
    if (e.key === ' ' || e.key === 'k') {
      e.preventDefault();
      command({ action: state.playing ? 'pause' : 'play' });
    } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      command({ action: 'seek', ms: Math.max(0, state.pos_ms + (e.key === 'ArrowLeft' ? -5000 : 5000)) });
    }
  });
})();
