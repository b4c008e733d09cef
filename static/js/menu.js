// menu.js: on a phone the top bar's links fold behind a menu button
// (templates/mobile.templ menuToggle); wider screens never show the button.
(function () {
  'use strict';
  var bar = document.getElementById('topbar');
  var toggle = document.getElementById('menu-toggle');
  if (!bar || !toggle) {
    return;
  }
  function open(on) {
    bar.classList.toggle('open', on);
    toggle.setAttribute('aria-expanded', on ? 'true' : 'false');
  }
  toggle.addEventListener('click', function () {
    open(!bar.classList.contains('open'));
  });
  document.addEventListener('keydown', function (ev) {
    if (ev.key === 'Escape' && bar.classList.contains('open')) {
      open(false);
      toggle.focus();
    }
  });
  document.addEventListener('click', function (ev) {
    if (bar.classList.contains('open') && !bar.contains(ev.target)) {
      open(false);
    }
  });
})();
