// Package openapitest checks real responses against kafkafn's OpenAPI document: wrap a
// handler under test with Check and every answer it gives must be a documented status of a
// documented operation, with a body that validates against the documented JSON Schema.
package openapitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/openapi"
)

const docURL = "https://kafkafn.invalid/openapi.json"

type operation struct {
	re        *regexp.Regexp
	template  string
	method    string
	responses map[string]bool
}

type spec struct {
	ops      []operation
	compiler *jsonschema.Compiler
	mu       sync.Mutex
	schemas  map[string]*jsonschema.Schema
}

var load = sync.OnceValues(func() (*spec, error) {
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openapi.Document, &doc); err != nil {
		return nil, fmt.Errorf("openapitest: parse document: %w", err)
	}
	s := &spec{schemas: map[string]*jsonschema.Schema{}}
	for tmpl, methods := range doc.Paths {
		re := "^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(tmpl), `[^/]+`) + "$"
		for m, op := range methods {
			o := operation{re: regexp.MustCompile(re), template: tmpl, method: strings.ToUpper(m), responses: map[string]bool{}}
			for code := range op.Responses {
				o.responses[code] = true
			}
			s.ops = append(s.ops, o)
		}
	}
	parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(openapi.Document))
	if err != nil {
		return nil, err
	}
	s.compiler = jsonschema.NewCompiler()
	s.compiler.DefaultDraft(jsonschema.Draft2020)
	if err := s.compiler.AddResource(docURL, parsed); err != nil {
		return nil, err
	}
	return s, nil
})

func escape(p string) string { return strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1") }

func (s *spec) schema(tmpl, method, status string) (*jsonschema.Schema, error) {
	ptr := "#/paths/" + escape(tmpl) + "/" + strings.ToLower(method) + "/responses/" + status + "/content/application~1json/schema"
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.schemas[ptr]; ok {
		return sch, nil
	}
	sch, err := s.compiler.Compile(docURL + ptr)
	if err != nil {
		return nil, err
	}
	s.schemas[ptr] = sch
	return sch, nil
}

// Validate checks one answer: method and path of the request, status and body of the reply.
func Validate(method, path string, status int, contentType string, body []byte) error {
	s, err := load()
	if err != nil {
		return err
	}
	var op *operation
	for i := range s.ops {
		o := &s.ops[i]
		if o.method == method && o.re.MatchString(path) {
			if op == nil || strings.Count(o.template, "{") < strings.Count(op.template, "{") { // literal segments win
				op = o
			}
		}
	}
	if op == nil {
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			return validateAgainst(s, "/v1/metadata/topics", "GET", strconv.Itoa(status), body) // the common error shape
		}
		return fmt.Errorf("openapitest: %s %s is not documented", method, path)
	}
	code := strconv.Itoa(status)
	if !op.responses[code] {
		return fmt.Errorf("openapitest: %s %s answered %d, which is not documented for %s %s", method, path, status, op.method, op.template)
	}
	if !strings.HasPrefix(contentType, "application/json") {
		return fmt.Errorf("openapitest: %s %s answered %d with content type %q", method, path, status, contentType)
	}
	return validateAgainst(s, op.template, op.method, code, body)
}

func validateAgainst(s *spec, tmpl, method, code string, body []byte) error {
	sch, err := s.schema(tmpl, method, code)
	if err != nil {
		return fmt.Errorf("openapitest: schema for %s %s %s: %w", method, tmpl, code, err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("openapitest: %s %s %s: body is not JSON: %w", method, tmpl, code, err)
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("openapitest: %s %s %s: body %s does not match the document: %w", method, tmpl, code, apierr.Clip(string(body), 300), err)
	}
	return nil
}

// Check wraps h so that every answer is validated against the document; a mismatch fails t.
func Check(t testing.TB, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		res := rec.Result()
		if err := Validate(r.Method, r.URL.Path, res.StatusCode, res.Header.Get("Content-Type"), rec.Body.Bytes()); err != nil {
			t.Errorf("%v", err)
		}
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(rec.Body.Bytes())
	})
}
