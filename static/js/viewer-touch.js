// viewer-touch.js: the viewer with a finger (Pointer Events, pointerType
// "touch"). On the screen canvas a tap is a click, a long press (500 ms
// without moving) is a right click, a one-finger drag moves the pointer
// with the button held, and two fingers pinch to zoom the view and pan the
// zoomed view. The gestures go to the viewer as "touch" commands at
// fractions of the shown screen (wasm/viewer/touch.go); the mouse handlers
// of wasm/jsdom never see a touch. The keyboard button focuses a hidden
// field so that the phone's keyboard opens; what it types goes as
// "touch-text", its editing keys as "touch-key". The Point tool, while on,
// takes touches for its ink as before.
(function () {
  'use strict';
  var root = document.getElementById('viewer');
  var stage = document.getElementById('v-stage');
  var screen = document.getElementById('v-screen');
  if (!root || !stage || !screen) {
    return;
  }
  var LONG_PRESS = 500; // ms
  var SLOP = 10;        // CSS px a finger may wander and still tap
  var MAX_ZOOM = 5;

  function command(name, detail) {
    var tv = window.tetherViewer;
    if (tv && typeof tv.command === 'function') {
      tv.command(name, detail);
    }
  }

  // The keyboard button shows on touch screens, and once a finger touched.
  function touchSeen() {
    root.dataset.touch = 'on';
  }
  var coarse = window.matchMedia ? window.matchMedia('(pointer: coarse)') : null;
  if ((coarse && coarse.matches) || navigator.maxTouchPoints > 0) {
    touchSeen();
  }
  if (coarse && coarse.addEventListener) {
    coarse.addEventListener('change', function () {
      if (coarse.matches) {
        touchSeen();
      }
    });
  }

  function pointing() {
    var point = document.getElementById('v-point');
    return point && point.getAttribute('aria-pressed') === 'true';
  }

  // Zoom: one transform on the screen and what lies over it.
  var zoom = 1, panX = 0, panY = 0;
  function layers() {
    return ['v-screen', 'v-cursor', 'v-ink'].map(function (id) { return document.getElementById(id); })
      .filter(function (e) { return e; });
  }
  function apply() {
    // The zoomed screen may not leave a gap at any edge.
    var w = screen.offsetWidth, h = screen.offsetHeight;
    panX = Math.min(0, Math.max(w * (1 - zoom), panX));
    panY = Math.min(0, Math.max(h * (1 - zoom), panY));
    var t = zoom === 1 ? '' : 'translate(' + panX + 'px, ' + panY + 'px) scale(' + zoom + ')';
    layers().forEach(function (e) {
      e.style.transformOrigin = '0 0';
      e.style.transform = t;
    });
    root.dataset.zoom = zoom.toFixed(2);
  }

  function at(ev) {
    var r = screen.getBoundingClientRect();
    return {
      x: r.width ? (ev.clientX - r.left) / r.width : 0,
      y: r.height ? (ev.clientY - r.top) / r.height : 0,
    };
  }
  function send(action, button, ev) {
    var p = at(ev);
    command('touch', { action: action, button: button, x: p.x, y: p.y });
  }

  var fingers = new Map(); // pointerId → {x, y} (client px)
  var one = null;          // the one-finger gesture: {id, x0, y0, mode, timer, first, last}
  var pinch = null;        // {d0, zoom0, cx, cy, baseX, baseY}

  function centre() {
    var xs = 0, ys = 0, pts = [];
    fingers.forEach(function (p) { xs += p.x; ys += p.y; pts.push(p); });
    var d = Math.hypot(pts[0].x - pts[1].x, pts[0].y - pts[1].y);
    return { x: xs / pts.length, y: ys / pts.length, d: Math.max(d, 1) };
  }

  function startPinch() {
    var c = centre();
    var r = screen.getBoundingClientRect();
    // Where the untransformed screen's top left is on the page.
    pinch = { d0: c.d, zoom0: zoom, cx: c.x, cy: c.y, baseX: r.left - panX, baseY: r.top - panY, panX0: panX, panY0: panY };
  }

  function movePinch() {
    var c = centre();
    var z = Math.min(MAX_ZOOM, Math.max(1, pinch.zoom0 * c.d / pinch.d0));
    if (z < 1.05) {
      z = 1;
    }
    // The screen point under the fingers' first centre stays under their centre now.
    var sx = (pinch.cx - pinch.baseX - pinch.panX0) / pinch.zoom0;
    var sy = (pinch.cy - pinch.baseY - pinch.panY0) / pinch.zoom0;
    zoom = z;
    panX = c.x - pinch.baseX - sx * z;
    panY = c.y - pinch.baseY - sy * z;
    apply();
  }

  function mine(ev) {
    return ev.pointerType === 'touch' && !pointing();
  }

  stage.addEventListener('pointerdown', function (ev) {
    if (!mine(ev)) {
      return;
    }
    touchSeen();
    ev.stopPropagation();
    ev.preventDefault();
    fingers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
    if (fingers.size === 2) {
      // A second finger ends the drag of the first where that finger is.
      if (one && one.mode === 'drag') {
        send('up', 0, one.last);
      }
      if (one) {
        clearTimeout(one.timer);
        one = null;
      }
      startPinch();
      return;
    }
    if (fingers.size > 2 || pinch) {
      return;
    }
    var g = { id: ev.pointerId, x0: ev.clientX, y0: ev.clientY, mode: 'pending', first: { clientX: ev.clientX, clientY: ev.clientY } };
    g.timer = setTimeout(function () {
      if (one === g && g.mode === 'pending') {
        g.mode = 'done';
        send('click', 2, g.first);
        root.dataset.touchLast = 'long-press';
        if (navigator.vibrate) {
          navigator.vibrate(15);
        }
      }
    }, LONG_PRESS);
    one = g;
  }, true);

  stage.addEventListener('pointermove', function (ev) {
    if (!mine(ev) || !fingers.has(ev.pointerId)) {
      return;
    }
    ev.stopPropagation();
    ev.preventDefault();
    fingers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
    if (pinch) {
      if (fingers.size >= 2) {
        movePinch();
      }
      return;
    }
    if (!one || one.id !== ev.pointerId) {
      return;
    }
    if (one.mode === 'pending' && Math.hypot(ev.clientX - one.x0, ev.clientY - one.y0) > SLOP) {
      clearTimeout(one.timer);
      one.mode = 'drag';
      one.last = one.first;
      send('down', 0, one.first);
      root.dataset.touchLast = 'drag';
    }
    if (one.mode === 'drag') {
      one.last = { clientX: ev.clientX, clientY: ev.clientY };
      send('move', 0, ev);
    }
  }, true);

  function lift(ev) {
    if (!mine(ev) || !fingers.has(ev.pointerId)) {
      return;
    }
    ev.stopPropagation();
    fingers.delete(ev.pointerId);
    if (pinch) {
      // The fingers that stay do nothing more until all are lifted, or a second one comes back.
      if (fingers.size === 0) {
        pinch = null;
      }
      return;
    }
    if (!one || one.id !== ev.pointerId) {
      return;
    }
    clearTimeout(one.timer);
    if (ev.type === 'pointerup' && one.mode === 'pending') {
      send('click', 0, ev);
      root.dataset.touchLast = 'tap';
    } else if (one.mode === 'drag') {
      send('up', 0, ev);
    }
    one = null;
  }
  stage.addEventListener('pointerup', lift, true);
  stage.addEventListener('pointercancel', lift, true);
  // A long press may open the browser's own menu; the viewer gave it a meaning.
  stage.addEventListener('contextmenu', function (ev) {
    if (fingers.size) {
      ev.preventDefault();
    }
  }, true);

  // Go re-places the screen when the window or the remote screen changes size: keep the zoom in bounds.
  new MutationObserver(function () {
    if (zoom !== 1) {
      apply();
    }
  }).observe(screen, { attributes: true, attributeFilter: ['width', 'height'] });
  window.addEventListener('resize', function () {
    if (zoom !== 1) {
      apply();
    }
  });

  // The on-screen keyboard.
  var kbd = document.getElementById('v-kbd');
  var field = document.getElementById('v-kbd-input');
  if (!kbd || !field) {
    return;
  }
  // The field keeps one character, so that a phone keyboard's backspace
  // has something to delete and says so with an input event.
  var KEEP = ' ';
  function reset() {
    field.value = KEEP;
    field.setSelectionRange(KEEP.length, KEEP.length);
  }
  var keys = ['Backspace', 'Enter', 'Tab', 'Escape', 'Delete', 'ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End'];
  var composing = false;

  function flush() {
    var v = field.value;
    if (v.indexOf(KEEP) === 0) {
      v = v.slice(KEEP.length);
    }
    if (v) {
      command('touch-text', { text: v });
      root.dataset.kbdSent = String(Number(root.dataset.kbdSent || 0) + v.length);
    }
    reset();
  }

  // A tap on the button may take the focus from the field before its click: ask at the start of the tap.
  var wasOpen = false;
  kbd.addEventListener('pointerdown', function () {
    wasOpen = document.activeElement === field;
  });
  kbd.addEventListener('click', function () {
    if (wasOpen || document.activeElement === field) {
      wasOpen = false;
      field.blur();
      return;
    }
    reset();
    // Synchronous with the tap: phones open their keyboard only then.
    field.focus({ preventScroll: true });
  });
  field.addEventListener('focus', function () {
    kbd.setAttribute('aria-pressed', 'true');
    root.dataset.keyboard = 'open';
  });
  field.addEventListener('blur', function () {
    kbd.setAttribute('aria-pressed', 'false');
    root.dataset.keyboard = 'closed';
  });
  field.addEventListener('compositionstart', function () { composing = true; });
  field.addEventListener('compositionend', function () {
    composing = false;
    flush();
  });
  field.addEventListener('keydown', function (ev) {
    // 229: the keyboard is composing, and the input event will say what it did.
    if (ev.isComposing || ev.keyCode === 229 || keys.indexOf(ev.key) < 0) {
      return;
    }
    ev.preventDefault();
    flush();
    command('touch-key', ev.key);
  });
  field.addEventListener('input', function (ev) {
    if (composing || ev.isComposing) {
      return;
    }
    switch (ev.inputType) {
    case 'deleteContentBackward':
      command('touch-key', 'Backspace');
      reset();
      return;
    case 'deleteContentForward':
      command('touch-key', 'Delete');
      reset();
      return;
    case 'insertLineBreak':
    case 'insertParagraph':
      flush();
      command('touch-key', 'Enter');
      return;
    }
    flush();
  });
})();
