package httpio

import (
	"context"
	"net/http"
	"strings"

	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/tracectx"
)

// RecordHeader is a Kafka record header kafkafn adds on its own (trace context). httpio
// cannot name broker.Header (it must not link kafka-go); the produce routes convert.
type RecordHeader struct {
	Key   string
	Value string
}

// TraceHeaders returns the trace-context record headers of the request ctx belongs to:
// traceparent and tracestate when the request carried a valid traceparent, and
// X-Amzn-Trace-Id on Lambda. Empty outside Serve or with TRACE_PROPAGATION=false. Produce
// routes add each one to a record unless the record already has a header of that name.
func TraceHeaders(ctx context.Context) []RecordHeader {
	if n := noteFrom(ctx); n != nil {
		return n.trace[:n.ntrace]
	}
	return nil
}

// traceFor fills n's trace headers from r. An invalid traceparent (or several) is ignored
// together with tracestate, as the W3C specification says; an invalid tracestate alone is
// dropped.
func traceFor(r *http.Request, n *logNote) {
	// The canonical keys avoid canonicalising "traceparent" on every request.
	if tp := r.Header["Traceparent"]; len(tp) == 1 {
		if v, ok := tracectx.ParseTraceParent(tp[0]); ok {
			n.addTrace(tracectx.TraceParentHeader, v)
			n.traceID = v[3:35]
			if ts := r.Header["Tracestate"]; len(ts) > 0 {
				if v, ok := tracectx.ParseTraceState(strings.Join(ts, ",")); ok && v != "" {
					n.addTrace(tracectx.TraceStateHeader, v)
				}
			}
		}
	}
	if inv, ok := platform.FromContext(r.Context()); ok && tracectx.ValidXRay(inv.TraceID) {
		n.addTrace(tracectx.XRayHeader, inv.TraceID)
	}
}

func (n *logNote) addTrace(k, v string) {
	n.trace[n.ntrace] = RecordHeader{Key: k, Value: v}
	n.ntrace++
}
