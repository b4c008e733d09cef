package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chatLog returns the texts and times of a chat panel's messages, in order,
// as "from|hh:mm|text".
func chatLog(t testing.TB, ctx context.Context, root string) []string {
	t.Helper()
	return eval[[]string](t, ctx, fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(function (li) {
		return li.querySelector(".chat-from").textContent + "|" + li.querySelector("time").textContent + "|" + li.querySelector(".chat-text").textContent;
	})`, root+" .chat-log .chat-msg"))
}

// waitChat waits until the chat panel root shows a message with text, from
// from, with a time.
func waitChat(t testing.TB, ctx context.Context, root, from, text string) {
	t.Helper()
	waitJS(t, ctx, 10*time.Second, fmt.Sprintf("%q from %s in %s", text, from, root), fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).some(function (li) {
		return li.querySelector(".chat-from").textContent === %q && li.querySelector(".chat-text").textContent === %q &&
			/^\d\d:\d\d$/.test(li.querySelector("time").textContent) && !!li.querySelector("time").dateTime;
	})`, root+" .chat-log .chat-msg", from, text))
}

// write types text into a chat panel and, once the other side (other, in
// otherRoot) shows "typing…", sends it with Enter.
func write(t testing.TB, ctx context.Context, root, text string, other context.Context, otherRoot, who string) {
	t.Helper()
	do(t, ctx, 10*time.Second, "type into "+root, chromedp.SendKeys(chromedp.CSS(root+" textarea"), text))
	waitJS(t, other, 5*time.Second, who+" typing in "+otherRoot, fmt.Sprintf(`(function () {
		var el = document.querySelector(%q);
		return !el.hidden && el.textContent === %q;
	})()`, otherRoot+" .chat-typing", who+" is typing…"))
	do(t, ctx, 10*time.Second, "send from "+root, chromedp.SendKeys(chromedp.CSS(root+" textarea"), "\r"))
	// (DevTools' Enter also types the newline the page's keydown
	// prevented; a person's Enter does not.)
	waitJS(t, ctx, 10*time.Second, "sent from "+root, fmt.Sprintf(`document.querySelector(%q).value.trim() === "" && !document.querySelector(%q)`,
		root+" textarea", root+" .chat-pending"))
	eval[string](t, ctx, fmt.Sprintf(`document.querySelector(%q).value = ""`, root+" textarea"))
}

