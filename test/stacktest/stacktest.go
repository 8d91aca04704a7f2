// Package stacktest runs kafkafn's whole HTTP surface (every route, as functions/all serves
// it, with the development guard) over a real broker.Client and an in-process kfake
// cluster, optionally through a fault-injecting TCP proxy. The fault, load and benchmark
// suites share it.
package stacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/functions/consumewindow"
	"github.com/kafkafn/kafkafn/functions/listtopics"
	"github.com/kafkafn/kafkafn/functions/produce"
	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// Options shape a Stack. The zero value is a one-broker cluster, no proxy, default limits.
type Options struct {
	Cluster []kfake.Opt          // extra kfake options (topics, broker count, ...)
	Proxy   bool                 // put a brokertest.Proxy between the client and the cluster
	Kafka   func(*broker.Config) // adjust the client's Kafka settings
	Limits  func(*httpio.Limits) // adjust the request limits
	Log     *slog.Logger         // request log; nil discards it
}

// Stack is a running kafkafn over kfake.
type Stack struct {
	Cluster *brokertest.Cluster
	Proxy   *brokertest.Proxy // nil without Options.Proxy
	Broker  *broker.Client
	Server  *httptest.Server
	Handler http.Handler
	Limits  httpio.Limits
	Kafka   broker.Config
}

// DefaultLimits are config.LimitsFromEnv's defaults.
func DefaultLimits() httpio.Limits {
	l, err := config.LimitsFromEnv(func(string) string { return "" })
	if err != nil {
		panic(err)
	}
	return l
}

// Handler returns every kafkafn route on one mux behind httpio.Serve, as functions/all
// builds it, with the development guard (no authentication).
func Handler(bc *broker.Client, limits httpio.Limits, log *slog.Logger) http.Handler {
	g := auth.NewDevGuard()
	mux := http.NewServeMux()
	listtopics.Register(mux, listtopics.Deps{Broker: bc, Guard: g, Limits: limits})
	produce.Register(mux, produce.Deps{Broker: bc, Guard: g, Limits: limits})
	consumewindow.Register(mux, consumewindow.Deps{Broker: bc, Guard: g, Limits: limits})
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return httpio.Serve(mux, log)
}

// New starts a cluster, a client and an httptest server; all are closed when t ends.
func New(t testing.TB, o Options) *Stack {
	t.Helper()
	s := &Stack{Cluster: brokertest.NewCluster(t, o.Cluster...), Limits: DefaultLimits()}
	s.Kafka = s.Cluster.Config
	if o.Kafka != nil {
		o.Kafka(&s.Kafka)
	}
	if o.Limits != nil {
		o.Limits(&s.Limits)
	}
	var opts []broker.Option
	if o.Proxy {
		s.Proxy = brokertest.NewProxy(t)
		opts = append(opts, broker.WithDialer(s.Proxy.Dial))
	}
	bc, err := broker.New(s.Kafka, opts...)
	if err != nil {
		t.Fatal(err)
	}
	s.Broker = bc
	s.Handler = Handler(bc, s.Limits, o.Log)
	s.Server = httptest.NewServer(s.Handler)
	t.Cleanup(func() {
		s.Server.Close()
		bc.Close()
	})
	return s
}

// Response is one HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends one request; body, when not nil, is sent as JSON.
func (s *Stack) Do(ctx context.Context, method, path string, body any) (Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return Response{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.Server.URL+path, rd)
	if err != nil {
		return Response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.Server.Client().Do(req)
	if err != nil {
		return Response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}, err
}

// ProduceBody builds an HDInsight produce body of string values.
func ProduceBody(partition *int32, values ...string) produce.ProduceRequest {
	req := produce.ProduceRequest{Records: make([]produce.ProducerRecord, len(values))}
	for i, v := range values {
		raw, _ := json.Marshal(v)
		req.Records[i] = produce.ProducerRecord{Value: raw, Partition: partition}
	}
	return req
}

// ErrorBody is the native error body with the produce route's per-record outcomes.
type ErrorBody struct {
	Error   httpio.ErrorDetail     `json:"error"`
	Records []produce.RecordResult `json:"records"`
}

// Claim is an (partition, offset) a response said holds a value.
type Claim struct {
	Partition int
	Offset    int64
	Value     string
}

// Claims returns what a produce response claims was written: every record with an offset,
// from a success or a partial-failure body.
func Claims(values []string, body []byte) ([]Claim, error) {
	var out struct {
		Records []produce.RecordResult `json:"records"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("stacktest: decode produce answer %q: %w", body, err)
	}
	var claims []Claim
	for i, r := range out.Records {
		if r.Offset == nil {
			continue
		}
		if i >= len(values) {
			return nil, fmt.Errorf("stacktest: produce answer has %d records for %d values", len(out.Records), len(values))
		}
		claims = append(claims, Claim{Partition: r.Partition, Offset: *r.Offset, Value: values[i]})
	}
	return claims, nil
}

// Log reads every record of topic straight from the cluster (not through the proxy or the
// stack's client), keyed by partition then offset.
func (s *Stack) Log(t testing.TB, topic string) map[int]map[int64]string {
	t.Helper()
	bc, err := broker.New(s.Cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	parts, err := bc.Partitions(ctx, topic)
	if err != nil {
		t.Fatalf("stacktest: read log of %s: %v", topic, err)
	}
	out := map[int]map[int64]string{}
	for _, p := range parts {
		recs := map[int64]string{}
		for off := p.Earliest; off < p.Latest; {
			w, err := bc.Fetch(ctx, topic, p.ID, off, 100000, 64<<20)
			if err != nil {
				t.Fatalf("stacktest: read %s/%d at %d: %v", topic, p.ID, off, err)
			}
			for _, m := range w.Messages {
				recs[m.Offset] = string(m.Value)
			}
			if w.Next <= off {
				break
			}
			off = w.Next
		}
		out[p.ID] = recs
	}
	return out
}

// CheckClaims fails t for every claim whose offset does not hold its value in the log.
func CheckClaims(t testing.TB, log map[int]map[int64]string, claims []Claim) {
	t.Helper()
	for _, c := range claims {
		got, ok := log[c.Partition][c.Offset]
		if !ok || got != c.Value {
			t.Errorf("response claimed %q at partition %d offset %d, the log holds %q (present %v)", c.Value, c.Partition, c.Offset, got, ok)
		}
	}
}

// Count returns how many times value occurs in log.
func Count(log map[int]map[int64]string, value string) int {
	n := 0
	for _, recs := range log {
		for _, v := range recs {
			if v == value {
				n++
			}
		}
	}
	return n
}
