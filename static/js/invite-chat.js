// invite-chat.js: the customer's chat with the engineer on the invitation
// page, over the page's live connection (invite.js). It works before the
// support program runs, while sharing, and shows the history after the end.
(function () {
  "use strict";
  function start() {
    root = document.getElementById("invite-chat");
    var page = document.getElementById("invite");
    if (!root || !page) return;
    function send(type, payload) { return !!window.tetherInvite && window.tetherInvite.send(type, payload); }
    var chat = tetherChat(root, {
      me: "customer",
      send: function (text, ref) { return send("chat", { text: text, ref: ref }); },
      typing: function (on) { return send("typing", { typing: on }); },
      onMessage: unseen,
    });
    window.addEventListener("tether:chat", function (ev) { chat.receive(ev.detail); });
    window.addEventListener("tether:typing", function (ev) { chat.typing(ev.detail); });
    window.addEventListener("tether:state", function (ev) {
      root.dataset.connected = "true"; // the page's connection is up
      if (ev.detail && ev.detail.state === "ended") chat.close(root.dataset.ended);
    });
    if (page.dataset.state === "ended") chat.close(root.dataset.ended);
  }

  // While the tab is in the background, its title counts the engineer's
  // new messages.
  var title = document.title, missed = 0, root = null;
  function unseen() {
    if (!document.hidden) return;
    missed++;
    document.title = "(" + missed + ") " + (root ? root.dataset.newMessage : "") + " · " + title;
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { missed = 0; document.title = title; }
  });
  document.addEventListener("DOMContentLoaded", start);
})();
