// viewer-clipboard.js: the clipboard control of the engineer's viewer.
// The viewer (wasm/viewer/clipboard.go) owns the protocol; this script
// owns the browser side. What the customer copies arrives as the event
// "tether:clipboard" and is written to the engineer's clipboard with the
// async clipboard API while the page has focus. Where the browser refuses
// (no permission, an insecure context, a tab in the background), the
// panel shows the text with a Copy button. The engineer's text goes to the
// customer with Ctrl/Cmd+V in the screen (the paste event carries it
// without a permission prompt), or from the panel.
(function () {
  "use strict";
  var root = document.getElementById("viewer");
  var anchor = document.getElementById("v-scale");
  var screen = document.getElementById("v-screen");
  if (!root || !anchor || !screen) return;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) e.textContent = text;
    return e;
  }
  function command(name, detail) {
    var tv = window.tetherViewer;
    if (tv && typeof tv.command === "function") tv.command(name, detail);
  }
  var msg = window.tetherMsg;
  function count(n) { return msg(n === 1 ? "console_js_chars_one" : "console_js_chars_many", { Count: n.toLocaleString() }); }
  function size(n) { return n < 1000 ? msg("console_js_bytes", { Count: n }) : n < 1e6 ? Math.round(n / 1000) + " KB" : (n / 1e6).toFixed(1) + " MB"; }
  // The catalog's words go into markup below: escaped, as any text would be.
  function esc(s) { return s.replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }

  // The toolbar button and its panel.
  var menu = el("span", { "class": "v-tool", id: "v-clip" });
  var btn = el("button", { type: "button", id: "v-clip-btn", "aria-haspopup": "dialog", "aria-expanded": "false", "aria-controls": "v-clip-panel" });
  btn.appendChild(el("span", {}, msg("console_js_clipboard")));
  var badge = el("span", { "class": "v-badge", id: "v-clip-state" }, msg("console_js_off"));
  btn.appendChild(badge);
  var panel = el("div", { "class": "v-pop v-clip-panel", id: "v-clip-panel", role: "dialog", "aria-label": msg("console_js_clipboard") });
  panel.hidden = true;
  panel.innerHTML =
    '<div class="v-pop-head"><strong>' + esc(msg("console_js_clipboard")) + '</strong><button type="button" class="v-pop-close" aria-label="' + esc(msg("console_js_close")) + '">×</button></div>' +
    '<p class="v-pop-status" id="v-clip-status" role="status" aria-live="polite"></p>' +
    '<label class="v-pop-label" for="v-clip-remote">' + esc(msg("console_js_clip_remote")) + '</label>' +
    '<textarea id="v-clip-remote" rows="4" readonly placeholder="' + esc(msg("console_js_clip_remote_placeholder")) + '"></textarea>' +
    '<div class="v-pop-row"><button type="button" id="v-clip-copy" disabled>' + esc(msg("console_js_clip_copy")) + '</button></div>' +
    '<label class="v-pop-label" for="v-clip-local">' + esc(msg("console_js_clip_local")) + '</label>' +
    '<textarea id="v-clip-local" rows="3" placeholder="' + esc(msg("console_js_clip_local_placeholder")) + '"></textarea>' +
    '<div class="v-pop-row"><button type="button" id="v-clip-read">' + esc(msg("console_js_clip_read")) + '</button>' +
    '<button type="button" class="primary" id="v-clip-send">' + esc(msg("console_js_send")) + '</button></div>' +
    '<p class="v-pop-hint">' + esc(msg("console_js_clip_hint")) + '</p>';
  menu.appendChild(btn);
  menu.appendChild(panel);
  anchor.parentNode.insertBefore(menu, anchor);

  var $ = function (id) { return document.getElementById(id); };
  var status = $("v-clip-status"), remote = $("v-clip-remote"), local = $("v-clip-local");
  var on = false, received = 0, sent = 0;

  function setStatus(text, kind) {
    status.textContent = text;
    status.className = "v-pop-status" + (kind ? " " + kind : "");
  }
  function open(show) {
    panel.hidden = !show;
    btn.setAttribute("aria-expanded", String(show));
  }

  // On or off follows the customer's grants, as the viewer shows them.
  function follow() {
    var grants = (root.dataset.grants || "").split(",");
    on = grants.indexOf("clipboard") >= 0 && root.dataset.state !== "ended";
    root.dataset.clipboard = on ? "on" : "off";
    badge.textContent = msg(on ? "console_js_on" : "console_js_off");
    btn.classList.toggle("v-on", on);
    btn.title = msg(on ? "console_js_clip_on_title" : "console_js_clip_off_title");
    ["v-clip-read", "v-clip-send"].forEach(function (id) { $(id).disabled = !on; });
    local.disabled = !on;
    if (!on) setStatus(msg("console_js_clip_not_allowed"), "warn");
    else if (!status.textContent || status.classList.contains("warn")) setStatus(msg("console_js_clip_ready"), "");
  }
  new MutationObserver(follow).observe(root, { attributes: true, attributeFilter: ["data-grants", "data-state"] });
  follow();

  btn.addEventListener("click", function () { open(panel.hidden); });
  panel.querySelector(".v-pop-close").addEventListener("click", function () { open(false); });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && !panel.hidden && panel.contains(document.activeElement)) open(false); });

  // Why the browser cannot write to the clipboard by itself, if it cannot.
  function writeBlocker() {
    if (!window.isSecureContext) return msg("console_js_clip_no_https");
    if (!navigator.clipboard || typeof navigator.clipboard.writeText !== "function") return msg("console_js_clip_no_api");
    if (!document.hasFocus()) return msg("console_js_clip_background");
    return "";
  }

  function degrade(reason) {
    root.dataset.clipLast = "panel";
    setStatus(msg("console_js_clip_degraded", { Count: count(remote.value.length), Reason: reason }), "warn");
    open(true);
  }

  window.addEventListener("tether:clipboard", function (e) {
    var text = e.detail.text || "";
    received++;
    root.dataset.clipReceived = String(received);
    remote.value = text;
    $("v-clip-copy").disabled = false;
    var blocker = writeBlocker();
    if (blocker) { degrade(blocker); return; }
    navigator.clipboard.writeText(text).then(function () {
      root.dataset.clipLast = "written";
      setStatus(msg("console_js_clip_written", { Count: count(text.length) }), "ok");
      btn.classList.add("v-flash");
      setTimeout(function () { btn.classList.remove("v-flash"); }, 1200);
    }, function () { degrade(msg("console_js_clip_refused")); });
  });
  window.addEventListener("tether:clipboard-too-large", function (e) {
    setStatus(msg("console_js_clip_too_large", { Size: size(e.detail.size), Max: size(e.detail.max) }), "warn");
    open(true);
  });
  window.addEventListener("tether:clipboard-sent", function (e) {
    sent++;
    root.dataset.clipSent = String(sent);
    setStatus(msg("console_js_clip_sent", { Size: size(e.detail.size) }), "ok");
  });
  window.addEventListener("tether:clipboard-error", function (e) {
    setStatus(e.detail.message, "error");
    open(true);
  });

  // Ctrl/Cmd+V in the screen: the paste event has the engineer's clipboard
  // without a permission prompt. The viewer holds the shortcut back until
  // the text has gone ahead of it.
  window.addEventListener("paste", function (e) {
    if (!on || document.activeElement !== screen) return;
    e.preventDefault();
    var text = e.clipboardData ? e.clipboardData.getData("text/plain") : "";
    command("clipboard-paste", { text: text });
  });

  $("v-clip-copy").addEventListener("click", function () {
    var done = function () {
      root.dataset.clipLast = "copied";
      setStatus(msg("console_js_clip_copied"), "ok");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(remote.value).then(done, function () {
        remote.select();
        if (document.execCommand("copy")) done(); else setStatus(msg("console_js_clip_select"), "warn");
      });
    } else {
      remote.select();
      if (document.execCommand("copy")) done(); else setStatus(msg("console_js_clip_select"), "warn");
    }
  });
  $("v-clip-send").addEventListener("click", function () {
    if (!local.value) { setStatus(msg("console_js_clip_empty"), "warn"); local.focus(); return; }
    command("clipboard-send", { text: local.value });
  });
  $("v-clip-read").addEventListener("click", function () {
    var refuse = function () {
      setStatus(msg("console_js_clip_no_read"), "warn");
      local.focus();
    };
    if (!window.isSecureContext || !navigator.clipboard || typeof navigator.clipboard.readText !== "function") { refuse(); return; }
    navigator.clipboard.readText().then(function (text) {
      if (!text) { setStatus(msg("console_js_clip_no_text"), "warn"); return; }
      command("clipboard-send", { text: text });
    }, refuse);
  });
})();
