// viewer-keys.js: keyboard controls of the engineer's viewer. The "Send
// keys" menu sends combinations the engineer's browser or system keeps for
// itself, and "Type text" types characters no keyboard event carries
// (input methods for Chinese, Japanese, Korean; characters the engineer's
// layout lacks). The viewer (wasm/viewer/sendkeys.go) turns both into Key
// messages. Full screen adds the Keyboard Lock API where the browser has
// it, so Esc, Alt+Tab and the Windows key reach the customer's computer.
(function () {
  "use strict";
  var root = document.getElementById("viewer");
  var anchor = document.getElementById("v-scale");
  var screen = document.getElementById("v-screen");
  var stage = document.getElementById("v-stage");
  if (!root || !anchor || !screen || !stage) return;

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

  // The entries' ids are the viewer's (wasm/viewer/sendkeys.go Combos),
  // which knows their keys.
  var msg = window.tetherMsg;
  var combos = [
    { id: "ctrl-alt-del", label: "Ctrl+Alt+Del", note: msg("console_js_key_cad_note") },
    { id: "ctrl-shift-esc", label: "Ctrl+Shift+Esc", note: msg("console_js_key_taskmgr_note") },
    { id: "win", label: msg("console_js_key_win"), note: msg("console_js_key_win_note") },
    { id: "alt-tab", label: "Alt+Tab", note: msg("console_js_key_alttab_note") },
    { id: "alt-f4", label: "Alt+F4", note: msg("console_js_key_altf4_note") },
    { id: "ctrl-esc", label: "Ctrl+Esc", note: msg("console_js_key_start_note") },
    { id: "print-screen", label: msg("console_js_key_print"), note: msg("console_js_key_print_note") },
  ];
  function esc(s) { return s.replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }

  var menu = el("span", { "class": "v-tool", id: "v-keys" });
  var btn = el("button", { type: "button", id: "v-keys-btn", "aria-haspopup": "menu", "aria-expanded": "false", "aria-controls": "v-keys-menu" }, msg("console_js_send_keys"));
  var pop = el("div", { "class": "v-pop v-keys-menu", id: "v-keys-menu", role: "menu", "aria-label": msg("console_js_send_keys") });
  pop.hidden = true;
  combos.forEach(function (c) {
    var item = el("button", { type: "button", role: "menuitem", "class": "v-item", "data-combo": c.id });
    item.appendChild(el("span", { "class": "v-item-label" }, c.label));
    item.appendChild(el("span", { "class": "v-item-note" }, c.note));
    pop.appendChild(item);
  });
  pop.appendChild(el("hr"));
  var typeItem = el("button", { type: "button", role: "menuitem", "class": "v-item", id: "v-type-open" });
  typeItem.appendChild(el("span", { "class": "v-item-label" }, msg("console_js_type_text")));
  typeItem.appendChild(el("span", { "class": "v-item-note" }, msg("console_js_type_text_note")));
  pop.appendChild(typeItem);
  var typeBox = el("div", { "class": "v-type", id: "v-type" });
  typeBox.hidden = true;
  typeBox.innerHTML =
    '<label class="v-pop-label" for="v-type-text">' + esc(msg("console_js_type_label")) + '</label>' +
    '<textarea id="v-type-text" rows="3" placeholder="' + esc(msg("console_js_type_placeholder")) + '"></textarea>' +
    '<div class="v-pop-row"><button type="button" class="primary" id="v-type-send">' + esc(msg("console_js_type")) + '</button></div>';
  pop.appendChild(typeBox);
  menu.appendChild(btn);
  menu.appendChild(pop);
  var fsBtn = el("button", { type: "button", id: "v-fullscreen", title: msg("console_js_fullscreen_title") }, msg("console_js_fullscreen"));
  anchor.parentNode.insertBefore(menu, anchor);
  anchor.parentNode.insertBefore(fsBtn, anchor);

  var toast = el("div", { "class": "v-keys-note", id: "v-keys-toast", role: "status", "aria-live": "polite" });
  toast.hidden = true;
  stage.appendChild(toast);
  var hint = el("div", { "class": "v-fs-hint", id: "v-fs-hint", role: "status" });
  hint.hidden = true;
  root.appendChild(hint);

  var toastTimer = 0, hintTimer = 0;
  function say(text, kind) {
    toast.textContent = text;
    toast.className = "v-keys-note" + (kind ? " " + kind : "");
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.hidden = true; }, 3500);
  }
  function open(show) {
    pop.hidden = !show;
    btn.setAttribute("aria-expanded", String(show));
    if (!show) typeBox.hidden = true;
  }

  function follow() {
    var grants = (root.dataset.grants || "").split(",");
    var control = grants.indexOf("control") >= 0 && root.dataset.state !== "ended";
    btn.disabled = !control;
    btn.title = msg(control ? "console_js_send_keys_title" : "console_js_no_control");
    if (!control) open(false);
  }
  new MutationObserver(follow).observe(root, { attributes: true, attributeFilter: ["data-grants", "data-state"] });
  follow();

  btn.addEventListener("click", function () { open(pop.hidden); });
  pop.addEventListener("click", function (e) {
    var item = e.target.closest("[data-combo]");
    if (!item) return;
    command("send-keys", item.dataset.combo);
    open(false);
    screen.focus({ preventScroll: true });
  });
  typeItem.addEventListener("click", function () {
    typeBox.hidden = !typeBox.hidden;
    if (!typeBox.hidden) document.getElementById("v-type-text").focus();
  });
  document.getElementById("v-type-send").addEventListener("click", function () {
    var ta = document.getElementById("v-type-text");
    if (!ta.value) { ta.focus(); return; }
    command("type-text", { text: ta.value });
    ta.value = "";
    open(false);
    screen.focus({ preventScroll: true });
  });
  document.addEventListener("click", function (e) {
    if (!pop.hidden && !menu.contains(e.target)) open(false);
  });

  window.addEventListener("tether:keys-sent", function (e) {
    root.dataset.keysSent = e.detail.label;
    say(msg("console_js_keys_sent", { Keys: e.detail.label }), "ok");
  });
  window.addEventListener("tether:keys-error", function (e) { say(e.detail.message, "error"); });

  // Full screen, with the keyboard locked to the page where the browser
  // allows it (https://wicg.github.io/keyboard-lock/): Esc then reaches the
  // customer, and holding it leaves full screen.
  function showHint(text) {
    hint.textContent = text;
    hint.hidden = false;
    clearTimeout(hintTimer);
    hintTimer = setTimeout(function () { hint.hidden = true; }, 5000);
  }
  fsBtn.addEventListener("click", function () {
    if (document.fullscreenElement) {
      document.exitFullscreen();
      return;
    }
    if (!root.requestFullscreen) { say(msg("console_js_fullscreen_unsupported"), "error"); return; }
    root.requestFullscreen({ navigationUI: "hide" }).catch(function (err) {
      say(msg("console_js_fullscreen_refused", { Error: err.message }), "error");
    });
  });
  document.addEventListener("fullscreenchange", function () {
    var full = document.fullscreenElement === root;
    root.dataset.fullscreen = full ? "on" : "off";
    fsBtn.textContent = msg(full ? "console_js_fullscreen_exit" : "console_js_fullscreen");
    if (!full) {
      hint.hidden = true;
      if (navigator.keyboard && navigator.keyboard.unlock) navigator.keyboard.unlock();
      root.dataset.keyboardLock = "off";
      return;
    }
    screen.focus({ preventScroll: true });
    if (!navigator.keyboard || typeof navigator.keyboard.lock !== "function") {
      root.dataset.keyboardLock = "unsupported";
      showHint(msg("console_js_fs_hint_unsupported"));
      return;
    }
    navigator.keyboard.lock().then(function () {
      root.dataset.keyboardLock = "on";
      showHint(msg("console_js_fs_hint_locked"));
    }, function () {
      root.dataset.keyboardLock = "refused";
      showHint(msg("console_js_fs_hint_refused"));
    });
  });
})();
