// viewer-point.js: the "Point" tool. While it is on, the engineer's strokes
// on the customer's screen are drawn here and sent to the viewer
// (tetherViewer.command("point", …)), which sends them to the agent; the
// customer sees them in an overlay for a few seconds. Pointing needs no
// control: it works in view-only sessions, and while it is on no mouse
// input reaches the customer's computer. It also shows what the customer
// shares ("tether:scope").
(function () {
  'use strict';
  var button = document.getElementById('v-point');
  var screen = document.getElementById('v-screen');
  var stage = document.getElementById('v-stage');
  var scope = document.getElementById('v-scope');
  if (!button || !screen || !stage) {
    return;
  }
  var LIFE = 3000; // ms, as the agent's overlay keeps a stroke
  var FADE = 800;

  var ink = document.createElement('canvas');
  ink.id = 'v-ink';
  ink.setAttribute('aria-hidden', 'true');
  stage.appendChild(ink);
  var ctx = ink.getContext('2d');

  var on = false;
  var strokes = [];   // {id, points: [[fx, fy]], last: ms}
  var current = null; // the stroke being drawn
  var pending = [];   // its points not sent yet
  var nextId = 1;
  var drawing = false;

  // The ink canvas lies exactly over the screen canvas, which Go places.
  function place() {
    ['left', 'top', 'width', 'height'].forEach(function (k) { ink.style[k] = screen.style[k]; });
    var r = screen.getBoundingClientRect();
    var dpr = window.devicePixelRatio || 1;
    var w = Math.max(1, Math.round(r.width * dpr)), h = Math.max(1, Math.round(r.height * dpr));
    if (ink.width !== w || ink.height !== h) {
      ink.width = w;
      ink.height = h;
    }
  }
  new MutationObserver(place).observe(screen, { attributes: true, attributeFilter: ['style', 'width', 'height'] });
  window.addEventListener('resize', place);
  place();

  function command(name, detail) {
    if (window.tetherViewer && typeof window.tetherViewer.command === 'function') {
      window.tetherViewer.command(name, detail);
    }
  }

  function setOn(v) {
    on = v;
    button.setAttribute('aria-pressed', v ? 'true' : 'false');
    button.classList.toggle('v-on', v);
    ink.classList.toggle('v-ink-on', v);
    if (!v) {
      finish();
    }
  }
  button.addEventListener('click', function () { setOn(!on); });

  function at(ev) {
    var r = ink.getBoundingClientRect();
    return [Math.min(1, Math.max(0, (ev.clientX - r.left) / r.width)),
      Math.min(1, Math.max(0, (ev.clientY - r.top) / r.height))];
  }

  function flush(end) {
    if (!current || (!pending.length && !end)) {
      return;
    }
    command('point', { stroke: current.id, end: !!end, points: pending });
    pending = [];
  }

  function finish() {
    if (current) {
      flush(true);
      current = null;
    }
  }

  ink.addEventListener('pointerdown', function (ev) {
    if (!on || ev.button !== 0) {
      return;
    }
    ev.preventDefault();
    ink.setPointerCapture(ev.pointerId);
    current = { id: nextId, points: [at(ev)], last: performance.now() };
    nextId = nextId % 65535 + 1;
    strokes.push(current);
    pending = [current.points[0]];
    flush(false);
    redraw();
  });
  ink.addEventListener('pointermove', function (ev) {
    if (!on || !current) {
      return;
    }
    var p = at(ev);
    current.points.push(p);
    current.last = performance.now();
    pending.push(p);
    if (pending.length >= 16) {
      flush(false);
    }
    redraw();
  });
  ['pointerup', 'pointercancel'].forEach(function (t) {
    ink.addEventListener(t, function () { finish(); });
  });
  // A steady trickle of points while the button is held.
  setInterval(function () { flush(false); }, 50);

  function redraw() {
    if (!drawing) {
      drawing = true;
      requestAnimationFrame(paint);
    }
  }

  function paint() {
    drawing = false;
    var now = performance.now();
    strokes = strokes.filter(function (s) { return s === current || now - s.last < LIFE; });
    ctx.clearRect(0, 0, ink.width, ink.height);
    var dpr = window.devicePixelRatio || 1;
    ctx.lineWidth = 4 * dpr;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    strokes.forEach(function (s) {
      var age = s === current ? 0 : now - s.last;
      ctx.globalAlpha = age > LIFE - FADE ? Math.max(0, (LIFE - age) / FADE) : 1;
      ctx.strokeStyle = '#e5322d';
      ctx.beginPath();
      s.points.forEach(function (p, i) {
        var x = p[0] * ink.width, y = p[1] * ink.height;
        if (i === 0) {
          ctx.moveTo(x, y);
        } else {
          ctx.lineTo(x, y);
        }
      });
      if (s.points.length === 1) {
        ctx.lineTo(s.points[0][0] * ink.width + 0.1, s.points[0][1] * ink.height);
      }
      ctx.stroke();
    });
    ctx.globalAlpha = 1;
    if (strokes.length) {
      redraw();
    }
  }

  // What the customer shares, as the agent says.
  window.addEventListener('tether:scope', function (ev) {
    var d = ev.detail || {};
    if (!scope) {
      return;
    }
    var msg = window.tetherMsg;
    var text = d.window ? msg('console_js_sharing_window', { Title: d.title }) : msg('console_js_sharing_screen');
    if (d.hidden) {
      text += ' \u00b7 ' + msg(d.hidden === 1 ? 'console_js_hidden_one' : 'console_js_hidden_many', { Count: d.hidden });
    }
    scope.textContent = text;
    scope.dataset.kind = d.window ? 'window' : 'screen';
  });
})();
