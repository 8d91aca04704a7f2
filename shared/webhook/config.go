package webhook

// Signature schemes a Source may use (WEBHOOK_SECRETS "scheme").
const (
	SchemeStandard = "standard"    // Standard Webhooks (NewStandard)
	SchemeGitHub   = "github"      // X-Hub-Signature-256 (NewGitHub)
	SchemeHMAC     = "hmac-sha256" // any HMAC-SHA256 header (NewHMAC)
)

// Config is the webhook ingestion section: the sources allowed to post to
// POST /v1/webhooks/{topic}?source=<name>. shared/config/webhookenv fills it from
// WEBHOOK_SECRETS. The zero value (the default) has no sources: every webhook is refused.
type Config struct {
	Sources map[string]Source // by name
}

// Source is one sender of webhooks and how its deliveries are verified and recorded.
type Source struct {
	Name   string
	Scheme string // SchemeStandard, SchemeGitHub or SchemeHMAC; required
	// Secrets verify the signature; any one may match (so a secret can be rotated). At least
	// one is required. Standard Webhooks secrets are "whsec_<base64>"; the others are used as
	// raw bytes.
	Secrets []string
	// Topics the source may write: exact names, prefixes ending in "*", or "*" for all;
	// required.
	Topics []string
	// SignatureHeader, SignaturePrefix and Encoding ("hex", the default, or "base64")
	// describe a hmac-sha256 signature; the header is required for it, the prefix defaults
	// to none.
	SignatureHeader string
	SignaturePrefix string
	Encoding        string
	// Key lists where the record key comes from, tried in order: header names and query
	// parameter names. Default per scheme: webhook-id (standard), X-GitHub-Delivery (github),
	// none (hmac-sha256). Empty: no key.
	Key []KeySource
	// Headers are the request headers copied to record headers (besides Content-Type).
	// Default per scheme: webhook-id and webhook-timestamp (standard); X-GitHub-Event,
	// X-GitHub-Delivery and X-GitHub-Hook-ID (github); none (hmac-sha256).
	Headers []string
}

// KeySource is one place a record key may come from.
type KeySource struct {
	Query bool   // a query parameter; otherwise a request header
	Name  string // header or parameter name
}
