package httpio

import (
	"errors"
	"net/http"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// Route is one entry of a route package's public surface, without its handler. Each route
// package derives its exported Routes from its route table (auth.Specs), so Register, the
// deploy descriptors (template.yaml, serverless.yml, azure/*/function.json) and the drift
// tests all read the same table.
type Route struct {
	Method string // GET, POST, PUT, DELETE
	Path   string // Go 1.22 ServeMux path syntax: /v1/producer/topics/{topic}
	Name   string // a short CamelCase name, unique across kafkafn (used for event names)
}

// Pattern is the ServeMux pattern "METHOD /path".
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// Handler is the one handler shape, after go-kit's endpoint: it gets a typed Request (path
// values validated, deadline set, principal attached) and returns the answer or an error.
// It never writes to the ResponseWriter itself; Endpoint.ServeHTTP encodes both.
type Handler func(*Request) (Response, error)

// Response is a success answer that writes itself: JSON values (JSON), and the streamed
// consume answers, which write their headers and records directly.
type Response interface {
	WriteResponse(w http.ResponseWriter, r *http.Request)
}

// JSON is a Response written with WriteJSON.
type JSON[T any] struct {
	Status int
	Body   T
}

// WriteResponse implements Response.
func (j JSON[T]) WriteResponse(w http.ResponseWriter, _ *http.Request) {
	WriteJSON(w, j.Status, j.Body)
}

// OK is a 200 answer with body v.
func OK[T any](v T) Response { return JSON[T]{Status: http.StatusOK, Body: v} }

// Request is what a Handler gets. Its context is bounded by RequestContext with the route
// package's limits and carries the principal (auth.FromContext); Topic is the path value
// {topic}, already validated ("" when the pattern has none).
type Request struct {
	*http.Request
	Topic string
	w     http.ResponseWriter
}

// Writer is the ResponseWriter, only for the body readers (ReadBody, DecodeJSON need it for
// http.MaxBytesReader) and for headers a handler sets on every answer; answers are written
// by the encoder.
func (r *Request) Writer() http.ResponseWriter { return r.w }

// PathCheck validates the path value Name before the handler runs (e.g. {topic} with
// broker.ValidateTopicName); a failure is the answer.
type PathCheck struct {
	Name  string
	Check func(string) error
}

// Endpoint turns a Handler into an http.Handler: it runs the shared prologue (path checks in
// order, the request deadline), calls the handler, and encodes its answer (Encode). One
// Endpoint per route, built by auth.Register from a route package's table.
type Endpoint struct {
	Handle          Handler
	Checks          []PathCheck
	Timeout, Margin time.Duration // RequestContext's bounds
}

// ServeHTTP implements http.Handler.
func (e Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, c := range e.Checks {
		if err := c.Check(r.PathValue(c.Name)); err != nil {
			WriteError(w, r, err)
			return
		}
	}
	ctx, cancel := RequestContext(r, e.Timeout, e.Margin)
	defer cancel()
	r = r.WithContext(ctx)
	res, err := e.Handle(&Request{Request: r, Topic: r.PathValue("topic"), w: w})
	Encode(w, r, res, err)
}

// Encode is the one encoder of success and failure: res writes itself; an error that is
// also a Response (the produce partial failure with its records, the token route's OAuth
// errors) writes itself and is noted on the log line; any other error is WriteError's.
func Encode(w http.ResponseWriter, r *http.Request, res Response, err error) {
	if err == nil {
		res.WriteResponse(w, r)
		return
	}
	var self Response
	if errors.As(err, &self) {
		NoteError(r, err)
		self.WriteResponse(w, r)
		return
	}
	WriteError(w, r, err)
}

// challenger is an authentication failure that names its WWW-Authenticate challenge
// (auth.Guard's errors).
type challenger interface{ Challenge() string }

func setChallenge(w http.ResponseWriter, err error) {
	var c challenger
	if errors.As(err, &c) && apierr.KindOf(err) == apierr.Unauthorized {
		if v := c.Challenge(); v != "" {
			w.Header().Set("WWW-Authenticate", v)
		}
	}
}

// Serving is a Response that an http.Handler writes (the OpenAPI document, /metrics).
type Serving struct{ http.Handler }

// WriteResponse implements Response.
func (s Serving) WriteResponse(w http.ResponseWriter, r *http.Request) { s.ServeHTTP(w, r) }
