// Package openapi embeds kafkafn's OpenAPI 3.1 document (openapi.json, also readable in the
// repository) and serves it.
package openapi

import (
	_ "embed"
	"net/http"
	"strconv"
)

// Document is the OpenAPI 3.1 document describing every kafkafn route.
//
//go:embed openapi.json
var Document []byte

// Serve answers GET /v1/openapi.json.
func Serve(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(Document)))
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(Document)
}
