// page.js: the consent page the support program serves on this computer.
// It follows the program's state (server-sent events) and sends the
// customer's choices back. Only this page, on 127.0.0.1, can give consent.
(function () {
  "use strict";
  var root = document.getElementById("consent");
  var $ = function (id) { return document.getElementById(id); };
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name="grant"]'));
  var state = null;   // the last status from the program
  var sending = false;
  var gone = false;   // the program closed or cannot be reached
  // The page's words, in the customer's language (page.go renders them into data-words); {name}s are
  // filled from vars.
  var words = {};
  try { words = JSON.parse(root.dataset.words || "{}"); } catch (e) { words = {}; }
  function say(key, vars) {
    return (words[key] || key).replace(/\{(\w+)\}/g, function (m, k) { return vars && k in vars ? vars[k] : m; });
  }
  function reason(r) { return words["reason:" + r] || r; }
  // The other scripts of the page (trust.js, scope.js, files.js) say their words through consentSay.
  window.consentSay = say;

  function names(list) { return (list || []).slice(); }
  function chosen() {
    return boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
  }
  function same(a, b) { return a.slice().sort().join(",") === b.slice().sort().join(","); }
  function setText(id, text) { var el = $(id); if (el.textContent !== text) el.textContent = text; }

  function render() {
    var st = state;
    if (!st) return;
    root.dataset.phase = gone ? "gone" : st.phase;
    var e = st.engineer || say("engineer");
    var v = { engineer: e, provider: st.provider };
    var title = {
      asking: say(st.provider ? "title_asking" : "title_asking_anon", v),
      sharing: say(st.provider ? "title_sharing" : "title_sharing_anon", v),
      reconnecting: say(st.provider ? "title_sharing" : "title_sharing_anon", v),
      ended: say("title_ended"),
    }[st.phase] || "";
    if (gone && st.phase !== "ended") title = say("title_gone");
    setText("title", title);
    // A customer's request learns its engineer when one accepts it, while this page is open.
    setText("who-engineer", st.engineer || say("who_waiting"));
    document.querySelectorAll(".files-engineer").forEach(function (el) { if (el.textContent !== e) el.textContent = e; });
    var who = { name: st.engineer || say("engineer_inner") };
    var chatHead = document.querySelector("#chat .chat-head strong"), chatBox = document.querySelector("#chat textarea");
    if (chatHead && chatHead.textContent !== say("chat_with", who)) chatHead.textContent = say("chat_with", who);
    if (chatBox) chatBox.placeholder = say("chat_write_to", who);
    setText("server-host", st.server || "");
    var proof = $("server-proof");
    proof.className = st.verified ? "ok" : (st.local ? "local" : "warn");
    proof.textContent = st.verified ? say("proof_ok") : (st.local ? say("proof_local") : say("proof_warn"));
    // The security code of the key exchange with the engineer's viewer:
    // the same on both screens unless someone in between replaced the keys.
    var code = gone || st.phase === "ended" ? "" : (st.code || "");
    root.dataset.code = code;
    $("code-line").hidden = !code;
    setText("code", code);
    setText("code-help", say("code_help", v));
    var rec = $("recorded");
    rec.hidden = !st.recorded || gone || st.phase === "ended";
    if (st.recorded) {
      rec.lastChild.textContent = " " + say(st.phase === "asking" ? "recorded_asking" : "recorded_sharing", { engineer: e, provider: st.provider || say("provider") });
    }
    var note = $("note");
    note.hidden = !st.note;
    note.textContent = st.note || "";

    var asking = st.phase === "asking" && !gone;
    var sharing = (st.phase === "sharing" || st.phase === "reconnecting") && !gone;
    $("choices").hidden = !(asking || sharing);
    setText("legend", sharing ? say("legend_sharing", v) : say("legend_asking", v));
    var offer = names(st.offer), grants = names(st.grants);
    var control = boxes.filter(function (b) { return b.value === "control"; })[0];
    boxes.forEach(function (b) {
      if (b.value === "view") return;
      var label = b.closest("label");
      label.hidden = offer.indexOf(b.value) < 0;
      // Full control includes the mouse: "mouse, not keyboard" is a choice
      // only while control is not ticked.
      if (b.value === "limited" && control && control.checked && offer.indexOf("control") >= 0) label.hidden = true;
      // What is not offered is never sent.
      if (label.hidden) b.checked = false;
      // Reflect what the program says unless the customer is changing it.
      if (sharing && !root.dataset.dirty) b.checked = grants.indexOf(b.value) >= 0;
      b.disabled = sending;
    });
    $("allow").hidden = !asking;
    $("deny").hidden = !asking;
    $("stop").hidden = !sharing;
    $("update").hidden = !(sharing && !same(chosen().concat(), grants));
    ["allow", "deny", "stop", "update"].forEach(function (id) { $(id).disabled = sending; });

    var status;
    if (gone) {
      status = st.phase === "ended" ? (st.reason ? say("status_ended_reason", { reason: reason(st.reason) }) : say("status_ended")) : say("status_gone");
    } else if (st.phase === "asking") {
      status = say("status_asking");
    } else if (st.phase === "sharing" && st.paused) {
      status = say("status_paused", v);
    } else if (st.phase === "sharing") {
      var lang = document.documentElement.lang || undefined;
      status = (st.since ? say("status_sharing_since", { time: new Date(st.since).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" }) }) : say("status_sharing")) +
        " " + say(st.viewer ? "status_watching" : "status_not_watching", v) + " " + say("status_stop_any_time");
    } else if (st.phase === "reconnecting") {
      status = say("status_reconnecting");
    } else {
      status = st.reason ? say("status_ended_reason", { reason: reason(st.reason) }) : say("status_ended");
    }
    setText("status", status);
    // files.js follows the same state.
    window.dispatchEvent(new CustomEvent("consent:status", { detail: { state: st, gone: gone } }));
  }

  function decide(action) {
    var body = { action: action, grants: action === "allow" || action === "update" ? chosen() : [] };
    sending = true;
    render();
    fetch("decide", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) {
        if (r.ok) { delete root.dataset.dirty; return; }
        return r.json().then(function (j) { throw new Error(j.error || say("error", { status: r.status })); },
          function () { throw new Error(say("error", { status: r.status })); });
      })
      .catch(function (err) {
        var note = $("note");
        note.hidden = false;
        note.textContent = err.message === "Failed to fetch" ? say("not_running") : err.message;
      })
      .then(function () { sending = false; render(); });
  }

  document.querySelectorAll("button[data-action]").forEach(function (b) {
    b.addEventListener("click", function () { decide(b.dataset.action); });
  });
  boxes.forEach(function (b) {
    b.addEventListener("change", function () {
      if (state && state.phase !== "asking") root.dataset.dirty = "1";
      render();
    });
  });

  function follow() {
    var events = new EventSource("events");
    events.onmessage = function (ev) {
      try { state = JSON.parse(ev.data); } catch (e) { return; }
      gone = false;
      render();
    };
    events.onerror = function () {
      // The program closed (the session ended, or the customer closed it).
      if (events.readyState === EventSource.CLOSED || state) {
        gone = true;
        events.close();
        render();
      }
    };
  }
  // After the load event: a stream opened before it keeps the page
  // "loading" for as long as the stream lasts.
  if (document.readyState === "complete") follow();
  else window.addEventListener("load", follow);
})();
