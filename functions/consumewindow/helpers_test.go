package consumewindow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkafn/kafkafn/internal/rawhttp"
	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/config/groupsenv"
	"github.com/kafkafn/kafkafn/shared/groups"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/kafkadeps"
	"github.com/kafkafn/kafkafn/shared/openapi/openapitest"
)

// Env is a kfake cluster, a broker client and the consume-window routes on a server, with
// the helpers the route tests share. The external tests (package consumewindow_test) get
// one from the shipped Build through internal/harness (NewEnv over the harness's Stack).
// startEnv wires Register with a hand-made Deps for the package-internal tests (forged
// commit tokens, pull sinks, Deps edits no environment variable expresses): they cannot
// import internal/harness, which imports this package.
type Env struct {
	Cluster *brokertest.Cluster
	Broker  *broker.Client
	URL     string
	Client  *http.Client
	deps    Deps // startEnv only
}

// NewEnv is the Env of a running server at url (the harness's Stack).
func NewEnv(c *brokertest.Cluster, b *broker.Client, url string, client *http.Client) *Env {
	return &Env{Cluster: c, Broker: b, URL: url, Client: client}
}

func testLimits() httpio.Limits {
	l, err := config.LimitsFromEnv(func(string) string { return "" })
	if err != nil {
		panic(err)
	}
	l.RequestTimeout = 10 * time.Second
	return l
}

func testGroups() groups.Config {
	g, err := groupsenv.FromEnv(func(string) string { return "" })
	if err != nil {
		panic(err)
	}
	return g
}

func startEnv(t testing.TB, edit func(*Deps), opts ...kfake.Opt) *Env {
	t.Helper()
	c := brokertest.NewCluster(t, opts...)
	bc, err := broker.New(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bc.Close)
	d := Deps{Base: kafkadeps.Base{Broker: bc, Guard: auth.NewDevGuard(), Limits: testLimits()}, Groups: testGroups()}
	if edit != nil {
		edit(&d)
	}
	mux := http.NewServeMux()
	Register(mux, d)
	// Every answer must match the OpenAPI document.
	srv := httptest.NewServer(openapitest.Check(t, httpio.Serve(mux, slog.New(slog.NewTextHandler(io.Discard, nil)))))
	t.Cleanup(srv.Close)
	return &Env{Cluster: c, Broker: bc, URL: srv.URL, Client: srv.Client(), deps: d}
}

// Do sends a request and returns the status and body.
func (e *Env) Do(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, b, err := rawhttp.Exchange(e.Client, req)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// Decode unmarshals a 200 answer into v, failing the test on any other status.
func Decode(t *testing.T, status int, body []byte, v any) {
	t.Helper()
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
}

// ErrorCode returns the code of a native error body.
func ErrorCode(t *testing.T, body []byte) string {
	t.Helper()
	var eb httpio.ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		t.Fatalf("not an error body: %s", body)
	}
	return eb.Error.Code
}

func (e *Env) Produce(t *testing.T, topic string, recs ...broker.Record) {
	t.Helper()
	out, err := e.Broker.Produce(t.Context(), topic, recs)
	if err != nil {
		t.Fatalf("produce: %v (%+v)", err, out)
	}
}

// DeleteRecords deletes every record of topic/partition before offset (retention), with
// an independent client (franz-go).
func (e *Env) DeleteRecords(t *testing.T, topic string, partition int32, before int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.Cluster.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrDeleteRecordsRequest()
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewDeleteRecordsRequestTopicPartition()
	rp.Partition, rp.Offset = partition, before
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 5000
	res, err := req.RequestWith(t.Context(), cl)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range res.Topics {
		for _, rp := range rt.Partitions {
			if rp.ErrorCode != 0 {
				t.Fatalf("delete records: error code %d", rp.ErrorCode)
			}
		}
	}
}

// Committed returns the group's committed offsets of partitions 0..n-1.
func (e *Env) Committed(t *testing.T, group, topic string, n int) map[int]int64 {
	t.Helper()
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	c, err := e.Broker.CommittedOffsets(t.Context(), group, topic, ids)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func JSONBody(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// Base is the time of the first test record: 2026-01-15T10:00:00Z (in the past).
var Base = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// SeedTimed writes n records one second apart from Base, round-robin over partitions;
// record i has value "v<i>".
func SeedTimed(t *testing.T, e *Env, topic string, partitions, n int) {
	t.Helper()
	var recs []broker.Record
	for i := range n {
		recs = append(recs, broker.Record{Partition: i % partitions, Value: []byte(fmt.Sprintf("v%d", i)), Time: Base.Add(time.Duration(i) * time.Second)})
	}
	e.Produce(t, topic, recs...)
}

func Millis(t time.Time) string { return fmt.Sprint(t.UnixMilli()) }

func Values(recs []ConsumeRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = *r.Value
	}
	return out
}

func Vals(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("v%d", i))
	}
	return out
}

func (e *Env) Window(t *testing.T, query string) WindowResponse {
	t.Helper()
	var out WindowResponse
	status, body := e.Do(t, "GET", "/v1/consumer/topics/events/window?"+query, "")
	Decode(t, status, body, &out)
	return out
}

func (e *Env) GroupWindow(t *testing.T, group, query string) GroupWindowResponse {
	t.Helper()
	var out GroupWindowResponse
	status, body := e.Do(t, "POST", "/v1/consumer/groups/"+group+"/topics/events/window?"+query, "")
	Decode(t, status, body, &out)
	return out
}

func (e *Env) Commit(t *testing.T, group, token string) (int, []byte) {
	t.Helper()
	return e.Do(t, "POST", "/v1/consumer/groups/"+group+"/commit", JSONBody(t, CommitRequest{CommitToken: token}))
}

func (e *Env) Lag(t *testing.T, group string) LagResponse {
	t.Helper()
	var out LagResponse
	status, body := e.Do(t, "GET", "/v1/consumer/groups/"+group+"/lag?topic=events", "")
	Decode(t, status, body, &out)
	return out
}
