// local-time.js: times on customer pages. The server does not know the customer's time zone, so it
// writes each <time data-local> in its own zone with the zone's name; here the browser rewrites it in
// its own zone, in the page's language (<html lang>), keeping the server's text as the tooltip.
(function () {
  "use strict";
  function start() {
    var lang = document.documentElement.lang || "en";
    var fmt;
    try {
      fmt = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
    } catch (e) {
      return; // an old browser keeps the server's text
    }
    document.querySelectorAll("time[data-local]").forEach(function (el) {
      var d = new Date(el.dateTime);
      if (isNaN(d.getTime())) return;
      el.title = el.textContent;
      el.textContent = fmt.format(d);
    });
  }
  document.addEventListener("DOMContentLoaded", start);
})();
