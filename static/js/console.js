// console.js: keeps the engineer's session list (and a session's page)
// current without reloads. The server pushes a `state` message on every
// change; the list re-renders from the server so templ stays the one renderer.
(function () {
  "use strict";
  function start() {
    var list = document.getElementById("session-list");
    var detail = document.getElementById("session-live");
    var holder = list || detail;
    if (!holder) return;
    var pending = false;
    function refresh() {
      if (pending) return;
      pending = true;
      setTimeout(function () {
        fetch(list.dataset.refresh, { credentials: "same-origin", headers: { Accept: "text/html" } })
          .then(function (r) { if (r.ok) return r.text(); throw new Error(r.status); })
          .then(function (html) { list.innerHTML = html; })
          .catch(function () {})
          .then(function () { pending = false; });
      }, 100);
    }
    tetherLive(holder.dataset.live, function (msg) {
      // Other scripts of the page (requests.js) hear every message as a DOM event "tether:<type>".
      window.dispatchEvent(new CustomEvent("tether:" + msg.type, { detail: msg.payload }));
      if (msg.type !== "state") return;
      if (list) refresh();
      if (detail && msg.payload && msg.payload.session_id === detail.dataset.session) {
        var pill = document.getElementById("session-state");
        // A summary being written is not thrown away: the page catches up
        // when it is saved.
        var draft = document.getElementById("summary-text");
        var unsaved = draft && draft.value !== draft.defaultValue;
        if (pill && pill.dataset.state !== msg.payload.state && !unsaved) location.reload();
      }
    });
  }
  document.addEventListener("DOMContentLoaded", start);
})();
