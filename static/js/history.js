// The connection history: Terminate asks in a dialog (the link leads to a confirmation page without
// this script), and the period and date fields keep each other consistent.
(function () {
  "use strict";
  var dialog = document.getElementById("terminate-dialog");
  var form = document.getElementById("terminate-form");
  if (dialog && form && typeof dialog.showModal === "function") {
    var question = document.getElementById("terminate-question");
    document.querySelectorAll("a.terminate").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        ev.preventDefault();
        form.setAttribute("action", a.dataset.action);
        question.textContent = dialog.dataset.question.replace("{customer}", a.dataset.customer || "");
        dialog.showModal();
      });
    });
    document.getElementById("terminate-cancel").addEventListener("click", function () {
      dialog.close();
    });
  }

  // Empty fields stay out of the address, so that a shared view reads short.
  var filters = document.getElementById("history-filters");
  if (filters) {
    filters.addEventListener("submit", function () {
      filters.querySelectorAll("input[name], select[name]").forEach(function (el) {
        if (el.value === "") {
          el.disabled = true;
        }
      });
    });
    // Back to this page from the browser's cache: the fields work again.
    window.addEventListener("pageshow", function () {
      filters.querySelectorAll("[disabled]").forEach(function (el) {
        el.disabled = false;
      });
    });
  }

  var period = document.getElementById("f-period");
  var from = document.getElementById("f-from");
  var to = document.getElementById("f-to");
  if (!period || !from || !to) {
    return;
  }
  function showDates() {
    var custom = period.value === "custom";
    document.querySelectorAll(".history-date").forEach(function (l) {
      l.hidden = !custom;
    });
  }
  [from, to].forEach(function (input) {
    input.addEventListener("change", function () {
      if (input.value) {
        period.value = "custom";
      }
    });
  });
  period.addEventListener("change", function () {
    if (period.value !== "custom") {
      from.value = "";
      to.value = "";
    }
    showDates();
  });
  showDates();
})();
