// viewer-files.js: the files panel of the engineer's viewer. The viewer
// (wasm) runs the protocol, the window and the hashes; this script keeps
// the files the engineer picks or drops (window.tetherFiles.read hands it
// their bytes) and builds the downloads of files the customer sends.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var panel = $("v-files"), btn = $("v-files-btn"), list = $("v-files-list"), pick = $("v-files-pick"),
    drop = $("v-files-drop"), note = $("v-files-note"), stage = $("v-stage");
  if (!panel) return;

  var picked = new Map();   // page id -> File
  var parts = new Map();    // transfer key -> [Uint8Array]
  var urls = new Map();     // transfer key -> blob: URL
  var nextID = 1;
  var info = { allowed: false, limit: 0 };
  var items = [];

  // The viewer's port (wasm/jsdom/files_js.go).
  window.tetherFiles = {
    read: function (id, off, n) {
      var f = picked.get(id);
      if (!f) return Promise.reject(new Error("the file is no longer available"));
      return f.slice(off, off + n).arrayBuffer().then(function (b) { return new Uint8Array(b); });
    },
    append: function (key, u8) {
      var a = parts.get(key);
      if (!a) { a = []; parts.set(key, a); }
      a.push(u8);
    },
    finish: function (key, name) {
      var blob = new Blob(parts.get(key) || [], { type: "application/octet-stream" });
      parts.delete(key);
      var url = URL.createObjectURL(blob);
      urls.set(key, url);
      // Save it at once, as a download would; the panel keeps a link.
      var a = document.createElement("a");
      a.href = url;
      a.download = name;
      a.hidden = true;
      document.body.appendChild(a);
      a.click();
      a.remove();
      return url;
    },
    discard: function (key) { parts.delete(key); },
  };

  function size(n) {
    if (n < 1024) return n + " bytes";
    var units = ["KB", "MB", "GB", "TB"], v = n / 1024, i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (v >= 100 || v % 1 === 0 ? v.toFixed(0) : v.toFixed(1)) + " " + units[i];
  }

  function open(show) {
    panel.hidden = !show;
    btn.setAttribute("aria-expanded", show ? "true" : "false");
    btn.classList.toggle("on", show);
  }

  function send(files) {
    note.hidden = true;
    if (!info.allowed) {
      note.hidden = false;
      note.textContent = "The customer has not allowed files.";
      return;
    }
    Array.prototype.forEach.call(files, function (f) {
      if (info.limit && f.size > info.limit) {
        note.hidden = false;
        note.textContent = f.name + " is larger than the limit of " + size(info.limit) + ".";
        return;
      }
      var id = nextID++;
      picked.set(id, f);
      window.tetherViewer.command("file-send", { page_id: id, name: f.name, size: f.size });
    });
  }

  function render() {
    var active = items.filter(function (f) { return f.state === "moving" || f.state === "waiting"; }).length;
    $("v-files-count").textContent = active ? String(active) : "";
    drop.classList.toggle("disabled", !info.allowed);
    pick.disabled = !info.allowed;
    $("v-files-limit").textContent = info.allowed ? "Up to " + size(info.limit) + " a file" :
      "The customer has not allowed files in this session.";
    list.replaceChildren.apply(list, items.map(row));
  }

  function row(f) {
    var li = document.createElement("li");
    li.className = "v-file " + f.state;
    li.dataset.key = f.key;
    li.dataset.state = f.state;
    li.dataset.dir = f.dir;
    li.dataset.name = f.name;
    if (f.sha256) li.dataset.sha256 = f.sha256;
    var head = document.createElement("div");
    head.className = "v-file-head";
    var dir = document.createElement("span");
    dir.className = "v-file-dir";
    dir.textContent = f.dir === "out" ? "↑ To customer" : "↓ From customer";
    var name = document.createElement("strong");
    name.className = "v-file-name";
    name.textContent = f.name;
    name.title = f.name;
    var sz = document.createElement("span");
    sz.className = "v-file-size";
    sz.textContent = size(f.size);
    head.append(dir, sz);
    li.append(head, name);
    if (f.state === "moving" || f.state === "waiting") {
      var line = document.createElement("div");
      line.className = "v-file-progress";
      var bar = document.createElement("progress");
      bar.max = Math.max(f.size, 1);
      bar.value = f.done;
      var cancel = document.createElement("button");
      cancel.type = "button";
      cancel.textContent = "Cancel";
      cancel.addEventListener("click", function () { window.tetherViewer.command("file-cancel", { key: f.key }); });
      line.append(bar, cancel);
      li.append(line);
    }
    var text = document.createElement("p");
    text.className = "v-file-text";
    if (f.state === "done" && f.dir === "in") {
      text.textContent = "SHA-256 checked. ";
      var a = document.createElement("a");
      a.href = f.url;
      a.download = f.name;
      a.textContent = "Save again";
      text.append(a);
    } else if (f.state === "done") {
      text.textContent = "Saved in the customer's Downloads, SHA-256 checked.";
    } else if (f.state === "failed") {
      text.textContent = f.note || "Failed.";
    } else if (f.state === "waiting") {
      text.textContent = "Waiting for the customer's computer…";
    } else {
      text.textContent = (f.dir === "out" ? "Sending… " : "Receiving… ") + Math.floor(100 * f.done / Math.max(f.size, 1)) + "%";
    }
    li.append(text);
    return li;
  }

  window.addEventListener("tether:files-info", function (ev) {
    info = ev.detail;
    btn.hidden = false;
    render();
  });
  window.addEventListener("tether:files", function (ev) {
    var before = items.length;
    items = ev.detail || [];
    items.forEach(function (f) {
      // A picked file is let go once its transfer is over.
      if (f.page_id && (f.state === "done" || f.state === "failed")) picked.delete(f.page_id);
    });
    if (items.length > before && items[0] && items[0].dir === "in") open(true);
    render();
  });
  btn.addEventListener("click", function () { open(panel.hidden); });
  $("v-files-close").addEventListener("click", function () { open(false); });
  pick.addEventListener("change", function () { send(pick.files); pick.value = ""; });
  [drop, stage].forEach(function (el) {
    el.addEventListener("dragover", function (ev) {
      if (!ev.dataTransfer || Array.prototype.indexOf.call(ev.dataTransfer.types, "Files") < 0) return;
      ev.preventDefault();
      drop.classList.add("over");
      if (el === stage) open(true);
    });
    el.addEventListener("dragleave", function () { drop.classList.remove("over"); });
    el.addEventListener("drop", function (ev) {
      if (!ev.dataTransfer || !ev.dataTransfer.files.length) return;
      ev.preventDefault();
      drop.classList.remove("over");
      open(true);
      send(ev.dataTransfer.files);
    });
  });
})();
