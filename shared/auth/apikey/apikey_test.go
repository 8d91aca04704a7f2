package apikey_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/apikey"
	"github.com/kafkafn/kafkafn/shared/auth/authconfig"
	"github.com/kafkafn/kafkafn/shared/auth/bearer"
	"github.com/kafkafn/kafkafn/shared/auth/entratest"
	"github.com/kafkafn/kafkafn/shared/platform"
)

const secret = "q3mQbZ4vA0p0gA1sQzS3d9o2lB2tEw7x9rWc4Kk1FhE" // 32 bytes, base64url

func sum(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// server is a real HTTP server whose routes are guarded as kafkafn's are.
func server(t *testing.T, env map[string]string, opts ...authconfig.Option) *httptest.Server {
	t.Helper()
	var logs bytes.Buffer
	opts = append(opts, authconfig.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	g, err := authconfig.Guard(platform.Env{Getenv: func(k string) string { return env[k] }, Platform: "local"}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /v1/producer/topics/{topic}", g.Wrap(auth.OpProduce, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		io.WriteString(w, p.Scheme+":"+p.ID)
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the secret was logged: %s", logs.String())
		}
	})
	return srv
}

func TestAPIKeys(t *testing.T) {
	env := map[string]string{
		"AUTH_API_KEYS": `{"ci": {"sha256": "` + sum(secret) + `"}, "partner": {"secretEnv": "PARTNER_SECRET"}}`,
		"AUTH_POLICY":   `{"rules":[{"principals":["key:ci"],"ops":["produce"],"topics":["orders"]}]}`,
	}
	env["PARTNER_SECRET"] = secret + "-partner"
	srv := server(t, env)
	basic := func(id, s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+s)) }
	for _, tc := range []struct {
		name, topic string
		auth        []string
		status      int
		body        string
	}{
		{"the right key on an allowed topic → 200 as key:ci", "orders", []string{basic("ci", secret)}, 200, "key:ci"},
		{"the right key on another topic → 403", "payments", []string{basic("ci", secret)}, 403, ""},
		{"a secretEnv key is authenticated but the policy does not name it → 403", "orders", []string{basic("partner", secret+"-partner")}, 403, ""},
		{"a wrong secret → 401", "orders", []string{basic("ci", secret+"x")}, 401, ""},
		{"an unknown id → 401", "orders", []string{basic("nobody", secret)}, 401, ""},
		{"another key's secret → 401", "orders", []string{basic("partner", secret)}, 401, ""},
		{"no credentials → 401", "orders", nil, 401, ""},
		{"malformed base64 → 401", "orders", []string{"Basic !!!"}, 401, ""},
		{"no colon → 401", "orders", []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("ci"))}, 401, ""},
		{"two Authorization headers → 401", "orders", []string{basic("ci", secret), basic("ci", secret)}, 401, ""},
		{"an empty secret → 401", "orders", []string{basic("ci", "")}, 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/producer/topics/"+tc.topic, strings.NewReader("{}"))
			for _, a := range tc.auth {
				req.Header.Add("Authorization", a)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || (tc.body != "" && string(b) != tc.body) {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
			if strings.Contains(string(b), secret) {
				t.Fatalf("the secret is echoed: %s", b)
			}
			if tc.status == 401 && !strings.Contains(resp.Header.Get("WWW-Authenticate"), apikey.Challenge) {
				t.Fatalf("WWW-Authenticate %q", resp.Header.Values("WWW-Authenticate"))
			}
		})
	}
}

func TestChallengesBesideBearer(t *testing.T) {
	idp := entratest.New(t)
	srv := server(t, map[string]string{"AUTH_API_KEYS": `{"ci": {"sha256": "` + sum(secret) + `"}}`,
		"AUTH_ENTRA_TENANT_ID": idp.Tenant, "AUTH_ENTRA_AUDIENCE": "api://x", "AUTH_ENTRA_AUTHORITY_HOST": idp.URL},
		authconfig.WithBearerOptions(bearer.WithHTTPClient(idp.Client())))
	resp, err := http.Post(srv.URL+"/v1/producer/topics/orders", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := strings.Join(resp.Header.Values("WWW-Authenticate"), ", ")
	if resp.StatusCode != 401 || !strings.Contains(got, "Bearer") || !strings.Contains(got, apikey.Challenge) {
		t.Fatalf("%d WWW-Authenticate %q", resp.StatusCode, got)
	}
	// A bearer token still works next to API keys.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/producer/topics/orders", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+idp.Sign(idp.Claims("2.0", "api://x")))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("bearer next to API keys: %d", resp.StatusCode)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"not JSON", `ci=abc`, "JSON object"},
		{"bad hash", `{"ci":{"sha256":"abc"}}`, "64 hex"},
		{"both fields", `{"ci":{"sha256":"` + sum("x") + `","secretEnv":"X"}}`, "exactly one"},
		{"unset secretEnv", `{"ci":{"secretEnv":"KAFKAFN_TEST_UNSET"}}`, "empty or unset"},
		{"short secretEnv", `{"ci":{"secretEnv":"SHORT"}}`, "shorter than 16"},
		{"bad id", `{"c i":{"sha256":"` + sum("x") + `"}}`, "key id"},
		{"unknown field", `{"ci":{"sha265":"x"}}`, "unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"AUTH_API_KEYS": tc.value, "SHORT": "abc"}
			_, err := authconfig.Guard(platform.Env{Getenv: func(k string) string { return env[k] }, Platform: "local"})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "AUTH_API_KEYS") {
				t.Fatalf("err %v", err)
			}
			if strings.Contains(err.Error(), "abc\"") {
				t.Fatalf("the secret is in the error: %v", err)
			}
		})
	}
}

func FuzzAuthenticate(f *testing.F) {
	a, err := apikey.New(map[string][]byte{"ci": mustHex(sum(secret))})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("Basic " + base64.StdEncoding.EncodeToString([]byte("ci:"+secret)))
	f.Add("Basic Y2k6")
	f.Add("basic    ")
	f.Fuzz(func(t *testing.T, h string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", h)
		p, err := a.Authenticate(r)
		if err == nil && (p.ID != "ci" || p.Scheme != apikey.Scheme) {
			t.Fatalf("accepted %q as %+v", h, p)
		}
	})
}

func mustHex(s string) []byte { b, _ := hex.DecodeString(s); return b }
