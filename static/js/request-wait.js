// request-wait.js: the invitation page of a customer's request while it waits in a desk's queue. The
// server pushes the request's place ("request" messages, event "queued") as the queue moves, who
// accepted it ("accepted"), and the end when nobody was free in time ("state", ended). invite.js
// hears the messages first and hands them on as "tether:<type>" DOM events.
(function () {
  "use strict";
  function start() {
    var root = document.getElementById("invite");
    var wait = document.getElementById("request-wait");
    if (!root || !wait) return;
    var $ = function (id) { return document.getElementById(id); };
    // The page's words (invite.js reads them from data-words): the provider's name is already in them.
    var say = window.tetherSay || function (k) { return k; };
    var accepted = false;
    root.dataset.engineer = say("an_engineer");

    // Worded as templates/requests.templ words it (queueText, estimateText).
    function estimate(m) {
      if (!m) return say("estimate_none");
      if (m === 1) return say("estimate_one");
      return say("estimate", { n: m });
    }
    function queued(up) {
      var p = up.position || 0;
      $("queue-position").textContent = p > 0 ? String(p) : "…";
      var place = p > 1 ? say("place_n", { n: p }) : p === 1 ? say("place_next") : say("place_unknown");
      $("queue-text").textContent = place + " " + estimate(up.estimate_minutes);
      root.dataset.position = String(p);
    }
    function closed(reason) {
      wait.hidden = true;
      ["ended", "survey", "steps", "lead", "expiry", "invite-chat"].forEach(function (id) { if ($(id)) $(id).hidden = true; });
      $("status").hidden = true;
      $("headline").textContent = say("request");
      var nobody = reason === "nobody was free";
      $("closed-title").textContent = nobody ? say("nobody_title") : say("closed_title");
      $("closed-text").textContent = nobody ? say("nobody_text") : say("closed_text", { reason: say("reason:" + reason) || reason });
      $("request-closed").hidden = false;
      root.dataset.request = nobody ? "nobody-free" : "closed";
    }

    window.addEventListener("tether:request", function (ev) {
      var up = ev.detail || {};
      if (up.event === "queued" && !accepted) {
        queued(up);
      } else if (up.event === "accepted" && up.engineer) {
        accepted = true;
        root.dataset.engineer = up.engineer;
        root.dataset.request = "accepted";
        wait.hidden = true;
        $("headline").textContent = say("accepted_title", { engineer: up.engineer });
        var status = $("status");
        status.hidden = false;
        status.textContent = say("accepted_text", { engineer: up.engineer });
        // The page shows the engineer's name everywhere after a reload; not while the customer is
        // typing in the chat.
        var draft = document.querySelector("#invite-chat textarea");
        if (!draft || !draft.value) setTimeout(function () { location.reload(); }, 1500);
      }
    });
    window.addEventListener("tether:state", function (ev) {
      var st = ev.detail || {};
      if (!accepted && st.state === "ended") closed(st.reason);
    });
    if (root.dataset.state === "ended") {
      // Rendered ended: the server has written the panel; keep the report and survey out of it.
      ["ended", "survey", "invite-chat"].forEach(function (id) { if ($(id)) $(id).hidden = true; });
      $("status").hidden = true;
    }
  }
  document.addEventListener("DOMContentLoaded", start);
})();
