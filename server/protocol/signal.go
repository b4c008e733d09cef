package protocol

import (
	"encoding/json"
	"fmt"
)

// MaxSignalSize bounds one signaling envelope (an SDP offer with many
// candidates stays far below it).
const MaxSignalSize = 64 << 10

// Envelope is a signaling message: a text websocket message between a
// program (agent, viewer, customer page, console) and the server hub.
type Envelope struct {
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Signaling message types. The direction is noted as sender → receiver;
// "server" means the hub answers itself, "peer" means it forwards to the
// other end of the session.
const (
	// agent → server, first message on /ws/agent.
	SigAgentHello = "agent-hello"
	// server → agent: who is asking, and how to connect to viewers.
	SigWelcome = "welcome"
	// agent → server only: the grants the customer chose on their machine,
	// sent at consent, after each change and after each reconnect. An agent
	// never takes consent from the server; one that receives this type
	// ignores it.
	SigConsent = "consent"
	// server → agent and viewer: the viewer (or agent) is present or left.
	SigPeer = "peer"
	// agent ↔ viewer through the server: the end-to-end key exchange
	// (KeyStep, Handshake), before any offer and before any relayed message.
	SigKey = "key"
	// agent ↔ viewer through the server: WebRTC offer, answer, candidates.
	SigOffer     = "offer"
	SigAnswer    = "answer"
	SigCandidate = "candidate"
	// agent → viewer through the server: which path carries session
	// messages from now on (PathP2P, PathTURN or PathRelay).
	SigPath = "path"
	// agent → server: counters for the session record.
	SigStats = "stats"
	// any → server: the sender ends the session (customer stop, agent
	// closing). server → all: the session ended.
	SigEnd = "end"
	// server → any: the session's state changed (pages and console).
	SigState = "state"
	// server → any: a fatal error; the connection closes after it.
	SigError = "error"
	// SigChat and SigTyping (chat.go): the conversation between engineer
	// and customer, through the server.
)

// AgentHello opens an agent's signaling connection.
type AgentHello struct {
	// Token is the invitation token from the agent's settings.
	Token string `json:"token"`
	// AgentKey is a random secret the agent made at start; the server binds
	// the session to it, so only this agent may reconnect.
	AgentKey string `json:"agent_key"`
	// Source tells how the customer reached the agent: SourceLink or SourceCode.
	Source  string `json:"source"`
	Version int    `json:"version"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
	Host    string `json:"host"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
}

// ICEServer is one STUN or TURN server for the peer connection.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// ICE transport policies (RTCIceTransportPolicy, W3C webrtc-pc §4.2.5):
// which candidates a peer connection may use. ICEPolicyRelay keeps both
// ends on TURN candidates only, so customer and engineer never learn each
// other's address; the data still flows only between them, through TURN.
const (
	ICEPolicyAll   = "all"
	ICEPolicyRelay = "relay"
)

// ValidICEPolicy reports whether p is one of the ICE policies; the empty
// string counts as ICEPolicyAll, for a server that sends none.
func ValidICEPolicy(p string) bool { return p == "" || p == ICEPolicyAll || p == ICEPolicyRelay }

// Welcome answers AgentHello. It tells who is asking and how to connect;
// it carries nothing the agent could take as consent.
type Welcome struct {
	SessionID  string      `json:"session_id"`
	Engineer   string      `json:"engineer"`
	Provider   string      `json:"provider"`
	Customer   string      `json:"customer"`
	ICEServers []ICEServer `json:"ice_servers"`
	// ICEPolicy is ICEPolicyAll or ICEPolicyRelay (empty: all).
	ICEPolicy    string `json:"ice_policy,omitempty"`
	P2P          bool   `json:"p2p"`
	ICETimeoutMS int    `json:"ice_timeout_ms"`
	// MaxFPS caps the frame rate (1 to MaxFPSLimit); zero means the agent's
	// default, DefaultFPS.
	MaxFPS int `json:"max_fps,omitempty"`
	// FileMaxBytes is the provider's limit on one file sent either way
	// (store.Policy.FileMaxMB); the agent refuses larger ones itself. Zero:
	// no limit was given, and the agent moves no files.
	FileMaxBytes int64 `json:"file_max_bytes,omitempty"`
	// Recorded says that the provider records this session (what the
	// engineer's viewer is shown): the customer is told before consent.
	Recorded bool `json:"recorded,omitempty"`
	// Allowed and Defaults are the permission template of the session's
	// desk: the grants its engineers may ask for, and those the consent
	// page ticks to begin with. They only narrow: the agent offers what
	// this computer can give within Allowed (zero: no template), and the
	// customer still decides.
	Allowed  Grants `json:"allowed,omitempty"`
	Defaults Grants `json:"defaults,omitempty"`
}

// DefaultFPS and MaxFPSLimit bound the frame rate an installation may set:
// 30 frames a second keep typing and scrolling fluid; 60 doubles the
// agent's work for smoother video and dragging.
const (
	DefaultFPS  = 30
	MaxFPSLimit = 60
)

// Consent carries the grants the customer chose on their machine
// (agent → server). Refusing is not a consent: the agent ends the session
// with EndCustomerDenied.
type Consent struct {
	Grants Grants `json:"grants"`
	// Window is the title of the one application window the customer
	// shares, empty when they share the whole screen; Hidden counts the
	// windows they blacked out. Both are for the record: the agent
	// enforces them, the server only logs what it is told.
	Window string `json:"window,omitempty"`
	Hidden int    `json:"hidden,omitempty"`
}

// Roles of the two ends of a session, as Peer names them.
const (
	RoleAgent  = "agent"
	RoleViewer = "viewer"
)

// Peer says whether the other end of the session is connected.
type Peer struct {
	Role    string `json:"role"` // RoleViewer or RoleAgent
	Present bool   `json:"present"`
	// Grants is what the customer allowed, sent to the viewer.
	Grants Grants `json:"grants,omitempty"`
}

// SDP carries an offer or answer.
type SDP struct {
	SDP string `json:"sdp"`
	// MAC authenticates the DTLS fingerprints in SDP with the sender's key
	// from the key exchange (SessionKeys.SignSDP); the other end refuses an
	// SDP whose MAC does not match.
	MAC []byte `json:"mac,omitempty"`
}

// KeyStep is one step of the end-to-end key exchange between agent and viewer
// (see Handshake): the agent's commitment {commit}, the viewer's reply
// {commit, public}, the agent's reveal {public}. Keys are X25519 public
// keys; []byte travels as base64 in JSON.
type KeyStep struct {
	Commit []byte `json:"commit,omitempty"`
	Public []byte `json:"public,omitempty"`
}

// Candidate carries one trickled ICE candidate (RTCIceCandidateInit).
type Candidate struct {
	Candidate     string  `json:"candidate"`
	SDPMid        *string `json:"sdpMid,omitempty"`
	SDPMLineIndex *uint16 `json:"sdpMLineIndex,omitempty"`
}

// Path announces the transport for session messages.
type Path struct {
	Path string `json:"path"` // PathP2P, PathTURN or PathRelay
}

// Paths session messages take, as Path announces them.
const (
	// PathP2P: WebRTC data channels straight between agent and viewer.
	PathP2P = "p2p"
	// PathTURN: the same data channels, through a TURN server (the
	// selected ICE candidate pair has a relay candidate on either end).
	// The TURN server sees only DTLS-encrypted packets.
	PathTURN = "turn"
	// PathRelay: binary websocket messages through the Tether server.
	PathRelay = "relay"
)

// ValidPath reports whether p is one of the paths.
func ValidPath(p string) bool { return p == PathP2P || p == PathTURN || p == PathRelay }

// Stats reports byte counters since the last Stats.
type Stats struct {
	ToViewer int64 `json:"to_viewer"`
	ToAgent  int64 `json:"to_agent"`
	// Input and Frames count the engineer's input events the agent carried
	// out and the frames with a changed screen it sent, since the last
	// Stats: the activity the idle timeout watches (trust.go).
	Input  int64 `json:"input,omitempty"`
	Frames int64 `json:"frames,omitempty"`
}

// Reasons a session ends. They are part of the contract: the store records
// them, pages and the agent show them.
const (
	// Given by the agent in End.
	EndCustomerClosed  = "customer closed the support program"
	EndCustomerStopped = "stopped by the customer"
	EndCustomerDenied  = "customer denied"
	EndCannotCapture   = "the support program cannot capture this screen"
	// Decided by the server.
	EndAgentLost   = "support program disconnected"
	EndExpired     = "expired"
	EndInterrupted = "interrupted"
	// EndProviderDisabled: the server's operator disabled the provider.
	EndProviderDisabled = "the support provider's account was closed"
	// EndTimeLimit and EndIdle (trust.go) are decided by the server too.
)

// EndedBy is the reason when an engineer ends the session.
func EndedBy(engineer string) string { return "ended by " + engineer }

// AgentEndReason returns r when it is one of the reasons an agent may give,
// and EndCustomerClosed otherwise, so a peer cannot write free text into the
// session record.
func AgentEndReason(r string) string {
	switch r {
	case EndCustomerDenied, EndCannotCapture, EndCustomerStopped:
		return r
	}
	return EndCustomerClosed
}

// How the customer reached the session.
const (
	SourceLink = "link"
	SourceCode = "code"
	// SourceWidget: the customer typed the code into the widget on the provider's own website.
	SourceWidget = "widget"
)

// ValidSource reports whether s is one of the sources above.
func ValidSource(s string) bool { return s == SourceLink || s == SourceCode || s == SourceWidget }

// Where a session was opened from.
const (
	// OriginConsole: an engineer opened it in the console.
	OriginConsole = "console"
	// OriginPortal: the customer asked for help with the "Get help" form on the provider's portal; it
	// waits in a desk's queue until an engineer accepts it.
	OriginPortal = "portal"
	// OriginWidget: the same request, from the widget on the provider's own website.
	OriginWidget = "widget"
	// OriginAPI: an integration opened it with an API token.
	OriginAPI = "api"
)

// SessionState is where a support session is in its life:
//
//	waiting --agent joins--> joined --customer consents--> active
//	   \                       \                             \
//	    +-----------------------+-----------------------------+--> ended
type SessionState string

// Session states.
const (
	SessionWaiting SessionState = "waiting"
	SessionJoined  SessionState = "joined"
	SessionActive  SessionState = "active"
	SessionEnded   SessionState = "ended"
)

// End ends the session, or tells that it ended.
type End struct {
	Reason string `json:"reason"`
}

// State is a session's state as pages and the console show it.
type State struct {
	SessionID string       `json:"session_id"`
	State     SessionState `json:"state"`
	Grants    Grants       `json:"grants,omitempty"`
	Reason    string       `json:"reason,omitempty"`
	Viewer    bool         `json:"viewer"`
	Agent     bool         `json:"agent"`
	// ICEServers and ICEPolicy go only in the first state a viewer gets:
	// the STUN and TURN servers (with credentials minted for this session)
	// and the policy for its peer connection. Pages and consoles never get
	// them.
	ICEServers []ICEServer `json:"ice_servers,omitempty"`
	ICEPolicy  string      `json:"ice_policy,omitempty"`
	// FileMaxBytes goes with them: the provider's limit on one file, which
	// the viewer checks before it offers one.
	FileMaxBytes int64 `json:"file_max_bytes,omitempty"`
	// Paused: the customer paused the session (trust.go).
	Paused bool `json:"paused,omitempty"`
	// Warning: the session ends soon (a time limit or idleness), while it
	// is inside its warning period; the agent receives it too.
	Warning *Warning `json:"warning,omitempty"`
	// AgentLost: the agent's connection dropped and the session waits for
	// it to come back (both sides show "reconnecting").
	AgentLost bool `json:"agent_lost,omitempty"`
}

// CloseSignedOut is the websocket close code (RFC 6455 §7.4.2, private
// range) the server closes an engineer's viewer or console with when their
// sign-in ended; they should sign in again rather than reconnect.
const CloseSignedOut = 4401

// Error is a fatal signaling error.
type Error struct {
	Message string `json:"message"`
}

// NewEnvelope encodes payload into an envelope of type t.
func NewEnvelope(t string, payload any) (Envelope, error) {
	if payload == nil {
		return Envelope{Type: t}, nil
	}
	p, err := json.Marshal(payload)
	if err != nil {
		return Envelope{}, fmt.Errorf("protocol: encode %s: %w", t, err)
	}
	return Envelope{Type: t, Payload: p}, nil
}

// EncodeSignal marshals a {type, payload} envelope.
func EncodeSignal(t string, payload any) ([]byte, error) {
	e, err := NewEnvelope(t, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(e)
}

// DecodeSignal parses an envelope, bounded by MaxSignalSize.
func DecodeSignal(b []byte) (Envelope, error) {
	var e Envelope
	if len(b) > MaxSignalSize {
		return e, ErrTooLarge
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("%w: envelope: %v", ErrInvalid, err)
	}
	if e.Type == "" {
		return e, fmt.Errorf("%w: envelope without type", ErrInvalid)
	}
	return e, nil
}

// Decode unmarshals the payload into v. Unknown fields are ignored so a
// newer peer may add fields; a payload of the wrong shape is an error.
func (e Envelope) Decode(v any) error {
	if len(e.Payload) == 0 {
		return fmt.Errorf("%w: %s without payload", ErrInvalid, e.Type)
	}
	if err := json.Unmarshal(e.Payload, v); err != nil {
		return fmt.Errorf("%w: %s payload: %v", ErrInvalid, e.Type, err)
	}
	return nil
}