// TestChatBothWays: the engineer's viewer, the customer's invitation page
// and the agent's consent page hold one conversation, before consent and
// while sharing view-only, with times, typing indicators, an unread badge,
// history after a reload, and every message stored with the session.
func TestChatBothWays(t *testing.T) {
	w := newWorld(t)
	link, _ := w.newSession(t, "Chloe Customer")
	// Typing indicators are not stored: the viewer must be connected to see one.
	waitJS(t, w.engineer, 20*time.Second, "viewer connected", `document.getElementById("viewer").dataset.state === "waiting"`)
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#invite-chat textarea`)))
	waitJS(t, cust, 10*time.Second, "invitation page connected", `document.getElementById("invite-chat").dataset.connected === "true"`)

	// The customer asks from the invitation page before running anything:
	// the engineer sees an unread badge, then the message.
	write(t, cust, "#invite-chat", "Hello, is this really Acme?", w.engineer, "#v-chat", "Chloe Customer")
	waitJS(t, w.engineer, 10*time.Second, "unread badge", `document.getElementById("v-chat-unread").textContent === "1" && !document.getElementById("v-chat-unread").hidden`)
	shot(t, w.engineer, "chat-viewer-badge")
	do(t, w.engineer, 5*time.Second, "open chat", chromedp.Click(chromedp.CSS(`#v-chat-toggle`)))
	waitChat(t, w.engineer, "#v-chat", "Chloe Customer", "Hello, is this really Acme?")
	if badge := eval[bool](t, w.engineer, `document.getElementById("v-chat-unread").hidden`); !badge {
		t.Error("the badge stays after opening the chat")
	}
	write(t, w.engineer, "#v-chat", "Yes, Erin from Acme IT. Run the program when you are ready.", cust, "#invite-chat", "Erin Engineer")
	waitChat(t, cust, "#invite-chat", "Erin Engineer", "Yes, Erin from Acme IT. Run the program when you are ready.")
	waitChat(t, w.engineer, "#v-chat", "You", "Yes, Erin from Acme IT. Run the program when you are ready.")

	// The agent runs; its consent page shows the conversation while asking,
	// and the customer asks there before allowing anything.
	c := w.downloadAndRun(t, cust)
	page, cancel := chromedp.NewContext(cust)
	defer cancel()
	// The tab lives as long as the context of its first action.
	if err := chromedp.Do(page, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	do(t, page, 20*time.Second, "open consent page", chromedp.Navigate(c.consent), chromedp.WaitVisible(chromedp.CSS(`#chat textarea`)))
	c.page = page
	waitChat(t, page, "#chat", "You", "Hello, is this really Acme?")
	waitChat(t, page, "#chat", "Erin Engineer", "Yes, Erin from Acme IT. Run the program when you are ready.")
	write(t, page, "#chat", "Will you see my e-mail?", w.engineer, "#v-chat", "Chloe Customer")
	waitChat(t, w.engineer, "#v-chat", "Chloe Customer", "Will you see my e-mail?")
	waitChat(t, cust, "#invite-chat", "You", "Will you see my e-mail?")
	shot(t, page, "chat-consent-asking")

	// View only: chat needs no grant. The consent page reloads (approve
	// navigates again) and shows the history.
	c.approve(t, "view")
	waitChat(t, page, "#chat", "You", "Will you see my e-mail?")
	waitJS(t, w.engineer, 20*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	write(t, w.engineer, "#v-chat", "Only what you share; I can only watch. Close it if you like.", page, "#chat", "Erin Engineer")
	waitChat(t, page, "#chat", "Erin Engineer", "Only what you share; I can only watch. Close it if you like.")
	waitChat(t, cust, "#invite-chat", "Erin Engineer", "Only what you share; I can only watch. Close it if you like.")
	shot(t, page, "chat-consent-sharing")
	shot(t, cust, "chat-invite")
	shot(t, w.engineer, "chat-viewer")

	// A message too long is refused and given back, not lost.
	long := strings.Repeat("x", 2001)
	eval[bool](t, w.engineer, `(function () { var ta = document.querySelector("#v-chat textarea"); ta.value = "`+long+`";
		return ta.dispatchEvent(new Event("input")); })()`)
	if disabled := eval[bool](t, w.engineer, `document.querySelector("#v-chat button[type=submit]").disabled`); !disabled {
		t.Error("Send is enabled for 2,001 characters")
	}
	if count := eval[string](t, w.engineer, `document.querySelector("#v-chat .chat-count").textContent`); count != "2001 / 2000" {
		t.Errorf("counter %q", count)
	}

	// The engineer reloads the viewer: the whole conversation is back.
	do(t, w.engineer, 20*time.Second, "reload viewer", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#v-chat-toggle`)))
	waitJS(t, w.engineer, 20*time.Second, "viewer connected again", `document.getElementById("viewer").dataset.state === "streaming"`)
	if badge := eval[string](t, w.engineer, `document.getElementById("v-chat-unread").textContent`); badge != "" {
		t.Errorf("after a reload the history counts as %s unread", badge)
	}
	do(t, w.engineer, 5*time.Second, "open chat", chromedp.Click(chromedp.CSS(`#v-chat-toggle`)))
	waitJS(t, w.engineer, 10*time.Second, "history", `document.querySelectorAll("#v-chat .chat-msg").length === 4`)
	got := chatLog(t, w.engineer, "#v-chat")
	stamp := regexp.MustCompile(`^(You|Chloe Customer)\|\d\d:\d\d\|`)
	want := []string{"Hello, is this really Acme?", "Yes, Erin from Acme IT. Run the program when you are ready.", "Will you see my e-mail?", "Only what you share; I can only watch. Close it if you like."}
	for i, line := range got {
		if !stamp.MatchString(line) || !strings.HasSuffix(line, "|"+want[i]) {
			t.Errorf("history line %d = %q, want %q", i, line, want[i])
		}
	}

	// Stored with the session, as the report builds its transcript.
	id := eval[string](t, w.engineer, `document.getElementById("viewer").dataset.session`)
	actors := evalAsync[[]string](t, w.engineer, `fetch("/sessions/`+id+`/events.json").then(function (r) { return r.json(); }).then(function (j) {
		return j.events.filter(function (e) { return e.kind === "chat"; }).map(function (e) { return e.actor.split(":")[0] + " " + JSON.parse(e.detail).text; });
	})`)
	wantActors := []string{"customer " + want[0], "engineer " + want[1], "customer " + want[2], "engineer " + want[3]}
	if strings.Join(actors, "\n") != strings.Join(wantActors, "\n") {
		t.Errorf("stored chat events:\n%q\nwant\n%q", actors, wantActors)
	}
	do(t, w.engineer, 10*time.Second, "session detail", chromedp.Navigate(w.srv.url+"/sessions/"+id), chromedp.WaitVisible(chromedp.CSS(`table.audit`)))
	shot(t, w.engineer, "audit-log")

	// A customer who floods the chat is told to slow down, and the message
	// typed is given back, not lost.
	eval[bool](t, cust, `(function () { for (var i = 0; i < 12; i++) window.tetherInvite.send("chat", { text: "flood " + i }); return true; })()`)
	do(t, cust, 10*time.Second, "type while flooding", chromedp.SendKeys(chromedp.CSS(`#invite-chat textarea`), "Are you still there?\r"))
	waitJS(t, cust, 10*time.Second, "refusal shown", `(function () {
		var err = document.querySelector("#invite-chat .chat-error");
		return !err.hidden && err.textContent.indexOf("too quickly") >= 0 &&
			document.querySelector("#invite-chat textarea").value.trim() === "Are you still there?";
	})()`)
	shot(t, cust, "chat-invite-refused")
}
