// viewer-pixels.js gives the Go viewer (wasm/jsdom) what it asks the browser
// to do in one call each, so that a frame crosses between Go and JS a few
// times rather than once per rectangle or per chunk: paint many rectangles,
// inflate the Update stream with the native DecompressionStream, decode a
// JPEG photo with createImageBitmap. It must load before viewer-boot.js.
(function () {
  'use strict';

  function noop() {}

  // paint puts the rectangles that Framebuffer.Pack laid out in buf (an
  // ArrayBuffer) on the 2d context ctx: n (u32), n times x, y, w, h (u32),
  // then each rectangle's RGBA rows. Typed arrays are little endian on every
  // platform browsers run on, as Pack writes.
  function paint(ctx, buf) {
    var n = new Uint32Array(buf, 0, 1)[0];
    var head = new Uint32Array(buf, 4, 4 * n);
    var o = 4 + 16 * n;
    for (var i = 0; i < n; i++) {
      var x = head[4 * i], y = head[4 * i + 1], w = head[4 * i + 2], h = head[4 * i + 3];
      var img = new ImageData(new Uint8ClampedArray(buf, o, w * h * 4), w, h);
      ctx.putImageData(img, x, y);
      o += w * h * 4;
    }
  }

  var stall = {};

  // Inflater keeps one DecompressionStream('deflate-raw') open across
  // Update messages, as protocol.Inflater keeps its Go flate reader. Each
  // message ends with a sync flush, so its data inflates whole without
  // waiting for the next.
  function Inflater(maxRaw) {
    this.out = new Uint8Array(maxRaw);
    this.s = null;
  }

  // reset starts a new stream (a message flagged UpdateReset).
  Inflater.prototype.reset = function () {
    if (this.s) {
      this.s.writer.abort().catch(noop);
    }
    var ds = new DecompressionStream('deflate-raw');
    this.s = { writer: ds.writable.getWriter(), reader: ds.readable.getReader(), broken: false };
  };

  // inflate writes data and resolves to rawLen once that many bytes came out
  // into this.out. It rejects, and the stream stays broken until reset, when
  // the data is corrupt or inflates to more or fewer bytes. DecompressionStream
  // has enqueued all a chunk inflates to when the write resolves, so a read
  // still pending a macrotask later means the data came up short.
  Inflater.prototype.inflate = async function (data, rawLen) {
    var s = this.s;
    if (!s || s.broken) {
      throw new Error('the stream is broken until the next reset');
    }
    s.broken = true;
    var wrote = s.writer.write(data);
    var stalled = wrote.then(function () {
      return new Promise(function (resolve) { setTimeout(resolve, 0); });
    }).then(function () { return stall; });
    stalled.catch(noop);
    var n = 0;
    while (n < rawLen) {
      var read = s.reader.read();
      read.catch(noop);
      var r = await Promise.race([read, stalled]);
      if (r === stall) {
        throw new Error('the data inflated to ' + n + ' of ' + rawLen + ' bytes');
      }
      if (r.done) {
        throw new Error('the stream ended');
      }
      if (n + r.value.length > rawLen) {
        throw new Error('the data inflated to more than ' + rawLen + ' bytes');
      }
      this.out.set(r.value, n);
      n += r.value.length;
    }
    await wrote;
    s.broken = false;
    return n;
  };

  // newInflater returns an Inflater, or null where the browser has no
  // DecompressionStream for raw deflate (before Chrome 103, Firefox 113,
  // Safari 16.4): the viewer then inflates in Go.
  function newInflater(maxRaw) {
    try {
      new DecompressionStream('deflate-raw').writable.getWriter().abort().catch(noop);
    } catch (e) {
      return null;
    }
    return new Inflater(maxRaw);
  }

  // photo decodes the JPEG bytes off the main thread, draws them on ctx at
  // x, y and resolves to those pixels read back (a Uint8ClampedArray of
  // w×h RGBA), so the Go framebuffer holds what the canvas shows.
  async function photo(ctx, bytes, x, y, w, h) {
    var bmp = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }),
      { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    try {
      if (bmp.width !== w || bmp.height !== h) {
        throw new Error('the image is ' + bmp.width + 'x' + bmp.height + ', not ' + w + 'x' + h);
      }
      ctx.drawImage(bmp, x, y);
    } finally {
      bmp.close();
    }
    return ctx.getImageData(x, y, w, h).data;
  }

  window.tetherViewer = { paint: paint, newInflater: newInflater, photo: photo };
})();
