// chat-page.js: the chat on the consent page, wired to the support
// program: the conversation streams in as server-sent events ("chat"), and
// the customer's messages and typing go back as JSON posts. chat.js, the
// widget, is the same file the server's pages use.
(function () {
  "use strict";
  // The page's words, from page.js (loaded first).
  function say(k) { return window.consentSay ? window.consentSay(k) : k; }
  var root = document.getElementById("chat");
  if (!root) return;
  var chat = tetherChat(root, {
    me: "customer",
    send: function (text, ref) {
      post("chat", { text: text, ref: ref }).catch(function (err) {
        chat.receive({ ref: ref, text: text, error: err.message });
      });
      return true;
    },
    typing: function (on) { post("typing", { typing: on }).catch(function () {}); },
    onMessage: unseen,
  });

  // While the tab is in the background, its title counts the engineer's
  // new messages.
  var title = document.title, missed = 0;
  function unseen() {
    if (!document.hidden) return;
    missed++;
    document.title = "(" + missed + ") New message · " + title;
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { missed = 0; document.title = title; }
  });

  function post(path, body) {
    return fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) {
        if (r.ok) return;
        return r.json().then(function (j) { throw new Error(j.error || "error " + r.status); },
          function () { throw new Error("error " + r.status); });
      }, function () { throw new Error(say("chat_not_running")); });
  }

  function follow() {
    var events = new EventSource("chat");
    events.addEventListener("chat", function (ev) {
      try { chat.receive(JSON.parse(ev.data)); } catch (e) { /* not ours */ }
    });
    events.addEventListener("typing", function (ev) {
      try { chat.typing(JSON.parse(ev.data)); } catch (e) { /* not ours */ }
    });
    events.onerror = function () {
      if (events.readyState === EventSource.CLOSED) chat.close(say("title_gone"));
    };
  }
  // The page's state follows in page.js; the chat closes with the session.
  new MutationObserver(function () {
    var phase = document.getElementById("consent").dataset.phase;
    if (phase === "ended" || phase === "gone") chat.close(say("chat_ended"));
  }).observe(document.getElementById("consent"), { attributes: true, attributeFilter: ["data-phase"] });
  if (document.readyState === "complete") follow();
  else window.addEventListener("load", follow);
})();
