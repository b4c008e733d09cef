package web

import (
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"tether/server/store"
)

// Rates of the attempts a client may make. Each is a burst followed by a
// steady rate; see store.Allow.
var (
	// Codes: 29^6 ≈ 595 million codes, a few hundred live at a time. One
	// address may try 10 at once and then one every 6 s; an IPv6 /64 (one
	// household or office, however many addresses it uses) 30 and then one
	// every 2 s; the whole server 60 and then 2 a second, so that even a
	// botnet of many addresses finds a live code about once a week at
	// 1,000 live codes, while a busy help desk's customers never notice.
	rateCodeAddr = store.Rate{Every: 6 * time.Second, Burst: 10}
	rateCodeNet  = store.Rate{Every: 2 * time.Second, Burst: 30}
	rateCodeAll  = store.Rate{Every: 500 * time.Millisecond, Burst: 60}
	// Sign-in attempts per address; per account see signInLock.
	rateSignInAddr = store.Rate{Every: 6 * time.Second, Burst: 10}
)

// spend takes one attempt of what from each budget in turn. The first
// budget found spent refuses the attempt: it is logged (with the client's
// address, never what was typed), Retry-After is set, and the budget is
// returned for the caller to answer with a 429 in its own words. nil: the
// attempt is allowed.
func (s *Server) spend(c echo.Context, what string, budgets ...budget) (*budget, error) {
	for i, b := range budgets {
		ok, retry, err := s.Store.Allow(c.Request().Context(), b.key, b.rate)
		if err != nil {
			return nil, err
		}
		if !ok {
			s.Log.Warn(what+" refused", "addr", c.RealIP(), "limit", b.key, "retry_in", retry.Round(time.Second))
			s.Metrics.Refused(what)
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds())+1))
			return &budgets[i], nil
		}
	}
	return nil, nil
}

// clientKey is the address a client is counted under: an IPv4 address as
// is, an IPv6 address by its /64, which one household or office holds whole
// (so it cannot dodge a limit by changing addresses).
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// codeAll is the one budget of code attempts the whole server shares.
const codeAll = "code:all"

// budget is one rate-limited key.
type budget struct {
	key  string
	rate store.Rate
}

// codeBudgets are the budgets one code attempt takes from: the address, its
// /64 for IPv6, and the whole server.
func codeBudgets(ip string) []budget {
	b := []budget{{"code:addr:" + ip, rateCodeAddr}}
	if a, err := netip.ParseAddr(ip); err == nil && !a.Unmap().Is4() {
		b = append(b, budget{"code:net:" + clientKey(ip), rateCodeNet})
	}
	return append(b, budget{codeAll, rateCodeAll})
}

// ipExtractor finds the client's address: the connection's own, or, for a
// request from one of the trusted proxies, the last address in
// X-Forwarded-For that is not a trusted proxy. A client elsewhere cannot
// choose its address by sending the header itself.
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		opts = append(opts, echo.TrustIPRange(&net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// connCounter counts the open websockets per client address (an IPv6 /64)
// on this instance, against Deps.MaxSocketsPerAddr: generous for a help desk
// behind one NAT, far below what would exhaust the server's file
// descriptors. It protects this process's own resources, so it is counted
// per instance.
type connCounter struct {
	max  int
	mu   sync.Mutex
	open map[string]int
}

func newConnCounter(max int) *connCounter { return &connCounter{max: max, open: map[string]int{}} }

// take counts one more connection for addr unless it has max already;
// release gives it back.
func (c *connCounter) take(addr string) (release func(), ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[addr] >= c.max {
		return nil, false
	}
	c.open[addr]++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.open[addr]--; c.open[addr] <= 0 {
				delete(c.open, addr)
			}
		})
	}, true
}
