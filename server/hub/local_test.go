package hub

import (
	"errors"
	"testing"
)

func TestLocalRouting(t *testing.T) {
	h := NewLocal()
	agent := h.Join("s1", RoleAgent)
	viewer := h.Join("s1", RoleViewer)
	page := h.Join("s1", RolePage)
	other := h.Join("s2", RolePage)

	if n := h.Send("s1", RoleViewer, Message{Data: []byte("v")}); n != 1 {
		t.Fatalf("Send delivered %d", n)
	}
	if got := string((<-viewer.Inbox()).Data); got != "v" {
		t.Fatal(got)
	}
	for _, m := range []*Member{agent, page} {
		if n := h.Send("s1", m.Role, Message{Data: []byte("all")}); n != 1 {
			t.Fatalf("Send to %s delivered %d", m.Role, n)
		}
		if got := string((<-m.Inbox()).Data); got != "all" {
			t.Fatal(got)
		}
	}
	select {
	case <-other.Inbox():
		t.Fatal("another session's member got a message")
	default:
	}
	if !h.Present("s1", RoleAgent) || h.Present("s2", RoleAgent) {
		t.Fatal("Present is wrong")
	}
	agent.Leave()
	agent.Leave()
	if h.Present("s1", RoleAgent) || !errors.Is(agent.Err(), ErrLeft) {
		t.Fatal("Leave did not remove the agent")
	}
}

func TestLocalReplacesSingleRoles(t *testing.T) {
	h := NewLocal()
	first := h.Join("s", RoleViewer)
	second := h.Join("s", RoleViewer)
	if !errors.Is(first.Err(), ErrReplaced) {
		t.Fatal(first.Err())
	}
	// The replacement is reachable, counted and can leave, although the
	// member it replaced was the topic's only one.
	if n := h.Send("s", RoleViewer, Message{Data: []byte("x")}); n != 1 || !h.Present("s", RoleViewer) {
		t.Fatalf("replacement: %d delivered, present %v", n, h.Present("s", RoleViewer))
	}
	p1, p2 := h.Join("s", RolePage), h.Join("s", RolePage)
	if n := h.Send("s", RolePage, Message{}); n != 2 {
		t.Fatalf("pages are not all kept: %d", n)
	}
	_, _ = p1, p2
	second.Leave()
	if !errors.Is(second.Err(), ErrLeft) || h.Present("s", RoleViewer) {
		t.Fatalf("after leaving: %v, present %v", second.Err(), h.Present("s", RoleViewer))
	}
}

func TestLocalDropsSlowMember(t *testing.T) {
	h := NewLocal()
	slow := h.Join("s", RoleViewer)
	fast := h.Join("s", RolePage)
	for i := 0; i < InboxSize; i++ {
		h.Send("s", RoleViewer, Message{})
	}
	select {
	case <-slow.Done():
		t.Fatal("dropped before the inbox was full")
	default:
	}
	if n := h.Send("s", RoleViewer, Message{}); n != 0 {
		t.Fatal("delivered past a full inbox")
	}
	if !errors.Is(slow.Err(), ErrSlow) {
		t.Fatal(slow.Err())
	}
	if !h.Present("s", RolePage) || h.Present("s", RoleViewer) {
		t.Fatal("wrong members left")
	}
	_ = fast
}

func TestLocalJoinCapped(t *testing.T) {
	h := NewLocal()
	var ms []*Member
	for i := range 3 {
		m, ok := h.JoinCapped("s", RolePage, 3)
		if !ok {
			t.Fatalf("page %d refused", i+1)
		}
		ms = append(ms, m)
	}
	if _, ok := h.JoinCapped("s", RolePage, 3); ok {
		t.Fatal("a fourth page joined a topic capped at three")
	}
	if _, ok := h.JoinCapped("s", RoleConsole, 3); !ok {
		t.Fatal("the cap counts other roles")
	}
	ms[0].Leave()
	if _, ok := h.JoinCapped("s", RolePage, 3); !ok {
		t.Fatal("a place freed by leaving was not taken")
	}
}
