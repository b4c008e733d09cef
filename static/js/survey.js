// survey.js: the satisfaction survey on the invitation page, once the
// session ended. One answer per session: the server refuses a second.
function tetherSurvey($, token, root) {
  "use strict";
  var form = $("survey");
  if (!form) return;
  var words = $("rating-words");
  form.addEventListener("change", function (e) {
    if (e.target.name !== "rating") return;
    words.textContent = e.target.nextElementSibling.title;
    $("survey-error").hidden = true;
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var picked = form.querySelector("input[name=rating]:checked");
    var err = $("survey-error");
    if (!picked) { err.textContent = form.dataset.choose; err.hidden = false; return; }
    err.hidden = true;
    $("survey-send").disabled = true;
    fetch(root.dataset.base + "/survey", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": tetherCSRF() },
      body: JSON.stringify({ rating: Number(picked.value), comment: $("survey-comment").value }),
    }).then(function (r) {
      if (r.ok || r.status === 409) return r.json().then(function (j) { return { ok: r.ok, j: j }; });
      return r.json().then(function (j) { throw new Error(j.error || ("error " + r.status)); },
        function () { throw new Error(form.dataset.notSent.replace("{status}", r.status)); });
    }).then(function (res) {
      root.dataset.rated = "true";
      form.hidden = true;
      var thanks = $("survey-thanks");
      thanks.textContent = res.ok ? form.dataset.thanks : res.j.error;
      thanks.hidden = false;
    }).catch(function (e) {
      err.textContent = e.message;
      err.hidden = false;
      $("survey-send").disabled = false;
    });
  });
}
