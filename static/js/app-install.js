// app-install.js: registers the console's service worker (/sw.js, served by
// server/web/mobile_app.go), which keeps the app shell and an offline page;
// it never keeps a signed-in page or an API answer.
(function () {
  'use strict';
  if (!('serviceWorker' in navigator) || !window.isSecureContext) {
    return;
  }
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(function (err) {
    console.warn('service worker:', err);
  });
})();
