package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"

	"tether/templates"
)

// The console as an installable web app: its manifest, a service worker
// that keeps the shell, and the page that worker shows offline
// (docs/architecture.md "The installed console").

// shellAssets are the static files the service worker keeps: what the
// offline page and every page's frame need.
var shellAssets = []string{
	"css/app.css", "js/live.js", "js/menu.js", "js/app-install.js", "js/offline.js",
	"img/icon.svg", "img/app/icon-192.png", "img/app/icon-512.png", "img/app/maskable-512.png",
	"img/app/apple-touch-icon.png",
}

// offlinePath is the page the service worker shows when a page cannot load.
const offlinePath = "/offline"

// swCachePrefix starts the name of every cache the service worker makes;
// it deletes those of older versions.
const swCachePrefix = "tether-shell-"

// webManifestIcon is one icon of the manifest
// (https://www.w3.org/TR/appmanifest/#icons-member).
type webManifestIcon struct {
	Src     string `json:"src"`
	Sizes   string `json:"sizes"`
	Type    string `json:"type"`
	Purpose string `json:"purpose,omitempty"`
}

type webManifest struct {
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	ShortName       string            `json:"short_name"`
	Description     string            `json:"description"`
	Lang            string            `json:"lang"`
	StartURL        string            `json:"start_url"`
	Scope           string            `json:"scope"`
	Display         string            `json:"display"`
	BackgroundColor string            `json:"background_color"`
	ThemeColor      string            `json:"theme_color"`
	Icons           []webManifestIcon `json:"icons"`
}

// manifest serves the console's web app manifest. Browsers fetch it
// without cookies, so it names Tether, not a provider.
func (s *Server) manifest(c echo.Context) error {
	loc := s.localizer(c, "", "")
	m := webManifest{
		ID: "/console", Name: "Tether", ShortName: "Tether", Description: loc.T("mobile_app_description"),
		Lang: loc.Lang(), StartURL: "/console", Scope: "/", Display: "standalone",
		BackgroundColor: "#f5f7fa", ThemeColor: "#2457d6",
		Icons: []webManifestIcon{
			{Src: s.assets.url("img/app/icon-192.png"), Sizes: "192x192", Type: "image/png", Purpose: "any"},
			{Src: s.assets.url("img/app/icon-512.png"), Sizes: "512x512", Type: "image/png", Purpose: "any"},
			{Src: s.assets.url("img/app/maskable-192.png"), Sizes: "192x192", Type: "image/png", Purpose: "maskable"},
			{Src: s.assets.url("img/app/maskable-512.png"), Sizes: "512x512", Type: "image/png", Purpose: "maskable"},
		},
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "application/manifest+json", b)
}

// serviceWorker serves static/js/sw.js at the root, so that its scope is
// the whole console (a worker's scope is at most its script's folder;
// at the root no Service-Worker-Allowed header is needed). The lines in
// front of it name the cache after the shell's checksums: a new release
// installs a new worker, which deletes the old cache.
func (s *Server) serviceWorker(c echo.Context) error {
	code, err := fs.ReadFile(s.Static, "js/sw.js")
	if err != nil {
		return fmt.Errorf("read the service worker: %w", err)
	}
	shell := make([]string, len(shellAssets))
	h := sha256.New()
	for i, p := range shellAssets {
		shell[i] = s.assets.url(p)
		h.Write([]byte(shell[i] + "\n"))
	}
	h.Write(code)
	cache := swCachePrefix + hex.EncodeToString(h.Sum(nil)[:6])
	list, err := json.Marshal(shell)
	if err != nil {
		return err
	}
	head := fmt.Sprintf("var CACHE = %q;\nvar PREFIX = %q;\nvar SHELL = %s;\nvar OFFLINE = %q;\n", cache, swCachePrefix, list, offlinePath)
	// Browsers check for a new worker on every visit; no-cache makes the
	// check reach the server.
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", append([]byte(head), code...))
}

// offlinePage is the page the service worker keeps for when the network is
// gone. It holds nothing of anyone's account.
func (s *Server) offlinePage(c echo.Context) error {
	p := s.page(c, "", defaultBrand)
	p.Title = p.Say("mobile_offline_heading")
	return s.render(c, http.StatusOK, templates.OfflineView(p))
}
