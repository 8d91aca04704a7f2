package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/functions/produce"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// Send sends one request; body, when not nil, is sent as JSON. It returns transport errors
// instead of failing a test (the fault and load suites count them).
func (s *Stack) Send(ctx context.Context, method, path string, body any) (Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return Response{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		return Response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return s.send(req)
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
		return nil, fmt.Errorf("harness: decode produce answer %q: %w", body, err)
	}
	var claims []Claim
	for i, r := range out.Records {
		if r.Offset == nil {
			continue
		}
		if i >= len(values) {
			return nil, fmt.Errorf("harness: produce answer has %d records for %d values", len(out.Records), len(values))
		}
		claims = append(claims, Claim{Partition: r.Partition, Offset: *r.Offset, Value: values[i]})
	}
	return claims, nil
}

// Log reads every record of topic with a fresh client of its own (not the product's),
// keyed by partition then offset.
func (s *Stack) Log(t testing.TB, topic string) map[int]map[int64]string {
	t.Helper()
	bc, err := broker.New(s.Kafka)
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	parts, err := bc.Partitions(ctx, topic)
	if err != nil {
		t.Fatalf("harness: read log of %s: %v", topic, err)
	}
	out := map[int]map[int64]string{}
	for _, p := range parts {
		recs := map[int64]string{}
		for off := p.Earliest; off < p.Latest; {
			w, err := bc.Fetch(ctx, topic, p.ID, off, 100000, 64<<20)
			if err != nil {
				t.Fatalf("harness: read %s/%d at %d: %v", topic, p.ID, off, err)
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
