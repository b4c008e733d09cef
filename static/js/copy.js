// copy.js: copy buttons for invitation links and codes.
document.addEventListener("click", function (ev) {
  "use strict";
  var b = ev.target.closest("button.copy");
  if (!b) return;
  var input = document.querySelector(b.dataset.copy);
  if (!input) return;
  var text = input.value;
  if (input.classList.contains("code")) text = text.replace(/\s+/g, "");
  var done = function () {
    var label = b.textContent;
    // The page words "Copied" in its language (data-copied); without it the button only turns green.
    if (b.dataset.copied) b.textContent = b.dataset.copied;
    b.classList.add("copied");
    setTimeout(function () { b.textContent = label; b.classList.remove("copied"); }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, function () { input.select(); document.execCommand("copy"); done(); });
  } else {
    input.select();
    document.execCommand("copy");
    done();
  }
});
