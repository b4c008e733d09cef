package web

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"tether/server/protocol"
	"tether/server/store"
)

// apiSession is a support session as the API and the webhook show it (openapi.yaml, Session).
type apiSession struct {
	ID           string       `json:"id"`
	State        store.State  `json:"state"`
	CustomerName string       `json:"customer_name"`
	Note         string       `json:"note"`
	Origin       string       `json:"origin"`
	DeskID       string       `json:"desk_id"`
	Engineer     *apiEngineer `json:"engineer"`
	Link         string       `json:"link"`
	Code         string       `json:"code"`
	CodeURL      string       `json:"code_url"`
	ConsoleURL   string       `json:"console_url"`
	Grants       []string     `json:"grants"`
	EndReason    string       `json:"end_reason"`
	CreatedAt    time.Time    `json:"created_at"`
	ExpiresAt    time.Time    `json:"expires_at"`
	AcceptedAt   *time.Time   `json:"accepted_at"`
	JoinedAt     *time.Time   `json:"joined_at"`
	ActiveAt     *time.Time   `json:"active_at"`
	EndedAt      *time.Time   `json:"ended_at"`
}

type apiEngineer struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// apiSessionRequest is the body of POST /api/v1/sessions.
type apiSessionRequest struct {
	CustomerName  string `json:"customer_name"`
	Note          string `json:"note"`
	EngineerEmail string `json:"engineer_email"`
	EngineerID    string `json:"engineer_id"`
	DeskID        string `json:"desk_id"`
}

// maxAPIBody bounds a request body of the API.
const maxAPIBody = 64 << 10

func invalid(message string) error {
	return apiError(http.StatusUnprocessableEntity, "Invalid request", message)
}

// apiSessionCreate opens a session for an engineer (engineer_email or engineer_id, in desk_id or the
// default desk), or a request waiting in desk_id's queue for the first engineer of the desk to accept.
func (s *Server) apiSessionCreate(c echo.Context, ac apiClient) error {
	var req apiSessionRequest
	dec := json.NewDecoder(http.MaxBytesReader(c.Response(), c.Request().Body, maxAPIBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apiError(http.StatusRequestEntityTooLarge, "Too large", fmt.Sprintf("The request body may have at most %d bytes.", maxAPIBody))
		}
		return invalid("The body must be a JSON object with customer_name and engineer_email, engineer_id or desk_id: " + jsonProblem(err) + ".")
	}
	if dec.More() {
		return invalid("The body must be one JSON object.")
	}
	req.CustomerName, req.Note = strings.TrimSpace(req.CustomerName), strings.TrimSpace(req.Note)
	req.EngineerEmail, req.EngineerID, req.DeskID = strings.TrimSpace(req.EngineerEmail), strings.TrimSpace(req.EngineerID), strings.TrimSpace(req.DeskID)
	switch {
	case req.CustomerName == "" || utf8.RuneCountInString(req.CustomerName) > 100:
		return invalid("customer_name is required and has at most 100 characters.")
	case utf8.RuneCountInString(req.Note) > 500:
		return invalid("note has at most 500 characters.")
	case req.EngineerEmail != "" && req.EngineerID != "":
		return invalid("Give engineer_email or engineer_id, not both.")
	case req.EngineerEmail == "" && req.EngineerID == "" && req.DeskID == "":
		return invalid("Name who helps: engineer_email or engineer_id for an engineer, or desk_id for a request waiting in that desk's queue.")
	}
	ctx := c.Request().Context()
	var en store.User
	var err error
	switch {
	case req.EngineerID != "":
		if en, err = s.Store.UserByID(ctx, ac.Provider.ID, req.EngineerID); errors.Is(err, store.ErrNotFound) {
			return notFound("No engineer of " + ac.Provider.Name + " has this engineer_id.")
		}
	case req.EngineerEmail != "":
		if en, err = s.Store.UserByEmail(ctx, ac.Provider.ID, req.EngineerEmail); errors.Is(err, store.ErrNotFound) {
			return invalid("No engineer of " + ac.Provider.Name + " has the email address " + req.EngineerEmail + ".")
		}
	}
	if err != nil {
		return err
	}
	if en.ID != "" && en.Disabled() {
		return invalid(en.Name + "'s account is deactivated; choose another engineer.")
	}
	deskID := req.DeskID
	if deskID != "" {
		// A deleted desk takes no new sessions, and another provider's answers like an unknown one.
		if _, err := s.Store.DeskByID(ctx, ac.Provider.ID, deskID); errors.Is(err, store.ErrNotFound) {
			return notFound("No desk of " + ac.Provider.Name + " has this desk_id.")
		} else if err != nil {
			return err
		}
	} else {
		d, err := s.Store.DefaultDesk(ctx, ac.Provider.ID)
		if err != nil {
			return fmt.Errorf("default desk: %w", err)
		}
		deskID = d.ID
	}
	if err := s.liveReady(); err != nil {
		return err
	}
	sess, err := s.openSession(ctx, store.NewSession{
		ProviderID: ac.Provider.ID, DeskID: deskID, EngineerID: en.ID, Origin: protocol.OriginAPI,
		CustomerName: req.CustomerName, Note: req.Note,
	})
	var qe *store.QuotaError
	switch {
	case errors.As(err, &qe):
		return apiError(http.StatusTooManyRequests, "Over quota", qe.Message())
	case errors.Is(err, store.ErrProviderDisabled):
		return apiError(http.StatusForbidden, "Account closed", ac.Provider.Name+"'s account on this server is disabled.")
	case errors.Is(err, store.ErrNotFound):
		// The engineer was found above, so what is missing is the desk.
		return notFound("No desk of " + ac.Provider.Name + " has this desk_id.")
	case err != nil:
		return fmt.Errorf("create session: %w", err)
	}
	s.Log.Info("session created by the API", "session", sess.ID, "token", ac.Token.ID, "engineer", sess.EngineerID, "desk", sess.DeskID)
	if sess.EngineerID == "" {
		// A request for a desk waits in its queue: the desk's consoles hear of it as of one from the portal.
		s.Live.NewRequest(ctx, sess)
	} else {
		s.Live.Notify(sess)
	}
	out, err := s.apiSessionOf(ctx, ac.Provider, sess, &en)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/sessions/"+sess.ID)
	return c.JSON(http.StatusCreated, out)
}

