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
    // stateIs reloads the session's page when its state changed. A summary
    // being written is not thrown away: the page catches up when it is saved.
    function stateIs(state) {
      var pill = document.getElementById("session-state");
      var draft = document.getElementById("summary-text");
      var unsaved = draft && draft.value !== draft.defaultValue;
      if (pill && pill.dataset.state !== state && !unsaved) location.reload();
    }
    var down = false;
    tetherLive(holder.dataset.live, function (msg) {
      // Other scripts of the page (requests.js, notify.js) hear every message as a DOM event
      // "tether:<type>".
      window.dispatchEvent(new CustomEvent("tether:" + msg.type, { detail: msg.payload }));
      if (msg.type === "console" && down) {
        // Back after a drop: the snapshot is current, the lists may not be.
        down = false;
        window.dispatchEvent(new CustomEvent("tether:reconnected"));
        if (list) refresh();
        ((msg.payload && msg.payload.sessions) || []).forEach(function (s) {
          if (detail && s.session_id === detail.dataset.session) stateIs(s.state);
        });
      }
      if (msg.type !== "state") return;
      if (list) refresh();
      if (detail && msg.payload && msg.payload.session_id === detail.dataset.session) stateIs(msg.payload.state);
    }, function () {
      down = true;
      window.dispatchEvent(new CustomEvent("tether:down"));
    });
  }
  document.addEventListener("DOMContentLoaded", start);
})();
