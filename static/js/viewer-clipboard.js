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
  function count(n) { return n === 1 ? "1 character" : n.toLocaleString() + " characters"; }
  function size(n) { return n < 1000 ? n + " bytes" : n < 1e6 ? Math.round(n / 1000) + " KB" : (n / 1e6).toFixed(1) + " MB"; }

  // The toolbar button and its panel.
  var menu = el("span", { "class": "v-tool", id: "v-clip" });
  var btn = el("button", { type: "button", id: "v-clip-btn", "aria-haspopup": "dialog", "aria-expanded": "false", "aria-controls": "v-clip-panel" });
  btn.appendChild(el("span", {}, "Clipboard"));
  var badge = el("span", { "class": "v-badge", id: "v-clip-state" }, "off");
  btn.appendChild(badge);
  var panel = el("div", { "class": "v-pop v-clip-panel", id: "v-clip-panel", role: "dialog", "aria-label": "Clipboard" });
  panel.hidden = true;
  panel.innerHTML =
    '<div class="v-pop-head"><strong>Clipboard</strong><button type="button" class="v-pop-close" aria-label="Close">×</button></div>' +
    '<p class="v-pop-status" id="v-clip-status" role="status" aria-live="polite"></p>' +
    '<label class="v-pop-label" for="v-clip-remote">Copied on the customer\'s computer</label>' +
    '<textarea id="v-clip-remote" rows="4" readonly placeholder="Text the customer copies appears here."></textarea>' +
    '<div class="v-pop-row"><button type="button" id="v-clip-copy" disabled>Copy to my clipboard</button></div>' +
    '<label class="v-pop-label" for="v-clip-local">Send to the customer\'s clipboard</label>' +
    '<textarea id="v-clip-local" rows="3" placeholder="Type or paste text here."></textarea>' +
    '<div class="v-pop-row"><button type="button" id="v-clip-read">Paste from my clipboard</button>' +
    '<button type="button" class="primary" id="v-clip-send">Send</button></div>' +
    '<p class="v-pop-hint">Ctrl+V (⌘V on a Mac) in the screen sends your clipboard and pastes it on the customer\'s computer. Text only, up to 64 KB.</p>';
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
    badge.textContent = on ? "on" : "off";
    btn.classList.toggle("v-on", on);
    btn.title = on ? "Text copied on either computer can be pasted on the other" :
      "Clipboard off: the customer has not allowed copy and paste between the computers";
    ["v-clip-read", "v-clip-send"].forEach(function (id) { $(id).disabled = !on; });
    local.disabled = !on;
    if (!on) setStatus("The customer has not allowed the clipboard. They can allow it in the support program on their computer.", "warn");
    else if (!status.textContent || status.classList.contains("warn")) setStatus("Text the customer copies is put on your clipboard.", "");
  }
  new MutationObserver(follow).observe(root, { attributes: true, attributeFilter: ["data-grants", "data-state"] });
  follow();

  btn.addEventListener("click", function () { open(panel.hidden); });
  panel.querySelector(".v-pop-close").addEventListener("click", function () { open(false); });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && !panel.hidden && panel.contains(document.activeElement)) open(false); });

  // Why the browser cannot write to the clipboard by itself, if it cannot.
  function writeBlocker() {
    if (!window.isSecureContext) return "this page is not served over HTTPS";
    if (!navigator.clipboard || typeof navigator.clipboard.writeText !== "function") return "this browser does not let pages write to the clipboard";
    if (!document.hasFocus()) return "this tab was in the background";
    return "";
  }

  function degrade(reason) {
    root.dataset.clipLast = "panel";
    setStatus("The customer copied " + count(remote.value.length) + ", but " + reason + ": use Copy to my clipboard.", "warn");
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
      setStatus("The customer copied " + count(text.length) + "; it is on your clipboard.", "ok");
      btn.classList.add("v-flash");
      setTimeout(function () { btn.classList.remove("v-flash"); }, 1200);
    }, function () { degrade("the browser did not allow writing to your clipboard"); });
  });
  window.addEventListener("tether:clipboard-too-large", function (e) {
    setStatus("The customer copied " + size(e.detail.size) + " of text, more than the " + size(e.detail.max) +
      " the clipboard carries. Ask them to copy less, or to send it as a file.", "warn");
    open(true);
  });
  window.addEventListener("tether:clipboard-sent", function (e) {
    sent++;
    root.dataset.clipSent = String(sent);
    setStatus("Sent " + size(e.detail.size) + " to the customer's clipboard.", "ok");
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
      setStatus("Copied to your clipboard.", "ok");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(remote.value).then(done, function () {
        remote.select();
        if (document.execCommand("copy")) done(); else setStatus("Select the text above and press Ctrl+C.", "warn");
      });
    } else {
      remote.select();
      if (document.execCommand("copy")) done(); else setStatus("Select the text above and press Ctrl+C.", "warn");
    }
  });
  $("v-clip-send").addEventListener("click", function () {
    if (!local.value) { setStatus("Type or paste the text to send first.", "warn"); local.focus(); return; }
    command("clipboard-send", { text: local.value });
  });
  $("v-clip-read").addEventListener("click", function () {
    var refuse = function () {
      setStatus("Your browser did not let the page read your clipboard. Paste into the box below (Ctrl+V) and click Send.", "warn");
      local.focus();
    };
    if (!window.isSecureContext || !navigator.clipboard || typeof navigator.clipboard.readText !== "function") { refuse(); return; }
    navigator.clipboard.readText().then(function (text) {
      if (!text) { setStatus("Your clipboard has no text.", "warn"); return; }
      command("clipboard-send", { text: text });
    }, refuse);
  });
})();
