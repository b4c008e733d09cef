// The side-by-side benchmark's reader, injected into the engineer's page
// (Tether's viewer or the noVNC page). Once per animation frame it reads
// the probe's barcode and key square out of the viewer's canvas and notes
// when they change, on the page's clock in Unix milliseconds. The harness
// fills in the layout (package barcode) and the canvas below.
(() => {
  const cfg = /*CONFIG*/null;
  const now = () => performance.timeOrigin + performance.now();
  const S = window.__sbs = {on: false, codes: [], squares: [], keys: [], frames: [], word: "", square: null};
  addEventListener("keydown", (e) => { if (S.on && e.key === cfg.key) S.keys.push(now()); }, true);
  const sample = () => {
    const c = document.querySelector(cfg.canvas);
    if (c && c.width >= cfg.x + cfg.w && c.height >= cfg.y + cfg.h) {
      const t = now();
      const d = c.getContext("2d").getImageData(cfg.x, cfg.y, cfg.w, cfg.h).data;
      const px = (x, y) => (y * cfg.w + x) * 4;
      // 32-bit words by arithmetic: JavaScript's bit operators are signed.
      const words = new Array(cfg.bits / 32).fill(0);
      for (let i = 0; i < cfg.bits; i++) {
        const o = px((i % cfg.cols) * cfg.cell + cfg.cell / 2, Math.floor(i / cfg.cols) * cfg.cell + cfg.cell / 2);
        words[Math.floor(i / 32)] = words[Math.floor(i / 32)] * 2 + (d[o] + d[o + 1] + d[o + 2] >= 384 ? 1 : 0);
      }
      const word = words.join(":");
      if (word !== S.word) {
        S.word = word;
        if (S.on) S.codes.push([...words, t]);
      }
      const o = px(cfg.sqX + cfg.sqSize / 2, cfg.sqY + cfg.sqSize / 2);
      const rgb = [d[o], d[o + 1], d[o + 2]];
      if (!S.square || Math.abs(rgb[0] - S.square[0]) + Math.abs(rgb[1] - S.square[1]) + Math.abs(rgb[2] - S.square[2]) > 48) {
        S.square = rgb;
        if (S.on) S.squares.push([rgb[0], rgb[1], rgb[2], t]);
      }
    }
    requestAnimationFrame(sample);
  };
  requestAnimationFrame(sample);
  // Tether's viewer counts painted frames and the decode time of the last
  // one on #viewer; note each.
  const v = document.getElementById("viewer");
  if (v) {
    new MutationObserver(() => {
      if (S.on) S.frames.push([Number(v.dataset.frames), Number(v.dataset.decodeMs), now(), Number(v.dataset.encodeMs)]);
    }).observe(v, {attributes: true, attributeFilter: ["data-frames"]});
  }
  S.start = () => {
    S.codes = []; S.keys = []; S.frames = [];
    // The square as it is now is where the key presses start from.
    S.squares = S.square ? [[S.square[0], S.square[1], S.square[2], now()]] : [];
    S.on = true;
    return true;
  };
  S.stop = () => {
    S.on = false;
    return {codes: S.codes, squares: S.squares, keys: S.keys, frames: S.frames};
  };
  return true;
})()
