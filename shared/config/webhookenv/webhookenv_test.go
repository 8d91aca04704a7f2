package webhookenv_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/config/webhookenv"
	"github.com/kafkafn/kafkafn/shared/webhook"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const testSecret = "s3cr3t-value-not-to-be-echoed"

func TestWebhooksFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		extra   map[string]string
		wantErr string // text the error must contain; "" = valid
		check   func(t *testing.T, w webhook.Config)
	}{
		{name: "unset means no sources", json: "", check: func(t *testing.T, w webhook.Config) {
			if len(w.Sources) != 0 {
				t.Errorf("%+v", w)
			}
		}},
		{name: "a GitHub source gets GitHub's key and headers by default",
			json:  `{"github": {"scheme": "GitHub", "secretEnv": "GH_SECRET", "topics": ["github-*"]}}`,
			extra: map[string]string{"GH_SECRET": testSecret},
			check: func(t *testing.T, w webhook.Config) {
				s := w.Sources["github"]
				want := webhook.Source{
					Name: "github", Scheme: "github", Secrets: []string{testSecret}, Topics: []string{"github-*"},
					Key:     []webhook.KeySource{{Name: "X-GitHub-Delivery"}},
					Headers: []string{"X-GitHub-Event", "X-GitHub-Delivery", "X-GitHub-Hook-ID"},
				}
				if !reflect.DeepEqual(s, want) {
					t.Errorf("got  %+v\nwant %+v", s, want)
				}
			}},
		{name: "a Standard Webhooks source keys by webhook-id and accepts rotated secrets",
			json: `{"billing": {"scheme": "standard", "secret": "whsec_a", "secrets": ["whsec_b"], "topics": ["*"]}}`,
			check: func(t *testing.T, w webhook.Config) {
				s := w.Sources["billing"]
				if !reflect.DeepEqual(s.Secrets, []string{"whsec_a", "whsec_b"}) || !reflect.DeepEqual(s.Key, []webhook.KeySource{{Name: "webhook-id"}}) ||
					!reflect.DeepEqual(s.Headers, []string{"webhook-id", "webhook-timestamp"}) {
					t.Errorf("%+v", s)
				}
			}},
		{name: "a generic HMAC source with key sources in order and no headers",
			json: `{"shop": {"scheme": "hmac-sha256", "secret": "x", "header": "X-Sig", "prefix": "sha256=", "encoding": "BASE64",
				"topics": ["orders"], "key": "header:Idempotency-Key, query:key", "headers": []}}`,
			check: func(t *testing.T, w webhook.Config) {
				s := w.Sources["shop"]
				wantKey := []webhook.KeySource{{Name: "Idempotency-Key"}, {Query: true, Name: "key"}}
				if s.SignatureHeader != "X-Sig" || s.SignaturePrefix != "sha256=" || s.Encoding != "base64" ||
					!reflect.DeepEqual(s.Key, wantKey) || s.Headers == nil || len(s.Headers) != 0 {
					t.Errorf("%+v", s)
				}
			}},
		{name: "hmac-sha256 encoding defaults to hex and key to none",
			json: `{"shop": {"scheme": "hmac-sha256", "secret": "x", "header": "X-Sig", "topics": ["orders"]}}`,
			check: func(t *testing.T, w webhook.Config) {
				if s := w.Sources["shop"]; s.Encoding != "hex" || s.Key != nil {
					t.Errorf("%+v", s)
				}
			}},
		{name: "not JSON", json: `github=github:` + testSecret, wantErr: "JSON object"},
		{name: "trailing data", json: `{} {}`, wantErr: "one JSON object"},
		{name: "an unknown field", json: `{"a": {"scheme": "github", "secret": "x", "topics": ["t"], "secert": "y"}}`, wantErr: `unknown field "secert"`},
		{name: "a wrongly typed field does not echo the secret", json: `{"a": {"scheme": "github", "secret": ["` + testSecret + `"], "topics": ["t"]}}`, wantErr: "secret"},
		{name: "a missing scheme", json: `{"a": {"secret": "x", "topics": ["t"]}}`, wantErr: `source "a": scheme is required`},
		{name: "an unknown scheme", json: `{"a": {"scheme": "stripe", "secret": "x", "topics": ["t"]}}`, wantErr: `scheme must be`},
		{name: "no secret", json: `{"a": {"scheme": "github", "topics": ["t"]}}`, wantErr: "a secret is required"},
		{name: "an unset secretEnv", json: `{"a": {"scheme": "github", "secretEnv": "NOPE", "topics": ["t"]}}`, wantErr: "NOPE, which is not set"},
		{name: "no topics", json: `{"a": {"scheme": "github", "secret": "x"}}`, wantErr: "topics is required"},
		{name: "a bad topic pattern", json: `{"a": {"scheme": "github", "secret": "x", "topics": ["a*b"]}}`, wantErr: `"a*b" is not a topic name`},
		{name: "a bad source name", json: `{"a b": {"scheme": "github", "secret": "x", "topics": ["t"]}}`, wantErr: "source name"},
		{name: "hmac-sha256 without header", json: `{"a": {"scheme": "hmac-sha256", "secret": "x", "topics": ["t"]}}`, wantErr: "header is required"},
		{name: "hmac-sha256 with a bad encoding", json: `{"a": {"scheme": "hmac-sha256", "secret": "x", "header": "X-Sig", "encoding": "base32", "topics": ["t"]}}`, wantErr: "encoding must be"},
		{name: "header on a GitHub source", json: `{"a": {"scheme": "github", "secret": "x", "header": "X-Sig", "topics": ["t"]}}`, wantErr: "only to hmac-sha256"},
		{name: "a bad key", json: `{"a": {"scheme": "github", "secret": "x", "topics": ["t"], "key": "body:id"}}`, wantErr: "key must be"},
		{name: "a bad header name", json: `{"a": {"scheme": "github", "secret": "x", "topics": ["t"], "headers": ["X Bad"]}}`, wantErr: `"X Bad" is not a header name`},
		{name: "every bad source is reported", json: `{"a": {"scheme": "github"}, "b": {"scheme": "standard"}}`, wantErr: `source "b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]string{"WEBHOOK_SECRETS": tt.json}
			for k, v := range tt.extra {
				m[k] = v
			}
			w, err := webhookenv.FromEnv(env(m))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, w)
				return
			}
			if err == nil {
				t.Fatalf("no error; want one containing %q", tt.wantErr)
			}
			msg := err.Error()
			if !strings.Contains(msg, "WEBHOOK_SECRETS") || !strings.Contains(msg, tt.wantErr) {
				t.Errorf("error %q does not name WEBHOOK_SECRETS and %q", msg, tt.wantErr)
			}
			if strings.Contains(msg, testSecret) {
				t.Errorf("error echoes the secret: %q", msg)
			}
		})
	}
}

func FuzzWebhooksFromEnv(f *testing.F) {
	f.Add(`{"github": {"scheme": "github", "secret": "x", "topics": ["github-*"]}}`)
	f.Add(`{"a": {"scheme": "hmac-sha256", "secret": "x", "header": "X-Sig", "topics": ["*"], "key": "header:a,query:b"}}`)
	f.Add(`{"a": {"scheme": "standard", "secrets": ["whsec_x"], "topics": ["t"], "headers": null, "key": null}}`)
	f.Fuzz(func(t *testing.T, v string) {
		w, err := webhookenv.FromEnv(env(map[string]string{"WEBHOOK_SECRETS": v}))
		if err != nil {
			return
		}
		for name, s := range w.Sources {
			if s.Name != name || len(s.Secrets) == 0 || len(s.Topics) == 0 {
				t.Fatalf("accepted an incomplete source %+v", s)
			}
		}
	})
}
