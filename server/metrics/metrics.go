// Package metrics exposes Tether's Prometheus metrics (/metrics). Gauges
// are read from their owners when scraped (the store, the hub, the bus),
// so nothing here keeps a second copy of live state; counters of events
// that happen in the web layer are incremented where they happen.
//
// Each instance reports its own connections, relay bytes and refusals;
// sessions by state come from the shared database, so every instance
// reports the same numbers (aggregate them with max, not sum).
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"tether/server/hub"
)

// Sources are where scraped values come from.
type Sources struct {
	// Sessions counts sessions by state in the database.
	Sessions func(ctx context.Context) (map[string]int, error)
	// Hub counts this instance's connections by role.
	Hub hub.Hub
	// Relay returns the bytes this instance relayed to viewers and to agents.
	Relay func() (toViewer, toAgent int64)
	// Bus is nil for a single instance.
	Bus  func() hub.BusStats
	Log  *slog.Logger
	Name string // instance name, as a constant label
}

// Metrics holds the registry and the counters the web layer increments.
type Metrics struct {
	reg     *prometheus.Registry
	refused *prometheus.CounterVec
}

// New builds the registry.
func New(src Sources) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{reg: reg, refused: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tether_rate_limit_refusals_total", Help: "Attempts refused by a rate limit or a connection cap, by limit.",
		ConstLabels: prometheus.Labels{"instance_name": src.Name},
	}, []string{"limit"})}
	reg.MustRegister(m.refused, &collector{src: src})
	return m
}

// Refused counts one attempt refused by limit (e.g. "code", "sign-in",
// "websocket", "sockets"). Safe on a nil Metrics.
func (m *Metrics) Refused(limit string) {
	if m != nil {
		m.refused.WithLabelValues(limit).Inc()
	}
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

var (
	descSessions = prometheus.NewDesc("tether_sessions", "Sessions by state (from the shared database).", []string{"state"}, nil)
	descConns    = prometheus.NewDesc("tether_connections", "Connections to this instance by role.", []string{"role"}, nil)
	descRelay    = prometheus.NewDesc("tether_relay_bytes_total", "Session bytes this instance relayed, by direction.", []string{"direction"}, nil)
	descBusRTT   = prometheus.NewDesc("tether_bus_round_trip_seconds", "Last measured round trip to the message bus.", nil, nil)
	descBusUp    = prometheus.NewDesc("tether_bus_connected", "1 while the message bus is connected.", nil, nil)
	descForged   = prometheus.NewDesc("tether_bus_refused_frames_total", "Bus frames refused for a wrong signature.", nil, nil)
	descBusMsgs  = prometheus.NewDesc("tether_bus_frames_total", "Frames this instance published or took from the bus.", []string{"direction"}, nil)
)

// collector reads the gauges from their owners at scrape time.
type collector struct{ src Sources }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSessions, descConns, descRelay, descBusRTT, descBusUp, descForged, descBusMsgs} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if n, err := c.src.Sessions(ctx); err == nil {
		for state, v := range n {
			ch <- prometheus.MustNewConstMetric(descSessions, prometheus.GaugeValue, float64(v), state)
		}
	} else if c.src.Log != nil {
		c.src.Log.Error("metrics: count sessions", "err", err)
	}
	counts := c.src.Hub.Counts()
	for _, r := range []hub.Role{hub.RoleAgent, hub.RoleViewer, hub.RolePage, hub.RoleConsole} {
		ch <- prometheus.MustNewConstMetric(descConns, prometheus.GaugeValue, float64(counts[r]), string(r))
	}
	tv, ta := c.src.Relay()
	ch <- prometheus.MustNewConstMetric(descRelay, prometheus.CounterValue, float64(tv), "to_viewer")
	ch <- prometheus.MustNewConstMetric(descRelay, prometheus.CounterValue, float64(ta), "to_agent")
	if c.src.Bus != nil {
		st := c.src.Bus()
		up := 0.0
		if c.src.Hub.Ready() == nil {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descBusUp, prometheus.GaugeValue, up)
		ch <- prometheus.MustNewConstMetric(descBusRTT, prometheus.GaugeValue, st.RTT.Seconds())
		ch <- prometheus.MustNewConstMetric(descForged, prometheus.CounterValue, float64(st.Forged))
		ch <- prometheus.MustNewConstMetric(descBusMsgs, prometheus.CounterValue, float64(st.Sent), "sent")
		ch <- prometheus.MustNewConstMetric(descBusMsgs, prometheus.CounterValue, float64(st.Received), "received")
	}
}
