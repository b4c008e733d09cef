// live.js: a reconnecting websocket for Tether's pages. Exposes
// tetherLive(path, onMessage, onDown) → {close(), send(type, payload)}
// (send reports false while disconnected). Messages are
// {type, payload}; onDown (optional) runs when the connection drops, so a
// page can stop trusting what it last heard until the next message.
(function () {
  "use strict";
  window.tetherLive = function (path, onMessage, onDown) {
    var ws = null, closed = false, delay = 500, retry = null;
    function connect() {
      retry = null;
      var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
      ws = new WebSocket(url);
      ws.onopen = function () { delay = 500; };
      ws.onmessage = function (ev) {
        var msg;
        try { msg = JSON.parse(ev.data); } catch (e) { return; }
        onMessage(msg);
      };
      ws.onclose = function (ev) {
        if (closed) return;
        if (ev.code === 4401) {
          // protocol.CloseSignedOut: the sign-in ended. Reloading leads to
          // the sign-in page instead of retrying in vain.
          location.reload();
          return;
        }
        if (onDown) onDown();
        // A little jitter, so that the pages an instance dropped do not all come back at once.
        retry = setTimeout(connect, delay * (0.8 + Math.random() * 0.4));
        delay = Math.min(delay * 2, 10000);
      };
    }
    // Back online: try now rather than at the end of the backoff.
    window.addEventListener("online", function () {
      if (closed || !retry) return;
      clearTimeout(retry);
      delay = 500;
      connect();
    });
    connect();
    return {
      close: function () { closed = true; if (ws) ws.close(); },
      send: function (type, payload) {
        if (!ws || ws.readyState !== WebSocket.OPEN) return false;
        ws.send(JSON.stringify({ type: type, payload: payload }));
        return true;
      },
    };
  };
  // A session's page or viewer marks its session while the engineer looks at it (it took the focus and
  // is still visible), so that the console (notify.js, in another tab) announces nothing about it
  // meanwhile. The mark is renewed while the page stays visible and expires by itself: a tab that dies
  // without a goodbye leaves nothing behind for long.
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.querySelector("#session-live[data-session], #viewer[data-session]:not([data-mode])");
    if (!el) return;
    var id = el.dataset.session;
    function read() {
      try { return JSON.parse(localStorage.getItem("tether.focus") || "null"); } catch (e) { return null; }
    }
    function set(ms) {
      try {
        localStorage.setItem("tether.focus", JSON.stringify({ session: id, until: Date.now() + (ms || 45000) }));
      } catch (e) { /* private mode: the console announces as usual */ }
    }
    function clear() {
      var f = read();
      try { if (f && f.session === id) localStorage.removeItem("tether.focus"); } catch (e) { /* as above */ }
    }
    function look() {
      if (document.visibilityState === "visible") set(); else clear();
    }
    window.addEventListener("focus", look);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState !== "visible") clear();
      else if (document.hasFocus()) set();
    });
    // The page reloads itself when its session changes state: the mark outlives a reload by a moment,
    // and a closed page's mark lapses as soon.
    window.addEventListener("pagehide", function () {
      var f = read();
      if (f && f.session === id) set(3000);
    });
    setInterval(function () {
      var f = read();
      if (f && f.session === id && document.visibilityState === "visible") set();
    }, 30000);
    if (document.hasFocus()) look();
  });
  window.tetherCSRF = function () {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.content : "";
  };
})();
