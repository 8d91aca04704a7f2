// Package harness starts kafkafn in tests and in the bench the way the binaries start it:
// the shipped Build functions over a platform.Env whose Getenv reads an environment the
// harness fills (KAFKA_BROKERS aimed at an in-process kfake cluster, the auth mode, any
// other variable the product reads). Every route, contract, fault and load test and the
// bench start their servers through it, so they exercise the shipped configuration path.
//
// A Stack is one running product: the cluster (optionally behind a fault proxy), the App
// Build returned, and the platform adapter in front of it (an httptest server by default).
// Start closes everything when the test ends; New, for programs without a testing.T (the
// bench), leaves that to Stack.Close.
package harness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/functions/all/allroutes"
	"github.com/kafkafn/kafkafn/functions/consumewindow"
	"github.com/kafkafn/kafkafn/functions/listtopics"
	"github.com/kafkafn/kafkafn/functions/produce"
	"github.com/kafkafn/kafkafn/functions/token"
	"github.com/kafkafn/kafkafn/internal/rawhttp"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/config/kafkaenv"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/openapi/openapitest"
	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/awslambda"
	"github.com/kafkafn/kafkafn/shared/platform/azurefunc"
	"github.com/kafkafn/kafkafn/shared/platform/local"
	"github.com/kafkafn/kafkafn/shared/platform/scf"
)

// Route sets: which shipped Build starts. Each names its binary.
const (
	All           = "all" // every route (functions/all)
	Produce       = "produce"
	ConsumeWindow = "consume-window"
	ListTopics    = "list-topics"
	Token         = "token"
)

var builds = map[string]platform.BuildFunc{
	All: allroutes.Build, Produce: produce.Build, ConsumeWindow: consumewindow.Build,
	ListTopics: listtopics.Build, Token: token.Build,
}

// Auth modes.
const (
	// AuthDev is the insecure dev mode (AUTH_INSECURE_DEV=true): every route open.
	AuthDev = "dev"
	// AuthEnv sets no auth variable: Options.Env configures the schemes (AUTH_API_KEYS,
	// AUTH_OIDC, AUTH_TC3_CREDENTIALS, AUTH_POLICY, ...), as a deployment does.
	AuthEnv = "env"
)

// Platform adapters in front of the App.
const (
	// HTTP serves App.HTTP on an httptest server (Stack.Server, Stack.URL).
	HTTP = "http"
	// Local serves App.HTTP with the local platform's own server (local.Serve) on a loopback
	// port (Stack.URL): what scripts/run runs.
	Local = "local"
	// Azure serves azurefunc.Handler(App) on an httptest server: requests arrive the way
	// the Functions host forwards them.
	Azure = "azure"
	// None starts no server: tests drive Stack.Handler, or the Lambda and SCF adapters
	// (Stack.Lambda, Stack.SCF) with their own events.
	None = "none"
	// Lambda builds the App for AWS Lambda (platform.Env.Platform "aws", as
	// awslambda.Start does: the authorizer mode AUTH_AWS_AUTHORIZER is accepted, the local
	// platform's loopback rules do not apply) and starts no server: tests invoke the shipped
	// adapter with API Gateway and Function URL events (Stack.Invoke, LambdaEvent).
	Lambda = "lambda"
)

// Options shape a Stack. The zero value is every route over a one-broker kfake cluster, in
// the dev auth mode, on an httptest server, with every answer checked against the OpenAPI
// document.
type Options struct {
	Routes  string      // All (default), Produce, ConsumeWindow, ListTopics or Token
	Cluster []kfake.Opt // kfake options: SeedTopics, NumBrokers, EnableSASL, TLS, ...
	// Proxy puts a brokertest.Proxy in front of the kfake cluster: the brokers advertise
	// the proxy's ports, so every Kafka connection of the product crosses it.
	Proxy bool
	// Brokers are the bootstrap addresses of a cluster that is already running (or of no
	// broker at all, to test an unreachable Kafka). Start starts kfake only without them;
	// New needs them.
	Brokers  []string
	Auth     string            // AuthDev (default) or AuthEnv
	Platform string            // HTTP (default), Local, Azure, None or Lambda
	Env      map[string]string // more variables, set last: limits (HTTP_*, REQUEST_TIMEOUT, ...), KAFKA_*, auth secrets
	// Log receives the product's logs (platform.Env.Log); nil discards them.
	Log *slog.Logger
	// Wrap, when set, wraps what the server serves (a test recording the requests it sent).
	Wrap func(http.Handler) http.Handler
	// NoOpenAPICheck turns off the check of every answer against the OpenAPI document
	// (Start only; the fault and load suites send requests the document does not describe).
	NoOpenAPICheck bool
}

