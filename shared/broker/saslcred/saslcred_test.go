package saslcred

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// counting is a Fetcher that hands out numbered tokens with the given lifetime.
type counting struct {
	n        atomic.Int64
	lifetime time.Duration
	gate     chan struct{} // when set, each fetch waits for it
	fail     atomic.Bool
}

func (c *counting) fetch(ctx context.Context) (Token, error) {
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return Token{}, ctx.Err()
		}
	}
	if c.fail.Load() {
		return Token{}, errors.New("invalid_client")
	}
	n := c.n.Add(1)
	return Token{Value: fmt.Sprintf("tok%d", n), Expiry: time.Now().Add(c.lifetime)}, nil
}

func TestTokensSingleFlight(t *testing.T) {
	c := &counting{lifetime: time.Hour, gate: make(chan struct{})}
	ts := NewTokens(c.fetch, 5*time.Second)
	var wg sync.WaitGroup
	got := make([]string, 20)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := ts.Token(context.Background())
			if err != nil {
				t.Error(err)
			}
			got[i] = tok.Value
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(c.gate)
	wg.Wait()
	if n := c.n.Load(); n != 1 {
		t.Fatalf("%d fetches for 20 concurrent callers", n)
	}
	for _, g := range got {
		if g != "tok1" {
			t.Fatalf("tokens %q", got)
		}
	}
}

func TestTokensRenewal(t *testing.T) {
	c := &counting{lifetime: 600 * time.Millisecond}
	ts := NewTokens(c.fetch, time.Second)
	get := func() string {
		tok, err := ts.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return tok.Value
	}
	for range 2 {
		if get() != "tok1" {
			t.Fatal("a fresh token is not reused")
		}
	}
	time.Sleep(350 * time.Millisecond) // past half the lifetime
	if v := get(); v != "tok2" {
		t.Fatalf("after half the lifetime got %s, want a renewed token", v)
	}
	c.fail.Store(true)
	time.Sleep(350 * time.Millisecond)
	// Renewal fails, but tok2 has about 250 ms left: below the 30 s fallback floor, so the
	// failure is reported rather than a token about to expire.
	if _, err := ts.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("err = %v", err)
	}
	// The failure is held for a moment: no second request to the endpoint.
	before := c.n.Load()
	if _, err := ts.Token(context.Background()); err == nil || c.n.Load() != before {
		t.Fatalf("a failure was not held: err %v", err)
	}
}

func TestTokensFallBackToAValidToken(t *testing.T) {
	c := &counting{lifetime: 2 * time.Minute}
	ts := NewTokens(c.fetch, time.Second)
	if _, err := ts.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts.mu.Lock()
	ts.issued = ts.issued.Add(-90 * time.Second) // past half its lifetime, 30 s+ left
	ts.tok.Expiry = ts.tok.Expiry.Add(-80 * time.Second)
	ts.mu.Unlock()
	c.fail.Store(true)
	tok, err := ts.Token(context.Background())
	if err != nil || tok.Value != "tok1" {
		t.Fatalf("got %q, %v; want the cached token while it is valid", tok.Value, err)
	}
}

func TestTokensCallerDeadline(t *testing.T) {
	c := &counting{lifetime: time.Hour, gate: make(chan struct{})}
	ts := NewTokens(c.fetch, 5*time.Second)
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan Token)
	go func() {
		tok, _ := ts.Token(context.Background())
		done <- tok
	}()
	start := time.Now()
	if _, err := ts.Token(short); err == nil || time.Since(start) > time.Second {
		t.Fatalf("err %v after %v: a caller must stop waiting at its deadline", err, time.Since(start))
	}
	close(c.gate)
	if tok := <-done; tok.Value != "tok1" {
		t.Fatalf("the shared fetch was cancelled with the first caller: %q", tok.Value)
	}
}

func jwtWithExp(exp int64) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(fmt.Sprintf(`{"exp":%d}`, exp))) + ".sig"
}

func TestTokensUseTheJWTExpiry(t *testing.T) {
	exp := time.Now().Add(time.Minute).Unix()
	for _, stated := range []time.Time{{}, time.Now().Add(time.Hour)} {
		ts := NewTokens(func(context.Context) (Token, error) { return Token{Value: jwtWithExp(exp), Expiry: stated}, nil }, time.Second)
		tok, err := ts.Token(context.Background())
		if err != nil || tok.Expiry.Unix() != exp {
			t.Errorf("stated %v: expiry %v, %v; want the JWT's exp", stated, tok.Expiry, err)
		}
	}
	ts := NewTokens(func(context.Context) (Token, error) {
		return Token{Value: jwtWithExp(time.Now().Add(-time.Minute).Unix())}, nil
	}, time.Second)
	if _, err := ts.Token(context.Background()); err == nil {
		t.Error("an expired token was handed out")
	}
}

