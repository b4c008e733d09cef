// tour.js: the console's guided tour. Its steps come from the page (#tour-steps, worded by the server);
// a step whose element the page lacks, or hides, is left out. Next, Back and Skip, the arrow keys and
// Escape drive it; finishing or skipping records the dismissal, so it does not start by itself again.
(function () {
  "use strict";
  var MARGIN = 12, GAP = 12, NARROW = 600;

  function visible(el) {
    if (!el) return false;
    var r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
  }

  function find(selector) {
    if (!selector) return null;
    var all = document.querySelectorAll(selector);
    for (var i = 0; i < all.length; i++) if (visible(all[i])) return all[i];
    return null;
  }

  function start() {
    var root = document.getElementById("tour");
    var pop = document.getElementById("tour-pop");
    var ring = document.getElementById("tour-ring");
    if (!root || !pop || !ring) return;
    var title = document.getElementById("tour-title");
    var body = document.getElementById("tour-body");
    var progress = document.getElementById("tour-progress");
    var next = document.getElementById("tour-next");
    var back = document.getElementById("tour-back");
    var skip = document.getElementById("tour-skip");
    var replay = document.getElementById("tour-replay");
    var steps = [], at = -1, target = null, opener = null;

    function collect() {
      steps = [];
      var items = root.querySelectorAll("#tour-steps > li");
      for (var i = 0; i < items.length; i++) {
        var li = items[i];
        var el = find(li.dataset.target);
        if (!el || find(li.dataset.unless)) continue;
        steps.push({ el: el, title: li.dataset.title, body: li.textContent });
      }
    }

    function place() {
      if (!target) return;
      var r = target.getBoundingClientRect();
      var pad = 6, sx = window.scrollX, sy = window.scrollY;
      ring.style.top = (r.top + sy - pad) + "px";
      ring.style.left = (r.left + sx - pad) + "px";
      ring.style.width = (r.width + 2 * pad) + "px";
      ring.style.height = (r.height + 2 * pad) + "px";
      var vw = document.documentElement.clientWidth, vh = window.innerHeight;
      pop.classList.toggle("tour-sheet", vw < NARROW);
      pop.style.top = pop.style.left = "";
      if (vw < NARROW) return; // a sheet at the bottom of the screen (CSS)
      var w = pop.offsetWidth, h = pop.offsetHeight;
      var side = Math.min(Math.max(MARGIN, r.top), vh - h - MARGIN);
      var across = Math.min(Math.max(MARGIN, r.left), vw - w - MARGIN);
      // Below, above, right or left of the element, whichever fits first; else the screen's corner.
      var spots = [
        [r.bottom + GAP + h <= vh - MARGIN, r.bottom + GAP, across],
        [r.top - GAP - h >= MARGIN, r.top - GAP - h, across],
        [r.right + GAP + w <= vw - MARGIN, side, r.right + GAP],
        [r.left - GAP - w >= MARGIN, side, r.left - GAP - w],
        [true, vh - h - MARGIN, vw - w - MARGIN],
      ];
      var top, left;
      for (var i = 0; i < spots.length; i++) {
        if (spots[i][0]) { top = spots[i][1]; left = spots[i][2]; break; }
      }
      pop.style.top = (top + sy) + "px";
      pop.style.left = (left + sx) + "px";
    }

    function show(i) {
      at = i;
      var s = steps[i];
      target = s.el;
      title.textContent = s.title;
      body.textContent = s.body;
      progress.textContent = root.dataset.progress.replace("{n}", i + 1).replace("{total}", steps.length);
      back.hidden = i === 0;
      next.textContent = i === steps.length - 1 ? root.dataset.done : root.dataset.next;
      ring.hidden = false;
      pop.hidden = false;
      var narrow = document.documentElement.clientWidth < NARROW;
      // On a phone the sheet covers the bottom of the screen: bring the element to the top.
      target.scrollIntoView({ block: narrow ? "start" : "center", inline: "nearest" });
      if (narrow) window.scrollBy(0, -MARGIN * 4);
      place();
      pop.focus();
    }

    function open() {
      collect();
      if (!steps.length) return;
      opener = document.activeElement;
      document.body.classList.add("touring");
      show(0);
    }

    function close(record) {
      pop.hidden = true;
      ring.hidden = true;
      target = null;
      at = -1;
      document.body.classList.remove("touring");
      if (opener && opener.focus && opener !== document.body) opener.focus();
      if (!record) return;
      root.dataset.start = "false";
      fetch(root.dataset.dismiss, {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRF-Token": window.tetherCSRF ? window.tetherCSRF() : "", Accept: "application/json" },
      }).catch(function () {
        // Not recorded: the tour starts again on the next visit, which is the safe side.
      });
    }

    next.addEventListener("click", function () {
      if (at < steps.length - 1) show(at + 1);
      else close(true);
    });
    back.addEventListener("click", function () { if (at > 0) show(at - 1); });
    skip.addEventListener("click", function () { close(true); });
    pop.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); close(true); return; }
      if (e.target.tagName !== "BUTTON" || e.target === next) {
        if (e.key === "ArrowRight") { e.preventDefault(); next.click(); return; }
        if (e.key === "ArrowLeft" && at > 0) { e.preventDefault(); back.click(); return; }
      }
      if (e.key !== "Tab") return;
      // Keep the keyboard in the tour while it is open.
      var f = Array.prototype.filter.call(pop.querySelectorAll("button"), function (b) { return !b.hidden; });
      var first = f[0], last = f[f.length - 1];
      if (e.shiftKey && (document.activeElement === first || document.activeElement === pop)) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    });
    window.addEventListener("resize", function () { if (target) place(); });
    if (replay) {
      replay.addEventListener("click", function (e) {
        e.preventDefault();
        open();
      });
    }
    var asked = new URLSearchParams(location.search).get("tour") === "1";
    if (root.dataset.start === "true" || asked) {
      if (asked && history.replaceState) history.replaceState(null, "", location.pathname);
      open();
    }
  }
  document.addEventListener("DOMContentLoaded", start);
})();
