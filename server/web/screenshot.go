package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/blob"
	"tether/server/store"
	"tether/static/locales"
	"tether/templates"
)

// Bounds of one screenshot: a PNG of at most 32 MiB and 8K UHD's pixel
// count, checked before the image is decoded in full.
const (
	maxScreenshotBytes  = 32 << 20
	maxScreenshotSide   = 16384
	maxScreenshotPixels = 7680 * 4320
)

// screenshotTake stores a PNG of the remote screen the viewer posts (the
// request body) into a live session's record: a blob and a "screenshot"
// event, whose number names it.
func (s *Server) screenshotTake(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	sess, err := s.sessionOf(c, en)
	if err != nil {
		return err
	}
	loc := s.speak(c, en)
	if sess.State == store.StateEnded {
		return screenshotEnded(loc)
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxScreenshotBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &httpError{status: http.StatusRequestEntityTooLarge, heading: loc.T("console_shot_too_large"),
			message: loc.T("console_shot_too_large_text", map[string]any{"MB": maxScreenshotBytes >> 20}), cause: err}
	}
	if err != nil {
		return err
	}
	w, h, err := checkPNG(body)
	if err != nil {
		return &httpError{status: http.StatusBadRequest, heading: loc.T("console_shot_not_png"), message: loc.T("console_shot_not_png_text"), cause: err}
	}
	key := "screenshots/" + sess.ID + "/" + store.NewID() + ".png"
	if _, err := s.Blobs.Put(ctx, key, bytes.NewReader(body)); err != nil {
		return err
	}
	ev, err := s.Store.AddScreenshot(ctx, en.Provider.ID, sess.ID, store.ActorEngineer(en.User.ID),
		store.Screenshot{Blob: key, Size: int64(len(body)), Width: w, Height: h})
	if err != nil {
		// The record refused it: the image goes too, with a context of its
		// own in case the request's is what failed.
		if derr := s.Blobs.Delete(context.WithoutCancel(ctx), key); derr != nil {
			s.Log.Error("delete refused screenshot", "session", sess.ID, "err", derr)
		}
		switch {
		case errors.Is(err, store.ErrSessionEnded):
			return screenshotEnded(loc)
		case errors.Is(err, store.ErrTooManyRecords):
			return &httpError{status: http.StatusConflict, heading: loc.T("console_shot_too_many"),
				message: loc.T("console_shot_too_many_text", map[string]any{"Max": store.MaxScreenshots}), cause: err}
		}
		return err
	}
	n := strconv.FormatInt(ev.Seq, 10)
	return c.JSON(http.StatusCreated, map[string]any{
		"n": ev.Seq, "url": "/sessions/" + sess.ID + "/screenshots/" + n, "width": w, "height": h, "size": len(body),
	})
}

// screenshotEnded refuses a screenshot of an ended session.
func screenshotEnded(loc locales.Localizer) error {
	return &httpError{status: http.StatusConflict, heading: loc.T("console_event_ended"), message: loc.T("console_shot_ended_text")}
}

// checkPNG decodes b in full, within the bounds, and returns its size.
func checkPNG(b []byte) (w, h int, err error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return 0, 0, err
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxScreenshotSide || cfg.Height > maxScreenshotSide || cfg.Width*cfg.Height > maxScreenshotPixels {
		return 0, 0, fmt.Errorf("screenshot of %d×%d pixels is out of bounds", cfg.Width, cfg.Height)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		return 0, 0, err
	}
	return cfg.Width, cfg.Height, nil
}

// screenshotShow serves one screenshot of a provider's session.
func (s *Server) screenshotShow(c echo.Context, en engineer) error {
	sess, err := s.sessionOf(c, en)
	if err != nil {
		return err
	}
	return s.serveScreenshot(c, en.Provider.ID, sess.ID)
}

// customerScreenshot serves a screenshot of the customer's own screen with
// their copy of the report.
func (s *Server) customerScreenshot(c echo.Context) error {
	sess, _, _, err := s.customerEnded(c)
	if err != nil {
		return err
	}
	return s.serveScreenshot(c, sess.ProviderID, sess.ID)
}

func (s *Server) serveScreenshot(c echo.Context, providerID, sessionID string) error {
	ctx := c.Request().Context()
	n, err := strconv.ParseInt(c.Param("n"), 10, 64)
	if err != nil || n < 1 {
		return notFound("There is no such screenshot.")
	}
	ev, sh, err := s.Store.ScreenshotBySeq(ctx, providerID, sessionID, n)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(sh.Blob, "screenshots/"+sessionID+"/") {
		return fmt.Errorf("screenshot %d of session %s names blob %q", n, sessionID, sh.Blob)
	}
	rc, _, err := s.Blobs.Open(ctx, sh.Blob)
	if errors.Is(err, blob.ErrNotFound) {
		return notFound("This screenshot is no longer kept.")
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	hd := c.Response().Header()
	hd.Set("Content-Type", "image/png")
	// The image under a number never changes; only this browser keeps it.
	hd.Set("Cache-Control", "private, max-age=86400, immutable")
	hd.Set("Content-Disposition", fmt.Sprintf("inline; filename=\"screenshot-%s.png\"", ev.At.Local().Format("2006-01-02-150405")))
	http.ServeContent(c.Response(), c.Request(), "", ev.At, rc)
	return nil
}

// screenshotsOf lists a session's screenshots, for its page.
func (s *Server) screenshotsOf(ctx context.Context, sess store.Session, evs []store.Event) ([]templates.ReportShot, error) {
	names := actorNames{s: s, providerID: sess.ProviderID, customer: sess.CustomerName, names: map[string]string{}}
	var out []templates.ReportShot
	for _, e := range evs {
		if e.Kind != store.EventScreenshot {
			continue
		}
		sh, err := store.ParseScreenshot(e.Detail)
		if err != nil {
			return nil, err
		}
		by, err := names.name(ctx, e.Actor)
		if err != nil {
			return nil, err
		}
		out = append(out, templates.ReportShot{N: e.Seq, At: e.At.Local(), By: by, Width: sh.Width, Height: sh.Height,
			URL: "/sessions/" + sess.ID + "/screenshots/" + strconv.FormatInt(e.Seq, 10)})
	}
	return out, nil
}
