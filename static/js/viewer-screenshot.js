// viewer-screenshot.js: the toolbar's Screenshot button. It saves what the
// engineer sees of the customer's screen (the canvas, at the screen's own
// resolution) as a PNG into the session's record on the server.
(function () {
  "use strict";
  var root = document.getElementById("viewer");
  var button = document.getElementById("v-shot");
  var screen = document.getElementById("v-screen");
  if (!root || !button || !screen) return;

  var note = document.createElement("span");
  note.id = "v-shot-note";
  note.setAttribute("role", "status");
  button.insertAdjacentElement("afterend", note);
  var timer = 0;
  function say(text, bad) {
    note.textContent = text;
    note.className = bad ? "bad" : "";
    clearTimeout(timer);
    timer = setTimeout(function () { note.textContent = ""; }, 5000);
  }

  function pngOf(canvas) {
    return new Promise(function (resolve, reject) {
      canvas.toBlob(function (b) { b ? resolve(b) : reject(new Error("the browser made no image")); }, "image/png");
    });
  }

  button.addEventListener("click", function () {
    if (!(Number(root.dataset.frames) > 0) || root.dataset.state === "ended") {
      say(window.tetherMsg("console_js_shot_nothing"), true);
      return;
    }
    button.disabled = true;
    say(window.tetherMsg("console_js_shot_saving"));
    pngOf(screen).then(function (png) {
      return fetch(button.dataset.url, {
        method: "POST", credentials: "same-origin", body: png,
        headers: { "Content-Type": "image/png", "X-CSRF-Token": tetherCSRF(), "Accept": "application/json" },
      });
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error(j.error || ("error " + r.status));
        return j;
      }, function () { throw new Error("error " + r.status); });
    }).then(function (j) {
      root.dataset.screenshots = String(Number(root.dataset.screenshots || 0) + 1);
      root.dataset.lastScreenshot = j.url;
      say(window.tetherMsg("console_js_shot_saved"));
    }).catch(function (e) {
      say(window.tetherMsg("console_js_shot_failed", { Error: e.message }), true);
    }).finally(function () {
      button.disabled = false;
    });
  });
})();
