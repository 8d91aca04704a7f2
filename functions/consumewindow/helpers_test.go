package consumewindow

import (
	"bytes"
	"encoding/json"
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

// testEnv is a kfake cluster, a broker client and the consume-window routes on an httptest
// server (dev auth unless the test passes a guard). These are package-internal tests
// (cursors, commit tokens, pull sinks, Deps edits): they cannot import internal/harness (it
// imports this package), so they wire Register with a hand-made Deps. The tests of the
// shipped configuration path are in consumewindow_test.
type testEnv struct {
	cluster *brokertest.Cluster
	broker  *broker.Client
	deps    Deps
	srv     *httptest.Server
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

func startEnv(t testing.TB, edit func(*Deps), opts ...kfake.Opt) *testEnv {
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
	return &testEnv{cluster: c, broker: bc, deps: d, srv: srv}
}

// do sends a request and returns the status and body.
func (e *testEnv) do(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// decode unmarshals a 200 answer into v, failing the test on any other status.
func decode(t *testing.T, status int, body []byte, v any) {
	t.Helper()
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
}

// errorCode returns the code of a native error body.
func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var eb httpio.ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		t.Fatalf("not an error body: %s", body)
	}
	return eb.Error.Code
}

func (e *testEnv) produce(t *testing.T, topic string, recs ...broker.Record) {
	t.Helper()
	out, err := e.broker.Produce(t.Context(), topic, recs)
	if err != nil {
		t.Fatalf("produce: %v (%+v)", err, out)
	}
}

// deleteRecords deletes every record of topic/partition before offset (retention), with
// an independent client (franz-go).
func (e *testEnv) deleteRecords(t *testing.T, topic string, partition int32, before int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.cluster.ListenAddrs()...))
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

// committed returns the group's committed offsets of partitions 0..n-1.
func (e *testEnv) committed(t *testing.T, group, topic string, n int) map[int]int64 {
	t.Helper()
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	c, err := e.broker.CommittedOffsets(t.Context(), group, topic, ids)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func jsonBody(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
