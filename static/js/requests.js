// requests.js: the console's queue of customers' requests. The server pushes a "request" message
// (new, accepted, ended) on the console's connection (console.js hands it on as a "tether:request" DOM
// event); the queue re-renders from the server, so templ stays the one renderer and each engineer sees
// only the desks they may. A new request is announced in the page (its desktop notification and sound:
// notify.js). Accept posts; the first engineer wins, the others read who did.
(function () {
  "use strict";
  function start() {
    var panel = document.getElementById("request-queue");
    if (!panel) return;
    var $ = function (id) { return document.getElementById(id); };
    var toast = $("request-toast");

    function say(text) {
      toast.textContent = text;
      toast.hidden = false;
      clearTimeout(say.timer);
      say.timer = setTimeout(function () { toast.hidden = true; }, 10000);
    }

    function rows() {
      var out = {};
      panel.querySelectorAll("[data-request]").forEach(function (el) { out[el.dataset.request] = el; });
      return out;
    }
    var seen = rows();
    var announced = [];
    function announce(row) {
      var who = row.dataset.customer, what = row.dataset.description;
      say("New request from " + who + (what ? ": " + what : "."));
      announced.push(row.dataset.request);
      panel.dataset.announced = announced.join(",");
    }

    // A row taken by someone else stays, saying who, for a few seconds before the queue drops it.
    var holdUntil = 0, pending = false, again = false, timer = null;
    function refresh() {
      var wait = holdUntil - Date.now();
      if (wait > 0) {
        clearTimeout(timer);
        timer = setTimeout(refresh, wait);
        return;
      }
      if (pending) { again = true; return; }
      pending = true;
      fetch(panel.dataset.refresh, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { if (r.ok) return r.text(); throw new Error(r.status); })
        .then(function (html) {
          if (holdUntil > Date.now()) { again = true; return; }
          $("request-rows").outerHTML = html;
          $("request-count").textContent = $("request-rows").dataset.count;
          var now = rows();
          Object.keys(now).forEach(function (id) { if (!seen[id]) announce(now[id]); });
          seen = now;
        })
        .catch(function () { /* the next message refreshes again */ })
        .then(function () { pending = false; if (again) { again = false; refresh(); } });
    }

    function taken(id, text) {
      var row = rows()[id];
      if (!row) return;
      row.dataset.taken = "true";
      var b = row.querySelector("[data-accept]");
      if (b) b.hidden = true;
      var t = row.querySelector(".taken");
      t.textContent = text;
      t.hidden = false;
      holdUntil = Date.now() + 4000;
    }

    window.addEventListener("tether:request", function (ev) {
      var up = ev.detail || {};
      if (up.event === "accepted" && up.engineer && up.engineer !== panel.dataset.me) {
        taken(up.session_id, "Taken by " + up.engineer);
      }
      refresh();
    });
    window.addEventListener("tether:state", function () { refresh(); });
    window.addEventListener("tether:reconnected", function () { refresh(); });

    panel.addEventListener("submit", function (ev) {
      var form = ev.target;
      var b = form.querySelector("[data-accept]");
      if (!b) return;
      ev.preventDefault();
      b.disabled = true;
      fetch(form.action, {
        method: "POST", credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": tetherCSRF() },
      }).then(function (r) {
        return r.json().then(function (j) {
          if (r.ok && j.url) { location.href = j.url; return; }
          taken(b.dataset.accept, j.error || "Could not accept.");
          refresh();
        });
      }).catch(function () {
        b.disabled = false;
        say("The server did not answer; try again.");
      });
    });
  }
  document.addEventListener("DOMContentLoaded", start);
})();
