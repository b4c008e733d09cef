// scope.js: on the consent page, the customer chooses what is shared: the
// whole screen or one application window, and which windows are hidden
// (blacked out by the support program before anything leaves this
// computer). It follows the program's state like page.js does.
(function () {
  "use strict";
  var box = document.getElementById("scope");
  if (!box) return;
  var $ = function (id) { return document.getElementById(id); };
  var state = null;
  var sending = false;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) e.textContent = text;
    return e;
  }

  function titleOf(id) {
    var w = (state.windows || []).filter(function (w) { return w.id === id; })[0];
    return w ? w.title : "";
  }

  function render() {
    var st = state;
    var live = st && (st.phase === "asking" || st.phase === "sharing" || st.phase === "reconnecting");
    box.hidden = !live || !st.windows;
    if (box.hidden) return;
    var say = window.consentSay || function (k) { return k; };
    var sh = st.sharing || { window: 0, hidden: [] };
    $("scope-now").textContent = sh.window ? say("scope_window", { title: sh.title }) : say("scope_screen");
    $("scope-hidden-now").textContent = sh.hidden && sh.hidden.length ?
      say(sh.hidden.length === 1 ? "scope_hidden_one" : "scope_hidden", { n: sh.hidden.length }) : "";
    $("scope-screen").checked = !sh.window;
    $("scope-one").checked = !!sh.window;

    var sel = $("scope-window");
    sel.textContent = "";
    sel.appendChild(el("option", { value: "0" }, (st.windows.length ? say("scope_choose") : say("scope_none"))));
    st.windows.forEach(function (w) {
      var o = el("option", { value: String(w.id) }, w.title);
      if (w.id === sh.window) o.selected = true;
      sel.appendChild(o);
    });
    sel.disabled = sending || !st.windows.length;

    var list = $("scope-hide");
    list.textContent = "";
    st.windows.forEach(function (w) {
      if (w.id === sh.window) return;
      var label = el("label", { class: "hide-one" });
      var cb = el("input", { type: "checkbox", name: "hide", value: String(w.id) });
      cb.checked = (sh.hidden || []).indexOf(w.id) >= 0;
      cb.disabled = sending;
      label.appendChild(cb);
      label.appendChild(document.createTextNode(" " + w.title));
      list.appendChild(label);
    });
    $("scope-hide-empty").hidden = list.childNodes.length > 0;
    ["scope-screen", "scope-one", "scope-refresh"].forEach(function (id) { $(id).disabled = sending; });
  }

  function choose(window) {
    var hidden = Array.prototype.slice.call(document.querySelectorAll('input[name="hide"]:checked'))
      .map(function (b) { return Number(b.value); })
      .filter(function (id) { return id !== window; });
    post({ action: "scope", scope: { window: window, hidden: hidden } });
  }

  function post(body) {
    sending = true;
    render();
    fetch("decide", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) {
        if (r.ok) return;
        return r.json().then(function (j) { throw new Error(j.error || "error " + r.status); },
          function () { throw new Error("error " + r.status); });
      })
      .catch(function (err) {
        var note = $("note");
        note.hidden = false;
        note.textContent = err.message;
      })
      .then(function () { sending = false; render(); });
  }

  $("scope-screen").addEventListener("change", function () { choose(0); });
  $("scope-one").addEventListener("change", function () {
    var id = Number($("scope-window").value);
    if (id) choose(id); else $("scope-window").focus();
  });
  $("scope-window").addEventListener("change", function () {
    var id = Number($("scope-window").value);
    if (id) choose(id);
  });
  $("scope-hide").addEventListener("change", function () {
    choose(state && state.sharing ? state.sharing.window : 0);
  });
  $("scope-refresh").addEventListener("click", function () { post({ action: "windows" }); });

  function follow() {
    var events = new EventSource("events");
    events.onmessage = function (ev) {
      try { state = JSON.parse(ev.data); } catch (e) { return; }
      render();
    };
    events.onerror = function () {
      if (events.readyState === EventSource.CLOSED || state) {
        events.close();
        box.hidden = true;
      }
    };
  }
  if (document.readyState === "complete") follow();
  else window.addEventListener("load", follow);
})();
