package metrics

import (
	"bytes"
	"maps"
	"net/http"
	"slices"
	"strconv"
)

// ContentType is the Prometheus text format's content type (Prometheus 3 fails a scrape
// without it).
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// family describes one metric family of the exposition.
type family struct {
	name, help, typ string
}

var families = []family{
	{"kafkafn_http_requests_total", "HTTP requests served, by route pattern and status code.", "counter"},
	{"kafkafn_http_errors_total", "HTTP requests answered with an error body, by route pattern and error code.", "counter"},
	{"kafkafn_http_request_duration_seconds", "Time from the request's arrival to the end of its answer.", "histogram"},
	{"kafkafn_records_produced_total", "Kafka records acknowledged by the brokers.", "counter"},
	{"kafkafn_produced_bytes_total", "Key, value and header bytes of the acknowledged records.", "counter"},
	{"kafkafn_records_consumed_total", "Kafka records returned in consume answers.", "counter"},
	{"kafkafn_consumed_bytes_total", "Key, value and header bytes of the returned records.", "counter"},
	{"kafkafn_kafka_latency_seconds", "Time the requests spent waiting for Kafka (produce, fetch, offsets).", "histogram"},
}

// Handler returns the GET /metrics handler, or nil when the registry does not serve
// Prometheus text. The caller puts it behind authentication.
func (g *Registry) Handler() http.Handler {
	if !g.Prometheus() {
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		var buf bytes.Buffer
		g.WritePrometheus(&buf)
		h := w.Header()
		h.Set("Content-Type", ContentType)
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Length", strconv.Itoa(buf.Len()))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(buf.Bytes())
	})
}

// WritePrometheus writes every series in the text format 0.0.4, routes sorted.
func (g *Registry) WritePrometheus(buf *bytes.Buffer) {
	if g == nil {
		return
	}
	g.mu.RLock()
	names := make([]string, 0, len(g.routes))
	for name := range g.routes {
		names = append(names, name)
	}
	stats := make([]*routeStats, 0, len(names))
	slices.Sort(names)
	for _, name := range names {
		stats = append(stats, g.routes[name])
	}
	g.mu.RUnlock()

	b := buf.AvailableBuffer()
	for fi, f := range families {
		b = append(b, "# HELP "...)
		b = append(b, f.name...)
		b = append(b, ' ')
		b = append(b, f.help...)
		b = append(b, "\n# TYPE "...)
		b = append(b, f.name...)
		b = append(b, ' ')
		b = append(b, f.typ...)
		b = append(b, '\n')
		for i, s := range stats {
			route := names[i]
			switch fi {
			case 0:
				s.mu.RLock()
				for _, c := range slices.Sorted(maps.Keys(s.byStatus)) {
					b = sample(b, f.name, route, "status", strconv.Itoa(c), float64(s.byStatus[c].Load()))
				}
				s.mu.RUnlock()
			case 1:
				s.mu.RLock()
				for _, c := range slices.Sorted(maps.Keys(s.byCode)) {
					b = sample(b, f.name, route, "code", c, float64(s.byCode[c].Load()))
				}
				s.mu.RUnlock()
			case 2:
				b = s.duration.append(b, f.name, route)
			case 3:
				b = sample(b, f.name, route, "", "", float64(s.recordsProduced.Load()))
			case 4:
				b = sample(b, f.name, route, "", "", float64(s.bytesProduced.Load()))
			case 5:
				b = sample(b, f.name, route, "", "", float64(s.recordsConsumed.Load()))
			case 6:
				b = sample(b, f.name, route, "", "", float64(s.bytesConsumed.Load()))
			case 7:
				b = s.kafka.append(b, f.name, route)
			}
		}
	}
	buf.Write(b)
}

// append writes the histogram's _bucket (cumulative, ending with +Inf), _sum and _count
// lines. The counts are read one by one, so a scrape racing an observation may be off by
// one between buckets, never non-monotonic: each bucket is the running sum of what was read.
func (h *histogram) append(b []byte, name, route string) []byte {
	var cum int64
	for i := range h.counts {
		cum += h.counts[i].Load()
		le := "+Inf"
		if i < len(buckets) {
			le = strconv.FormatFloat(buckets[i], 'g', -1, 64)
		}
		b = sample(b, name+"_bucket", route, "le", le, float64(cum))
	}
	b = sample(b, name+"_sum", route, "", "", float64(h.sumNs.Load())/1e9)
	return sample(b, name+"_count", route, "", "", float64(cum))
}

// sample writes name{route="…"[,label="value"]} v.
func sample(b []byte, name, route, label, value string, v float64) []byte {
	b = append(b, name...)
	b = append(b, `{route="`...)
	b = appendLabelValue(b, route)
	b = append(b, '"')
	if label != "" {
		b = append(b, ',')
		b = append(b, label...)
		b = append(b, `="`...)
		b = appendLabelValue(b, value)
		b = append(b, '"')
	}
	b = append(b, "} "...)
	b = formatFloat(b, v)
	return append(b, '\n')
}

// appendLabelValue escapes \, " and newline, as the text format requires.
func appendLabelValue(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, c)
		}
	}
	return b
}
