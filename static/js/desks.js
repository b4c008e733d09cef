// desks.js: the desk page's permission template. A permission ticked by
// default must be one engineers may ask for, so "ticked by default" follows
// "may ask" (control counts for limited control, which it includes). The
// server checks the same rule; this only keeps the form from offering a
// choice it would refuse.
(function () {
  "use strict";
  var table = document.getElementById("grant-table");
  if (!table) return;
  function box(grant, col) {
    return table.querySelector('tr[data-grant="' + grant + '"] input[name="' + col + '"]');
  }
  function follow() {
    table.querySelectorAll("tr[data-grant]").forEach(function (row) {
      var g = row.dataset.grant, allowed = box(g, "allowed"), def = box(g, "default");
      if (!allowed || !def) return;
      var control = box("control", "allowed");
      var may = allowed.checked || (g === "limited" && control && control.checked);
      def.disabled = !may;
      if (!may) def.checked = false;
    });
  }
  table.addEventListener("change", follow);
  follow();
})();
