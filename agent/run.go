package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"tether/agent/capture"
	"tether/agent/clipboard"
	"tether/agent/consent"
	"tether/agent/desktop"
	"tether/agent/input"
	"tether/agent/link"
	"tether/agent/overlay"
	"tether/agent/selfremove"
	"tether/agent/session"
	"tether/static/locales"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailed   = 1 // the session could not run
	exitSettings = 2 // no or damaged settings: download again
)

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	keep := fs.Bool("keep", os.Getenv("TETHER_AGENT_KEEP") == "1", "do not delete this program when the session ends")
	verbose := fs.Bool("v", os.Getenv("TETHER_AGENT_DEBUG") == "1", "log details to stderr")
	if err := fs.Parse(args[1:]); err != nil {
		return exitSettings
	}
	logger := slog.New(slog.DiscardHandler)
	quietX11(io.Discard)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		quietX11(stderr)
	}

	settings, fromOverride, err := loadSettings()
	if err != nil {
		logger.Error("settings", "err", err)
		fmt.Fprintf(stdout, "%s.\n%s\n", plainSettingsError(err), language(settings).T("customer_agent_download_again"))
		return exitSettings
	}
	// The window and the first lines name the provider.
	loc := language(settings)
	defer setTitle(stdout, windowTitle(settings, loc))()
	printBanner(stdout, settings, loc)
	printVerify(stdout, loc, settings)
	// A developer pointing at a settings file runs a build they want to keep.
	*keep = *keep || fromOverride

	// Ctrl+C, a closed terminal (SIGHUP) and a closed Windows console
	// (delivered as SIGTERM) all mean the customer stops sharing.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()

	cfg := session.Config{
		Settings: settings,
		Lang:     loc,
		Out:      stdout,
		OpenCapturer: func() (session.Capturer, error) {
			c, err := capture.Open()
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		OpenInjector: func() (session.Injector, error) {
			i, err := input.Open()
			if err != nil {
				return nil, err
			}
			return i, nil
		},
		OpenDesktop: desktop.Open,
		OpenOverlay: func() (session.Overlay, error) {
			o, err := overlay.Open()
			if err != nil {
				return nil, err
			}
			return o, nil
		},
		OpenBrowser: consent.OpenBrowser,
		Logger:      logger,
	}
	if v := os.Getenv("TETHER_AGENT_CONSENT_HOLD"); v != "" {
		// For developers and tests: how long consent survives an outage
		// (60 s). It may only be shortened: a longer hold is refused.
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > session.DefaultConsentHold {
			fmt.Fprintf(stderr, "TETHER_AGENT_CONSENT_HOLD %q: want a duration up to %s\n", v, session.DefaultConsentHold)
			return exitSettings
		}
		cfg.ConsentHold = d
	}
	if clipboard.Supported {
		cfg.OpenClipboard = func() (session.Clipboard, error) { return clipboard.Open() }
	}
	if consent.IsTerminal(os.Stdin) {
		cfg.Console = os.Stdin
	}
	res, err := session.Run(ctx, cfg)
	code := exitOK
	var ended *link.EndedError
	switch {
	case err == nil:
		fmt.Fprintln(stdout, loc.T("customer_agent_ended", map[string]any{"Reason": locales.CustomerEndReason(loc.T, res.Reason)}))
	case errors.As(err, &ended):
		fmt.Fprintln(stdout, loc.T("customer_agent_ended", map[string]any{"Reason": locales.CustomerEndReason(loc.T, ended.Reason)}))
	default:
		logger.Error("session", "err", err)
		fmt.Fprintln(stdout, loc.T("customer_agent_failed", map[string]any{"Error": err.Error()}))
		code = exitFailed
	}
	if !*keep {
		if err := selfremove.Executable(); err != nil {
			logger.Warn("remove program", "err", err)
		}
	}
	return code
}
