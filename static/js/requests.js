// requests.js: the console's queue of customers' requests. The server pushes a "request" message
// (new, accepted, ended) on the console's connection (console.js hands it on as a "tether:request" DOM
// event); the queue re-renders from the server, so templ stays the one renderer and each engineer sees
// only the desks they may. A new request is announced in the page, and, if the engineer opted in, with
// a desktop notification and a sound. Accept posts; the first engineer wins, the others read who did.
(function () {
  "use strict";
  function start() {
    var panel = document.getElementById("request-queue");
    if (!panel) return;
    var $ = function (id) { return document.getElementById(id); };
    var toast = $("request-toast"), notifyBox = $("notify-toggle"), soundBox = $("sound-toggle");

    function pref(k) { try { return localStorage.getItem(k) === "1"; } catch (e) { return false; } }
    function setPref(k, v) { try { localStorage.setItem(k, v ? "1" : "0"); } catch (e) { /* private mode */ } }

    var canNotify = "Notification" in window;
    notifyBox.checked = canNotify && pref("tether.notify") && Notification.permission === "granted";
    if (!canNotify) {
      notifyBox.disabled = true;
      notifyBox.parentNode.title = "This browser cannot show notifications.";
    }
    notifyBox.addEventListener("change", function () {
      if (!notifyBox.checked) { setPref("tether.notify", false); return; }
      Notification.requestPermission().then(function (p) {
        notifyBox.checked = p === "granted";
        setPref("tether.notify", p === "granted");
        if (p !== "granted") say("Your browser blocks notifications for this site; allow them in its site settings.");
      });
    });
    soundBox.checked = pref("tether.sound");
    var audio = null;
    function ring() {
      if (!audio) audio = new Audio(panel.dataset.sound);
      audio.currentTime = 0;
      var p = audio.play();
      if (p && p.catch) p.catch(function () { /* the browser wants a click on the page first */ });
    }
    soundBox.addEventListener("change", function () {
      setPref("tether.sound", soundBox.checked);
      if (soundBox.checked) ring(); // the click that enables it lets the browser play it later
    });

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
      if (notifyBox.checked && canNotify && Notification.permission === "granted") {
        try {
          var n = new Notification("New request from " + who, { body: what || "A customer is waiting for an engineer.", tag: row.dataset.request });
          n.onclick = function () { window.focus(); n.close(); };
          panel.dataset.notified = (panel.dataset.notified ? panel.dataset.notified + "," : "") + row.dataset.request;
        } catch (e) { /* some browsers allow notifications only from a service worker */ }
      }
      if (soundBox.checked) ring();
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
