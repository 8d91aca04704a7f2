package auth_test

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/apikey"
	"github.com/kafkafn/kafkafn/shared/auth/policy"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// TestRegister drives a route table through auth.Register on a real server: the Guard for
// each route's op, the path checks only where the pattern has the value, the deadline and
// principal in the handler's context, and the one encoder for answers and errors (with the
// WWW-Authenticate challenge of a 401).
func TestRegister(t *testing.T) {
	sum := sha256.Sum256([]byte("s3cret"))
	keys, err := apikey.New(map[string][]byte{"ci": sum[:]})
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Parse("test", []byte(`{"rules":[{"principals":["key:ci"],"ops":["produce"],"topics":["orders","bad"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	echo := func(r *httpio.Request) (httpio.Response, error) {
		p, ok := auth.FromContext(r.Context())
		_, deadline := r.Context().Deadline()
		if !ok || !deadline {
			return nil, apierr.E(apierr.Internal, "no_prologue", "principal or deadline missing")
		}
		return httpio.JSON[string]{Status: http.StatusCreated, Body: p.ID + "@" + r.Topic}, nil
	}
	public := func(r *httpio.Request) (httpio.Response, error) {
		if _, ok := auth.FromContext(r.Context()); ok {
			return nil, apierr.E(apierr.Internal, "guarded", "a public route got a principal")
		}
		return nil, apierr.E(apierr.Conflict, "public_refusal", "refused by the handler")
	}
	mux := http.NewServeMux()
	auth.Register(mux, auth.Table{
		Guard:   auth.NewGuard(pol, keys),
		Timeout: time.Minute,
		Checks: []httpio.PathCheck{{Name: "topic", Check: func(s string) error {
			if s == "bad" {
				return apierr.E(apierr.Invalid, "invalid_topic", "bad topic")
			}
			return nil
		}}},
		Routes: []auth.Route{
			{Route: httpio.Route{Method: "POST", Path: "/t/{topic}", Name: "Op"}, Op: auth.OpProduce, Handle: echo},
			{Route: httpio.Route{Method: "GET", Path: "/who", Name: "Who"}, Op: auth.Authenticated, Handle: echo},
			{Route: httpio.Route{Method: "POST", Path: "/", Name: "Root"}, MuxPath: "/{$}", Op: auth.Public, Handle: public},
		},
	})
	srv := httptest.NewServer(httpio.Serve(mux, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	key := "Basic " + base64.StdEncoding.EncodeToString([]byte("ci:s3cret"))
	for _, tc := range []struct {
		name, method, path, authz string
		status                    int
		body, challenge           string // body substring; "" challenge: none expected
	}{
		{"an op route answers what the handler returns, with principal, topic and deadline", "POST", "/t/orders", key, 201, `"ci@orders"`, ""},
		{"an op route refuses the unauthenticated with the scheme's challenge", "POST", "/t/orders", "", 401, `"unauthorized"`, "Basic"},
		{"an op route authorises the path's topic", "POST", "/t/other", key, 403, `"forbidden"`, ""},
		{"the path check runs after the Guard, before the handler", "POST", "/t/bad", key, 400, `"invalid_topic"`, ""},
		{"the Guard runs before the path check", "POST", "/t/bad", "", 401, `"unauthorized"`, "Basic"},
		{"an Authenticated route gets the principal and no topic check", "GET", "/who", key, 201, `"ci@"`, ""},
		{"an Authenticated route still refuses the unauthenticated", "GET", "/who", "", 401, `"unauthorized"`, "Basic"},
		{"a Public route is not guarded; its error goes through the one encoder", "POST", "/", "", 409, `"public_refusal"`, ""},
		{"MuxPath keeps the root route to the root", "POST", "/x", "", 404, `"route_not_found"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			if tc.authz != "" {
				req.Header.Set("Authorization", tc.authz)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status || !strings.Contains(string(b), tc.body) {
				t.Fatalf("%d %s; want %d with %s", res.StatusCode, b, tc.status, tc.body)
			}
			if got := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, tc.challenge) || (tc.challenge == "") != (got == "") {
				t.Fatalf("WWW-Authenticate %q; want %q", got, tc.challenge)
			}
		})
	}
	specs := auth.Specs([]auth.Route{{Route: httpio.Route{Method: "GET", Path: "/a", Name: "A"}, Op: auth.Public}})
	if len(specs) != 1 || specs[0].Pattern() != "GET /a" {
		t.Fatalf("Specs = %v", specs)
	}
}

// Authenticated routes read their body after the Guard knew the caller, as Op routes do: it
// counts against the whole body budget, not the small share of bodies read before anyone
// vouched for their caller (here 1 KiB, smaller than the body).
func TestAuthenticatedRoutesBudgetTheBodyAsAuthenticated(t *testing.T) {
	sum := sha256.Sum256([]byte("s3cret"))
	keys, err := apikey.New(map[string][]byte{"ci": sum[:]})
	if err != nil {
		t.Fatal(err)
	}
	read := func(r *httpio.Request) (httpio.Response, error) {
		b, err := httpio.ReadBody(r.Writer(), r.Request, 1<<20)
		if err != nil {
			return nil, err
		}
		return httpio.OK(len(b)), nil
	}
	mux := http.NewServeMux()
	auth.Register(mux, auth.Table{Guard: auth.NewGuard(auth.AllowAll{}, keys), Timeout: time.Minute, Routes: []auth.Route{
		{Route: httpio.Route{Method: "POST", Path: "/commit", Name: "Commit"}, Op: auth.Authenticated, Handle: read},
		{Route: httpio.Route{Method: "POST", Path: "/op", Name: "Op"}, Op: auth.OpConsume, Handle: read},
	}})
	limits := httpio.Limits{MaxBodyBytes: 1 << 20, MaxInflightBytes: 4 << 20, MaxInflightUnauthBytes: 1 << 10,
		RequestTimeout: time.Second, BodyTimeout: 5 * time.Second}
	srv := httptest.NewServer(httpio.Serve(mux, slog.New(slog.DiscardHandler), httpio.WithBodyBudget(limits)))
	defer srv.Close()
	for _, path := range []string{"/commit", "/op"} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(strings.Repeat("x", 64<<10)))
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("ci:s3cret")))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || string(body) != "65536\n" {
			t.Errorf("%s: %d %s", path, res.StatusCode, body)
		}
	}
}
