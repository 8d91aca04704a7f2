// Package metrics counts what kafkafn's HTTP routes do and reports it in the two formats the
// clouds read without an agent: CloudWatch Embedded Metric Format (EMF) lines on stdout on
// AWS Lambda, one per request, and the Prometheus text exposition format (version 0.0.4) for
// GET /metrics elsewhere. Both carry the same series: requests (by route and status), errors
// (by route and error code), request duration, records and bytes produced and consumed, and
// Kafka latency, per route.
//
// Both formats are written by hand. Design note: client_golang adds about 2.75 MB to a
// stripped arm64 binary (protobuf, procfs, client_model; measured in the project notes) for
// what here is a dozen counters and two fixed-bucket histograms, and no Go EMF library exists.
// The hot path is a read-locked map lookup and a few atomic adds; nothing is allocated per
// request once a route's series exist.
package metrics

import (
	"io"
	"math"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Modes: where the counters go.
const (
	ModeOff        = "off"        // nothing is counted; GET /metrics answers 404
	ModeEMF        = "emf"        // one EMF JSON line per request on Out (stdout)
	ModePrometheus = "prometheus" // counters served on GET /metrics
)

// UnmatchedRoute is the route label of requests that matched no route.
const UnmatchedRoute = "unmatched"

// Options configure a Registry.
type Options struct {
	Mode      string    // ModeOff, ModeEMF or ModePrometheus
	Namespace string    // the EMF namespace (default "kafkafn")
	Function  string    // the EMF Function dimension: the function's name
	Out       io.Writer // EMF lines go here (the binary passes os.Stdout)
}

// Registry holds the counters of one process. A nil *Registry counts nothing. It is safe
// for concurrent use.
type Registry struct {
	opts Options

	mu     sync.RWMutex
	routes map[string]*routeStats

	outMu sync.Mutex // one EMF line at a time
}

// New returns a Registry, or nil when opts.Mode is ModeOff (or empty).
func New(opts Options) *Registry {
	if opts.Mode == "" || opts.Mode == ModeOff {
		return nil
	}
	if opts.Namespace == "" {
		opts.Namespace = "kafkafn"
	}
	if opts.Mode == ModeEMF && opts.Out == nil {
		opts.Out = io.Discard
	}
	return &Registry{opts: opts, routes: map[string]*routeStats{}}
}

// Prometheus reports whether the registry serves GET /metrics.
func (g *Registry) Prometheus() bool { return g != nil && g.opts.Mode == ModePrometheus }

// Observation is what one request did. Zero fields are "none".
type Observation struct {
	Route     string // the ServeMux pattern, or UnmatchedRoute
	Status    int
	ErrorCode string // the error body's code, for failed requests
	RequestID string // on EMF lines only (a log field, never a dimension)
	Duration  time.Duration

	RecordsProduced, BytesProduced int64
	RecordsConsumed, BytesConsumed int64
	KafkaCalls                     int
	KafkaLatency                   time.Duration // summed over KafkaCalls
}

// Observe records one request.
func (g *Registry) Observe(o Observation) {
	if g == nil {
		return
	}
	if o.Route == "" {
		o.Route = UnmatchedRoute
	}
	s := g.route(o.Route)
	s.requests(o.Status).Add(1)
	if o.ErrorCode != "" {
		s.errors(o.ErrorCode).Add(1)
	}
	s.duration.observe(o.Duration)
	s.recordsProduced.Add(o.RecordsProduced)
	s.bytesProduced.Add(o.BytesProduced)
	s.recordsConsumed.Add(o.RecordsConsumed)
	s.bytesConsumed.Add(o.BytesConsumed)
	if o.KafkaCalls > 0 {
		s.kafka.observe(o.KafkaLatency)
	}
	if g.opts.Mode == ModeEMF {
		g.writeEMF(o)
	}
}

func (g *Registry) route(name string) *routeStats {
	g.mu.RLock()
	s := g.routes[name]
	g.mu.RUnlock()
	if s != nil {
		return s
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if s = g.routes[name]; s == nil {
		s = &routeStats{byStatus: map[int]*atomic.Int64{}, byCode: map[string]*atomic.Int64{}}
		g.routes[name] = s
	}
	return s
}

// routeStats are one route's series.
type routeStats struct {
	mu       sync.RWMutex
	byStatus map[int]*atomic.Int64
	byCode   map[string]*atomic.Int64

	duration, kafka                histogram
	recordsProduced, bytesProduced atomic.Int64
	recordsConsumed, bytesConsumed atomic.Int64
}

func (s *routeStats) requests(status int) *atomic.Int64 {
	s.mu.RLock()
	c := s.byStatus[status]
	s.mu.RUnlock()
	if c != nil {
		return c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c = s.byStatus[status]; c == nil {
		c = new(atomic.Int64)
		s.byStatus[status] = c
	}
	return c
}

func (s *routeStats) errors(code string) *atomic.Int64 {
	s.mu.RLock()
	c := s.byCode[code]
	s.mu.RUnlock()
	if c != nil {
		return c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c = s.byCode[code]; c == nil {
		if len(s.byCode) >= maxCodes {
			code = "other" // error codes are constants in the code, but stay bounded anyway
			if c = s.byCode[code]; c != nil {
				return c
			}
		}
		c = new(atomic.Int64)
		s.byCode[code] = c
	}
	return c
}

const maxCodes = 64

// buckets are the histogram upper bounds in seconds (the Prometheus client defaults).
var buckets = [...]float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// histogram is a fixed-bucket histogram; counts are per bucket (not cumulative) plus +Inf.
type histogram struct {
	counts [len(buckets) + 1]atomic.Int64
	sumNs  atomic.Int64
}

func (h *histogram) observe(d time.Duration) {
	sec := d.Seconds()
	i := sort.SearchFloat64s(buckets[:], sec) // first bound >= sec
	h.counts[i].Add(1)
	h.sumNs.Add(int64(d))
}

// formatFloat writes a sample value the way Prometheus parses it.
func formatFloat(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	case math.IsNaN(f):
		return append(b, "NaN"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}
