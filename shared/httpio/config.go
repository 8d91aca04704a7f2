package httpio

import "time"

// The settings httpio applies, owned here; shared/config fills them from the environment
// (config.LimitsFromEnv, config.OpsFromEnv). Each field names its variable and default.

// DefaultRequestTimeout is Limits.RequestTimeout's default (REQUEST_TIMEOUT).
const DefaultRequestTimeout = 25 * time.Second

// Limits bound what one request may ask for.
type Limits struct {
	// MaxBodyBytes caps request bodies (HTTP_MAX_BODY_BYTES, default 6 MiB).
	MaxBodyBytes int64
	// MaxRecords caps records per produce request (PRODUCE_MAX_RECORDS, default 500).
	MaxRecords int
	// ConsumeMaxBytes caps the record data in one consume response (CONSUME_MAX_BYTES, default 6 MiB).
	ConsumeMaxBytes int64
	// ConsumeMaxCount caps count on consume (CONSUME_MAX_COUNT, default 10000).
	ConsumeMaxCount int
	// RequestTimeout bounds one request when the platform gives no deadline (REQUEST_TIMEOUT,
	// default DefaultRequestTimeout, 25s; Azure's front end gives up at 230 s).
	RequestTimeout time.Duration
	// MaxInflightBytes bounds the request bodies being handled at once; more wait, then 503
	// (HTTP_MAX_INFLIGHT_BYTES, default 16 MiB; at least HTTP_MAX_BODY_BYTES; 0 turns it off).
	MaxInflightBytes int64
	// MaxInflightUnauthBytes is the share of MaxInflightBytes that bodies read before their
	// caller is authenticated may hold (webhooks and TC3 sign the body itself), so such
	// callers cannot take the budget of bearer-authenticated ones
	// (HTTP_MAX_INFLIGHT_UNAUTHENTICATED_BYTES, default a quarter of HTTP_MAX_INFLIGHT_BYTES
	// and at least HTTP_MAX_BODY_BYTES; between HTTP_MAX_BODY_BYTES and HTTP_MAX_INFLIGHT_BYTES).
	MaxInflightUnauthBytes int64
	// BodyTimeout bounds the time a request body may take to arrive once the server starts
	// reading it; a slower body is answered 408 and its connection closed (HTTP_BODY_TIMEOUT,
	// default 20s).
	BodyTimeout time.Duration
	// MaxInflightResponseBytes bounds the record data held for answers at once (reads); a read
	// that cannot get room in time is a retryable 503 (HTTP_MAX_INFLIGHT_RESPONSE_BYTES, default
	// 32 MiB; at least CONSUME_MAX_BYTES; 0 turns it off).
	MaxInflightResponseBytes int64
	// DeadlineMargin is kept free before the platform deadline to answer (DEADLINE_MARGIN, default 500ms).
	DeadlineMargin time.Duration
}

// Ops configures what operators and browsers see around every route: trace propagation,
// metrics and CORS. Request ids are always on.
type Ops struct {
	// TracePropagation copies a valid W3C traceparent/tracestate (and, on Lambda, the X-Ray
	// trace header) into the headers of produced records (TRACE_PROPAGATION, default true).
	TracePropagation bool
	// Metrics is where request metrics go (METRICS): "emf" (CloudWatch Embedded Metric
	// Format lines on stdout), "prometheus" (GET /metrics, behind the metadata permission)
	// or "off". Default: "emf" on AWS Lambda, "prometheus" for the local server on
	// loopback, "off" on the public platforms SCF and Azure and for a local server on a
	// public address (a scrape there reaches one random instance).
	Metrics string
	// MetricsNamespace is the EMF namespace (METRICS_NAMESPACE, default "kafkafn").
	MetricsNamespace string
	// CORSOrigins are the browser origins allowed to call the routes (HTTP_CORS_ORIGINS,
	// comma-separated exact origins such as https://app.example.com, or "*"). Empty: CORS
	// is off and no CORS header is ever sent.
	CORSOrigins []string
	// CORSCredentials lets browsers send cookies and TLS client certificates
	// (HTTP_CORS_CREDENTIALS, default false). Refused together with "*".
	CORSCredentials bool
}
