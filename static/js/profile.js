// The profile page: offers the browser's own time zone when the profile has none or another one.
(function () {
  'use strict';
  var select = document.getElementById('profile-zone');
  var hint = document.getElementById('profile-zone-hint');
  if (!select || !hint) return;
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone || select.value === zone) return;
  var known = false;
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === zone) { known = true; break; }
  }
  if (!known) return;
  hint.textContent = hint.dataset.text.replace('%s', zone) + ' ';
  var use = document.createElement('button');
  use.type = 'button';
  use.className = 'link';
  use.id = 'profile-zone-use';
  use.textContent = hint.dataset.use;
  use.addEventListener('click', function () {
    select.value = zone;
    hint.hidden = true;
  });
  hint.appendChild(use);
  hint.hidden = false;
})();