// Stack is one running kafkafn.
type Stack struct {
	Cluster *brokertest.Cluster // nil with Options.Brokers
	Proxy   *brokertest.Proxy   // nil without Options.Proxy
	// Broker is the test's own client of the cluster, configured like the product's
	// (through the proxy when there is one: the brokers advertise its ports), for seeding
	// and reading records.
	Broker  *broker.Client
	App     platform.App // what Build returned (App.HTTP behind the OpenAPI check)
	Handler http.Handler // what the server serves: App.HTTP through the platform adapter
	Server  *httptest.Server
	URL     string        // the server's base URL; empty with the None platform
	Limits  httpio.Limits // the limits the product read from Env
	Kafka   broker.Config // the Kafka settings the product read from Env
	Env     map[string]string

	stop     []func()
	serveErr error // what local.Serve returned (the Local platform)
}

// Start starts a kfake cluster (unless Options.Brokers names one; behind a proxy with
// Options.Proxy) and the product over it; all of it is closed when t ends.
func Start(t testing.TB, o Options) *Stack {
	t.Helper()
	var p *brokertest.Proxy
	var c *brokertest.Cluster
	if len(o.Brokers) == 0 {
		if o.Proxy {
			p = brokertest.NewProxy(t)
			o.Cluster = append([]kfake.Opt{kfake.ListenFn(p.Listen)}, o.Cluster...)
		}
		c = brokertest.NewCluster(t, o.Cluster...)
		o.Brokers = c.ListenAddrs()
	}
	check := func(h http.Handler) http.Handler { return h }
	if !o.NoOpenAPICheck {
		check = func(h http.Handler) http.Handler { return openapitest.Check(t, h) }
	}
	s, err := newStack(t.Context(), o, check)
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	s.Cluster, s.Proxy = c, p
	t.Cleanup(func() {
		s.Close()
		if s.serveErr != nil {
			t.Errorf("harness: server: %v", s.serveErr)
		}
	})
	return s
}

// StartDev is the route tests' usual Stack: routes in the dev auth mode over a kfake
// cluster with opts, with env set over REQUEST_TIMEOUT=10s (room for a loaded machine).
func StartDev(t testing.TB, routes string, env map[string]string, opts ...kfake.Opt) *Stack {
	t.Helper()
	e := map[string]string{"REQUEST_TIMEOUT": "10s"}
	maps.Copy(e, env)
	return Start(t, Options{Routes: routes, Cluster: opts, Env: e})
}

// New starts the product over the cluster at Options.Brokers (Options.Cluster and Proxy
// do not apply), with no OpenAPI check. The caller closes the Stack.
func New(ctx context.Context, o Options) (*Stack, error) {
	if len(o.Brokers) == 0 {
		return nil, fmt.Errorf("harness: New needs Options.Brokers (Start starts a cluster)")
	}
	s, err := newStack(ctx, o, func(h http.Handler) http.Handler { return h })
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	return s, nil
}

// Getenv returns a platform.Env Getenv over env.
func Getenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

