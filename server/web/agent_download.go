package web

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tether/server/protocol"
	"tether/server/store"
)

// indexAgents finds the key slot of every agent build (see
// protocol.KeySlotMagic), once, at start, and returns the offset of its
// key by file name. A slot may hold zeros (a generic build) or this
// server's key (a build prepared before code signing: writing the key again
// changes no byte); a build holding another server's key would make every
// download fail its check on the customer's machine, so it stops the start.
func (s *Server) indexAgents() (map[string]int64, error) {
	if len(s.AgentKey) != ed25519.PrivateKeySize {
		return nil, errors.New("web: the agent signing key is missing")
	}
	pub := s.AgentKey.Public().(ed25519.PublicKey)
	out := map[string]int64{}
	for _, b := range agentBuilds {
		err := func() error {
			f, err := s.assets.open("build/agents/" + b.file)
			if err != nil {
				return nil // not built; the page offers the others
			}
			defer f.Close()
			ra, size, err := readerAt(f)
			if err != nil {
				return err
			}
			at, key, err := protocol.FindKeySlot(ra, size)
			if err != nil {
				return fmt.Errorf("%w (rebuild the agents with go tool task agents)", err)
			}
			if !bytes.Equal(key, make([]byte, ed25519.PublicKeySize)) && !bytes.Equal(key, pub) {
				return errors.New("its key slot holds another server's signing key: every download would fail its check; use the generic build (go tool task agents)")
			}
			out[b.file] = at
			return nil
		}()
		if err != nil {
			return nil, fmt.Errorf("agent %s: %w", b.file, err)
		}
	}
	return out, nil
}

// readerAt gives random access to an agent file, for its key slot.
func readerAt(f fs.File) (io.ReaderAt, int64, error) {
	ra, ok := f.(io.ReaderAt)
	if !ok {
		return nil, 0, errors.New("web: agent file cannot be read at offsets")
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	return ra, fi.Size(), nil
}

// agentDownload streams the generic agent binary with this server's public
// key in its key slot, followed by this invitation's settings trailer,
// signed with the server's key (protocol.AppendSettings): no build per
// download, and an edited trailer (a download re-pointed at another
// server) fails the agent's check.
func (s *Server) agentDownload(c echo.Context) error {
	inv, err := s.customerSession(c, false)
	if err != nil {
		return err
	}
	sess, p := inv.Session, inv.Provider
	if sess.State != store.StateWaiting {
		return errInvite
	}
	var build *agentBuild
	for i := range agentBuilds {
		if agentBuilds[i].os+"-"+agentBuilds[i].arch == c.Param("platform") {
			build = &agentBuilds[i]
		}
	}
	if build == nil {
		return notFound("There is no support program for that system.")
	}
	keyAt, ok := s.agents[build.file]
	f, err := s.assets.open("build/agents/" + build.file)
	if err != nil || !ok {
		return notFound("The support program for that system is not available on this server.")
	}
	defer f.Close()
	ra, size, err := readerAt(f)
	if err != nil {
		return err
	}
	// The provider's icon, patched in when it chose so (agentbrand.go).
	ra, size, keyAt = s.brandedWindowsAgent(c.Request().Context(), p, build, ra, size, keyAt)
	var trailer bytes.Buffer
	err = protocol.AppendSettings(&trailer, protocol.AgentSettings{
		Server: s.providerURL(p), Token: c.Param("token"), Source: inv.Source, Provider: p.Name, Engineer: inv.Engineer.Name,
		Brand: s.agentBrand(c.Request().Context(), p), Code: sess.Code, Language: s.localizer(c, "", p.DefaultLanguage).Lang(),
	}, s.AgentKey)
	if err != nil {
		return fmt.Errorf("agent settings: %w", err)
	}
	end := keyAt + ed25519.PublicKeySize
	body := io.MultiReader(io.NewSectionReader(ra, 0, keyAt), bytes.NewReader(s.AgentKey.Public().(ed25519.PublicKey)),
		io.NewSectionReader(ra, end, size-end), &trailer)
	h := c.Response().Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", contentDisposition(agentFileName(p.Name, build.os)))
	h.Set("Content-Length", strconv.FormatInt(size+int64(trailer.Len()), 10))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	if _, err := io.Copy(c.Response(), body); err != nil {
		s.Log.Info("agent download interrupted", "session", sess.ID, "err", err)
		return nil
	}
	s.Log.Info("agent downloaded", "session", sess.ID, "platform", c.Param("platform"))
	return nil
}
