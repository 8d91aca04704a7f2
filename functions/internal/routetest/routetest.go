// Package routetest runs kafkafn routes end to end in tests: a real kfake cluster, the real
// broker client, the real route handlers behind httpio.Serve, on an httptest server, with
// every response checked against the OpenAPI document.
package routetest

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/openapi/openapitest"
)

// Deps is what Start hands to the register function.
type Deps struct {
	Broker *broker.Client
	Guard  *auth.Guard
	Limits httpio.Limits
}

// Server is a running route server.
type Server struct {
	*httptest.Server
	Cluster *brokertest.Cluster
	Broker  *broker.Client
	Limits  httpio.Limits
}

// DefaultLimits are the production defaults with a short request timeout.
func DefaultLimits() httpio.Limits {
	l, err := config.LimitsFromEnv(func(string) string { return "" })
	if err != nil {
		panic(err)
	}
	l.RequestTimeout = 10 * time.Second
	return l
}

// Start starts a kfake cluster (with opts) and serves the routes that register adds, in the
// insecure dev auth mode, with the given limits (nil: DefaultLimits).
func Start(t *testing.T, limits *httpio.Limits, register func(*http.ServeMux, Deps), opts ...kfake.Opt) *Server {
	t.Helper()
	c := brokertest.NewCluster(t, opts...)
	bc, err := broker.New(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bc.Close)
	l := DefaultLimits()
	if limits != nil {
		l = *limits
	}
	mux := http.NewServeMux()
	register(mux, Deps{Broker: bc, Guard: auth.NewDevGuard(), Limits: l})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(openapitest.Check(t, httpio.Serve(mux, log)))
	t.Cleanup(srv.Close)
	return &Server{Server: srv, Cluster: c, Broker: bc, Limits: l}
}

// Response is a recorded answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends a request with a JSON content type when body is not empty.
func (s *Server) Do(t *testing.T, method, path, body string, header ...string) Response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}
}
