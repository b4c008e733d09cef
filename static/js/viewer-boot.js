// viewer-boot.js starts the engineer's viewer (Go compiled to WebAssembly,
// wasm/main.go) on the element #viewer. Everything else happens in Go; this
// file only loads the module and says so plainly when the browser cannot.
(function () {
  'use strict';
  var root = document.getElementById('viewer');
  if (!root) {
    return;
  }
  var state = document.getElementById('v-state');

  function fail(message, err) {
    if (state) {
      state.textContent = message;
    }
    root.dataset.state = 'ended';
    root.dataset.error = message;
    if (err) {
      console.error('viewer:', err);
    }
  }

  if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function' ||
      typeof Go !== 'function' || typeof RTCPeerConnection !== 'function' ||
      typeof WebSocket !== 'function') {
    fail(window.tetherMsg('console_js_browser_unfit'));
    return;
  }

  var go = new Go();
  var url = root.dataset.wasm;
  if (state) {
    state.textContent = window.tetherMsg('console_js_loading_viewer');
  }

  function instantiate() {
    if (typeof WebAssembly.instantiateStreaming === 'function') {
      return WebAssembly.instantiateStreaming(fetch(url), go.importObject).catch(function (err) {
        // A proxy that rewrites the Content-Type breaks streaming
        // compilation; compiling from bytes still works.
        console.warn('viewer: streaming compile failed, retrying', err);
        return slow();
      });
    }
    return slow();
  }

  function slow() {
    return fetch(url).then(function (resp) {
      if (!resp.ok) {
        throw new Error('HTTP ' + resp.status + ' for ' + url);
      }
      return resp.arrayBuffer();
    }).then(function (bytes) {
      return WebAssembly.instantiate(bytes, go.importObject);
    });
  }

  instantiate().then(function (result) {
    // viewer-pixels.js paints straight out of the module's memory.
    if (window.tetherViewer) {
      window.tetherViewer.memory = result.instance.exports.mem;
    }
    return go.run(result.instance);
  }).then(function () {
    // The Go program ends with the session; its last state stays shown.
    if (root.dataset.state !== 'ended') {
      fail(window.tetherMsg('console_js_viewer_stopped'));
    }
  }).catch(function (err) {
    fail(window.tetherMsg('console_js_viewer_failed', { Error: err && err.message ? err.message : err }), err);
  });
})();
