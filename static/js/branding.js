// The branding page: the preview on the right follows the fields on the left as they are typed. Colours
// are set as CSS custom properties on the preview (the Content-Security-Policy allows no inline styles,
// but allows a script's CSSOM changes).
(function () {
  "use strict";
  var form = document.getElementById("branding-form");
  var preview = document.getElementById("preview");
  if (!form || !preview) return;
  var $ = function (id) { return document.getElementById(id); };
  // The page's words, in its language: data-msg-* on the form, with {name} for what is filled in.
  function msg(key, vars) {
    var text = form.dataset["msg" + key] || "";
    Object.keys(vars || {}).forEach(function (k) { text = text.split("{" + k + "}").join(vars[k]); });
    return text;
  }

  function setText(sel, text) {
    document.querySelectorAll(sel).forEach(function (el) { el.textContent = text; });
  }

  // Mirrors agentFileName in server/web/agent_name.go: the Windows program's name after the provider.
  function windowsFile(name) {
    var words = name.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    if (words.length === 0) words = ["Tether"];
    if (words[words.length - 1].toLowerCase() !== "support") words.push("Support");
    return words.join("-") + ".exe";
  }

  function name() {
    var n = $("b-name").value.trim() || msg("Company");
    setText("[data-pv=name]", n);
    $("pv-monogram").textContent = Array.from(n)[0] || "T";
    $("pv-file").textContent = windowsFile(n);
  }

  function address() {
    var slug = $("b-slug");
    var s = slug.value.trim().toLowerCase();
    var url = slug.dataset.before + (s || "…") + slug.dataset.after;
    $("b-address").textContent = url;
    $("pv-url").textContent = url + "/i/…";
  }

  // WCAG 2 relative luminance of #rrggbb, and the text colour that reads better on it (textOn in
  // server/web/brand_assets.go).
  function luminance(hex) {
    var ch = function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * ch(1) + 0.7152 * ch(3) + 0.0722 * ch(5);
  }
  function textOn(hex) {
    var l = luminance(hex);
    return 1.05 / (l + 0.05) >= (l + 0.05) / (luminance("#1b2330") + 0.05) ? "#ffffff" : "#1b2330";
  }
  // readableOnWhite in server/web/brand_assets.go: darkened until text in it reads on white.
  function readableOnWhite(hex) {
    for (var i = 0; i <= 20 && 1.05 / (luminance(hex) + 0.05) < 4.5; i++) {
      hex = "#" + [1, 3, 5].map(function (j) {
        return ("0" + Math.floor(parseInt(hex.substr(j, 2), 16) * 0.95).toString(16)).slice(-2);
      }).join("");
    }
    return hex;
  }
  var valid = /^#[0-9a-f]{6}$/;

  function color(text) {
    var prop = text.name === "primary_color" ? "primary" : "accent";
    var v = text.value.trim().toLowerCase();
    var picker = form.querySelector(".color-picker[data-for=" + text.name + "]");
    if (v !== "" && !valid.test(v)) {
      text.setCustomValidity(msg("Colour", { example: text.dataset.default }));
      return;
    }
    text.setCustomValidity("");
    var c = v || text.dataset.default;
    picker.value = c;
    preview.style.setProperty("--brand-" + prop, c);
    preview.style.setProperty("--brand-on-" + prop, textOn(c));
    preview.style.setProperty(prop === "primary" ? "--brand-primary-text" : "--brand-link", readableOnWhite(c));
    if (prop === "primary" && $("b-accent_color").value.trim() === "") {
      // Tether's accent follows the primary colour.
      preview.style.setProperty("--brand-accent", c);
      preview.style.setProperty("--brand-on-accent", textOn(c));
      preview.style.setProperty("--brand-link", readableOnWhite(c));
    }
  }

  function texts() {
    var w = $("b-welcome").value.trim();
    $("pv-welcome").textContent = w;
    $("pv-welcome").hidden = w === "";
    var contact = $("b-contact").value.trim();
    $("pv-contact").textContent = contact;
    $("pv-contact").hidden = contact === "";
    var banner = $("b-banner").value.trim();
    $("pv-banner-text").textContent = banner;
    $("pv-banner").hidden = banner === "";
    $("pv-banner-go").hidden = $("b-banner-link").value.trim() === "";
  }

  // A chosen file shows in the preview at once; one over the limit is flagged before it is sent.
  var objectURLs = {};
  function file(input, max, what, show) {
    var err = $(input.id + "-error");
    var f = input.files && input.files[0];
    err.hidden = true;
    input.setCustomValidity("");
    if (!f) return;
    if (f.size > max) {
      var text = msg(what === "logo" ? "LogoBig" : "IconBig", { size: (f.size / 1048576).toLocaleString(document.documentElement.lang, { maximumFractionDigits: 1, minimumFractionDigits: 1 }), max: (max / 1048576).toLocaleString(document.documentElement.lang) });
      input.setCustomValidity(text);
      err.textContent = text;
      err.hidden = false;
      return;
    }
    if (objectURLs[input.id]) URL.revokeObjectURL(objectURLs[input.id]);
    objectURLs[input.id] = URL.createObjectURL(f);
    show(objectURLs[input.id]);
  }

  $("b-name").addEventListener("input", name);
  $("b-slug").addEventListener("input", address);
  form.querySelectorAll(".color-text").forEach(function (t) {
    t.addEventListener("input", function () { color(t); });
  });
  form.querySelectorAll(".color-picker").forEach(function (p) {
    p.addEventListener("input", function () {
      var t = $("b-" + p.dataset.for);
      t.value = p.value;
      color(t);
    });
  });
  ["b-welcome", "b-contact", "b-banner", "b-banner-link"].forEach(function (id) {
    $(id).addEventListener("input", texts);
  });
  // The thumbnail beside the field shows the chosen file too, marked as not yet saved.
  function thumb(input, url, alt) {
    var box = input.closest(".upload").querySelector(".upload-thumb");
    var img = document.createElement("img");
    img.src = url;
    img.alt = alt;
    box.replaceChildren(img);
    box.classList.add("unsaved");
    box.title = msg("Unsaved");
  }
  $("b-logo").addEventListener("change", function () {
    var input = this;
    file(input, +form.dataset.maxLogo, "logo", function (url) {
      $("pv-logo").src = url;
      $("pv-logo").hidden = false;
      $("pv-monogram").hidden = true;
      thumb(input, url, msg("ChosenLogo"));
    });
  });
  $("b-icon").addEventListener("change", function () {
    var input = this;
    file(input, +form.dataset.maxIcon, "icon", function (url) {
      $("pv-icon").src = url;
      thumb(input, url, msg("ChosenIcon"));
    });
  });
  form.querySelectorAll(".color-text").forEach(function (t) { if (t.value) color(t); });
})();
