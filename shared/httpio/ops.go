package httpio

import (
	"net/http"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/metrics"
)

// opsOptions are Serve's operations settings (WithOps).
type opsOptions struct {
	noTrace bool // TRACE_PROPAGATION=false; on by default, as in config
	cors    *cors
	metrics *metrics.Registry
}

// WithOps applies Ops: trace-context propagation (TraceHeaders; on without WithOps
// too, off with TRACE_PROPAGATION=false), CORS for HTTP_CORS_ORIGINS, and request metrics
// into m (nil: none). Request ids are always on.
func WithOps(o Ops, m *metrics.Registry) Option {
	return func(so *serveOptions) {
		so.ops = opsOptions{noTrace: !o.TracePropagation, cors: newCORS(o), metrics: m}
	}
}

// NoteProduced adds records Kafka acknowledged (and their key, value and header bytes) and
// the time spent waiting for Kafka to the request's metrics.
func NoteProduced(r *http.Request, records, bytes int, kafka time.Duration) {
	noteKafka(r, produced, records, bytes, kafka)
}

// NoteConsumed adds records returned in a consume answer (and their bytes) and the time
// spent waiting for Kafka to the request's metrics.
func NoteConsumed(r *http.Request, records, bytes int, kafka time.Duration) {
	noteKafka(r, consumed, records, bytes, kafka)
}

// noteKafka adds one Kafka call that moved records and bytes in direction dir and took kafka
// to the request's metrics.
func noteKafka(r *http.Request, dir, records, bytes int, kafka time.Duration) {
	if n := noteFrom(r.Context()); n != nil {
		n.traffic[dir].records += int64(records)
		n.traffic[dir].bytes += int64(bytes)
		n.kafkaCalls++
		n.kafka += kafka
	}
}

// MetricsHandler is the GET /metrics route: the Prometheus text of m, or a 404
// metrics_disabled error when m does not serve Prometheus (METRICS is not "prometheus").
// The caller puts it behind the metadata permission.
func MetricsHandler(m *metrics.Registry) http.Handler {
	if h := m.Handler(); h != nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, apierr.E(apierr.NotFound, "metrics_disabled",
			`Prometheus metrics are off here; set METRICS=prometheus to serve them (on AWS Lambda they are EMF log lines)`))
	})
}

func errPreflight(r *http.Request, method, methods string) error {
	if methods == "" {
		return apierr.E(apierr.NotFound, "route_not_found", "CORS preflight: no route for "+r.URL.Path)
	}
	return apierr.E(apierr.MethodNotAllowed, "method_not_allowed",
		"CORS preflight: method "+method+" is not allowed on "+r.URL.Path)
}