// jsonProblem says what is wrong with a JSON body without echoing it.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return "the body is empty"
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s must be a %s", te.Field, te.Type.Kind())
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "malformed JSON"
}

func (s *Server) apiSessionGet(c echo.Context, ac apiClient) error {
	ctx := c.Request().Context()
	sess, err := s.Store.SessionByID(ctx, ac.Provider.ID, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		return notFound("No session of " + ac.Provider.Name + " has this id.")
	}
	if err != nil {
		return err
	}
	out, err := s.apiSessionOf(ctx, ac.Provider, sess, nil)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// apiSessionOf shows a session as the API does; en is its engineer when the caller has it at hand.
func (s *Server) apiSessionOf(ctx context.Context, p store.Provider, sess store.Session, en *store.User) (apiSession, error) {
	base := s.providerURL(p)
	out := apiSession{
		ID: sess.ID, State: sess.State, CustomerName: sess.CustomerName, Note: sess.Note, Origin: sess.Origin, DeskID: sess.DeskID,
		Link: base + "/i/" + s.inviteToken(sess.ID), Code: sess.Code, CodeURL: base + "/code", ConsoleURL: s.consoleLink(sess.ID),
		Grants: sess.Grants.Names(), EndReason: sess.EndReason, CreatedAt: sess.CreatedAt, ExpiresAt: sess.ExpiresAt,
		AcceptedAt: sess.AcceptedAt, JoinedAt: sess.JoinedAt, ActiveAt: sess.ActiveAt, EndedAt: sess.EndedAt,
	}
	if out.Grants == nil {
		out.Grants = []string{}
	}
	if sess.EngineerID != "" {
		if en == nil || en.ID != sess.EngineerID {
			u, err := s.Store.UserByID(ctx, p.ID, sess.EngineerID)
			if err != nil {
				return apiSession{}, fmt.Errorf("session engineer: %w", err)
			}
			en = &u
		}
		out.Engineer = &apiEngineer{ID: en.ID, Name: en.Name, Email: en.Email}
	}
	return out, nil
}

// consoleLink is a session's permanent link for a CRM: {base}/go/{id}.{mac}, the mac derived from the
// id with the server secret. It opens the session's console page for a signed-in engineer who may see
// it; it carries no API token, and one cannot be made up for another session.
func (s *Server) consoleLink(sessionID string) string {
	return s.Config.BaseURL + "/go/" + sessionID + "." + s.derive("tether console v1", sessionID)
}

// consoleLinkSession returns the session id a console link's last path segment names, or "" if its
// mac does not match.
func (s *Server) consoleLinkSession(ref string) string {
	id, mac, ok := strings.Cut(ref, ".")
	if !ok || id == "" || len(id) > 64 {
		return ""
	}
	if !hmac.Equal([]byte(mac), []byte(s.derive("tether console v1", id))) {
		return ""
	}
	return id
}

// WebhookPayload is the body of a webhook event: its id and type, when it was recorded, and the session
// as the API shows it, in the state the event reports (the webhook package calls it).
func (s *Server) WebhookPayload(ctx context.Context, sess store.Session, step store.State, id string) ([]byte, error) {
	p, err := s.Store.ProviderByID(ctx, sess.ProviderID)
	if err != nil {
		return nil, err
	}
	out, err := s.apiSessionOf(ctx, p, sess, nil)
	if err != nil {
		return nil, err
	}
	out.State = step
	return json.Marshal(struct {
		ID        string     `json:"id"`
		Type      string     `json:"type"`
		CreatedAt time.Time  `json:"created_at"`
		Session   apiSession `json:"session"`
	}{ID: id, Type: protocol.WebhookEvent(step), CreatedAt: s.Now().UTC(), Session: out})
}
