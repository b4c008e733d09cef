// Command server is the Tether server: web pages, signaling hub, relay and
// store in one process. Configuration: flags or TETHER_* variables (-h).
package main

import (
	// Engineers choose their time zone; the zone database travels in the binary so that every zone works
	// on a machine without tzdata.
	_ "time/tzdata"

	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"tether/server/auth"
	"tether/server/blob"
	"tether/server/config"
	"tether/server/hub"
	"tether/server/live"
	"tether/server/mail"
	"tether/server/metrics"
	"tether/server/recording"
	"tether/server/store"
	"tether/server/turn"
	"tether/server/turn/restcred"
	"tether/server/web"
	"tether/server/webhook"
	"tether/static"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) >= 2 && args[0] == "user" && args[1] == "disable" {
		return disableUser(args[2:], getenv, stdout, stderr)
	}
	if len(args) >= 1 && args[0] == "bus" {
		return runBus(args[1:], getenv, stdout, stderr)
	}
	cfg, err := config.Parse(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "tether: configuration error:\n%v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, getenv, log, stdout); err != nil {
		log.Error("server stopped", "err", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, cfg config.Config, getenv func(string) string, log *slog.Logger, stdout io.Writer) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	secret, err := loadSecret(cfg.DataDir, getenv("TETHER_SECRET"))
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.Database, time.Now)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	instance := cfg.Instance
	if instance == "" {
		if instance, err = loadInstance(cfg.DataDir); err != nil {
			return err
		}
	}
	ice := &restcred.Issuer{STUN: cfg.STUN, TURN: cfg.TURNURLs, Secret: []byte(cfg.TURNSecret)}
	if cfg.TURN {
		ts, err := startTURN(cfg, turnSecret(secret), log)
		if err != nil {
			return err
		}
		defer func() {
			if err := ts.Close(); err != nil {
				log.Error("turn", "err", err)
			}
		}()
		ice.TURN, ice.Secret = ts.URLs(), turnSecret(secret)
	}
	var h hub.Hub = hub.NewLocal()
	var busStats func() hub.BusStats
	if cfg.Bus != "" {
		b, err := hub.NewBus(hub.BusOptions{URL: cfg.Bus, Secret: secret, Instance: instance, Log: log})
		if err != nil {
			return err
		}
		defer b.Close()
		go b.Measure(ctx, 5*time.Second)
		h, busStats = b, b.Stats
	}
	lv := live.New(st, h, live.Config{
		Instance: instance, P2P: cfg.P2P, ICETimeout: cfg.ICETimeout, ICE: ice, ICEPolicy: cfg.ICEPolicy, MaxFPS: cfg.MaxFPS,
		RejoinGrace: cfg.RejoinGrace, Minute: cfg.PolicyMinute,
	}, log)
	if err := lv.Start(ctx); err != nil {
		return err
	}
	// The sweep outlives ctx by the drain, so the heartbeat keeps beating
	// while connections move away.
	sweepCtx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSweep()
	go lv.Sweep(sweepCtx, time.Second)
	go purge(ctx, st, log)
	mx := metrics.New(metrics.Sources{Sessions: st.CountByState, Hub: h, Relay: lv.RelayBytes, Bus: busStats, Log: log, Name: instance})

	build, err := buildFS(cfg.BuildDir)
	if err != nil {
		return err
	}
	setupToken := ""
	configured, err := st.HasProvider(ctx)
	if err != nil {
		return err
	}
	if !configured {
		setupToken = auth.NewToken()
	}
	files, _ := fs.Sub(static.Files, ".")
	blobs, err := blob.NewDir(filepath.Join(cfg.DataDir, "blobs"))
	if err != nil {
		return err
	}
	recordings := recording.New(st, blobs, log)
	// Every instance sweeps; the store makes each deletion happen once.
	go recordings.Sweep(sweepCtx, time.Minute)
	var mailer mail.Sender
	if cfg.SMTP != "" {
		if mailer, err = mail.NewSMTP(cfg.SMTP, cfg.MailFrom); err != nil {
			return err
		}
	}
	srv, err := web.New(web.Deps{
		Config: cfg, Store: st, Live: lv, Log: log, Now: time.Now,
		Static: files, Build: build, Secret: secret, AgentKey: agentKey(secret), SetupToken: setupToken,
		Metrics: mx, MetricsToken: getenv("TETHER_METRICS_TOKEN"), Blobs: blobs, Recordings: recordings,
		Mail: mailer,
	})
	if err != nil {
		return err
	}
	// Every instance sweeps for session state changes and sends the webhooks'
	// outbox; the store lets one instance claim each change and each attempt.
	hooks := webhook.New(st, srv.WebhookPayload, webhook.Options{AllowPrivate: cfg.WebhookAllowPrivate}, log)
	go hooks.Sweep(sweepCtx, 2*time.Second)
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" {
			errc <- hs.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	db := "SQLite in " + cfg.DataDir
	if !cfg.UsesSQLite() {
		db = "PostgreSQL"
	}
	log.Info("tether listening", "addr", ln.Addr().String(), "url", cfg.BaseURL, "database", db, "instance", instance)
	fmt.Fprintf(stdout, "\nTether is running at %s\n", cfg.BaseURL)
	if setupToken != "" {
		fmt.Fprintf(stdout, "First start: create your company and owner account at this one-time link:\n\n    %s/setup?token=%s\n\n", cfg.BaseURL, setupToken)
	} else {
		fmt.Fprintf(stdout, "Engineers sign in at %s/login; customers type their code at %s/\n\n", cfg.BaseURL, cfg.BaseURL)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Hand over: refuse new requests (the load balancer retries them on
	// another instance), ask every open connection to reconnect, and record
	// the stop so that other instances give the agents still held here the
	// rejoin grace at once. Sessions do not end.
	log.Info("shutting down: handing connections over", "grace", cfg.ShutdownGrace)
	dctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	srv.Drain(dctx)
	stopSweep()
	sctx, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	_ = hs.Shutdown(sctx)
	if err := lv.Stop(sctx); err != nil {
		log.Error("record stop", "err", err)
	}
	return nil
}

// purge deletes expired sign-ins, recovered rate limits and long-dead one-time account links once an hour;
// they already stop mattering at expiry, this only keeps the tables small.
func purge(ctx context.Context, st *store.Store, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := st.PurgeExpiredLogins(ctx); err != nil && ctx.Err() == nil {
			log.Error("purge expired sign-ins", "err", err)
		} else if n > 0 {
			log.Info("purged expired sign-ins", "count", n)
		}
		if _, err := st.PurgeRateLimits(ctx); err != nil && ctx.Err() == nil {
			log.Error("purge rate limits", "err", err)
		}
		if _, err := st.PurgeAccountTokens(ctx); err != nil && ctx.Err() == nil {
			log.Error("purge one-time account links", "err", err)
		}
		if _, err := st.PurgeExpiredSignups(ctx); err != nil && ctx.Err() == nil {
			log.Error("purge expired sign-ups", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// loadSecret returns the key invitation tokens are derived with: from
// TETHER_SECRET (hex, shared by every instance of a cluster) or from
// secret.key in the data folder, made on first start.
func loadSecret(dataDir, fromEnv string) ([]byte, error) {
	if fromEnv != "" {
		b, err := hex.DecodeString(strings.TrimSpace(fromEnv))
		if err != nil || len(b) < 32 {
			return nil, errors.New("TETHER_SECRET must be at least 64 hex characters")
		}
		return b, nil
	}
	p := filepath.Join(dataDir, "secret.key")
	if b, err := os.ReadFile(p); err == nil {
		k, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) < 32 {
			return nil, fmt.Errorf("%s is damaged: it must hold at least 64 hex characters", p)
		}
		return k, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := os.WriteFile(p, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write secret: %w", err)
	}
	return k, nil
}

// agentKey derives the key that signs agent downloads from the server
// secret, so that every instance sharing TETHER_SECRET signs alike and no
// second secret needs keeping. Its public half goes into every download's
// key slot (see protocol.KeySlotMagic).
func agentKey(secret []byte) ed25519.PrivateKey {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("tether agent signing key v1"))
	return ed25519.NewKeyFromSeed(m.Sum(nil))
}

// turnSecret derives the key TURN credentials are made with from the
// server secret, so that every instance sharing TETHER_SECRET accepts the
// credentials any of them minted (restcred).
func turnSecret(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("tether turn rest secret v1"))
	return m.Sum(nil)
}

// startTURN starts the embedded TURN server, relayed at the configured
// address or, for a base URL naming a host, at this machine's first
// global address.
func startTURN(cfg config.Config, secret []byte, log *slog.Logger) (*turn.Server, error) {
	relay := cfg.TURNRelayIP
	if !relay.IsValid() {
		a, err := turn.MachineAddr()
		if err != nil {
			return nil, err
		}
		relay = a
		log.Warn("turn: no -turn-relay-ip: relaying at this machine's first address; set the public one if peers reach this server through NAT", "relay_ip", relay.String())
	}
	realm := cfg.BaseURL
	if u, err := url.Parse(cfg.BaseURL); err == nil {
		realm = u.Hostname()
	}
	ts, err := turn.Start(turn.Config{
		Listen: cfg.TURNListen, RelayIP: relay, RelayPortMin: cfg.TURNRelayPortMin, RelayPortMax: cfg.TURNRelayPortMax,
		Realm: realm, Secret: secret, Log: log,
	})
	if err != nil {
		return nil, err
	}
	log.Info("turn listening", "udp_tcp_port", ts.Port(), "relay_ip", relay.String(),
		"relay_ports", fmt.Sprintf("%d-%d", cfg.TURNRelayPortMin, cfg.TURNRelayPortMax))
	return ts, nil
}

// loadInstance returns this instance's name, kept in instance.id in the
// data folder (made on first start), so that a restart recognises the
// sessions it held.
func loadInstance(dataDir string) (string, error) {
	p := filepath.Join(dataDir, "instance.id")
	if b, err := os.ReadFile(p); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return id, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read instance id: %w", err)
	}
	id := store.NewID()[:12]
	if err := os.WriteFile(p, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write instance id: %w", err)
	}
	return id, nil
}

// buildFS is where viewer.wasm and agents/ come from: the embedded build,
// or a folder during development.
func buildFS(dir string) (fs.FS, error) {
	if dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("build-dir: %w", err)
		}
		return os.DirFS(dir), nil
	}
	return fs.Sub(static.Build, "build")
}
