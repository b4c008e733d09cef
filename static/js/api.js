// api.js: the API settings page asks before revoking a token or changing the webhook.
document.addEventListener("submit", function (ev) {
  "use strict";
  var f = ev.target.closest("form.confirm");
  if (f && !window.confirm(f.dataset.confirm)) ev.preventDefault();
});
