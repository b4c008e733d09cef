package consent

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"

	"tether/server/protocol"
	"tether/static/chat"
)

// The chat on the consent page: the customer reads and writes the same
// conversation the engineer's viewer and the invitation page show. The
// support server stores it and passes it on; the page gets it from the
// session (ShowChat, ShowTyping) and sends through the function the session
// gave (SetChatSender). Chat gives no grant and needs none: the customer may
// ask a question before allowing anything.

//go:embed chat-page.js
var chatPage embed.FS

// maxChatHistory bounds what the page keeps to replay to a page that
// (re)connects; a session's conversation is far shorter.
const maxChatHistory = 500

// ChatSender sends the customer's chat (protocol.SigChat with a
// protocol.Chat) or typing (protocol.SigTyping with a protocol.Typing) to
// the support server; an error means it could not be sent now.
type ChatSender func(typ string, payload any) error

// chatBox is the page's conversation: what it shows and who follows it.
type chatBox struct {
	mu      sync.Mutex
	send    ChatSender
	history []protocol.Chat
	ids     map[string]bool
	subs    map[chan chatEvent]struct{}
	closed  bool
}

// chatEvent is one server-sent event of the chat stream.
type chatEvent struct {
	typ  string // protocol.SigChat or protocol.SigTyping
	data []byte
}

// SetChatSender sets how the customer's messages leave the page.
func (p *Page) SetChatSender(send ChatSender) {
	p.chat.mu.Lock()
	p.chat.send = send
	p.chat.mu.Unlock()
}

// ShowChat shows a message from the server (stored, or a refusal of one
// the customer sent) on every open page. It reports whether the message is
// new: history comes again after every reconnect.
func (p *Page) ShowChat(c protocol.Chat) bool {
	c.Text = strings.ToValidUTF8(c.Text, "")
	b, err := json.Marshal(c)
	if err != nil {
		return false
	}
	box := &p.chat
	box.mu.Lock()
	defer box.mu.Unlock()
	if c.Error == "" {
		if c.ID == "" || box.ids[c.ID] {
			return false
		}
		if box.ids == nil {
			box.ids = map[string]bool{}
		}
		box.ids[c.ID] = true
		box.history = append(box.history, c)
		sort.SliceStable(box.history, func(i, j int) bool { return box.history[i].At.Before(box.history[j].At) })
		if len(box.history) > maxChatHistory {
			box.history = box.history[len(box.history)-maxChatHistory:]
		}
	}
	box.publish(chatEvent{protocol.SigChat, b})
	return c.Error == ""
}

// ShowTyping shows whether the engineer is typing.
func (p *Page) ShowTyping(t protocol.Typing) {
	b, err := json.Marshal(t)
	if err != nil {
		return
	}
	p.chat.mu.Lock()
	defer p.chat.mu.Unlock()
	p.chat.publish(chatEvent{protocol.SigTyping, b})
}

// publish hands ev to every follower; one that does not keep up is
// dropped (its stream ends, the page reconnects and gets the history).
// Called with mu held.
func (b *chatBox) publish(ev chatEvent) {
	for ch := range b.subs {
		select {
		case ch <- ev:
		default:
			close(ch)
			delete(b.subs, ch)
		}
	}
}

// closeChat ends every chat stream (the page is closing).
func (b *chatBox) closeChat() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for ch := range b.subs {
		close(ch)
		delete(b.subs, ch)
	}
}

// serveChatEvents streams the conversation as server-sent events: the
// history, then each message and typing indicator as it comes.
func (p *Page) serveChatEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	box := &p.chat
	ch := make(chan chatEvent, 64)
	box.mu.Lock()
	if box.closed {
		box.mu.Unlock()
		http.Error(w, "the support program has closed", http.StatusGone)
		return
	}
	var history [][]byte
	for _, c := range box.history {
		c.History = true
		if b, err := json.Marshal(c); err == nil {
			history = append(history, b)
		}
	}
	if box.subs == nil {
		box.subs = map[chan chatEvent]struct{}{}
	}
	box.subs[ch] = struct{}{}
	box.mu.Unlock()
	defer func() {
		box.mu.Lock()
		delete(box.subs, ch)
		box.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	for _, b := range history {
		if _, err := fmt.Fprintf(w, "event: chat\ndata: %s\n\n", b); err != nil {
			return
		}
	}
	fl.Flush()
	stream(w, r, fl, ch, func(ev chatEvent) error {
		_, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.typ, ev.data)
		return err
	})
}

// chatRequest is the page's JSON body for chat and typing.
type chatRequest struct {
	Text   string `json:"text"`
	Ref    string `json:"ref"`
	Typing bool   `json:"typing"`
}

// serveChatSend takes a message (or, typing set, a typing indicator) the
// customer typed on this page, under the same checks as a decision. A
// message that cannot go (bad text, no connection) is refused with a reason
// and the page keeps its text.
func (p *Page) serveChatSend(w http.ResponseWriter, r *http.Request, typ string) {
	if origin := r.Header.Get("Origin"); origin != "http://"+p.host {
		p.log.Warn("consent page: chat from another origin refused", "origin", origin)
		jsonError(w, http.StatusForbidden, "Messages are taken only from this page.")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		jsonError(w, http.StatusUnsupportedMediaType, "Messages are sent as JSON.")
		return
	}
	var req chatRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 4*protocol.MaxChatText*2+1024))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		jsonError(w, http.StatusBadRequest, "The message was not understood.")
		return
	}
	var payload any = protocol.Typing{Typing: req.Typing}
	if typ == protocol.SigChat {
		text, err := protocol.ChatText(req.Text)
		if err == nil {
			err = protocol.ChatRef(req.Ref)
		}
		if err != nil {
			jsonError(w, http.StatusBadRequest, "Not sent: "+strings.TrimPrefix(err.Error(), protocol.ErrInvalid.Error()+": ")+".")
			return
		}
		payload = protocol.Chat{Text: text, Ref: req.Ref}
	}
	p.chat.mu.Lock()
	send := p.chat.send
	p.chat.mu.Unlock()
	err := errors.New("no connection")
	if send != nil {
		err = send(typ, payload)
	}
	if err != nil {
		p.log.Info("consent page: chat not sent", "err", err)
		jsonError(w, http.StatusServiceUnavailable, "Not sent: the support program is not connected to the support server right now. Try again in a moment.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (p *Page) serveChatFile(w http.ResponseWriter, name string) {
	files := chat.Files // the widget the server's pages use too
	if name == "chat-page.js" {
		files = chatPage
	}
	b, err := files.ReadFile(name)
	if err != nil {
		http.NotFound(w, nil)
		return
	}
	ct := "text/css; charset=utf-8"
	if strings.HasSuffix(name, ".js") {
		ct = "text/javascript; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(b)
}
