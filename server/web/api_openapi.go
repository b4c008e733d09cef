package web

import (
	_ "embed"
	"fmt"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
)

// openAPIYAML is the session API's contract, written by hand; api_openapi_test.go holds the API to it.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// openAPIDoc parses openAPIYAML once.
var openAPIDoc = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	return doc, nil
})

// apiOpenAPI serves the contract as JSON, its server being this one's API address.
func (s *Server) apiOpenAPI(c echo.Context) error {
	doc, err := openAPIDoc()
	if err != nil {
		return err
	}
	d := *doc
	d.Servers = openapi3.Servers{{URL: s.Config.BaseURL + "/api/v1"}}
	b, err := d.MarshalJSON()
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	return c.JSONBlob(http.StatusOK, b)
}
