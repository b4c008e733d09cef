// team.js: the team page asks before what cannot be undone in one click
// (deactivating someone, handing over ownership): forms with data-confirm.
document.addEventListener("submit", function (ev) {
  "use strict";
  var msg = ev.target.dataset && ev.target.dataset.confirm;
  if (msg && !window.confirm(msg)) ev.preventDefault();
});
// A "Manage" menu closes when another opens or a click lands elsewhere.
document.addEventListener("click", function (ev) {
  "use strict";
  document.querySelectorAll("details.menu[open]").forEach(function (d) {
    if (!d.contains(ev.target)) d.open = false;
  });
});
