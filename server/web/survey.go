package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/store"
)

// surveyAnswer is what the invitation page posts when the session ended.
type surveyAnswer struct {
	Rating  int    `json:"rating"`
	Comment string `json:"comment"`
}

// surveySubmit stores the customer's rating and comment, once per session:
// a second answer is refused, so that what the engineer read stays what the
// customer said.
func (s *Server) surveySubmit(c echo.Context) error {
	sess, _, _, err := s.customerEnded(c)
	if err != nil {
		return err
	}
	var a surveyAnswer
	// Four bytes a character at most, and room for the JSON around it.
	dec := json.NewDecoder(http.MaxBytesReader(c.Response(), c.Request().Body, 4*store.MaxRatingComment+256))
	if err := dec.Decode(&a); err != nil {
		return badRequest("The answer could not be read. Reload the page and try again.")
	}
	sess, err = s.Store.Rate(c.Request().Context(), sess.ID, a.Rating, strings.TrimSpace(a.Comment))
	switch {
	case errors.Is(err, store.ErrAlreadyRated):
		return &httpError{status: http.StatusConflict, heading: "Already answered", message: "You already rated this session. Thank you!", cause: err}
	case errors.Is(err, store.ErrInvalidArgument):
		return badRequest(fmt.Sprintf("Choose from 1 to 5 stars; the comment may have at most %d characters.", store.MaxRatingComment))
	case err != nil:
		return err
	}
	// Consoles re-read their lists and show the rating.
	s.Live.Notify(sess)
	return c.JSON(http.StatusOK, map[string]int{"rating": sess.Rating})
}
