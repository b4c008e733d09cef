package web

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/store"
)

// sitePrefix is the path form of a provider's address, /p/{subdomain}/…, which works on any host:
// on localhost, in tests, and where no wildcard DNS exists.
const sitePrefix = "/p/:site"

// portal registers a page of a provider's portal (what its customers and agents reach) at path on the
// server's own address and on every provider's address: {subdomain}.{base host}/path, and
// /p/{subdomain}/path. The handler learns which with siteOf.
func portal(e *echo.Echo, method, path string, h echo.HandlerFunc) {
	e.Add(method, path, h)
	if path == "/" {
		e.Add(method, sitePrefix, h)
		e.Add(method, sitePrefix+"/", h)
		return
	}
	e.Add(method, sitePrefix+path, h)
}

// site is the address a public request came to.
type site struct {
	// Provider is whose address it is; zero on the server's own address.
	Provider store.Provider
	// Prefix goes before every link a page on this address makes: "/p/acme" on the path form, "" on
	// a subdomain or the server's own address.
	Prefix string
}

// Own reports whether the request came to a provider's address.
func (st site) Own() bool { return st.Provider.ID != "" }

// errNoPortal answers an address no provider has or had.
var errNoPortal = notFound("There is no support portal at this address. Check the address with your support provider.")

// siteOf resolves the provider whose address the request came to: the /p/{subdomain} prefix, or with
// Subdomains on, the Host header's {subdomain}.{base host}. A disabled provider's address says so.
func (s *Server) siteOf(c echo.Context) (site, error) {
	slug, prefix := c.Param("site"), ""
	if slug != "" {
		prefix = "/p/" + strings.ToLower(slug)
	} else if s.Config.Subdomains {
		host := strings.ToLower(c.Request().Host)
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		base := s.Config.BaseHost()
		// www.{base host} and other reserved names are the server's own address.
		if sub, ok := strings.CutSuffix(host, "."+base); ok && base != "" && store.ValidSubdomain(sub) == nil {
			slug = sub
		}
	}
	if slug == "" {
		return site{}, nil
	}
	if len(slug) > store.MaxSubdomain {
		return site{}, errNoPortal
	}
	p, err := s.Store.ProviderBySlug(c.Request().Context(), slug)
	if errors.Is(err, store.ErrNotFound) {
		return site{}, s.formerAddress(c, slug, prefix)
	}
	if err != nil {
		return site{}, err
	}
	if p.Disabled() {
		return site{}, errPortalClosed(p)
	}
	return site{Provider: p, Prefix: prefix}, nil
}

// errPortalClosed answers every customer page of a provider the operator disabled.
func errPortalClosed(p store.Provider) error {
	return sayError(http.StatusForbidden, "customer_portal_closed_heading", "customer_portal_closed", map[string]any{"Provider": p.Name})
}

// providerURL is the provider's own address, for links Tether hands out (invitations, the agent's
// settings, mail).
func (s *Server) providerURL(p store.Provider) string {
	return s.Config.ProviderURL(p.Slug)
}

// owns reports whether something of providerID may be shown on this address: anything on the server's
// own address, only the provider's own on a provider's address (others answer as unknown ones do).
func (st site) owns(providerID string) bool {
	return !st.Own() || st.Provider.ID == providerID
}

// movedError sends the browser on to where a renamed provider's page now is.
type movedError struct{ to string }

func (e *movedError) Error() string { return "moved to " + e.to }

// formerAddress answers a request to a subdomain a provider had before renaming: a redirect to the same
// page on its current address, so that invitation links, the code page and the widget sent before the
// rename keep working. It is temporary (307, the method kept), because another provider may take the
// name later. An address nobody ever had is errNoPortal.
func (s *Server) formerAddress(c echo.Context, slug, prefix string) error {
	p, err := s.Store.ProviderByFormerSlug(c.Request().Context(), slug)
	if errors.Is(err, store.ErrNotFound) {
		return errNoPortal
	}
	if err != nil {
		return err
	}
	rest := c.Request().URL.Path
	if prefix != "" {
		rest = rest[min(len(prefix), len(rest)):]
	}
	to := s.providerURL(p) + rest
	if q := c.Request().URL.RawQuery; q != "" {
		to += "?" + q
	}
	return &movedError{to: to}
}
