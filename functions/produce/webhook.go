package produce

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/config/webhookenv"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/webhook"
)

// Record headers the webhook route adds besides the configured request headers.
const (
	webhookSourceHeader = "kafkafn-webhook-source" // the verified source name
	contentTypeHeader   = "content-type"
)

// WebhookScheme is the auth.Principal scheme of webhook senders: a webhook is authenticated
// by its signature, and the Principal's ID is the source name.
const WebhookScheme = "webhook"

// WebhookDeps configures webhook ingestion: the sources allowed to post, with their
// verifiers. The zero value has no sources and refuses every webhook.
type WebhookDeps struct {
	sources map[string]*webhookSource
}

type webhookSource struct {
	name      string
	principal *auth.Principal
	verifier  webhook.Verifier
	topics    []string
	key       []webhook.KeySource
	headers   []string
}

// NewWebhookDeps builds the verifiers of cfg's sources. Errors name WEBHOOK_SECRETS and
// the source, never the secret.
func NewWebhookDeps(cfg webhook.Config) (WebhookDeps, error) {
	d := WebhookDeps{sources: make(map[string]*webhookSource, len(cfg.Sources))}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(cfg.Sources)) {
		sc := cfg.Sources[name]
		v, err := newVerifier(sc)
		if err != nil {
			errs = append(errs, fmt.Errorf("WEBHOOK_SECRETS: source %q: %w", name, err))
			continue
		}
		d.sources[name] = &webhookSource{
			name:      name,
			principal: &auth.Principal{Scheme: WebhookScheme, ID: name, Name: "webhook source " + name},
			verifier:  v,
			topics:    sc.Topics,
			key:       sc.Key,
			headers:   sc.Headers,
		}
	}
	return d, errors.Join(errs...)
}

func newVerifier(sc webhook.Source) (webhook.Verifier, error) {
	switch sc.Scheme {
	case webhook.SchemeStandard:
		return webhook.NewStandard(sc.Secrets...)
	case webhook.SchemeGitHub:
		return webhook.NewGitHub(rawSecrets(sc.Secrets)...)
	case webhook.SchemeHMAC:
		return webhook.NewHMAC(sc.SignatureHeader, sc.SignaturePrefix, webhook.Encoding(sc.Encoding), rawSecrets(sc.Secrets)...)
	default:
		return nil, fmt.Errorf("unknown scheme %q", sc.Scheme)
	}
}

func rawSecrets(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func loadWebhooks(env platform.Env) (WebhookDeps, error) {
	cfg, err := webhookenv.FromEnv(env.Getenv)
	if err != nil {
		return WebhookDeps{}, err
	}
	return NewWebhookDeps(cfg)
}

// WebhookResponse answers an ingested webhook, once Kafka has acknowledged the record.
type WebhookResponse struct {
	Topic     string `json:"topic"`
	Partition int    `json:"partition"`
	Offset    int64  `json:"offset"`
	Timestamp int64  `json:"timestamp"` // epoch milliseconds
}

type webhookHandler struct{ Deps }

// serve ingests a webhook: the raw body of a signed delivery becomes one record of {topic}.
func (h *webhookHandler) serve(r *httpio.Request) (httpio.Response, error) {
	topic := r.Topic
	name := r.URL.Query().Get("source")
	if name == "" {
		return nil, apierr.E(apierr.Unauthorized, "missing_webhook_source",
			"the query parameter source must name the webhook source, e.g. ?source=github")
	}
	src := h.Webhooks.sources[name]
	if src == nil {
		return nil, apierr.E(apierr.Unauthorized, "unknown_webhook_source",
			"no webhook source "+quote(name)+" is configured")
	}
	body, err := httpio.ReadBody(r.Writer(), r.Request, h.Limits.MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	if body == nil {
		body = []byte{} // an empty delivery is an empty value, not a tombstone
	}
	if err := src.verifier.Verify(r.Header, body, time.Now()); err != nil {
		return nil, err
	}
	httpio.MarkAuthenticated(r.Request)
	if !topicAllowed(src.topics, topic) {
		return nil, apierr.E(apierr.Forbidden, "topic_not_allowed",
			"webhook source "+quote(name)+" may not write to topic "+quote(topic))
	}
	ctx := auth.NewContext(r.Context(), src.principal)
	if h.Guard != nil {
		if err := h.Guard.Allow(ctx, auth.OpProduce, topic); err != nil {
			return nil, err
		}
	}
	rec := broker.Record{
		Partition: broker.AnyPartition,
		Key:       src.recordKey(r.Request),
		Value:     body,
		Headers:   src.recordHeaders(r.Request),
	}
	records := []broker.Record{rec}
	addTraceHeaders(r.Request, records)
	produced, err := produceKafka(r.Request, h.Broker, ctx, topic, records)
	if err != nil {
		return nil, err
	}
	p := produced[0]
	return httpio.JSON[WebhookResponse]{Status: http.StatusAccepted, Body: WebhookResponse{
		Topic: topic, Partition: p.Partition, Offset: p.Offset, Timestamp: p.Time.UnixMilli(),
	}}, nil
}

// topicAllowed matches topic against a source's allow-list: exact names, prefixes ending
// in "*", or "*".
func topicAllowed(patterns []string, topic string) bool {
	for _, p := range patterns {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(topic, prefix) {
				return true
			}
		} else if p == topic {
			return true
		}
	}
	return false
}

// recordKey is the first non-empty configured header or query parameter, or nil.
func (s *webhookSource) recordKey(r *http.Request) []byte {
	for _, k := range s.key {
		var v string
		if k.Query {
			v = r.URL.Query().Get(k.Name)
		} else {
			v = r.Header.Get(k.Name)
		}
		if v != "" {
			return []byte(v)
		}
	}
	return nil
}

// recordHeaders copies the content type, the configured request headers (one record header
// per value, named in lower case) and the source name.
func (s *webhookSource) recordHeaders(r *http.Request) []broker.Header {
	var out []broker.Header
	if ct := r.Header.Get("Content-Type"); ct != "" {
		out = append(out, broker.Header{Key: contentTypeHeader, Value: []byte(ct)})
	}
	for _, name := range s.headers {
		for _, v := range r.Header.Values(name) {
			out = append(out, broker.Header{Key: strings.ToLower(name), Value: []byte(v)})
		}
	}
	return append(out, broker.Header{Key: webhookSourceHeader, Value: []byte(s.name)})
}

// quote quotes a name from the request for an error message.
func quote(s string) string { return fmt.Sprintf("%q", apierr.Clip(s, 64)) }
