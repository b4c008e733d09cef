// viewer-grants.js: the customer's controls as the engineer sees them, on
// the viewer page. The viewer (wasm/viewer/trust.go) owns the protocol and
// emits tether:session, tether:paused and tether:grant-answer; this script
// draws the Request menu, the toasts, the "Paused by the customer" overlay
// and the banner (reconnecting, the time-limit countdown), and asks for
// more through window.tetherViewer.command("grant-request", …).
(function () {
  'use strict';
  var root = document.getElementById('viewer');
  if (!root) {
    return;
  }
  var $ = function (id) { return document.getElementById(id); };
  var msg = window.tetherMsg;
  var names = {
    control: msg('console_js_grant_control'), limited: msg('console_js_grant_limited'),
    clipboard: msg('console_js_grant_clipboard'), files: msg('console_js_grant_files'),
  };
  var customerEl = root.querySelector('.v-customer');
  var customer = (customerEl && customerEl.textContent.trim()) || msg('console_js_the_customer');
  var last = null;        // the previous tether:session detail
  var ends = 0, endsWhy = '', timer = 0;
  var asked = {};         // grants asked for and not answered yet

  function list(gs) {
    var words = gs.map(function (g) { return names[g] || g; });
    if (words.length < 2) return words.join('');
    return msg('console_js_list_and', { Items: words.slice(0, -1).join(msg('console_js_list_sep')), Last: words[words.length - 1] });
  }

  function toast(text, kind) {
    var box = $('v-toasts');
    var t = document.createElement('div');
    t.className = 'v-toast' + (kind ? ' v-toast-' + kind : '');
    t.textContent = text;
    box.appendChild(t);
    setTimeout(function () { t.classList.add('v-toast-out'); }, 5000);
    setTimeout(function () { if (t.parentNode) t.parentNode.removeChild(t); }, 5600);
  }

  // The Request menu.
  var btn = $('v-request-btn'), menu = $('v-request-menu');
  function closeMenu() { menu.hidden = true; btn.setAttribute('aria-expanded', 'false'); }
  btn.addEventListener('click', function (ev) {
    ev.stopPropagation();
    menu.hidden = !menu.hidden;
    btn.setAttribute('aria-expanded', String(!menu.hidden));
  });
  document.addEventListener('click', closeMenu);
  menu.querySelectorAll('[data-grant]').forEach(function (item) {
    item.addEventListener('click', function () {
      var g = item.dataset.grant;
      closeMenu();
      if (!window.tetherViewer) return;
      asked[g] = true;
      window.tetherViewer.command('grant-request', { grants: ['view', g] });
      toast(msg('console_js_asked', { Customer: customer, Grant: names[g] || g }));
      render();
    });
  });

  function render() {
    var d = last;
    var active = d && d.state === 'active';
    var grants = (d && d.grants) || [];
    $('v-request').hidden = !active || !!d.agent_lost;
    var any = false;
    menu.querySelectorAll('[data-grant]').forEach(function (item) {
      var g = item.dataset.grant;
      // Control includes limited control: nothing to ask for then.
      item.hidden = grants.indexOf(g) >= 0 || (g === 'limited' && grants.indexOf('control') >= 0);
      item.disabled = !!asked[g];
      item.title = asked[g] ? msg('console_js_waiting_answer', { Customer: customer }) : '';
      any = any || !item.hidden;
    });
    btn.disabled = !any;

    $('v-paused').hidden = !(active && d.paused);
    root.dataset.paused = active && d.paused ? '1' : '';

    var banner = $('v-banner'), text = '';
    banner.className = 'v-banner';
    root.dataset.reconnecting = d && d.agent_lost && d.state !== 'ended' ? '1' : '';
    if (d && d.agent_lost && d.state !== 'ended') {
      text = msg('console_js_reconnecting', { Customer: customer });
      banner.classList.add('v-banner-reconnecting');
      ends = 0;
    } else if (active && d.warning) {
      ends = Date.now() + d.warning.in_ms;
      endsWhy = d.warning.reason;
      text = endsWhy === 'idle' ? msg('console_js_idle_ends_in') : msg('console_js_limit_in');
      banner.classList.add('v-banner-limit');
    } else {
      ends = 0;
    }
    $('v-banner-text').textContent = text;
    banner.hidden = !text;
    tick();
  }

  function tick() {
    clearTimeout(timer);
    var left = $('v-banner-left');
    if (!ends) { left.textContent = ''; return; }
    var s = Math.max(0, Math.ceil((ends - Date.now()) / 1000)), m = Math.floor(s / 60);
    s %= 60;
    left.textContent = m + ':' + (s < 10 ? '0' : '') + s + (endsWhy === 'idle' ? '' : ' \u00b7 ' + msg('console_js_can_extend', { Customer: customer }));
    if (ends > Date.now()) timer = setTimeout(tick, 250);
  }

  window.addEventListener('tether:session', function (ev) {
    var d = ev.detail, prev = last;
    last = d;
    if (prev && prev.state === 'active' && d.state === 'active') {
      var before = prev.grants || [], after = d.grants || [];
      var gained = after.filter(function (g) { return before.indexOf(g) < 0; });
      var lost = before.filter(function (g) { return after.indexOf(g) < 0; });
      gained.forEach(function (g) { delete asked[g]; });
      if (gained.length) toast(msg('console_js_allowed', { Customer: customer, Grants: list(gained) }), 'ok');
      if (lost.length) toast(msg('console_js_took_back', { Customer: customer, Grants: list(lost) }), 'warn');
      if (!prev.paused && d.paused) toast(msg('console_js_paused_by', { Customer: customer }), 'warn');
      if (prev.paused && !d.paused) toast(msg('console_js_resumed', { Customer: customer }), 'ok');
      if (prev.warning && !d.warning && prev.warning.reason === 'time limit reached') toast(msg('console_js_extended', { Customer: customer }), 'ok');
    }
    if (prev && prev.state === 'active' && d.state === 'joined') {
      toast(msg('console_js_away_too_long', { Customer: customer }), 'warn');
    }
    render();
  });

  window.addEventListener('tether:paused', function (ev) {
    if (!last) return;
    last = Object.assign({}, last, { paused: !!ev.detail.paused });
    render();
  });

  window.addEventListener('tether:grant-answer', function (ev) {
    var a = ev.detail, gs = (a.grants || []).filter(function (g) { return g !== 'view'; });
    gs.forEach(function (g) { delete asked[g]; });
    if (a.policy) toast(msg('console_js_desk_forbids', { Customer: customer, Grants: list(gs) }), 'warn');
    else if (!a.given) toast(msg('console_js_refused', { Customer: customer, Grants: list(gs) }), 'warn');
    render();
  });
})();
