// Package webhookenv fills webhook.Config, the webhook ingestion section (WEBHOOK_SECRETS),
// from the environment. It is apart from config so that only the binaries that ingest
// webhooks (produce, all) link it.
package webhookenv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/kafkafn/kafkafn/shared/config/envread"
	"github.com/kafkafn/kafkafn/shared/webhook"
)

// webhookSourceJSON is one source as written in WEBHOOK_SECRETS.
type webhookSourceJSON struct {
	Scheme    string    `json:"scheme"`
	Secret    string    `json:"secret"`
	Secrets   []string  `json:"secrets"`
	SecretEnv string    `json:"secretEnv"`
	Topics    []string  `json:"topics"`
	Header    string    `json:"header"`
	Prefix    string    `json:"prefix"`
	Encoding  string    `json:"encoding"`
	Key       *string   `json:"key"`
	Headers   *[]string `json:"headers"`
}

// Default key sources and copied headers per scheme, used when a source does not say.
var (
	webhookDefaultKey = map[string]string{
		webhook.SchemeStandard: "header:webhook-id",
		webhook.SchemeGitHub:   "header:X-GitHub-Delivery",
		webhook.SchemeHMAC:     "none",
	}
	webhookDefaultHeaders = map[string][]string{
		webhook.SchemeStandard: {"webhook-id", "webhook-timestamp"},
		webhook.SchemeGitHub:   {"X-GitHub-Event", "X-GitHub-Delivery", "X-GitHub-Hook-ID"},
		webhook.SchemeHMAC:     {},
	}
)

// FromEnv reads WEBHOOK_SECRETS: a JSON object from source name to source, e.g.
//
//	{"github": {"scheme": "github", "secretEnv": "GITHUB_WEBHOOK_SECRET", "topics": ["github-events"]},
//	 "billing": {"scheme": "standard", "secret": "whsec_…", "topics": ["billing-*"], "key": "header:webhook-id"},
//	 "shop": {"scheme": "hmac-sha256", "secret": "…", "header": "X-Shop-Hmac-Sha256", "encoding": "base64", "topics": ["orders"]}}
//
// Fields: scheme (standard, github, hmac-sha256), secret / secrets / secretEnv (the name of
// another variable holding the secret; at least one secret in all), topics (required),
// header, prefix and encoding (hmac-sha256 only; encoding hex by default), key
// ("header:<name>", "query:<name>", a comma-separated list of them tried in order, or
// "none"), and headers (request headers copied to record headers). Errors name the variable
// and the source, never a secret.
func FromEnv(getenv func(string) string) (webhook.Config, error) {
	const name = "WEBHOOK_SECRETS"
	w := webhook.Config{Sources: map[string]webhook.Source{}}
	raw := strings.TrimSpace(getenv(name))
	if raw == "" {
		return w, nil
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	var in map[string]webhookSourceJSON
	if err := dec.Decode(&in); err != nil {
		return w, envread.Errorf(name, "must be a JSON object from source name to source: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return w, envread.Errorf(name, "must be one JSON object, found more after it")
	}
	var errs []error
	for _, src := range slices.Sorted(maps.Keys(in)) {
		s, err := webhookSource(getenv, src, in[src])
		if err != nil {
			errs = append(errs, envread.Errorf(name, "source %q: %v", src, err))
			continue
		}
		w.Sources[src] = s
	}
	return w, errors.Join(errs...)
}

// jsonProblem describes a decode error without echoing the input (which holds secrets).
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s", te.Field, te.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ")
	default:
		return "invalid JSON"
	}
}

func webhookSource(getenv func(string) string, name string, in webhookSourceJSON) (webhook.Source, error) {
	s := webhook.Source{Name: name, Scheme: strings.ToLower(strings.TrimSpace(in.Scheme))}
	if !envread.SourceName.MatchString(name) {
		return s, errors.New("a source name is 1-64 letters, digits, '-' or '_'")
	}
	switch s.Scheme {
	case webhook.SchemeStandard, webhook.SchemeGitHub, webhook.SchemeHMAC:
	case "":
		return s, errors.New(`scheme is required: "standard", "github" or "hmac-sha256"`)
	default:
		return s, fmt.Errorf(`scheme must be "standard", "github" or "hmac-sha256", got %q`, in.Scheme)
	}

	if in.Secret != "" {
		s.Secrets = append(s.Secrets, in.Secret)
	}
	for i, sec := range in.Secrets {
		if sec == "" {
			return s, fmt.Errorf("secrets[%d] is empty", i)
		}
		s.Secrets = append(s.Secrets, sec)
	}
	if in.SecretEnv != "" {
		sec := getenv(in.SecretEnv)
		if sec == "" {
			return s, fmt.Errorf("secretEnv names %s, which is not set", in.SecretEnv)
		}
		s.Secrets = append(s.Secrets, sec)
	}
	if len(s.Secrets) == 0 {
		return s, errors.New("a secret is required (secret, secrets or secretEnv)")
	}

	if len(in.Topics) == 0 {
		return s, errors.New(`topics is required: the topics this source may write ("*" for any)`)
	}
	for _, t := range in.Topics {
		if !envread.TopicPattern.MatchString(t) {
			return s, fmt.Errorf(`topics: %q is not a topic name, a prefix ending in "*", or "*"`, t)
		}
	}
	s.Topics = in.Topics

	if s.Scheme == webhook.SchemeHMAC {
		s.SignatureHeader, s.SignaturePrefix = strings.TrimSpace(in.Header), in.Prefix
		if !envread.HeaderName.MatchString(s.SignatureHeader) {
			return s, errors.New("header is required for hmac-sha256: the name of the header holding the signature")
		}
		s.Encoding = strings.ToLower(strings.TrimSpace(in.Encoding))
		switch s.Encoding {
		case "":
			s.Encoding = "hex"
		case "hex", "base64":
		default:
			return s, fmt.Errorf(`encoding must be "hex" or "base64", got %q`, in.Encoding)
		}
	} else if in.Header != "" || in.Prefix != "" || in.Encoding != "" {
		return s, fmt.Errorf("header, prefix and encoding apply only to hmac-sha256, not %s", s.Scheme)
	}

	key := webhookDefaultKey[s.Scheme]
	if in.Key != nil {
		key = *in.Key
	}
	var err error
	if s.Key, err = parseWebhookKey(key); err != nil {
		return s, err
	}

	s.Headers = webhookDefaultHeaders[s.Scheme]
	if in.Headers != nil {
		s.Headers = *in.Headers
	}
	for _, h := range s.Headers {
		if !envread.HeaderName.MatchString(h) {
			return s, fmt.Errorf("headers: %q is not a header name", h)
		}
	}
	return s, nil
}

func parseWebhookKey(v string) ([]webhook.KeySource, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "none" {
		return nil, nil
	}
	var out []webhook.KeySource
	for _, part := range strings.Split(v, ",") {
		kind, name, _ := strings.Cut(strings.TrimSpace(part), ":")
		switch {
		case kind == "header" && envread.HeaderName.MatchString(name):
			out = append(out, webhook.KeySource{Name: name})
		case kind == "query" && envread.QueryName.MatchString(name):
			out = append(out, webhook.KeySource{Query: true, Name: name})
		default:
			return nil, fmt.Errorf(`key must be "none" or a comma-separated list of "header:<name>" and "query:<name>", got %q`, v)
		}
	}
	return out, nil
}
