// viewer-chat.js: the chat panel of the engineer's viewer. The viewer
// (wasm) passes the server's chat and typing envelopes as tether:chat and
// tether:typing events and sends through window.tetherViewer.command.
(function () {
  "use strict";
  var root = document.getElementById("v-chat");
  var toggle = document.getElementById("v-chat-toggle");
  var badge = document.getElementById("v-chat-unread");
  var viewer = document.getElementById("viewer");
  var toolbar = document.getElementById("v-toolbar");
  if (!root || !toggle) return;
  var unread = 0;

  function command(name, detail) {
    if (!window.tetherViewer || !window.tetherViewer.command) return false;
    window.tetherViewer.command(name, detail);
    return true;
  }
  function isOpen() { return !root.hidden; }
  function setUnread(n) {
    unread = n;
    badge.textContent = n ? (n > 99 ? "99+" : String(n)) : "";
    badge.hidden = !n;
    toggle.title = n ? window.tetherMsg(n > 1 ? "console_js_unread_many" : "console_js_unread_one", { Count: n }) : window.tetherMsg("console_js_chat_title");
  }
  function place() { root.style.top = toolbar.getBoundingClientRect().bottom + "px"; }
  function open(on) {
    root.hidden = !on;
    viewer.classList.toggle("v-chat-open", on);
    toggle.setAttribute("aria-expanded", on ? "true" : "false");
    if (on) { place(); setUnread(0); chat.focus(); }
    // The stage changed size: the viewer refits the screen on resize.
    window.dispatchEvent(new Event("resize"));
  }

  var chat = tetherChat(root, {
    me: "engineer",
    send: function (text, ref) { return command("chat", { text: text, ref: ref }); },
    typing: function (on) { return command("typing", { typing: on }); },
    onMessage: function () { if (!isOpen()) setUnread(unread + 1); },
  });
  window.addEventListener("tether:chat", function (ev) { chat.receive(ev.detail); });
  window.addEventListener("tether:typing", function (ev) { chat.typing(ev.detail); });
  toggle.addEventListener("click", function () { open(!isOpen()); });
  document.getElementById("v-chat-close").addEventListener("click", function () { open(false); });
  window.addEventListener("resize", function () { if (isOpen()) place(); });
  // The session ended: the history stays readable.
  new MutationObserver(function () {
    if (viewer.dataset.state === "ended") chat.close(window.tetherMsg("console_js_session_ended"));
  }).observe(viewer, { attributes: true, attributeFilter: ["data-state"] });
  setUnread(0);
})();
