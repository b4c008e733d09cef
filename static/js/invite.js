// invite.js: the customer's invitation page. It follows the session live,
// shows the consent choices when the page was opened by the support program
// (its URL fragment holds the consent key only that program knows), and
// offers Stop while the screen is shared.
(function () {
  "use strict";
  function start() {
    var root = document.getElementById("invite");
    if (!root) return;
    var token = root.dataset.token;
    var statusEl = document.getElementById("status");
    var consentEl = document.getElementById("consent");
    var sharingEl = document.getElementById("sharing");
    var stepsEl = document.getElementById("steps");
    var engineer = (consentEl.querySelector("h2").textContent.match(/^Allow (.*) to connect\?$/) || [null, "The engineer"])[1];
    // The support program opens this page with its consent key in the
    // fragment (never sent to the server in a URL). A browser may reuse an
    // open tab, so read it again when only the fragment changes.
    var consentKey = "";
    function readKey() {
      var m = /(?:^#|&)consent=([A-Za-z0-9]+)/.exec(location.hash);
      if (!m) return false;
      consentKey = m[1];
      history.replaceState(null, "", location.pathname);
      return true;
    }
    readKey();

    // Show the customer's own OS first in the instructions.
    var os = /Windows/.test(navigator.userAgent) ? "windows" : "linux";
    document.querySelectorAll(".os-help").forEach(function (el) { el.hidden = el.dataset.os !== os; });

    function post(path, body) {
      return fetch("/i/" + token + path, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": tetherCSRF() },
        body: JSON.stringify(body || {}),
      }).then(function (r) {
        if (r.ok) return;
        return r.json().then(function (j) { throw new Error(j.error || ("error " + r.status)); },
          function () { throw new Error("error " + r.status); });
      });
    }

    var state = root.dataset.state;
    var sending = false;
    function render(st) {
      state = st.state;
      root.dataset.state = state;
      root.dataset.level = st.level || "";
      var text = {
        waiting: "Waiting for you to download and run the support program.",
        joined: consentKey ? "Choose below what " + engineer + " may do." : "The support program has started. Approve in the window it opened.",
        active: st.level === "control" ? engineer + " can see and control your screen." : engineer + " can see your screen (view only).",
        ended: "This support session has ended" + (st.reason ? " (" + st.reason + ")." : "."),
      }[state] || "";
      statusEl.textContent = text;
      consentEl.hidden = !(state === "joined" && consentKey);
      // Consent goes to the running program; while it reconnects (a network
      // blip, a server restart) the choices wait for it.
      var away = st.agent !== true;
      consentEl.querySelectorAll("button").forEach(function (b) { b.disabled = away || sending; });
      document.getElementById("consent-wait").hidden = st.agent !== false;
      sharingEl.hidden = state !== "active";
      var done = state === "active" || state === "ended";
      stepsEl.hidden = done || !consentEl.hidden;
      document.getElementById("lead").hidden = done;
      document.getElementById("expiry").hidden = done;
      statusEl.hidden = state === "active"; // the sharing panel says it
      if (state === "active") {
        document.getElementById("sharing-text").textContent = text + " You can stop at any moment.";
      }
    }
    var last = { state: state, level: root.dataset.level };
    render(last);

    consentEl.addEventListener("click", function (ev) {
      var b = ev.target.closest("button[data-level]");
      if (!b) return;
      sending = true;
      consentEl.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
      post("/consent", { consent_key: consentKey, level: b.dataset.level }).catch(function (e) {
        statusEl.textContent = e.message;
        consentEl.querySelectorAll("button").forEach(function (x) { x.disabled = false; });
      }).then(function () { sending = false; });
    });
    document.getElementById("stop").addEventListener("click", function (ev) {
      ev.target.disabled = true;
      post("/stop").catch(function (e) { statusEl.textContent = e.message; ev.target.disabled = false; });
    });
    window.addEventListener("hashchange", function () {
      if (readKey()) render(last);
    });
    tetherLive(root.dataset.live, function (msg) {
      if (msg.type === "state" && msg.payload) { last = msg.payload; render(last); }
    }, function () {
      // Until the server answers again, the program's presence is unknown;
      // keep that in last, so a re-render (a fragment change) cannot bring
      // back what the server said before it went away.
      last = { state: last.state, level: last.level, reason: last.reason, agent: false };
      render(last);
    });
  }
  document.addEventListener("DOMContentLoaded", start);
})();
