// viewer-files.js: the files panel of the engineer's viewer. The viewer
// (wasm) runs the protocol, the window and the hashes; this script keeps
// the files the engineer picks or drops (window.tetherFiles.read hands it
// their bytes) and builds the downloads of files the customer sends.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var msg = window.tetherMsg;
  var panel = $("v-files"), btn = $("v-files-btn"), list = $("v-files-list"), pick = $("v-files-pick"),
    drop = $("v-files-drop"), note = $("v-files-note"), stage = $("v-stage");
  if (!panel) return;

  var picked = new Map();   // page id -> {file, hash}
  var parts = new Map();    // transfer key -> {chunks: [Uint8Array], hash}
  var urls = new Map();     // transfer key -> blob: URL
  var nextID = 1;
  var info = { allowed: false, limit: 0 };
  var items = [];

  // SHA-256 (FIPS 180-4), incremental. The viewer (Go compiled to wasm)
  // keeps the books of every transfer, but leaves the hash of the bytes to
  // this page, where the JavaScript engine computes it many times faster.
  var K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
  function Sha256() {
    this.h = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    this.w = new Int32Array(64);
    this.buf = new Uint8Array(64);
    this.fill = 0;
    this.bytes = 0;
  }
  Sha256.prototype.blocks = function (b, off, end) {
    var w = this.w, h = this.h, i, t1, t2, a, bb, c, d, e, f, g, hh;
    for (; off + 64 <= end; off += 64) {
      for (i = 0; i < 16; i++) {
        var j = off + i * 4;
        w[i] = (b[j] << 24) | (b[j + 1] << 16) | (b[j + 2] << 8) | b[j + 3];
      }
      for (i = 16; i < 64; i++) {
        var x = w[i - 15], y = w[i - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      a = h[0]; bb = h[1]; c = h[2]; d = h[3]; e = h[4]; f = h[5]; g = h[6]; hh = h[7];
      for (i = 0; i < 64; i++) {
        t1 = (hh + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + bb) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
      h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
    }
    return off;
  };
  Sha256.prototype.update = function (data) {
    var off = 0, n = data.length;
    this.bytes += n;
    if (this.fill > 0) {
      var take = Math.min(64 - this.fill, n);
      this.buf.set(data.subarray(0, take), this.fill);
      this.fill += take;
      off = take;
      if (this.fill < 64) return;
      this.blocks(this.buf, 0, 64);
      this.fill = 0;
    }
    off = this.blocks(data, off, n);
    if (off < n) {
      this.buf.set(data.subarray(off), 0);
      this.fill = n - off;
    }
  };
  Sha256.prototype.digest = function () {
    var bits = this.bytes * 8, pad = new Uint8Array((this.fill < 56 ? 64 : 128) - this.fill);
    pad[0] = 0x80;
    var dv = new DataView(pad.buffer);
    dv.setUint32(pad.length - 8, Math.floor(bits / 0x100000000));
    dv.setUint32(pad.length - 4, bits >>> 0);
    this.update(pad);
    var out = new Uint8Array(32), odv = new DataView(out.buffer);
    for (var i = 0; i < 8; i++) odv.setInt32(i * 4, this.h[i]);
    return out;
  };

  // The viewer's port (wasm/jsdom/files_js.go). Reads of a picked file come
  // in order from its start, one at a time, and are hashed as they go.
  window.tetherFiles = {
    read: function (id, off, n) {
      var p = picked.get(id);
      if (!p) return Promise.reject(new Error("the file is no longer available"));
      return p.file.slice(off, off + n).arrayBuffer().then(function (b) {
        var u8 = new Uint8Array(b);
        p.hash.update(u8);
        return u8;
      });
    },
    readSum: function (id) {
      var p = picked.get(id);
      if (!p) throw new Error("the file is no longer available");
      return p.hash.digest();
    },
    append: function (key, u8) {
      var a = parts.get(key);
      if (!a) { a = { chunks: [], hash: new Sha256() }; parts.set(key, a); }
      a.chunks.push(u8);
      a.hash.update(u8);
    },
    keptSum: function (key) {
      var a = parts.get(key);
      return (a ? a.hash : new Sha256()).digest();
    },
    finish: function (key, name) {
      var blob = new Blob(parts.has(key) ? parts.get(key).chunks : [], { type: "application/octet-stream" });
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
    if (n < 1024) return msg("console_js_bytes", { Count: n });
    var units = ["KB", "MB", "GB", "TB"], v = n / 1024, i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (v >= 100 || v % 1 === 0 ? v.toFixed(0) : v.toFixed(1)) + " " + units[i];
  }

  function open(show) {
    // Below the toolbar, however many rows it wraps to.
    var bar = $("v-toolbar");
    if (show && bar) panel.style.top = Math.round(bar.getBoundingClientRect().bottom + 8) + "px";
    panel.hidden = !show;
    btn.setAttribute("aria-expanded", show ? "true" : "false");
    btn.classList.toggle("on", show);
  }

  function send(files) {
    note.hidden = true;
    if (!info.allowed) {
      note.hidden = false;
      note.textContent = msg("console_js_files_not_allowed");
      return;
    }
    Array.prototype.forEach.call(files, function (f) {
      if (info.limit && f.size > info.limit) {
        note.hidden = false;
        note.textContent = msg("console_js_file_too_large", { Name: f.name, Limit: size(info.limit) });
        return;
      }
      var id = nextID++;
      picked.set(id, { file: f, hash: new Sha256() });
      window.tetherViewer.command("file-send", { page_id: id, name: f.name, size: f.size });
    });
  }

  function render() {
    var active = items.filter(function (f) { return f.state === "moving" || f.state === "waiting"; }).length;
    $("v-files-count").textContent = active ? String(active) : "";
    drop.classList.toggle("disabled", !info.allowed);
    pick.disabled = !info.allowed;
    $("v-files-limit").textContent = info.allowed ? msg("console_js_files_limit", { Limit: size(info.limit) }) :
      msg("console_js_files_not_allowed_session");
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
    dir.textContent = f.dir === "out" ? "↑ " + msg("console_js_file_to") : "↓ " + msg("console_js_file_from");
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
      cancel.textContent = msg("console_js_cancel");
      cancel.addEventListener("click", function () { window.tetherViewer.command("file-cancel", { key: f.key }); });
      line.append(bar, cancel);
      li.append(line);
    }
    var text = document.createElement("p");
    text.className = "v-file-text";
    if (f.state === "done" && f.dir === "in") {
      text.textContent = msg("console_js_file_checked") + " ";
      var a = document.createElement("a");
      a.href = f.url;
      a.download = f.name;
      a.textContent = msg("console_js_file_save_again");
      text.append(a);
    } else if (f.state === "done") {
      text.textContent = msg("console_js_file_saved");
    } else if (f.state === "failed") {
      text.textContent = f.note || msg("console_js_file_failed");
    } else if (f.state === "waiting") {
      text.textContent = msg("console_js_file_waiting");
    } else {
      text.textContent = msg(f.dir === "out" ? "console_js_file_sending" : "console_js_file_receiving", { Percent: Math.floor(100 * f.done / Math.max(f.size, 1)) });
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
