package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/tc-hib/winres"
	"golang.org/x/image/draw"

	"tether/server/protocol"
	"tether/server/store"
)

// The brand travels to the agent: agentBrand fits the provider's brand into
// the signed settings of each download (logo scaled down to what they
// carry), and brandedWindowsAgent puts the provider's icon into the Windows
// agent when the provider chose it. Both are derived from blobs and the
// generic builds, so they are cached here, bounded, and rebuilt by any
// instance that lacks them.

// Bounds on what is read from the blob store for the agent. The branding
// page enforces smaller limits on upload; these only keep a bad blob from
// costing memory.
const (
	maxBrandBlob     = 4 << 20
	maxBrandLogoSide = 4096
	// brandCacheLogos and brandCacheAgents bound the caches; a patched
	// Windows agent is about as large as the generic one (15 MB).
	brandCacheLogos  = 64
	brandCacheAgents = 3
)

// agentBrandCache keeps fitted logos and patched agents by blob version.
type agentBrandCache struct {
	logoMu sync.Mutex
	logos  map[string][]byte
	// agentMu is held through a patch: two downloads of a new icon make
	// it once, and memory holds one patch in progress.
	agentMu sync.Mutex
	agents  []*patchedAgent // most recently used last
}

// patchedAgent is a generic agent with a provider's icon, ready for its
// key and settings.
type patchedAgent struct {
	id    string // blob version and build file
	exe   []byte
	keyAt int64
}

// blobVersion names one version of a blob: its key, size and time, so a
// blob rewritten under the same key is not served from the cache.
func blobVersion(key string, size int64, mod int64) string {
	return fmt.Sprintf("%s|%d|%d", key, size, mod)
}

// readBrandBlob reads a brand blob whole, at most maxBrandBlob bytes, and
// names its version.
func (s *Server) readBrandBlob(ctx context.Context, key string, cached func(version string) bool) (string, []byte, error) {
	rc, info, err := s.Blobs.Open(ctx, key)
	if err != nil {
		return "", nil, err
	}
	defer rc.Close()
	version := blobVersion(key, info.Size, info.ModTime.UnixNano())
	if cached(version) {
		return version, nil, nil
	}
	if info.Size > maxBrandBlob {
		return "", nil, fmt.Errorf("blob %s of %d bytes (at most %d)", key, info.Size, maxBrandBlob)
	}
	b, err := io.ReadAll(io.LimitReader(rc, maxBrandBlob+1))
	if err != nil {
		return "", nil, err
	}
	if len(b) > maxBrandBlob {
		return "", nil, fmt.Errorf("blob %s over %d bytes", key, maxBrandBlob)
	}
	return version, b, nil
}

// agentBrand is the provider's brand as the agent's settings carry it,
// valid by construction: colours the settings cannot carry and a logo that
// cannot be fitted are left out (and logged), the contact line is cleaned.
// A download never fails for its looks.
func (s *Server) agentBrand(ctx context.Context, p store.Provider) protocol.AgentBrand {
	b := protocol.AgentBrand{Contact: protocol.CleanLine(p.Contact, protocol.MaxAgentContact)}
	if c := strings.ToLower(p.PrimaryColor); protocol.ValidColor(c) {
		b.Primary = c
	}
	if c := strings.ToLower(p.AccentColor); protocol.ValidColor(c) {
		b.Accent = c
	}
	if p.LogoKey != "" {
		logo, err := s.agentLogo(ctx, p.LogoKey)
		if err != nil {
			s.Log.Warn("agent brand: logo left out", "provider", p.ID, "err", err)
		}
		b.Logo = logo
	}
	return b
}

// agentLogo is the logo under key as a PNG the settings carry, from the
// cache or fitted now.
func (s *Server) agentLogo(ctx context.Context, key string) ([]byte, error) {
	c := &s.brandCache
	var hit []byte
	version, raw, err := s.readBrandBlob(ctx, key, func(v string) bool {
		c.logoMu.Lock()
		defer c.logoMu.Unlock()
		hit = c.logos[v]
		return hit != nil
	})
	if err != nil || hit != nil {
		return hit, err
	}
	logo, err := fitLogo(raw)
	if err != nil {
		return nil, err
	}
	// Checked as the agent will check it, once: the cache holds only
	// logos the settings accept.
	if err := (protocol.AgentBrand{Logo: logo}).Validate(); err != nil {
		return nil, err
	}
	c.logoMu.Lock()
	defer c.logoMu.Unlock()
	if c.logos == nil || len(c.logos) >= brandCacheLogos {
		c.logos = map[string][]byte{} // derived data: start again rather than track use
	}
	c.logos[version] = logo
	return logo, nil
}

