package codecbench

import (
	"bytes"
	"context"
	"image"
	"os/exec"
	"testing"
	"time"

	"tether/agent/stream"
)

// videoFrames renders n frames of ffmpeg's testsrc2 pattern (moving shapes,
// colour gradients, a running counter) at w×h in BGRA: a stand-in for
// video that every machine with ffmpeg reproduces exactly.
func videoFrames(tb testing.TB, w, h, n int) [][]byte {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	size := itoa(w) + "x" + itoa(h)
	out, err := exec.CommandContext(ctx, needTool(tb, "ffmpeg"), "-v", "error", "-f", "lavfi",
		"-i", "testsrc2=size="+size+":rate=30", "-frames:v", itoa(n), "-f", "rawvideo", "-pix_fmt", "bgra", "-").Output()
	if err != nil {
		tb.Fatalf("ffmpeg: %v", err)
	}
	if len(out) != w*h*4*n {
		tb.Fatalf("ffmpeg wrote %d bytes, want %d", len(out), w*h*4*n)
	}
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = out[i*w*h*4 : (i+1)*w*h*4]
	}
	return frames
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

// videoScreen places a video frame at r on a grey w×h screen (BGRA).
func videoScreen(screen []byte, w int, r image.Rectangle, frame []byte) {
	for y := 0; y < r.Dy(); y++ {
		copy(screen[(r.Min.Y+y)*w*4+r.Min.X*4:], frame[y*r.Dx()*4:(y+1)*r.Dx()*4])
	}
}

// TestVideoGoesLossyThenExact plays 640×360 of testsrc2 at 30 fps inside a
// 1280×720 screen. Once the area is busy it must go as photos, at SSIM of
// at least 0.95 on the video, for a fraction of the exact bytes; once the
// video stops, the area must be sent again exactly.
func TestVideoGoesLossyThenExact(t *testing.T) {
	const w, h = 1280, 720
	video := image.Rect(320, 180, 960, 540)
	frames := videoFrames(t, video.Dx(), video.Dy(), 30)
	screen := bytes.Repeat([]byte{0x60, 0x60, 0x60, 0xff}, w*h)
	clock := time.Unix(0, 0)
	e := stream.Encoder{Now: func() time.Time { return clock }}
	exact := stream.Encoder{Lossless: true}
	v, ve := newViewer(w, h), newViewer(w, h)
	var lossyBytes, exactBytes int
	var worst float64 = 1
	for i, fr := range frames {
		videoScreen(screen, w, video, fr)
		res, err := e.Encode(frameOf(screen, w, h), uint32(i+1), false, v.apply)
		if err != nil {
			t.Fatal(err)
		}
		resExact, err := exact.Encode(frameOf(screen, w, h), uint32(i+1), false, ve.apply)
		if err != nil {
			t.Fatal(err)
		}
		if i >= 10 {
			lossyBytes += res.Bytes
			exactBytes += resExact.Bytes
			if res.Photos == 0 {
				t.Errorf("frame %d: no photo for busy video", i+1)
			}
			ssim := SSIM(v.img, rgbaOfBGRA(screen, w, h), video)
			worst = min(worst, ssim)
		}
		clock = clock.Add(33 * time.Millisecond)
	}
	t.Logf("frames 11-30: %d bytes lossy, %d exact (%.1fx), worst SSIM %.4f", lossyBytes, exactBytes, float64(exactBytes)/float64(lossyBytes), worst)
	if worst < 0.95 {
		t.Errorf("worst SSIM on the video %.4f, want at least 0.95", worst)
	}
	if lossyBytes*3 > exactBytes {
		t.Errorf("lossy %d bytes is not a third of exact %d", lossyBytes, exactBytes)
	}
	// The video stops: after the refresh delay the area is sent exactly.
	clock = clock.Add(stream.DefaultRefresh)
	if next := e.NextRefresh(); next.IsZero() || next.After(clock) {
		t.Fatalf("refresh due at %v, clock %v", next, clock)
	}
	res, err := e.Encode(frameOf(screen, w, h), 99, false, v.apply)
	if err != nil {
		t.Fatal(err)
	}
	if res.Photos != 0 || res.Rects == 0 {
		t.Fatalf("refresh frame: %+v", res)
	}
	if ex := ExactShare(v.img, rgbaOfBGRA(screen, w, h), v.img.Rect); ex != 1 {
		t.Fatalf("after the refresh %.4f of the screen is exact", ex)
	}
	if !e.NextRefresh().IsZero() {
		t.Error("a refresh is still due after everything was sent exactly")
	}
}

func rgbaOfBGRA(bgra []byte, w, h int) *image.RGBA {
	return rgbaOf(screen{w: w, h: h, bgra: bgra})
}

// BenchmarkPhotoQuality reports bytes per frame and SSIM of the photo path
// per JPEG quality on the video: the data behind stream.DefaultQuality.
//
//	go test -run '^$' -bench PhotoQuality ./server/protocol/codecbench/
func BenchmarkPhotoQuality(b *testing.B) {
	const w, h = 640, 360
	frames := videoFrames(b, w, h, 12)
	for _, q := range []int{30, 35, 40, 50, 60, 70, 80, 90} {
		b.Run(itoa(q), func(b *testing.B) {
			var bytes, n int
			var ssim float64
			for b.Loop() {
				clock := time.Unix(0, 0)
				e := stream.Encoder{Quality: q, Now: func() time.Time { return clock }}
				v := newViewer(w, h)
				for i, fr := range frames {
					res, err := e.Encode(frameOf(fr, w, h), uint32(i+1), false, v.apply)
					if err != nil {
						b.Fatal(err)
					}
					if res.Photos > 0 {
						ssim += SSIM(v.img, rgbaOfBGRA(fr, w, h), v.img.Rect)
						bytes += res.Bytes
						n++
					}
					clock = clock.Add(33 * time.Millisecond)
				}
			}
			if n == 0 {
				b.Fatal("no photos")
			}
			b.ReportMetric(float64(bytes)/float64(n), "bytes/frame")
			b.ReportMetric(ssim/float64(n), "ssim")
		})
	}
}
