package stream

import "time"

// Lossy quality bounds for the pacer: below 30 JPEG blocks start to show
// on text in video; DefaultQuality is the ceiling.
const (
	minQuality  = 30
	qualityStep = 10
)

// pacer adapts the JPEG quality of busy areas to what the path delivers.
// The frame rate adapts by itself: a frame goes only when the viewer has
// acknowledged enough of the earlier ones, so a slow path gets fewer
// frames, never a queue. What the pacer adds is that those fewer frames
// also get cheaper when the path is the bottleneck: every second it looks
// at how long frames waited for acknowledgements, lowers quality when that
// was more than a third of the time and raises it again when the path kept
// up.
type pacer struct {
	quality int
	start   time.Time     // of the current second
	waited  time.Duration // waiting for acks in it
	since   time.Time     // when the current wait began; zero if not waiting
}

func newPacer(now time.Time) *pacer {
	return &pacer{quality: DefaultQuality, start: now}
}

// wait records that a frame is due but the window of unacknowledged frames
// (or the path's buffer) is full.
func (p *pacer) wait(now time.Time) {
	if p.since.IsZero() {
		p.since = now
	}
	p.tick(now)
}

// send records that a frame went out.
func (p *pacer) send(now time.Time) {
	if !p.since.IsZero() {
		p.waited += now.Sub(p.since)
		p.since = time.Time{}
	}
	p.tick(now)
}

func (p *pacer) tick(now time.Time) {
	span := now.Sub(p.start)
	if span < time.Second {
		return
	}
	waited := p.waited
	if !p.since.IsZero() {
		waited += now.Sub(p.since)
		p.since = now
	}
	switch share := float64(waited) / float64(span); {
	case share > 1.0/3:
		p.quality = max(minQuality, p.quality-qualityStep)
	case share < 0.05:
		p.quality = min(DefaultQuality, p.quality+qualityStep/2)
	}
	p.start, p.waited = now, 0
}
