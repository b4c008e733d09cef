package web

import (
	"encoding/json"
	"errors"
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
		return sayError(http.StatusBadRequest, "customer_error_heading", "customer_survey_unreadable")
	}
	sess, err = s.Store.Rate(c.Request().Context(), sess.ID, a.Rating, strings.TrimSpace(a.Comment))
	switch {
	case errors.Is(err, store.ErrAlreadyRated):
		e := sayError(http.StatusConflict, "customer_survey_already_heading", "customer_survey_already").(*httpError)
		e.cause = err
		return e
	case errors.Is(err, store.ErrInvalidArgument):
		return sayError(http.StatusBadRequest, "customer_error_heading", "customer_survey_invalid", map[string]any{"Max": store.MaxRatingComment})
	case err != nil:
		return err
	}
	// Consoles re-read their lists and show the rating.
	s.Live.Notify(sess)
	return c.JSON(http.StatusOK, map[string]int{"rating": sess.Rating})
}
