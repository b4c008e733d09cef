// trust.js: the customer's controls while sharing, on the consent page the
// support program serves on this computer: who is connected, the engineer's
// requests for more (allow or refuse), pause and resume, the time-limit
// countdown with its extension, and the list of what the customer changed.
// It follows the program's state on its own stream, like page.js.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var state = null, gone = false, sending = false, timer = 0;

  function setText(id, text) { var el = $(id); if (el.textContent !== text) el.textContent = text; }
  function clock(d) { return new Date(d).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }
  function left(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000)), m = Math.floor(s / 60);
    s %= 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function render() {
    var st = state;
    if (!st) return;
    var live = !gone && (st.phase === "sharing" || st.phase === "reconnecting");
    var say = window.consentSay || function (k) { return k; };
    var e = st.engineer || say("engineer");

    // Who is connected: always in view while sharing.
    $("who").hidden = !live;
    setText("who-engineer", e);
    setText("who-provider", st.provider || "");
    setText("who-since", st.since ? clock(st.since) : "");
    setText("who-server", st.server || "");

    // The engineer asks for more.
    var asking = live && st.phase === "sharing" && !!st.request && !!st.request_text;
    $("request").hidden = !asking;
    setText("request-text", asking ? say("request", { engineer: e, things: st.request_text }) : "");
    $("request-allow").disabled = $("request-refuse").disabled = sending;

    // Pause.
    var sharing = live && st.phase === "sharing";
    $("pause").hidden = !sharing || !!st.paused;
    $("resume").hidden = !sharing || !st.paused;
    $("pause").disabled = $("resume").disabled = sending;
    $("paused").hidden = !(live && st.paused);
    setText("paused-text", say("paused_text", { engineer: e }));

    // The time limit.
    var ends = live && st.ends_at ? new Date(st.ends_at).getTime() : 0;
    $("limit").hidden = !ends;
    $("extend").hidden = !(ends && st.extendable);
    $("extend").disabled = sending;
    setText("limit-text", st.ends_why === "idle" ? say("limit_idle") : say("limit_time"));
    tick();

    // What the customer changed.
    var changes = live ? (st.changes || []) : [];
    $("changes").hidden = changes.length === 0;
    var list = $("changes-list");
    while (list.firstChild) list.removeChild(list.firstChild);
    changes.slice().reverse().forEach(function (c) {
      var li = document.createElement("li");
      var time = document.createElement("time");
      time.textContent = clock(c.at);
      li.appendChild(time);
      li.appendChild(document.createTextNode(" " + c.text));
      list.appendChild(li);
    });
  }

  function tick() {
    clearTimeout(timer);
    if (!state || $("limit").hidden) return;
    var ms = new Date(state.ends_at).getTime() - Date.now();
    setText("limit-left", left(ms));
    if (ms > 0) timer = setTimeout(tick, 250);
  }

  function decide(action) {
    sending = true;
    render();
    fetch("decide", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ action: action, grants: [] }) })
      .then(function (r) {
        if (r.ok) return;
        return r.json().then(function (j) { throw new Error(j.error || "error " + r.status); },
          function () { throw new Error("error " + r.status); });
      })
      .catch(function (err) {
        var note = $("note");
        note.hidden = false;
        note.textContent = err.message === "Failed to fetch" ? (window.consentSay || String)("not_running") : err.message;
      })
      .then(function () { sending = false; render(); });
  }

  [["request-allow", "grant-allow"], ["request-refuse", "grant-refuse"], ["pause", "pause"], ["resume", "resume"], ["extend", "extend"]]
    .forEach(function (p) { $(p[0]).addEventListener("click", function () { decide(p[1]); }); });

  function follow() {
    var events = new EventSource("events");
    events.onmessage = function (ev) {
      try { state = JSON.parse(ev.data); } catch (e) { return; }
      gone = false;
      render();
    };
    events.onerror = function () {
      if (events.readyState === EventSource.CLOSED || state) {
        gone = true;
        events.close();
        render();
      }
    };
  }
  if (document.readyState === "complete") follow();
  else window.addEventListener("load", follow);
})();