func TestDecodeIdentityAnswer(t *testing.T) {
	tests := []struct {
		name, body string
		code       int
		wantErr    string
		wantExp    int64
	}{
		{"expires_on as a string", `{"access_token":"a.b.c","expires_on":"1586984735","resource":"r","token_type":"Bearer"}`, 200, "", 1586984735},
		{"expires_on as a number", `{"access_token":"a.b.c","expires_on":1586984735}`, 200, "", 1586984735},
		{"an error answer", `{"statusCode":400,"message":"Unable to load the proper Managed Identity."}`, 400, "Unable to load", 0},
		{"not JSON", `<html>`, 200, "not a token", 0},
		{"a bad expiry", `{"access_token":"x","expires_on":"soon"}`, 200, "not a token", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := decodeIdentityAnswer(tt.code, http.StatusText(tt.code), []byte(tt.body), "r")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || tok.Expiry.Unix() != tt.wantExp {
				t.Fatalf("%+v %v", tok, err)
			}
		})
	}
}

func TestDecodeContainerAnswer(t *testing.T) {
	c, err := decodeContainerAnswer(200, "200 OK", []byte(`{"AccessKeyId":"ASIA","SecretAccessKey":"s","Token":"t","Expiration":"2026-12-02T10:00:00Z"}`))
	if err != nil || !c.CanExpire || c.Expires.Hour() != 10 || c.SessionToken != "t" {
		t.Fatalf("%+v %v", c, err)
	}
	for _, body := range []string{`{}`, `{"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"tomorrow"}`, `nope`} {
		if _, err := decodeContainerAnswer(200, "200 OK", []byte(body)); err == nil {
			t.Errorf("%s: accepted", body)
		}
	}
	if _, err := decodeContainerAnswer(401, "401 Unauthorized", []byte(`{"code":"InvalidToken","message":"no"}`)); err == nil || !strings.Contains(err.Error(), "InvalidToken") {
		t.Errorf("err = %v", err)
	}
}

func FuzzDecodeIdentityAnswer(f *testing.F) {
	f.Add(200, []byte(`{"access_token":"a.b.c","expires_on":"1586984735"}`))
	f.Add(400, []byte(`{"error":"invalid_request","error_description":"x"}`))
	f.Add(200, []byte(`{"access_token":"a","expires_in":"-5"}`))
	f.Fuzz(func(t *testing.T, code int, body []byte) {
		tok, err := decodeIdentityAnswer(code, "status", body, "r")
		if err == nil && code != 200 {
			t.Fatalf("status %d accepted", code)
		}
		if err != nil && tok.Value != "" {
			t.Fatal("a token with an error")
		}
	})
}

func FuzzDecodeContainerAnswer(f *testing.F) {
	f.Add(200, []byte(`{"AccessKeyId":"ASIA","SecretAccessKey":"s","Token":"t","Expiration":"2026-12-02T10:00:00Z"}`))
	f.Add(500, []byte(`{"code":"x"}`))
	f.Fuzz(func(t *testing.T, code int, body []byte) {
		c, err := decodeContainerAnswer(code, "status", body)
		if err == nil && (code != 200 || !c.HasKeys()) {
			t.Fatalf("accepted %d %+v", code, c)
		}
	})
}

func FuzzJWTExpiry(f *testing.F) {
	f.Add(jwtWithExp(1700000000))
	f.Add("a.b")
	f.Add("..")
	f.Fuzz(func(t *testing.T, tok string) {
		if e := jwtExpiry(tok); !e.IsZero() && e.Unix() <= 0 {
			t.Fatalf("expiry %v", e)
		}
	})
}

// TestManagedIdentityRequest checks the request shape of the App Service / Functions
// identity endpoint and that IDENTITY_HEADER is read for every fetch (the platform rotates it).
func TestManagedIdentityRequest(t *testing.T) {
	var header atomic.Value
	header.Store("h1")
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		if r.Header.Get("X-IDENTITY-HEADER") != header.Load().(string) {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		_, _ = fmt.Fprintf(w, `{"access_token":"tok-%s","expires_on":"%d"}`, header.Load(), time.Now().Add(time.Hour).Unix())
	}))
	defer srv.Close()
	env := map[string]string{"IDENTITY_HEADER": "h1"}
	var mu sync.Mutex
	getenv := func(k string) string { mu.Lock(); defer mu.Unlock(); return env[k] }
	fetch := managedIdentity(srv.Client(), OAuth{ManagedIdentity: true, IdentityEndpoint: srv.URL + "/msi/token",
		Scopes: []string{"https://ns.servicebus.windows.net/.default"}, ClientID: "user-assigned-id", Getenv: getenv})
	tok, err := fetch(context.Background())
	if err != nil || tok.Value != "tok-h1" {
		t.Fatalf("%+v %v", tok, err)
	}
	want := "GET /msi/token?api-version=2019-08-01&client_id=user-assigned-id&resource=https%3A%2F%2Fns.servicebus.windows.net"
	if seen[0] != want {
		t.Errorf("request %q, want %q", seen[0], want)
	}
	header.Store("h2")
	mu.Lock()
	env["IDENTITY_HEADER"] = "h2"
	mu.Unlock()
	if tok, err := fetch(context.Background()); err != nil || tok.Value != "tok-h2" {
		t.Fatalf("after the header rotated: %+v %v", tok, err)
	}
}
