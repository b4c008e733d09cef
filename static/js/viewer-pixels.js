// viewer-pixels.js gives the Go viewer (wasm/jsdom) what it asks the browser
// to do in one call each, so that a frame crosses between Go and JS a few
// times rather than once per rectangle or per chunk: paint many rectangles
// straight out of the module's memory, inflate the Update stream with the
// native DecompressionStream, decode a JPEG photo with createImageBitmap. It
// must load before viewer-boot.js, which hands it the module's memory.
(function () {
  'use strict';

  function noop() {}

  var api = { memory: null };

  // paint puts rectangles of the Go framebuffer on the 2d context ctx,
  // reading them where they are: the framebuffer is a w×h RGBA image at byte
  // offset pix of the module's memory (api.memory, set by viewer-boot.js),
  // the rectangles n times x, y, w, h (u32) at byte offset rects. Nothing is
  // copied before putImageData copies each rectangle.
  function paint(ctx, pix, w, h, rects, n) {
    var buf = api.memory.buffer; // anew each time: a growing memory replaces it
    var img = new ImageData(new Uint8ClampedArray(buf, pix, w * h * 4), w, h);
    var r = new Uint32Array(buf, rects, 4 * n);
    for (var i = 0; i < 4 * n; i += 4) {
      ctx.putImageData(img, 0, 0, r[i], r[i + 1], r[i + 2], r[i + 3]);
    }
  }

  // Inflater keeps one DecompressionStream('deflate-raw') open across
  // Update messages, as protocol.Inflater keeps its Go flate reader. Each
  // message ends with a sync flush, so it inflates whole without waiting for
  // the next. write only hands the data over: the browser inflates it
  // between the viewer's messages, and the viewer takes the output when it
  // is there (take) or waits for it at the end of a frame (wait).
  function Inflater(maxRaw) {
    this.out = new Uint8Array(maxRaw);
    this.s = null;
  }

  // reset starts a new stream (a message flagged UpdateReset).
  Inflater.prototype.reset = function () {
    if (this.s) {
      this.s.err = this.s.err || new Error('stream replaced');
      this.s.writer.abort().catch(noop);
    }
    var ds = new DecompressionStream('deflate-raw');
    var s = {
      writer: ds.writable.getWriter(),
      chunks: [], // output not taken yet; the first one from offset at
      at: 0,
      avail: 0, // bytes in chunks past at
      want: 0, // raw bytes the written messages said they inflate to
      made: 0, // raw bytes inflated so far
      writes: 0, // writes not consumed yet
      err: null,
      wake: noop
    };
    this.s = s;
    var reader = ds.readable.getReader();
    (async function () {
      for (;;) {
        var r = await reader.read();
        if (r.done || s.err) {
          return;
        }
        s.made += r.value.length;
        if (s.made > s.want) {
          throw new Error('the data inflated to more bytes than its messages said');
        }
        s.chunks.push(r.value);
        s.avail += r.value.length;
        s.wake();
      }
    })().catch(function (e) {
      s.err = s.err || e;
      s.wake();
    });
  };

  // write hands over one message's data, which inflates to rawLen bytes.
  Inflater.prototype.write = function (data, rawLen) {
    var s = this.s;
    if (!s) {
      throw new Error('no stream: the first message must start one');
    }
    if (s.err) {
      throw s.err;
    }
    s.want += rawLen;
    s.writes++;
    s.writer.write(data).then(function () {
      s.writes--;
      s.wake();
    }, function (e) {
      s.err = s.err || e;
      s.wake();
    });
  };

  // take moves the next n bytes of output to the start of this.out and
  // returns true, or returns false when fewer are out yet. It throws once
  // the stream failed, until the next reset.
  Inflater.prototype.take = function (n) {
    var s = this.s;
    if (!s || s.err) {
      throw (s && s.err) || new Error('no stream');
    }
    if (s.avail < n) {
      return false;
    }
    var o = 0;
    while (o < n) {
      var c = s.chunks[0];
      var k = Math.min(n - o, c.length - s.at);
      this.out.set(c.subarray(s.at, s.at + k), o);
      o += k;
      s.at += k;
      if (s.at === c.length) {
        s.chunks.shift();
        s.at = 0;
      }
    }
    s.avail -= n;
    return true;
  };

  // wait resolves once n bytes are out. It rejects when the stream fails or
  // when everything written inflated to fewer. Chromium has enqueued all a
  // chunk inflates to by the time the write resolves, and the reads that hand
  // it out settle before the next macrotask; shortGrace more milliseconds
  // spare a browser that hands output out later from failing every frame.
  // Only broken data waits that long.
  var shortGrace = 50;

  Inflater.prototype.wait = function (n) {
    var s = this.s;
    return new Promise(function (resolve, reject) {
      var timer = 0;
      function check() {
        if (s.err) {
          done();
          reject(s.err);
        } else if (s.avail >= n) {
          done();
          resolve();
        } else if (s.writes === 0 && !timer) {
          timer = setTimeout(function () {
            timer = -1;
            if (s.avail < n && !s.err) {
              s.err = new Error('the data inflated to ' + (n - s.avail) + ' bytes less than its messages said');
            }
            check();
          }, shortGrace);
        }
      }
      function done() {
        s.wake = noop;
        if (timer > 0) {
          clearTimeout(timer);
        }
      }
      s.wake = check;
      check();
    });
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

  api.paint = paint;
  api.newInflater = newInflater;
  api.photo = photo;
  window.tetherViewer = api;
})();
