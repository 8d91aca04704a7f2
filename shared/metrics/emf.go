package metrics

import (
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// EMF layout (CloudWatch "Specification: Embedded metric format"): one JSON object per line
// with _aws.Timestamp (ms) and _aws.CloudWatchMetrics, a list of directives naming the root
// members that are metrics and dimensions. Each line here has one directive with dimensions
// [Function, Route] and, for a failed request, a second with [Function, Route, ErrorCode]
// for Errors. That is at most 8 metrics per directive and 3 dimensions per set (limits: 100
// and 30), one value per metric (limit 100), and dimension values are the function name,
// a route pattern and an error code (far below 1024 characters; longer values are cut).
// The request id is a plain root member, never a dimension (it would make every request
// its own billed metric).

var emfPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

const maxDimension = 1024

func (g *Registry) writeEMF(o Observation) {
	bp := emfPool.Get().(*[]byte)
	b := appendEMF((*bp)[:0], g.opts.Namespace, g.opts.Function, o, time.Now())
	g.outMu.Lock()
	_, _ = g.opts.Out.Write(b)
	g.outMu.Unlock()
	if cap(b) <= 64<<10 {
		*bp = b
		emfPool.Put(bp)
	}
}

// appendEMF appends o as one EMF line (with its newline) to b.
func appendEMF(b []byte, namespace, function string, o Observation, now time.Time) []byte {
	type metric struct {
		name, unit string
		value      float64
	}
	var ms [8]metric
	n := 0
	add := func(name, unit string, v float64) { ms[n] = metric{name, unit, v}; n++ }
	errs := 0.0
	if o.ErrorCode != "" || o.Status >= 500 {
		errs = 1
	}
	add("Requests", "Count", 1)
	add("Errors", "Count", errs)
	add("Duration", "Milliseconds", float64(o.Duration.Microseconds())/1000)
	if o.RecordsProduced > 0 || o.BytesProduced > 0 {
		add("RecordsProduced", "Count", float64(o.RecordsProduced))
		add("BytesProduced", "Bytes", float64(o.BytesProduced))
	}
	if o.RecordsConsumed > 0 || o.BytesConsumed > 0 {
		add("RecordsConsumed", "Count", float64(o.RecordsConsumed))
		add("BytesConsumed", "Bytes", float64(o.BytesConsumed))
	}
	if o.KafkaCalls > 0 {
		add("KafkaLatency", "Milliseconds", float64(o.KafkaLatency.Microseconds())/1000)
	}

	b = append(b, `{"_aws":{"Timestamp":`...)
	b = strconv.AppendInt(b, now.UnixMilli(), 10)
	b = append(b, `,"CloudWatchMetrics":[{"Namespace":`...)
	b = appendJSONString(b, namespace)
	b = append(b, `,"Dimensions":[["Function","Route"]],"Metrics":[`...)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Name":"`...)
		b = append(b, ms[i].name...)
		b = append(b, `","Unit":"`...)
		b = append(b, ms[i].unit...)
		b = append(b, `"}`...)
	}
	b = append(b, "]}"...)
	if o.ErrorCode != "" {
		b = append(b, `,{"Namespace":`...)
		b = appendJSONString(b, namespace)
		b = append(b, `,"Dimensions":[["Function","Route","ErrorCode"]],"Metrics":[{"Name":"Errors","Unit":"Count"}]}`...)
	}
	b = append(b, `]},"Function":`...)
	b = appendJSONString(b, cut(function))
	b = append(b, `,"Route":`...)
	b = appendJSONString(b, cut(o.Route))
	if o.ErrorCode != "" {
		b = append(b, `,"ErrorCode":`...)
		b = appendJSONString(b, cut(o.ErrorCode))
	}
	b = append(b, `,"Status":`...)
	b = strconv.AppendInt(b, int64(o.Status), 10)
	if o.RequestID != "" {
		b = append(b, `,"request_id":`...)
		b = appendJSONString(b, cut(o.RequestID))
	}
	for i := range n {
		b = append(b, ',', '"')
		b = append(b, ms[i].name...)
		b = append(b, '"', ':')
		b = strconv.AppendFloat(b, ms[i].value, 'f', -1, 64)
	}
	return append(b, "}\n"...)
}

func cut(s string) string {
	if len(s) <= maxDimension {
		return s
	}
	s = s[:maxDimension]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
