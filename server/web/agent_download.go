package web

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tether/server/protocol"
	"tether/server/store"
)

// agentDownload streams the generic agent binary followed by this
// invitation's settings trailer (protocol.AppendSettings): no build per
// download, and the program's code is byte-identical for every customer.
func (s *Server) agentDownload(c echo.Context) error {
	sess, source, p, eng, err := s.customerSession(c, false)
	if err != nil {
		return err
	}
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
	f, err := s.assets.open("build/agents/" + build.file)
	if err != nil {
		return notFound("The support program for that system is not available on this server.")
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	var trailer bytes.Buffer
	err = protocol.AppendSettings(&trailer, protocol.AgentSettings{
		Server: s.Config.BaseURL, Token: c.Param("token"), Source: source, Provider: p.Name, Engineer: eng.Name,
	})
	if err != nil {
		return fmt.Errorf("agent settings: %w", err)
	}
	h := c.Response().Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="`+build.download+`"`)
	h.Set("Content-Length", strconv.FormatInt(st.Size()+int64(trailer.Len()), 10))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	if _, err := io.Copy(c.Response(), io.MultiReader(f, &trailer)); err != nil {
		s.Log.Info("agent download interrupted", "session", sess.ID, "err", err)
		return nil
	}
	s.Log.Info("agent downloaded", "session", sess.ID, "platform", c.Param("platform"))
	return nil
}
