package produce

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// addTraceHeaders gives each record the request's trace context (httpio.TraceHeaders:
// traceparent, tracestate, X-Amzn-Trace-Id) as record headers of the same names, as
// OpenTelemetry's Kafka instrumentations do, so a trace crosses Kafka. A record that already
// carries a header of that name (compared without case) keeps its own. The header values
// are shared between records; nothing reads them mutably.
func addTraceHeaders(r *http.Request, records []broker.Record) {
	th := httpio.TraceHeaders(r.Context())
	if len(th) == 0 {
		return
	}
	var vals [3][]byte
	for i, h := range th {
		vals[i] = []byte(h.Value)
	}
	for i := range records {
		for j, h := range th {
			if !hasHeader(records[i].Headers, h.Key) {
				records[i].Headers = append(records[i].Headers, broker.Header{Key: h.Key, Value: vals[j]})
			}
		}
	}
}

func hasHeader(hs []broker.Header, key string) bool {
	for _, h := range hs {
		if strings.EqualFold(h.Key, key) {
			return true
		}
	}
	return false
}

// produceKafka runs Produce and notes the acknowledged records, their bytes and the Kafka
// time in the request's metrics.
func produceKafka(r *http.Request, b *broker.Client, ctx context.Context, topic string, records []broker.Record) ([]broker.Produced, error) {
	start := time.Now()
	produced, err := b.Produce(ctx, topic, records)
	elapsed := time.Since(start)
	n, size := 0, 0
	for i, p := range produced {
		if p.Err != nil || p.Offset < 0 || i >= len(records) {
			continue
		}
		n++
		rec := &records[i]
		size += len(rec.Key) + len(rec.Value)
		for _, h := range rec.Headers {
			size += len(h.Key) + len(h.Value)
		}
	}
	httpio.NoteProduced(r, n, size, elapsed)
	return produced, err
}
