// lang.js: the shell's language switch takes effect as soon as a language is picked.
(function () {
  "use strict";
  var form = document.getElementById("lang-switch");
  if (!form) return;
  form.classList.add("auto");
  form.querySelector("select").addEventListener("change", function () { form.submit(); });
})();
