package main

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// peerHandler is the produce handler a competent engineer would write instead of kafkafn in
// an afternoon: net/http, encoding/json into []struct{Key, Value json.RawMessage}, and
// franz-go's ProduceSync with acks=all (and franz-go's default idempotent producer). It
// reads the same HDInsight bodies as kafkafn's route and produces to the topic in the
// path. It is the peer kafkafn is measured against in scripts/bench; it lives here only and
// never in a shipped binary.
//
// Two choices make the peer faster than a literal copy of the franz-go README would be, so
// that the comparison is with a good handler, not a careless one: the linger is 0 (the
// default 10 ms would add 10 ms to every synchronous request), and the values are produced
// as the raw JSON they arrive as (no unquoting), which only saves the peer work.
func peerHandler(brokers []string) (http.Handler, func(), error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
		kgo.ClientID("bench-peer"),
	)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/producer/topics/{topic}", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Records []struct {
				Key   json.RawMessage `json:"key"`
				Value json.RawMessage `json:"value"`
			} `json:"records"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<20)).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if len(body.Records) == 0 {
			http.Error(w, "no records", http.StatusBadRequest)
			return
		}
		topic := r.PathValue("topic")
		recs := make([]*kgo.Record, len(body.Records))
		for i, rec := range body.Records {
			recs[i] = &kgo.Record{Topic: topic, Key: rec.Key, Value: rec.Value}
		}
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		results := cl.ProduceSync(ctx, recs...)
		if err := results.FirstErr(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		type offset struct {
			Partition int32 `json:"partition"`
			Offset    int64 `json:"offset"`
		}
		out := struct {
			Offsets []offset `json:"offsets"`
		}{Offsets: make([]offset, len(results))}
		for i, res := range results {
			out.Offsets[i] = offset{Partition: res.Record.Partition, Offset: res.Record.Offset}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
	return mux, cl.Close, nil
}

// peerProduce: kafkafn's produce route over loopback HTTP against the peer handler over the
// same loopback server, the same broker and the same bodies, at N=100 and N=500 × 1 KiB.
func (b *bench) peerProduce(ctx context.Context) error {
	h, closePeer, err := peerHandler(b.brokers)
	if err != nil {
		return err
	}
	defer closePeer()
	url, stop, err := serve(h)
	if err != nil {
		return err
	}
	defer stop()
	for _, n := range []int{100, 500} {
		body := produceBody(n)
		post := func(base string) func(string) func(context.Context) error {
			return func(topic string) func(context.Context) error {
				target := base + "/v1/producer/topics/" + topic
				return func(ctx context.Context) error { return b.postURL(ctx, target, body) }
			}
		}
		variants := []variant{
			{"peer (net/http + encoding/json + franz-go ProduceSync, acks=all)", post(url)},
			{"kafkafn HTTP loopback", post(b.url)},
		}
		if err := b.produceSideBySide(ctx, "peer", "peer", n, variants, func(string) float64 { return 1.5 }); err != nil {
			return err
		}
	}
	return nil
}
