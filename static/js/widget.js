// widget.js: the code box a provider's website frames. The frame is a
// third-party one there and has no cookies, so the code goes out with fetch
// (same origin as the frame, no CSRF cookie needed; see docs/security.md):
// a refusal is shown in place, and on success the invitation opens in the
// top window. Without script the form posts with target=_top instead.
(function () {
  "use strict";
  var form = document.getElementById("widget-form");
  if (!form || !window.fetch) return;
  var input = document.getElementById("widget-code");
  var button = document.getElementById("widget-submit");
  var error = document.getElementById("widget-error");
  var going = document.getElementById("widget-go");
  var link = document.getElementById("widget-link");

  function fail(message) {
    error.textContent = message;
    error.hidden = false;
    going.hidden = true;
    button.disabled = false;
    input.focus();
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    error.hidden = true;
    button.disabled = true;
    var body = new URLSearchParams();
    body.set("code", input.value);
    fetch(form.action, { method: "POST", body: body, headers: { "Accept": "application/json" }, credentials: "omit" })
      .then(function (r) {
        return r.json().then(function (j) { return { ok: r.ok, j: j }; }, function () { return { ok: false, j: {} }; });
      })
      .then(function (res) {
        if (!res.ok || !res.j.url) {
          fail(res.j.error || form.dataset.failed);
          return;
        }
        link.href = res.j.url;
        going.hidden = false;
        try {
          window.top.location.href = res.j.url;
        } catch (e) {
          window.open(res.j.url, "_blank", "noopener");
        }
      }, function () {
        fail(form.dataset.offline);
      });
  });
  input.addEventListener("input", function () { error.hidden = true; });
})();