// fitLogo returns the image raw as a PNG of at most protocol.MaxAgentLogo
// bytes and protocol.MaxAgentLogoSide pixels a side: as it is when it
// fits, else scaled down (Catmull-Rom) until it does.
func fitLogo(raw []byte) ([]byte, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("logo: %w", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxBrandLogoSide || cfg.Height > maxBrandLogoSide {
		return nil, fmt.Errorf("logo of %dx%d pixels", cfg.Width, cfg.Height)
	}
	if format == "png" && len(raw) <= protocol.MaxAgentLogo && max(cfg.Width, cfg.Height) <= protocol.MaxAgentLogoSide {
		return raw, nil
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("logo: %w", err)
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	for side := min(max(cfg.Width, cfg.Height), protocol.MaxAgentLogoSide); side >= 16; side = side * 3 / 4 {
		w, h := cfg.Width*side/max(cfg.Width, cfg.Height), cfg.Height*side/max(cfg.Width, cfg.Height)
		dst := image.NewNRGBA(image.Rect(0, 0, max(w, 1), max(h, 1)))
		draw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), draw.Src, nil)
		var out bytes.Buffer
		if err := enc.Encode(&out, dst); err != nil {
			return nil, err
		}
		if out.Len() <= protocol.MaxAgentLogo {
			return out.Bytes(), nil
		}
	}
	return nil, errors.New("logo does not fit the agent's settings at any size")
}

// brandedWindowsAgent returns the Windows agent to serve for p: the generic
// one (ra, size, keyAt as given) unless p chose to patch its icon in and
// has one, and then the generic one with p's icon as its application icon
// (winres: a .rsrc section added, or the existing one replaced), its key
// slot found again in the patched bytes. A patch that fails is logged and
// the generic agent served: the customer still gets help.
func (s *Server) brandedWindowsAgent(ctx context.Context, p store.Provider, build *agentBuild, ra io.ReaderAt, size, keyAt int64) (io.ReaderAt, int64, int64) {
	if build.os != "windows" || !p.PatchIcon || p.IconKey == "" {
		return ra, size, keyAt
	}
	pa, err := s.patchedAgent(ctx, p.IconKey, build, ra, size)
	if err != nil {
		s.Log.Warn("agent icon: generic agent served", "provider", p.ID, "err", err)
		return ra, size, keyAt
	}
	return bytes.NewReader(pa.exe), int64(len(pa.exe)), pa.keyAt
}

func (s *Server) patchedAgent(ctx context.Context, iconKey string, build *agentBuild, ra io.ReaderAt, size int64) (*patchedAgent, error) {
	c := &s.brandCache
	c.agentMu.Lock()
	defer c.agentMu.Unlock()
	var hit *patchedAgent
	version, ico, err := s.readBrandBlob(ctx, iconKey, func(v string) bool {
		for i, a := range c.agents {
			if a.id == v+"|"+build.file {
				hit = a
				c.agents = append(append(c.agents[:i:i], c.agents[i+1:]...), a)
				return true
			}
		}
		return false
	})
	if err != nil || hit != nil {
		return hit, err
	}
	start := time.Now()
	exe, err := patchIcon(io.NewSectionReader(ra, 0, size), ico)
	if err != nil {
		return nil, err
	}
	s.Log.Info("agent icon patched", "build", build.file, "icon", iconKey, "took", time.Since(start).Round(time.Millisecond))
	keyAt, key, err := protocol.FindKeySlot(bytes.NewReader(exe), int64(len(exe)))
	if err != nil {
		return nil, fmt.Errorf("patched agent: %w", err)
	}
	if !bytes.Equal(key, make([]byte, ed25519.PublicKeySize)) && !bytes.Equal(key, s.AgentKey.Public().(ed25519.PublicKey)) {
		return nil, errors.New("patched agent: the key slot changed")
	}
	pa := &patchedAgent{id: version + "|" + build.file, exe: exe, keyAt: keyAt}
	if len(c.agents) >= brandCacheAgents {
		c.agents = c.agents[1:]
	}
	c.agents = append(c.agents, pa)
	return pa, nil
}

// patchIcon returns the Windows program exe with ico as its application
// icon: the first icon group, the one Explorer shows, is replaced, or
// icon group 1 added. A signature the program carried is removed: it
// would no longer match (the provider chose this on the branding page).
func patchIcon(exe io.ReadSeeker, ico []byte) ([]byte, error) {
	icon, err := winres.LoadICO(bytes.NewReader(ico))
	if err != nil {
		return nil, fmt.Errorf("icon: %w", err)
	}
	rs, err := winres.LoadFromEXE(exe)
	if errors.Is(err, winres.ErrNoResources) {
		rs, err = &winres.ResourceSet{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("agent resources: %w", err)
	}
	var group winres.Identifier = winres.ID(1)
	rs.WalkType(winres.RT_GROUP_ICON, func(id winres.Identifier, _ uint16, _ []byte) bool {
		group = id
		return false
	})
	if err := rs.SetIcon(group, icon); err != nil {
		return nil, fmt.Errorf("icon: %w", err)
	}
	var out bytes.Buffer
	if err := rs.WriteToEXE(&out, exe, winres.WithAuthenticode(winres.RemoveSignature)); err != nil {
		return nil, fmt.Errorf("patch agent: %w", err)
	}
	return out.Bytes(), nil
}
