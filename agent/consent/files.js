// files.js: files on the consent page. It lists the session's transfers
// both ways (as the support program reports them) and sends the files the
// customer picks or drops to the program on this computer, which sends
// them on to the engineer.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var section = $("files"), list = $("file-list"), pick = $("file-pick"), drop = $("file-drop"), note = $("file-note");
  var state = null, gone = false;

  function size(n) {
    if (n < 1024) return n + " bytes";
    var units = ["KB", "MB", "GB", "TB"], v = n / 1024, i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (v >= 100 || v % 1 === 0 ? v.toFixed(0) : v.toFixed(1)) + " " + units[i];
  }

  function canSend() {
    return !!state && !gone && (state.phase === "sharing") && (state.grants || []).indexOf("files") >= 0;
  }

  function render() {
    if (!state) return;
    var shown = !gone && (state.phase === "sharing" || state.phase === "reconnecting" || state.phase === "ended") &&
      ((state.grants || []).indexOf("files") >= 0 || (state.files || []).length > 0);
    section.hidden = !shown;
    if (!shown) return;
    var say = window.consentSay || function (k) { return k; };
    var e = state.engineer || say("engineer_inner");
    document.querySelectorAll(".files-engineer").forEach(function (el) { el.textContent = e; });
    $("files-folder").textContent = state.folder || say("files_downloads");
    var choices = $("folder-choices");
    if (choices.dataset.set !== (state.folder_choices || []).join("\n")) {
      choices.dataset.set = (state.folder_choices || []).join("\n");
      choices.replaceChildren.apply(choices, (state.folder_choices || []).map(function (d) {
        var o = document.createElement("option");
        o.value = d;
        return o;
      }));
    }
    $("file-limit").textContent = state.file_limit ? say("files_limit", { size: size(state.file_limit) }) : "";
    drop.classList.toggle("disabled", !canSend());
    pick.disabled = !canSend();
    var files = (state.files || []).slice().reverse();
    list.replaceChildren.apply(list, files.map(row));
  }

  // Another folder for files from the engineer: one of the usual ones, or
  // any the customer types; the program checks it exists and takes files.
  var folderForm = $("folder-form"), folderInput = $("folder-input"), folderNote = $("folder-note"), change = $("folder-change");
  change.addEventListener("click", function () {
    folderForm.hidden = !folderForm.hidden;
    change.setAttribute("aria-expanded", String(!folderForm.hidden));
    if (!folderForm.hidden) {
      folderInput.value = (state && state.folder) || "";
      folderInput.focus();
      folderInput.select();
    }
  });
  folderForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    folderNote.hidden = true;
    fetch("files/folder", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ folder: folderInput.value }),
    }).then(function (r) {
      if (r.ok) {
        folderForm.hidden = true;
        change.setAttribute("aria-expanded", "false");
        return;
      }
      var say = window.consentSay || function (k) { return k; };
      return r.json().then(function (j) { throw new Error(j.error || say("files_folder_failed")); },
        function () { throw new Error(say("files_folder_failed")); });
    }).catch(function (e) {
      folderNote.textContent = e.message;
      folderNote.hidden = false;
    });
  });

  function row(f) {
    var li = document.createElement("li");
    li.className = "file " + f.state;
    li.dataset.state = f.state;
    li.dataset.dir = f.dir;
    li.dataset.name = f.name;
    if (f.sha256) li.dataset.sha256 = f.sha256;
    var say = window.consentSay || function (k) { return k; };
    var e = (state && state.engineer) || say("engineer_inner");
    var head = document.createElement("div");
    head.className = "file-head";
    var dir = document.createElement("span");
    dir.className = "file-dir";
    dir.textContent = say(f.dir === "in" ? "files_from" : "files_to", { engineer: e });
    var name = document.createElement("strong");
    name.className = "file-name";
    name.textContent = f.name;
    var sz = document.createElement("span");
    sz.className = "file-size";
    sz.textContent = size(f.size);
    head.append(dir, name, sz);
    li.append(head);
    if (f.state === "moving" || f.state === "waiting") {
      var bar = document.createElement("progress");
      bar.max = Math.max(f.size, 1);
      bar.value = f.done;
      var cancel = document.createElement("button");
      cancel.type = "button";
      cancel.className = "secondary small";
      cancel.textContent = say("files_cancel");
      cancel.addEventListener("click", function () { cancelFile(f.id); });
      var line = document.createElement("div");
      line.className = "file-progress";
      line.append(bar, cancel);
      li.append(line);
    }
    var text = document.createElement("p");
    text.className = "file-text";
    if (f.state === "done") {
      text.textContent = f.dir === "in" ? say("files_saved", { where: f.where }) : say("files_received", { engineer: e });
    } else if (f.state === "failed") {
      text.textContent = f.note || say("files_failed");
    } else if (f.state === "waiting") {
      text.textContent = say("files_waiting", { engineer: e });
    } else {
      text.textContent = say(f.dir === "in" ? "files_receiving" : "files_sending", { percent: Math.floor(100 * f.done / Math.max(f.size, 1)) });
    }
    li.append(text);
    return li;
  }

  function showNote(msg) {
    note.hidden = !msg;
    note.textContent = msg || "";
  }

  function send(file) {
    showNote("");
    fetch("files", {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream", "X-File-Name": encodeURIComponent(file.name) },
      body: file,
    }).then(function (r) {
      if (r.ok || r.status === 409) return; // a refusal or failure is in the list, with its reason
      return r.json().then(function (j) { throw new Error(j.error || "error " + r.status); },
        function () { throw new Error("error " + r.status); });
    }).catch(function (err) {
      showNote(file.name + ": " + (err.message === "Failed to fetch" ? (window.consentSay || String)("not_running") : err.message));
    });
  }

  function cancelFile(id) {
    fetch("files/cancel?id=" + encodeURIComponent(id), { method: "POST" }).catch(function () {});
  }

  pick.addEventListener("change", function () {
    Array.prototype.forEach.call(pick.files, send);
    pick.value = "";
  });
  ["dragenter", "dragover"].forEach(function (t) {
    drop.addEventListener(t, function (ev) {
      ev.preventDefault();
      if (canSend()) drop.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (t) {
    drop.addEventListener(t, function () { drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (ev) {
    ev.preventDefault();
    if (!canSend()) return;
    Array.prototype.forEach.call(ev.dataTransfer.files, send);
  });
  window.addEventListener("consent:status", function (ev) {
    state = ev.detail.state;
    gone = ev.detail.gone;
    render();
  });
})();
