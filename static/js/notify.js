// notify.js: the console's notifications. The console's stream (console.js) hands on each snapshot of
// what concerns this engineer as a "tether:console" DOM event: the first one on every connection, and
// one after every update. Comparing a snapshot with the one before tells what happened, also across a
// dropped connection: a customer of mine joined or left, a request arrived in my desks, someone else
// took one. Each kind may raise a desktop notification and a sound, as the engineer chose in the
// "Notifications" menu (saved with their account). The tab title counts the waiting items.
(function () {
  "use strict";
  function start() {
    var panel = document.getElementById("notify-panel");
    if (!panel) return;
    var $ = function (id) { return document.getElementById(id); };
    var d = panel.dataset, form = $("notify-form"), status = $("notify-status");
    var permText = $("notify-permission-text"), allow = $("notify-allow"), streamStatus = $("stream-status");
    var canNotify = "Notification" in window;
    var baseTitle = document.title;

    function chosen(name, kind) {
      var el = form.querySelector('input[name="' + name + '"][value="' + kind + '"]');
      return !!(el && el.checked);
    }

    function showPermission() {
      if (!canNotify) {
        permText.textContent = d.unsupported;
        allow.hidden = true;
        return;
      }
      var p = Notification.permission;
      permText.textContent = p === "granted" ? d.allowed : p === "denied" ? d.blocked : d.ask;
      allow.hidden = p !== "default";
    }
    // The browser's permission is asked for only on a click: this button, or ticking a desktop box.
    function ask() {
      if (!canNotify || Notification.permission !== "default") return;
      var p = Notification.requestPermission(showPermission);
      if (p && p.then) p.then(showPermission);
    }
    allow.addEventListener("click", ask);
    showPermission();

    // A rising chime when a customer joins, a falling one when a customer leaves or a request is taken.
    var soundOf = {
      request_new: d.soundRequest, request_taken: d.soundLeft,
      customer_joined: d.soundJoined, customer_left: d.soundLeft,
    };
    var audio = {};
    function ring(kind) {
      var src = soundOf[kind] || d.soundRequest;
      if (!audio[src]) audio[src] = new Audio(src);
      audio[src].currentTime = 0;
      var p = audio[src].play();
      if (p && p.catch) p.catch(function () { /* the browser wants a click on the page first */ });
    }

    function say(text) {
      status.textContent = text;
      clearTimeout(say.timer);
      say.timer = setTimeout(function () { status.textContent = ""; }, 4000);
    }
    // With script every change is saved at once; the Save button is for browsers without it.
    $("notify-save").hidden = true;
    var saving = null, again = false;
    function save() {
      if (saving) { again = true; return; }
      saving = fetch(form.action, {
        method: "POST", credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": tetherCSRF() },
        body: new URLSearchParams(new FormData(form)),
      }).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        say(d.saved);
      }).catch(function () {
        say(d.saveFailed);
      }).then(function () {
        saving = null;
        if (again) { again = false; save(); }
      });
    }
    form.addEventListener("change", function (ev) {
      if (ev.target.name === "desktop" && ev.target.checked) ask();
      if (ev.target.name === "sound" && ev.target.checked) ring(ev.target.value); // this click lets the browser play it later
      save();
    });
    $("notify-test").addEventListener("click", function () {
      ask();
      ring("request_new");
      if (canNotify && Notification.permission === "granted") {
        try { new Notification(d.testTitle, { body: d.testBody, tag: "tether-test" }); } catch (e) { /* see show() */ }
      }
    });

    // A session's page (or viewer) that has the focus marks it (live.js): nothing about that session
    // is announced meanwhile, the engineer is looking at it.
    function focusedSession() {
      try {
        var f = JSON.parse(localStorage.getItem("tether.focus") || "null");
        if (f && f.until > Date.now()) return f.session;
      } catch (e) { /* private mode */ }
      return "";
    }
    function fill(text, v) {
      return text.replace("{customer}", v.customer || "").replace("{engineer}", v.engineer || "");
    }
    var shown = [];
    function show(kind, id, title, body) {
      if (focusedSession() === id) return;
      if (chosen("desktop", kind) && canNotify && Notification.permission === "granted") {
        try {
          // The tag makes a second console tab's copy replace this one instead of doubling it.
          var n = new Notification(title, { body: body, tag: kind + ":" + id });
          n.onclick = function () {
            window.focus();
            n.close();
            location.href = "/sessions/" + encodeURIComponent(id);
          };
          shown.push(kind + ":" + id);
          panel.dataset.shown = shown.join(",");
        } catch (e) { /* some browsers show notifications only from a service worker */ }
      }
      if (chosen("sound", kind)) ring(kind);
    }

    function byID(list) {
      var m = {};
      (list || []).forEach(function (x) { m[x.session_id] = x; });
      return m;
    }
    var live = { joined: true, active: true };
    function compare(a, b) {
      var reqA = byID(a.requests), reqB = byID(b.requests), takenB = byID(b.taken), sesA = byID(a.sessions);
      (b.requests || []).forEach(function (r) {
        if (!reqA[r.session_id]) show("request_new", r.session_id, fill(d.newTitle, r), r.description || d.newBody);
      });
      Object.keys(reqA).forEach(function (id) {
        var t = takenB[id];
        if (!reqB[id] && t) show("request_taken", id, fill(d.takenTitle, t), fill(d.takenBody, t));
      });
      (b.sessions || []).forEach(function (s) {
        var was = sesA[s.session_id];
        if (!was) return; // new to this console: opened or accepted by this engineer
        if (was.state === "waiting" && live[s.state]) show("customer_joined", s.session_id, fill(d.joinedTitle, s), d.joinedBody);
        if (was.state !== "ended" && s.state === "ended" && s.left) show("customer_left", s.session_id, fill(d.leftTitle, s), d.leftBody);
      });
    }

    var last = null, downTimer = null;
    window.addEventListener("tether:console", function (ev) {
      var snap = ev.detail || {};
      clearTimeout(downTimer);
      streamStatus.hidden = true;
      var n = snap.waiting || 0;
      document.title = n > 0 ? "(" + n + ") " + baseTitle : baseTitle;
      if (last) compare(last, snap);
      last = snap;
    });
    // A drop shorter than a second goes unmentioned.
    window.addEventListener("tether:down", function () {
      clearTimeout(downTimer);
      downTimer = setTimeout(function () { streamStatus.hidden = false; }, 1000);
    });
  }
  document.addEventListener("DOMContentLoaded", start);
})();
