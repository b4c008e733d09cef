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
    var e = st.engineer || "The support engineer";
    var from = st.provider ? " from " + st.provider : "";
    var title = {
      asking: e + from + " asks to connect to this computer",
      sharing: e + from + " is connected to this computer",
      reconnecting: e + from + " is connected to this computer",
      ended: "The support session has ended",
    }[st.phase] || "";
    if (gone && st.phase !== "ended") title = "The support program has closed";
    setText("title", title);
    // A customer's request learns its engineer when one accepts it, while this page is open.
    setText("who-engineer", st.engineer || "not chosen yet: waiting for an engineer");
    document.querySelectorAll(".files-engineer").forEach(function (el) { if (el.textContent !== e) el.textContent = e; });
    var who = st.engineer || "the support engineer";
    var chatHead = document.querySelector("#chat .chat-head strong"), chatBox = document.querySelector("#chat textarea");
    if (chatHead && chatHead.textContent !== "Chat with " + who) chatHead.textContent = "Chat with " + who;
    if (chatBox) chatBox.placeholder = "Write to " + who + "…";
    setText("server-host", st.server || "");
    var proof = $("server-proof");
    proof.className = st.verified ? "ok" : (st.local ? "local" : "warn");
    proof.textContent = st.verified ? "identity confirmed by its certificate" :
      (st.local ? "a server on this computer, not encrypted" : "identity not confirmed");
    // The security code of the key exchange with the engineer's viewer:
    // the same on both screens unless someone in between replaced the keys.
    var code = gone || st.phase === "ended" ? "" : (st.code || "");
    root.dataset.code = code;
    $("code-line").hidden = !code;
    setText("code", code);
    setText("code-help", e + " sees the same code on their screen. If the code they read out to you is different, click Stop sharing.");
    var rec = $("recorded");
    rec.hidden = !st.recorded || gone || st.phase === "ended";
    if (st.recorded) {
      rec.lastChild.textContent = " " + (st.provider || "The support provider") + " keeps a recording of what " + e + " sees of your screen." +
        (st.phase === "asking" ? " If you do not want to be recorded, you may refuse: click Deny." : " Stop sharing ends the recording too.");
    }
    var note = $("note");
    note.hidden = !st.note;
    note.textContent = st.note || "";

    var asking = st.phase === "asking" && !gone;
    var sharing = (st.phase === "sharing" || st.phase === "reconnecting") && !gone;
    $("choices").hidden = !(asking || sharing);
    setText("legend", sharing ? e + " may:" : "Allow " + e + " to:");
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
      status = st.phase === "ended" ? "The support session has ended" + (st.reason ? " (" + st.reason + ")" : "") + ". You can close this page." :
        "The support program is no longer running. Nothing is shared. You can close this page.";
    } else if (st.phase === "asking") {
      status = "Nothing is shared until you click Allow. You can stop at any time, here or by closing the support program.";
    } else if (st.phase === "sharing" && st.paused) {
      status = "Paused: nothing of your screen is shared and " + e + " cannot use your mouse or keyboard until you resume.";
    } else if (st.phase === "sharing") {
      var since = st.since ? " since " + new Date(st.since).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
      status = "Sharing your screen" + since + ". " + (st.viewer ? e + " is watching now." : e + " is not looking at it right now.") +
        " You can stop at any time, here or by closing the support program.";
    } else if (st.phase === "reconnecting") {
      status = "Reconnecting to the support server… Nothing new is shared meanwhile.";
    } else {
      status = "The support session has ended" + (st.reason ? " (" + st.reason + ")" : "") + ". You can close this page.";
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
        return r.json().then(function (j) { throw new Error(j.error || "error " + r.status); },
          function () { throw new Error("error " + r.status); });
      })
      .catch(function (err) {
        var note = $("note");
        note.hidden = false;
        note.textContent = err.message === "Failed to fetch" ? "The support program is not running any more." : err.message;
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
