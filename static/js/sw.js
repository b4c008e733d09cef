// sw.js: the installed console's service worker. The server serves it as
// /sw.js (server/web/mobile_app.go), after the lines that set CACHE (named
// after the shell's files, so a new version replaces the old cache), SHELL
// (their versioned URLs) and OFFLINE (the offline page).
//
// It keeps the shell and the offline page, and nothing else: pages come
// from the network every time (a signed-in page is never stored, so a
// signed-out or another engineer's browser cannot show it), and API
// answers, downloads and websockets never pass through it.
/* global CACHE, PREFIX, SHELL, OFFLINE */
'use strict';

self.addEventListener('install', function (ev) {
  ev.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(SHELL.concat([OFFLINE]));
  }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener('activate', function (ev) {
  ev.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf(PREFIX) === 0 && n !== CACHE;
    }).map(function (n) {
      return caches.delete(n);
    }));
  }).then(function () {
    return self.clients.claim();
  }));
});

self.addEventListener('fetch', function (ev) {
  var req = ev.request;
  if (req.method !== 'GET') {
    return;
  }
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (req.mode === 'navigate') {
    ev.respondWith(fetch(req).catch(function () {
      return caches.match(OFFLINE).then(function (page) {
        return page || Response.error();
      });
    }));
    return;
  }
  if (SHELL.indexOf(url.pathname + url.search) >= 0) {
    ev.respondWith(caches.match(req).then(function (hit) {
      return hit || fetch(req);
    }));
  }
});
