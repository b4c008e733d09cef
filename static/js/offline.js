// offline.js: the offline page tries again by itself once the device is online.
(function () {
  'use strict';
  function retry() {
    window.location.reload();
  }
  var button = document.getElementById('offline-retry');
  if (button) {
    button.addEventListener('click', retry);
  }
  window.addEventListener('online', retry);
})();
