package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"tether/server/protocol"
	"tether/server/store"
	"tether/templates"
)

// Requests is what customer-initiated requests need from the database.
type Requests interface {
	WaitingRequests(ctx context.Context, providerID string, deskIDs []string) ([]store.Session, error)
}

// Bounds of the "Get help" form, in characters.
const (
	maxHelpName        = 100
	maxHelpDescription = 500
)

// Rates of "Get help" requests: each opens a session in a desk's queue and rings the engineers' consoles,
// so one address may ask 5 times and then once a minute, its IPv6 /64 10 times, and one provider's portal
// take 60 and then one every 2 s, which no real help desk's customers reach.
var (
	rateHelpAddr     = store.Rate{Every: time.Minute, Burst: 5}
	rateHelpNet      = store.Rate{Every: 30 * time.Second, Burst: 10}
	rateHelpProvider = store.Rate{Every: 2 * time.Second, Burst: 60}
)

// helpBudgets are the budgets one request takes from: the address, its /64 for IPv6, and the provider.
func helpBudgets(ip, providerID string) []budget {
	b := []budget{{"help:addr:" + ip, rateHelpAddr}}
	if strings.Contains(ip, ":") {
		b = append(b, budget{"help:net:" + clientKey(ip), rateHelpNet})
	}
	return append(b, budget{"help:provider:" + providerID, rateHelpProvider})
}

// helpSite resolves the provider whose portal the form is on; the server's own address has no desk to
// ask, so it answers 404.
func (s *Server) helpSite(c echo.Context) (site, error) {
	st, err := s.siteOf(c)
	if err != nil {
		return site{}, err
	}
	if !st.Own() {
		return site{}, sayError(http.StatusNotFound, "customer_error_404_heading", "customer_help_not_here")
	}
	return st, nil
}

// helpForm is the form on a provider's address, with its desks when there are several.
func (s *Server) helpForm(c echo.Context, st site) (templates.Help, []store.Desk, error) {
	p := st.Provider
	desks, err := s.Store.ProviderDesks(c.Request().Context(), p.ID)
	if err != nil {
		return templates.Help{}, nil, err
	}
	v := templates.Help{
		Page: s.customerPage(c, "customer_get_help", brandOf(p), p.DefaultLanguage), Action: st.Prefix + "/help", CodeURL: st.Prefix + "/code",
		MaxName: maxHelpName, MaxDescription: maxHelpDescription, Contact: p.Contact,
	}
	if c.QueryParam("from") == protocol.OriginWidget || c.FormValue("from") == protocol.OriginWidget {
		v.From = protocol.OriginWidget
	}
	if len(desks) > 1 {
		for _, d := range desks {
			v.Desks = append(v.Desks, templates.HelpDesk{ID: d.ID, Name: d.Name})
		}
	}
	if len(desks) > 0 {
		v.DeskID = desks[0].ID
	}
	return v, desks, nil
}

func (s *Server) helpPage(c echo.Context) error {
	st, err := s.helpSite(c)
	if err != nil {
		return err
	}
	v, _, err := s.helpForm(c, st)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.HelpView(v))
}

// helpSubmit opens the customer's request in the chosen desk's queue and leads straight to its
// invitation page (download, run, approve), where the customer waits for an engineer to accept.
func (s *Server) helpSubmit(c echo.Context) error {
	st, err := s.helpSite(c)
	if err != nil {
		return err
	}
	v, desks, err := s.helpForm(c, st)
	if err != nil {
		return err
	}
	v.Name = strings.TrimSpace(c.FormValue("name"))
	v.Description = strings.TrimSpace(c.FormValue("description"))
	if d := c.FormValue("desk"); d != "" {
		v.DeskID = d
	}
	refuse := func(status int, msg string) error {
		v.Error = msg // in the page's language
		return s.render(c, status, templates.HelpView(v))
	}
	switch {
	case v.Name == "":
		return refuse(http.StatusBadRequest, v.Say("customer_help_name_missing"))
	case utf8.RuneCountInString(v.Name) > maxHelpName:
		return refuse(http.StatusBadRequest, v.Say("customer_help_name_long", map[string]any{"Max": maxHelpName}))
	case utf8.RuneCountInString(v.Description) > maxHelpDescription:
		return refuse(http.StatusBadRequest, v.Say("customer_help_description_long", map[string]any{"Max": maxHelpDescription}))
	case !utf8.ValidString(v.Name) || !utf8.ValidString(v.Description):
		return refuse(http.StatusBadRequest, v.Say("customer_help_unreadable"))
	}
	var desk store.Desk
	for _, d := range desks {
		if d.ID == v.DeskID {
			desk = d
		}
	}
	if desk.ID == "" {
		return refuse(http.StatusBadRequest, v.Say("customer_help_choose_desk"))
	}
	spent, err := s.spend(c, "help request", helpBudgets(c.RealIP(), st.Provider.ID)...)
	if err != nil {
		return err
	}
	if spent != nil {
		return refuse(http.StatusTooManyRequests, v.Say("customer_help_too_many"))
	}
	if err := s.liveReady(); err != nil {
		return err
	}
	origin := protocol.OriginPortal
	if v.From == protocol.OriginWidget {
		origin = protocol.OriginWidget
	}
	ctx := c.Request().Context()
	sess, err := s.openSession(ctx, store.NewSession{
		ProviderID: st.Provider.ID, DeskID: desk.ID, Origin: origin, Description: v.Description, CustomerName: v.Name,
	})
	if errors.Is(err, store.ErrOverQuota) {
		s.Log.Warn("help request refused: over quota", "provider", st.Provider.ID, "err", err)
		msg := v.Say("customer_help_full", map[string]any{"Provider": st.Provider.Name})
		if st.Provider.Contact != "" {
			msg = v.Say("customer_help_full_contact", map[string]any{"Provider": st.Provider.Name, "Contact": st.Provider.Contact})
		}
		return refuse(http.StatusServiceUnavailable, msg)
	}
	if err != nil {
		return fmt.Errorf("create request: %w", err)
	}
	s.Log.Info("help requested", "session", sess.ID, "provider", sess.ProviderID, "desk", desk.ID, "origin", origin)
	s.Live.NewRequest(ctx, sess)
	return c.Redirect(http.StatusSeeOther, st.Prefix+"/i/"+s.inviteToken(sess.ID))
}
