// chat.js: the conversation between engineer and customer, as the viewer's
// chat panel and the invitation page show it. The page wires a transport:
//   var chat = tetherChat(root, {me: "engineer", send: fn(text, ref) → bool,
//                                typing: fn(on) → bool, onMessage: fn(msg)});
// (send and typing report false when they could not send.)
//   chat.receive(msg)   a `chat` payload from the server (stored, or refused;
//                       onMessage hears of the other side's new ones)
//   chat.typing(t)      a `typing` payload
//   chat.close(why)     no more sending (the session ended)
// root holds .chat-log, .chat-typing, and a form with a textarea,
// .chat-count and .chat-error. Text is only ever set as textContent.
// The agent serves a byte-identical copy for its consent page
// (agent/consent/chat.js, and chat.css; TestChatFilesAreTheServers checks).
(function () {
  "use strict";
  var MAX = 2000;          // protocol.MaxChatText
  var SEND_TIMEOUT = 10000; // a message unconfirmed this long is given back
  var TYPING_EVERY = 2000, TYPING_IDLE = 3000, TYPING_SHOWN = 5000;

  function two(n) { return n < 10 ? "0" + n : "" + n; }
  function clock(d) { return two(d.getHours()) + ":" + two(d.getMinutes()); }

  window.tetherChat = function (root, opts) {
    var log = root.querySelector(".chat-log");
    var typingLine = root.querySelector(".chat-typing");
    var form = root.querySelector("form");
    var input = form.querySelector("textarea");
    var count = form.querySelector(".chat-count");
    var error = form.querySelector(".chat-error");
    var button = form.querySelector("button[type=submit]");
    var byID = {}, pending = {}, seq = 0, closed = false;
    // The words come from the page (data-* of root, in its language); English where a page has none.
    var w = root.dataset;
    function word(key, en) { return w[key] || en; }
    var typingSent = 0, typingOn = false, idleTimer = null, shownTimer = null;

    function showError(text) {
      error.hidden = !text;
      error.textContent = text || "";
    }

    function bubble(msg, mine) {
      var li = document.createElement("li");
      li.className = "chat-msg " + (mine ? "chat-mine" : "chat-theirs");
      var meta = document.createElement("div");
      meta.className = "chat-meta";
      var who = document.createElement("span");
      who.className = "chat-from";
      who.textContent = mine ? word("you", "You") : (msg.from || (msg.side === "engineer" ? word("engineer", "Support engineer") : word("customer", "Customer")));
      var when = document.createElement("time");
      meta.appendChild(who);
      meta.appendChild(when);
      var body = document.createElement("div");
      body.className = "chat-text";
      body.textContent = msg.text;
      li.appendChild(meta);
      li.appendChild(body);
      stamp(li, msg);
      return li;
    }

    function stamp(li, msg) {
      var when = li.querySelector("time");
      if (msg.at) {
        var d = new Date(msg.at);
        when.dateTime = d.toISOString();
        when.textContent = clock(d);
        when.title = d.toLocaleString();
        li.dataset.at = d.getTime();
        li.classList.remove("chat-pending");
      } else {
        when.textContent = word("sending", "Sending…");
        li.classList.add("chat-pending");
      }
      if (msg.id) li.dataset.id = msg.id;
    }

    // place puts li in time order (history may come again after a reconnect).
    function place(li) {
      var at = Number(li.dataset.at || Infinity);
      var next = null;
      for (var el = log.lastElementChild; el; el = el.previousElementSibling) {
        if (el.dataset.at && Number(el.dataset.at) <= at) break;
        if (el.dataset.at) next = el;
      }
      log.insertBefore(li, next);
      log.scrollTop = log.scrollHeight;
    }

    function giveBack(p, why) {
      delete pending[p.ref];
      clearTimeout(p.timer);
      if (p.li.parentNode) p.li.parentNode.removeChild(p.li);
      if (!input.value.trim()) { input.value = p.text; updateCount(); }
      showError(why);
    }

    function receive(msg) {
      if (!msg || typeof msg.text !== "string") return;
      var p = msg.ref ? pending[msg.ref] : null;
      if (msg.error) {
        if (p) giveBack(p, msg.error);
        return; // a refusal for another page of the same customer
      }
      if (msg.id && byID[msg.id]) return;
      var mine = msg.side === opts.me;
      if (p) {
        delete pending[msg.ref];
        clearTimeout(p.timer);
        stamp(p.li, msg);
        p.li.parentNode.removeChild(p.li);
        byID[msg.id] = p.li;
        place(p.li);
        return;
      }
      var li = bubble(msg, mine);
      byID[msg.id] = li;
      place(li);
      if (!mine && !msg.history) {
        hideTyping();
        if (opts.onMessage) opts.onMessage(msg);
      }
    }

    function hideTyping() {
      typingLine.hidden = true;
      clearTimeout(shownTimer);
    }

    function typing(t) {
      if (!t || t.side === opts.me) return;
      if (!t.typing) { hideTyping(); return; }
      typingLine.textContent = word("typing", "{name} is typing…").replace("{name}", t.from || word("other", "The other side"));
      typingLine.hidden = false;
      clearTimeout(shownTimer);
      shownTimer = setTimeout(hideTyping, TYPING_SHOWN);
    }

    function sendTyping(on) {
      if (on === typingOn && (!on || Date.now() - typingSent < TYPING_EVERY)) return;
      if (opts.typing(on) === false) return; // not connected: the next key tries again
      typingOn = on;
      typingSent = Date.now();
    }

    function updateCount() {
      var n = Array.from(input.value.trim()).length;
      count.textContent = n > MAX - 200 ? n + " / " + MAX : "";
      count.classList.toggle("chat-over", n > MAX);
      button.disabled = closed || n === 0 || n > MAX;
    }

    input.addEventListener("input", function () {
      updateCount();
      if (closed) return;
      showError("");
      sendTyping(input.value.trim() !== "");
      clearTimeout(idleTimer);
      idleTimer = setTimeout(function () { sendTyping(false); }, TYPING_IDLE);
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        submit();
      }
    });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); submit(); });

    function submit() {
      var text = input.value.trim();
      if (closed || !text) return;
      if (Array.from(text).length > MAX) {
        showError(word("tooLong", "Not sent: at most {max} characters fit in one message.").replace("{max}", MAX));
        return;
      }
      var ref = "m" + Date.now().toString(36) + "-" + (++seq);
      var li = bubble({ text: text, side: opts.me }, true);
      log.appendChild(li);
      log.scrollTop = log.scrollHeight;
      var p = { ref: ref, text: text, li: li };
      pending[ref] = p;
      input.value = "";
      updateCount();
      showError("");
      clearTimeout(idleTimer);
      typingOn = false; // the message itself ends the indicator
      if (!opts.send(text, ref)) {
        giveBack(p, word("offline", "Not sent: not connected to the support server. Try again in a moment."));
        return;
      }
      p.timer = setTimeout(function () {
        giveBack(p, word("noAnswer", "Not sent: no answer from the support server. Try again."));
      }, SEND_TIMEOUT);
    }

    function close(why) {
      closed = true;
      input.disabled = true;
      input.placeholder = why || word("ended", "The chat has ended.");
      updateCount();
      hideTyping();
    }

    updateCount();
    return { receive: receive, typing: typing, close: close, focus: function () { input.focus(); } };
  };
})();