func newStack(ctx context.Context, o Options, check func(http.Handler) http.Handler) (_ *Stack, err error) {
	routes := o.Routes
	if routes == "" {
		routes = All
	}
	build, ok := builds[routes]
	if !ok {
		return nil, fmt.Errorf("unknown route set %q", routes)
	}
	s := &Stack{Env: map[string]string{
		"KAFKA_BROKERS":   strings.Join(o.Brokers, ","),
		"KAFKA_CLIENT_ID": "kafkafn-test",
	}}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	switch o.Auth {
	case "", AuthDev:
		s.Env["AUTH_INSECURE_DEV"] = "true"
	case AuthEnv:
	default:
		return nil, fmt.Errorf("unknown auth mode %q", o.Auth)
	}
	for k, v := range o.Env {
		s.Env[k] = v
	}
	getenv := Getenv(s.Env)
	if s.Limits, err = config.LimitsFromEnv(getenv); err != nil {
		return nil, err
	}
	if s.Kafka, err = kafkaenv.FromEnv(getenv); err != nil {
		return nil, err
	}
	if s.Broker, err = broker.New(s.Kafka); err != nil {
		return nil, err
	}
	s.stop = append(s.stop, s.Broker.Close)
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	env := platform.Env{Getenv: getenv, Platform: "local", Name: routes, LoopbackOnly: true, Log: log}
	if o.Platform == Lambda {
		env.Platform, env.LoopbackOnly = awslambda.Platform, false
	}
	if s.App, err = build(ctx, env); err != nil {
		return nil, fmt.Errorf("build %s: %w", routes, err)
	}
	if s.App.Close != nil {
		s.stop = append(s.stop, s.App.Close)
	}
	s.App.HTTP = check(s.App.HTTP)
	return s, s.serve(o.Platform, o.Wrap)
}

func (s *Stack) serve(p string, wrap func(http.Handler) http.Handler) error {
	s.Handler = s.App.HTTP
	if p == Azure {
		s.Handler = azurefunc.Handler(s.App)
	}
	if wrap != nil {
		s.Handler = wrap(s.Handler)
	}
	switch p {
	case "", HTTP, Azure:
	case Local:
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { s.serveErr = local.Serve(ctx, ln, s.Handler, "harness", nil); close(done) }()
		s.stop = append(s.stop, func() { cancel(); <-done })
		s.URL = "http://" + ln.Addr().String()
		return nil
	case None, Lambda:
		return nil
	default:
		return fmt.Errorf("unknown platform %q", p)
	}
	s.Server = httptest.NewServer(s.Handler)
	s.stop = append(s.stop, s.Server.Close)
	s.URL = s.Server.URL
	return nil
}

// Close stops the server, closes the App and the test's client. It is safe to call twice.
func (s *Stack) Close() {
	for i := len(s.stop) - 1; i >= 0; i-- {
		s.stop[i]()
	}
	s.stop = nil
}

// Lambda returns the AWS Lambda adapter over the App, to invoke with Lambda events.
func (s *Stack) Lambda() *awslambda.Handler { return awslambda.New(s.App) }

// SCF returns the Tencent SCF adapter over the App, to invoke with SCF events; it is closed
// with the Stack.
func (s *Stack) SCF(ctx context.Context) *scf.Function {
	f := scf.New(ctx, Getenv(s.Env), func(context.Context, platform.Env) (platform.App, error) { return s.App, nil })
	s.stop = append(s.stop, f.Close)
	return f
}

// Client returns an HTTP client for the Stack's server.
func (s *Stack) Client() *http.Client {
	if s.Server != nil {
		return s.Server.Client()
	}
	return http.DefaultClient
}

// Response is one recorded answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends one request to the server (a JSON content type when body is not empty), with
// header given as name, value pairs, and fails t on a transport error.
func (s *Stack) Do(t testing.TB, method, path, body string, header ...string) Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return s.DoRequest(t, req)
}

// Serve hands one request with a JSON body straight to Handler (no network, no
// transport) and returns what it answered: the in-process path of the benchmarks.
func (s *Stack) Serve(method, path string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.Handler.ServeHTTP(rec, req)
	return rec
}

// DoRequest sends req, a request to s.URL the test built itself (signed, with its own
// headers), and fails t on a transport error.
func (s *Stack) DoRequest(t testing.TB, req *http.Request) Response {
	t.Helper()
	r, err := s.send(req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (s *Stack) send(req *http.Request) (Response, error) {
	res, b, err := rawhttp.Exchange(s.Client(), req)
	if res == nil {
		return Response{}, err
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}, err
}
