// invite.js: the customer's invitation page. It follows the session live
// and offers Stop. Consent is not given here: only the page the support
// program serves on the customer's own computer (127.0.0.1) can give it.
(function () {
  "use strict";
  function start() {
    var root = document.getElementById("invite");
    if (!root) return;
    var token = root.dataset.token;
    // The engineer is read at each use: a customer's request learns its engineer when one accepts it
    // (request-wait.js sets data-engineer).
    var words = {};
    try { words = JSON.parse(root.dataset.words || "{}"); } catch (e) { words = {}; }
    // say is a sentence of the page's language (rendered by the server into data-words), its {name}s
    // filled from vars.
    var say = function (key, vars) {
      return (words[key] || "").replace(/\{(\w+)\}/g, function (m, k) { return vars && k in vars ? vars[k] : m; });
    };
    window.tetherSay = say;
    // reasonText is an end reason in the page's language (protocol.EndReasonKey).
    var reasonText = function (r) {
      if (words["reason:" + r]) return words["reason:" + r];
      if (r.indexOf("ended by ") === 0) return say("ended_by", { name: r.slice(9) });
      return r;
    };
    var engineerName = function () { return root.dataset.engineer || say("engineer"); };
    var labels = {};
    try { labels = JSON.parse(root.dataset.grantLabels || "{}"); } catch (e) { labels = {}; }
    var $ = function (id) { return document.getElementById(id); };

    // Show the customer's own OS first in the instructions.
    var os = /Windows/.test(navigator.userAgent) ? "windows" : "linux";
    document.querySelectorAll(".os-help").forEach(function (el) { el.hidden = el.dataset.os !== os; });

    function post(path) {
      return fetch(root.dataset.base + path, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": tetherCSRF() },
        body: "{}",
      }).then(function (r) {
        if (r.ok) return;
        return r.json().then(function (j) { throw new Error(j.error || ("error " + r.status)); },
          function () { throw new Error(say("error", { status: r.status })); });
      });
    }

    // sentence says what the engineer may do, worded as the server words it
    // (server/web grantSentence), from the labels it embedded.
    function sentence(grants) {
      var parts = (grants || []).map(function (g) { return labels[g] || g; });
      if (!parts.length) return "";
      var last = parts.pop();
      return say("can", { engineer: engineerName(), things: parts.length ? parts.join(say("comma")) + say("and") + last : last });
    }

    function render(st) {
      var state = st.state;
      root.dataset.state = state;
      root.dataset.grants = (st.grants || []).join(",");
      var status = $("status");
      status.textContent = {
        waiting: say("waiting"),
        joined: say("joined"),
        active: sentence(st.grants),
        ended: st.reason ? say("ended_reason", { reason: reasonText(st.reason) }) : say("ended"),
      }[state] || "";
      // The steps, and the lead that introduces them, only while there is
      // something to download and run.
      var waiting = state === "waiting";
      // An ended session's page has no steps to show at all.
      ["steps", "lead", "expiry"].forEach(function (id) { if ($(id)) $(id).hidden = !waiting; });
      $("approve").hidden = state !== "joined";
      $("approve-wait").hidden = !(state === "joined" && st.agent === false);
      $("sharing").hidden = state !== "active";
      $("ended").hidden = state !== "ended";
      if (state === "ended") $("headline").textContent = $("headline").dataset.ended;
      $("survey").hidden = state !== "ended" || root.dataset.rated === "true";
      status.hidden = state === "active"; // the sharing panel says it
      if (state === "active") {
        // The customer paused on their computer, or it is reconnecting: say
        // so here too, so this page never claims more than is happening.
        var text = sentence(st.grants) + " " + say("stop_any_time");
        if (st.agent_lost) text = say("agent_lost");
        else if (st.paused) text = say("paused", { engineer: engineerName() });
        $("sharing-text").textContent = text;
        root.dataset.paused = st.paused ? "true" : "false";
        root.dataset.reconnecting = st.agent_lost ? "true" : "false";
      }
    }
    render({ state: root.dataset.state, grants: root.dataset.grants ? root.dataset.grants.split(",") : [] });

    document.querySelectorAll("[data-stop]").forEach(function (b) {
      b.addEventListener("click", function () {
        b.disabled = true;
        post("/stop").catch(function (e) { $("status").hidden = false; $("status").textContent = e.message; b.disabled = false; });
      });
    });
    tetherSurvey($, token, root);
    var last = null;
    // Other scripts of the page (the chat) hear every message as a DOM
    // event "tether:<type>" and send through window.tetherInvite.
    window.tetherInvite = tetherLive(root.dataset.live, function (msg) {
      if (msg.type === "state" && msg.payload) { last = msg.payload; render(last); }
      window.dispatchEvent(new CustomEvent("tether:" + msg.type, { detail: msg.payload }));
    }, function () {
      // Until the server answers again, the program's presence is unknown.
      if (last) { last = Object.assign({}, last, { agent: false }); render(last); }
    });
  }
  document.addEventListener("DOMContentLoaded", start);
})();
