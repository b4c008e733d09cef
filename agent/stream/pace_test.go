package stream

import (
	"testing"
	"time"
)

func TestPacerLowersQualityOnASlowPathAndRecovers(t *testing.T) {
	now := time.Unix(0, 0)
	p := newPacer(now)
	// A slow path: each frame waits 60 ms for its ack, then goes.
	for i := 0; i < 60; i++ {
		p.wait(now)
		now = now.Add(60 * time.Millisecond)
		p.send(now)
		now = now.Add(10 * time.Millisecond)
	}
	if p.quality != minQuality {
		t.Fatalf("quality %d after 4 s of waiting, want the floor %d", p.quality, minQuality)
	}
	// The path keeps up: frames go at once.
	for i := 0; i < 300; i++ {
		p.send(now)
		now = now.Add(33 * time.Millisecond)
	}
	if p.quality != DefaultQuality {
		t.Fatalf("quality %d after 10 s without waiting, want %d", p.quality, DefaultQuality)
	}
	// A long wait with no frame at all counts too.
	p.wait(now)
	now = now.Add(3 * time.Second)
	p.wait(now)
	if p.quality >= DefaultQuality {
		t.Fatalf("quality %d after a 3 s stall", p.quality)
	}
}
