// Package mailtest is an SMTP server for tests (github.com/emersion/go-smtp): it accepts mail on
// loopback, checks the sign-in it was given, and hands every message to the test.
package mailtest

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one mail the server accepted.
type Message struct {
	From string
	To   []string
	// User is who signed in to send it ("" without AUTH).
	User string
	Data string
}

// Server is a running SMTP server on 127.0.0.1. Its user and password are "tether" and "s3cret".
type Server struct {
	Addr string
	// Refuse, when set, is returned to every RCPT TO (a 550).
	refuse   string
	messages chan Message
	srv      *smtp.Server
	mu       sync.Mutex
}

// User and Password are the credentials the server accepts.
const (
	User     = "tether"
	Password = "s3cret"
)

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{messages: make(chan Message, 16)}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.srv.Domain = "localhost"
	// No TLS on loopback: Go's PLAIN auth sends the password only there.
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	go s.srv.Serve(l)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// URL is the smtp:// address with credentials, as -smtp takes it.
func (s *Server) URL() string { return "smtp://" + User + ":" + Password + "@" + s.Addr }

// RefuseRecipients makes every RCPT TO fail with msg.
func (s *Server) RefuseRecipients(msg string) {
	s.mu.Lock()
	s.refuse = msg
	s.mu.Unlock()
}

// Next waits up to d for the next message.
func (s *Server) Next(t testing.TB, d time.Duration) Message {
	t.Helper()
	select {
	case m := <-s.messages:
		return m
	case <-time.After(d):
		t.Fatalf("no mail arrived within %v", d)
		return Message{}
	}
}

// None reports that no message is waiting.
func (s *Server) None() bool { return len(s.messages) == 0 }

type session struct {
	s    *Server
	user string
	msg  Message
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pw string) error {
		if user != User || pw != Password {
			return errors.New("invalid credentials")
		}
		ss.user = user
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.msg = Message{From: from, User: ss.user}
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	refuse := ss.s.refuse
	ss.s.mu.Unlock()
	if refuse != "" {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: refuse}
	}
	ss.msg.To = append(ss.msg.To, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.msg.Data = strings.ReplaceAll(string(b), "\r\n", "\n")
	ss.s.messages <- ss.msg
	return nil
}

func (ss *session) Reset()        { ss.msg = Message{User: ss.user} }
func (ss *session) Logout() error { return nil }
