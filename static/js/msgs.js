// msgs.js: the words of the console's scripts, in the page's language. The page carries them in one
// data-msgs attribute (JSON, id → text with {Name} placeholders, rendered from static/locales by
// templates.ConsoleMsgs); tetherMsg(id, {Name: value}) fills one in.
(function () {
  "use strict";
  var words = null;
  window.tetherMsg = function (id, vars) {
    if (!words) {
      var el = document.querySelector("[data-msgs]");
      try { words = JSON.parse((el && el.dataset.msgs) || "{}"); } catch (e) { words = {}; }
    }
    var text = Object.prototype.hasOwnProperty.call(words, id) ? words[id] : id;
    return text.replace(/\{(\w+)\}/g, function (m, name) {
      return vars && Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : m;
    });
  };
})();
