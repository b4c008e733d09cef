// viewer-displays.js is the viewer's display picker and pop-out window.
//
// The picker lists the customer's displays as the viewer hears them from
// the agent (DOM event tether:displays, wasm/viewer/displays.go) and asks
// for one, or all at once, with window.tetherViewer.command
// ('select-display', {index} | {all: true}). The agent decides what is
// shown and says so again, so the check mark always shows the truth.
//
// Pop out moves the stage (both canvases) into a window of its own, opened
// empty (about:blank, which is same-origin with this page) and styled by
// the same viewer.css. Moving rather than mirroring: the viewer's Go code
// keeps painting the very canvases it holds and keeps its input listeners
// on them, so the pop-out costs no second paint per frame and no second
// input path, and control works there as here. Whatever ends the window
// (closing it, reloading it, "Show here", the session ending, this page
// going away) moves the stage back before the window's document goes; the
// session never notices. Afterwards the viewer asks for a full frame, so
// even a browser that dropped the canvas's pixels on the way shows them.
(function () {
  'use strict';
  var root = document.getElementById('viewer');
  var box = document.getElementById('v-displays');
  var button = document.getElementById('v-display');
  var menu = document.getElementById('v-display-menu');
  var popBtn = document.getElementById('v-popout');
  if (!root || !box || !button || !menu || !popBtn) {
    return;
  }

  function command(name, detail) {
    if (window.tetherViewer && typeof window.tetherViewer.command === 'function') {
      window.tetherViewer.command(name, detail);
    }
  }

  // ---- The picker -------------------------------------------------------

  // window: the customer shares one window, which the agent finds on any
  // display; there is nothing to choose then (tether:scope, viewer-point.js).
  var state = { displays: [], selected: 0, window: false };

  function size(w, h) {
    return w + '\u00d7' + h;
  }

  // allBounds is the bounding box of every display: what "All displays"
  // shows.
  function allBounds(ds) {
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    ds.forEach(function (d) {
      x0 = Math.min(x0, d.x);
      y0 = Math.min(y0, d.y);
      x1 = Math.max(x1, d.x + d.width);
      y1 = Math.max(y1, d.y + d.height);
    });
    return { width: x1 - x0, height: y1 - y0 };
  }

  function item(key, label, detail, checked, choose) {
    var el = document.createElement('button');
    el.type = 'button';
    el.className = 'v-menu-item';
    el.setAttribute('role', 'menuitemradio');
    el.setAttribute('aria-checked', checked ? 'true' : 'false');
    el.dataset.display = key;
    var mark = document.createElement('span');
    mark.className = 'v-menu-mark';
    mark.setAttribute('aria-hidden', 'true');
    mark.textContent = checked ? '\u2713' : '';
    var name = document.createElement('span');
    name.className = 'v-menu-label';
    name.textContent = label;
    var small = document.createElement('span');
    small.className = 'v-menu-detail';
    small.textContent = detail;
    el.append(mark, name, small);
    el.addEventListener('click', function () {
      close();
      choose();
      button.focus();
    });
    return el;
  }

  var msg = window.tetherMsg;
  // label names a display in the page's language ("Display 2"); the viewer numbers them from 0.
  function label(d) { return msg('console_js_display_n', { N: d.index + 1 }); }

  function render() {
    var ds = state.displays;
    // One display, or one window shared: nothing to choose.
    box.hidden = ds.length < 2 || state.window;
    if (box.hidden) {
      close();
    }
    menu.textContent = '';
    ds.forEach(function (d) {
      var detail = size(d.width, d.height);
      if (d.primary) {
        detail += ' \u00b7 ' + msg('console_js_display_primary');
      }
      var el = item(String(d.index), label(d), detail, state.selected === d.index, function () {
        command('select-display', { index: d.index });
      });
      if (d.name) {
        el.title = label(d) + ' (' + d.name + ')';
      }
      menu.append(el);
    });
    if (ds.length > 1) {
      var all = allBounds(ds);
      menu.append(item('all', msg('console_js_displays_all'), size(all.width, all.height), state.selected === -1, function () {
        command('select-display', { all: true });
      }));
    }
    var current = state.selected === -1 ? msg('console_js_displays_all') :
      ds[state.selected] ? label(ds[state.selected]) : msg('console_js_display');
    button.textContent = current;
    button.title = state.selected === -1 ?
      msg('console_js_displays_showing_all', { Count: ds.length }) :
      msg('console_js_displays_showing', { Display: current, Count: ds.length });
    root.dataset.display = state.selected === -1 ? 'all' : String(state.selected);
    root.dataset.displays = String(ds.length);
  }

  function items() {
    return Array.prototype.slice.call(menu.querySelectorAll('.v-menu-item'));
  }

  function open() {
    if (state.displays.length < 2) {
      return;
    }
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    var checked = menu.querySelector('[aria-checked="true"]') || items()[0];
    if (checked) {
      checked.focus();
    }
  }

  function close() {
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
  }

  button.addEventListener('click', function () {
    if (menu.hidden) {
      open();
    } else {
      close();
    }
  });
  button.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      open();
    }
  });
  menu.addEventListener('keydown', function (e) {
    var list = items();
    var i = list.indexOf(document.activeElement);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      var next = list[(i + (e.key === 'ArrowDown' ? 1 : list.length - 1)) % list.length];
      if (next) {
        next.focus();
      }
    } else if (e.key === 'Escape' || e.key === 'Tab') {
      close();
      if (e.key === 'Escape') {
        button.focus();
      }
    }
  });
  document.addEventListener('pointerdown', function (e) {
    if (!menu.hidden && !box.contains(e.target)) {
      close();
    }
  });

  window.addEventListener('tether:displays', function (e) {
    var d = e.detail || {};
    state.displays = Array.isArray(d.displays) ? d.displays : [];
    state.selected = typeof d.selected === 'number' ? d.selected : 0;
    render();
  });

  window.addEventListener('tether:scope', function (e) {
    state.window = !!(e.detail && e.detail.window);
    render();
  });

  // ---- Pop out ----------------------------------------------------------

  var popup = null;
  var stage = null; // the stage while it is in the pop-out window
  var home = null; // the placeholder it returns to
  var watch = 0;

  function customerName() {
    var c = document.querySelector('.v-customer');
    return c ? c.textContent.trim() : '';
  }

  // relayout tells the viewer its stage changed size: it places the
  // canvases on the window's resize event, and the stage is now in a
  // window whose resizes it does not hear.
  function relayout() {
    window.dispatchEvent(new Event('resize'));
  }

  function placeholder() {
    var p = document.createElement('div');
    p.id = 'v-popped';
    p.className = 'v-popped';
    var h = document.createElement('h2');
    h.textContent = msg('console_js_popped');
    var t = document.createElement('p');
    t.textContent = msg('console_js_popped_text');
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'button';
    b.textContent = msg('console_js_show_it_here');
    b.addEventListener('click', popIn);
    p.append(h, t, b);
    return p;
  }

  function popOut() {
    if (popup && !popup.closed) {
      popup.focus();
      return;
    }
    var s = document.getElementById('v-stage');
    if (!s) {
      return;
    }
    var w = Math.min(screen.availWidth || 1280, Math.max(640, s.clientWidth || 1280));
    var h = Math.min(screen.availHeight || 800, Math.max(480, s.clientHeight || 800));
    var win = window.open('', 'tether-screen-' + (root.dataset.session || '') + '-' + Date.now(),
      'popup,width=' + w + ',height=' + h);
    if (!win) {
      popBtn.title = msg('console_js_popup_blocked');
      root.dataset.popout = 'blocked';
      return;
    }
    var doc = win.document;
    doc.title = customerName() ? msg('console_js_screen_of', { Customer: customerName() }) : msg('console_js_screen');
    var css = document.querySelector('link[rel="stylesheet"][href*="viewer.css"]');
    if (css) {
      var link = doc.createElement('link');
      link.rel = 'stylesheet';
      link.href = css.href;
      doc.head.append(link);
    }
    doc.body.className = 'v-popout';
    home = placeholder();
    s.before(home);
    doc.body.append(s); // adopts the stage and both canvases
    stage = s;
    popup = win;
    win.addEventListener('resize', relayout);
    // Closing or reloading the window: the stage comes back first.
    win.addEventListener('pagehide', popIn);
    // A window closed without pagehide (a crashed renderer) is noticed too.
    watch = setInterval(function () {
      if (popup && popup.closed) {
        popIn();
      }
    }, 500);
    root.dataset.popout = 'open';
    popBtn.textContent = msg('console_js_show_here');
    popBtn.title = msg('console_js_show_here_title');
    relayout();
    command('refresh');
    var canvas = doc.getElementById('v-screen');
    if (canvas) {
      canvas.focus({ preventScroll: true });
    }
  }

  function popIn() {
    if (!stage) {
      return;
    }
    var s = stage, win = popup;
    stage = null;
    popup = null;
    clearInterval(watch);
    if (home && home.parentNode) {
      home.replaceWith(s);
    } else {
      root.append(s);
    }
    home = null;
    if (win && !win.closed) {
      win.removeEventListener('pagehide', popIn);
      win.close();
    }
    root.dataset.popout = '';
    popBtn.textContent = msg('console_js_popout');
    popBtn.title = msg('console_js_popout_title');
    relayout();
    command('refresh');
  }

  popBtn.addEventListener('click', function () {
    if (stage) {
      popIn();
    } else {
      popOut();
    }
  });
  // The session ended, or this page goes: the window goes with it.
  new MutationObserver(function () {
    if (root.dataset.state === 'ended') {
      close();
      box.hidden = true;
      popIn();
    }
  }).observe(root, { attributes: true, attributeFilter: ['data-state'] });
  window.addEventListener('pagehide', popIn);

  // For tests and for the page's other scripts: the window, while open.
  window.tetherDisplays = {
    popup: function () { return popup; },
    popOut: popOut,
    popIn: popIn
  };
})();
