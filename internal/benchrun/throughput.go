package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/kafkafn/kafkafn/internal/harness"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/platform/awslambda"
	"github.com/kafkafn/kafkafn/shared/platform/azurefunc"
	"github.com/kafkafn/kafkafn/shared/platform/scf"
)

// value1K is a 1 KiB record value (ASCII, so the JSON body carries it as is).
var value1K = strings.Repeat("0123456789abcdef", 64)

// produceBody is an HDInsight produce body of n 1 KiB records, all for partition 0.
func produceBody(n int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"records":[`)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"partition":0,"value":"` + value1K + `"}`)
	}
	sb.WriteString(`]}`)
	return []byte(sb.String())
}

// rawProduce is the baseline: kafka-go's Client.Produce of the same batch, acks=all.
func (b *bench) rawProduce(topic string, n int) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		recs := make([]kafka.Record, n)
		now := time.Now()
		for i := range recs {
			recs[i] = kafka.Record{Time: now, Value: kafka.NewBytes([]byte(value1K))}
		}
		res, err := b.raw.Produce(ctx, &kafka.ProduceRequest{Topic: topic, Partition: 0, RequiredAcks: kafka.RequireAll,
			Records: kafka.NewRecordReader(recs...)})
		if err != nil {
			return err
		}
		return res.Error
	}
}

// lambdaEvent wraps an HTTP request in an API Gateway HTTP API (payload 2.0) event.
func lambdaEvent(method, path string, body []byte) []byte {
	ev := map[string]any{
		"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
		"headers": map[string]string{"content-type": "application/json"},
		"requestContext": map[string]any{
			"http":      map[string]string{"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
			"requestId": "bench", "stage": "$default", "timeEpoch": time.Now().UnixMilli(),
		},
		"body": string(body), "isBase64Encoded": false,
	}
	out, _ := json.Marshal(ev)
	return out
}

// lambdaInvoke drives the Lambda adapter in-process, as the Runtime API loop would.
func lambdaInvoke(h *awslambda.Handler, event []byte) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		out, err := h.Invoke(ctx, event)
		if err != nil {
			return err
		}
		var res struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		}
		if err := json.Unmarshal(out, &res); err != nil {
			return err
		}
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("lambda: %d %s", res.StatusCode, truncate(res.Body, 200))
		}
		return nil
	}
}

// scfEvent wraps an HTTP request in an SCF API Gateway trigger event.
func scfEvent(method, path string, body []byte) []byte {
	ev := scf.APIGatewayEvent{
		RequestContext: scf.APIGatewayRequestContext{ServiceID: "service-bench", Path: path, HTTPMethod: method,
			RequestID: "bench", SourceIP: "127.0.0.1", Stage: "release"},
		Headers: map[string]string{"content-type": "application/json"}, Body: string(body),
		Path: path, HTTPMethod: method,
	}
	out, _ := json.Marshal(ev)
	return out
}

// scfInvoke drives the SCF adapter in-process: Function.Invoke, the method the Go1
// runtime calls over net/rpc (the gob framing around it is left out, as the Lambda case
// leaves out the Runtime API's HTTP).
func scfInvoke(f *scf.Function, event []byte) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		req := &scf.InvokeRequest{Payload: event, RequestId: "bench", FunctionName: "produce", TimeLimitInMs: 30_000}
		var resp scf.InvokeResponse
		if err := f.Invoke(req, &resp); err != nil {
			return err
		}
		if resp.Error != nil {
			return fmt.Errorf("scf: %s: %s", resp.Error.Type, resp.Error.Message)
		}
		var res scf.IntegratedResponse
		if err := json.Unmarshal(resp.Payload, &res); err != nil {
			return err
		}
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("scf: %d %s", res.StatusCode, truncate(res.Body, 200))
		}
		return nil
	}
}

// azureInvoke drives the Azure custom handler in-process: a forwarded HTTP request as the
// Functions host sends it (enableForwardingHttpRequest), served by azurefunc.Handler into
// a buffered response (the host's loopback hop is left out).
func azureInvoke(h http.Handler, method, path string, body []byte) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		req := httptest.NewRequestWithContext(ctx, method, path, bytes.NewReader(body))
		req.RemoteAddr = "127.0.0.1:50000"
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Azure-Functions-InvocationId", "bench")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			return fmt.Errorf("azure: %d %s", rec.Code, truncate(rec.Body.String(), 200))
		}
		return nil
	}
}

// produceThroughput: N×1 KiB records per request, N ∈ {1, 100, 500}, one client, through
// loopback HTTP, through the Lambda, SCF and Azure adapters in-process, and through raw
// kafka-go.
func (b *bench) produceThroughput(ctx context.Context) error {
	lh := b.stack.Lambda()
	sf := b.stack.SCF(ctx)
	ah := azurefunc.Handler(b.stack.App)
	for _, n := range []int{1, 100, 500} {
		body := produceBody(n)
		variants := []variant{
			{"raw kafka-go Client.Produce", func(t string) func(context.Context) error { return b.rawProduce(t, n) }},
			{"HTTP loopback", func(t string) func(context.Context) error {
				return func(ctx context.Context) error { return b.post(ctx, "/v1/producer/topics/"+t, body) }
			}},
			{"Lambda adapter in-process", func(t string) func(context.Context) error {
				return lambdaInvoke(lh, lambdaEvent("POST", "/v1/producer/topics/"+t, body))
			}},
			{"SCF adapter in-process", func(t string) func(context.Context) error {
				return scfInvoke(sf, scfEvent("POST", "/v1/producer/topics/"+t, body))
			}},
			{"Azure adapter in-process", func(t string) func(context.Context) error {
				return azureInvoke(ah, "POST", "/v1/producer/topics/"+t, body)
			}},
		}
		if n == 1 {
			// What any gateway on net/http pays on this machine, side by side: the same
			// client and local server, a handler that reads the body and answers a fixed
			// 200, without Kafka (the floor), and the same with raw kafka-go's produce
			// inside it (a plain gateway: no decoding, no checks). Information rows.
			floor, err := b.floorServer(n)
			if err != nil {
				return err
			}
			variants = append(variants,
				variant{floorName, func(t string) func(context.Context) error {
					return func(ctx context.Context) error { return b.postURL(ctx, floor+"/empty/"+t, body) }
				}},
				variant{floorKafkaName, func(t string) func(context.Context) error {
					return func(ctx context.Context) error { return b.postURL(ctx, floor+"/raw/"+t, body) }
				}})
		}
		if err := b.produceSideBySide(ctx, "produce", "raw", n, variants, func(via string) float64 { return produceTarget(n, via) }); err != nil {
			return err
		}
	}
	return nil
}

// The floor and plain-gateway rows of the N=1 produce case.
const (
	floorName      = "HTTP loopback floor: net/http handler, body read, no Kafka"
	floorKafkaName = "HTTP loopback plain gateway: net/http handler calling raw Client.Produce"
)

// floorServer starts, on the local platform's server over loopback, the floor handlers of
// the N=1 produce case: POST /empty/{topic} reads the body and answers a fixed 200; POST
// /raw/{topic} reads the body, then makes raw kafka-go's produce of n records to topic (not
// from the body: no decoding, no checks) and answers the same.
func (b *bench) floorServer(n int) (string, error) {
	answer := []byte(`{"offsets":[{"partition":0,"offset":0}]}`)
	reply := func(w http.ResponseWriter, r *http.Request) bool {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return false
		}
		return true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /empty/{topic}", func(w http.ResponseWriter, r *http.Request) {
		if reply(w, r) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(answer)
		}
	})
	mux.HandleFunc("POST /raw/{topic}", func(w http.ResponseWriter, r *http.Request) {
		if !reply(w, r) {
			return
		}
		if err := b.rawProduce(r.PathValue("topic"), n)(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	})
	url, stop, err := serve(mux)
	if err != nil {
		return "", err
	}
	b.stop = append(b.stop, stop)
	return url, nil
}

// produceTarget is issue 11's target ratio against raw kafka-go, 0 for a row without one.
func produceTarget(n int, via string) float64 {
	switch {
	case n == 500 && via == "HTTP loopback":
		return 0.5
	case n == 500:
		return 0.4 // every adapter in-process
	case n == 1 && via == "HTTP loopback":
		return 0.4
	}
	return 0
}

// requestRate: single-record produce requests over loopback HTTP at 1, 16 and 64 concurrent
// clients, against raw kafka-go at the same concurrency.
func (b *bench) requestRate(ctx context.Context) error {
	body := produceBody(1)
	for _, c := range []int{1, 16, 64} {
		var raw float64
		for _, v := range []string{"raw kafka-go Client.Produce", "HTTP loopback"} {
			topic, drop, err := b.topic(ctx, 1)
			if err != nil {
				return err
			}
			op := b.rawProduce(topic, 1)
			if v == "HTTP loopback" {
				op = func(ctx context.Context) error { return b.post(ctx, "/v1/producer/topics/"+topic, body) }
			}
			s, err := measure(ctx, b.o.caseTime, c, op)
			drop()
			if err != nil {
				return fmt.Errorf("%s c=%d: %w", v, c, err)
			}
			r := Result{Section: "rate", Name: fmt.Sprintf("1 record/request, %d clients: %s", c, v), Value: s.perSecond(1), Unit: "req/s",
				P50ms: s.quantile(.5), P99ms: s.quantile(.99), Samples: s.ops}
			if raw == 0 {
				raw = r.Value
			} else {
				r.Ratio, r.Baseline = r.Value/raw, "raw"
				if c == 64 {
					r.Target, r.Met = "≥10k req/s on 2 cores", met(r.Value >= 10000)
				}
			}
			b.add(r)
		}
	}
	return nil
}

// naiveHandler is what a tutorial-style function does: a fresh kafka-go client and
// connection per invocation (with the same TLS and SASL settings as kafkafn).
func naiveHandler(kcfg broker.Config, topic string) (http.Handler, error) {
	tlsCfg, err := broker.TLSConfig(kcfg)
	if err != nil {
		return nil, err
	}
	var mech sasl.Mechanism
	if kcfg.SASLMechanism != "" {
		if mech, err = scram.Mechanism(scram.SHA512, kcfg.SASLUsername, kcfg.SASLPassword); err != nil {
			return nil, err
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		tr := &kafka.Transport{DialTimeout: 3 * time.Second, TLS: tlsCfg, SASL: mech}
		defer tr.CloseIdleConnections()
		cl := &kafka.Client{Addr: kafka.TCP(kcfg.Brokers...), Timeout: 10 * time.Second, Transport: tr}
		res, err := cl.Produce(r.Context(), &kafka.ProduceRequest{Topic: topic, Partition: 0, RequiredAcks: kafka.RequireAll,
			Records: kafka.NewRecordReader(kafka.Record{Time: time.Now(), Value: kafka.NewBytes([]byte(value1K))})})
		if err == nil {
			err = res.Error
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"offsets":[{"partition":0,"offset":%d}]}`, res.BaseOffset)
	}), nil
}

// warmVsNaive: single-record produce latency, one client, through kafkafn's warm path and
// through a handler that connects per request, both over loopback HTTP: once in plaintext,
// once over TLS with SASL/SCRAM-SHA-512 (how CKafka, MSK and Event Hubs are reached).
func (b *bench) warmVsNaive(ctx context.Context) error {
	topic, drop, err := b.topic(ctx, 1)
	if err != nil {
		return err
	}
	defer drop()
	if err := b.compareNaive(ctx, "plaintext", b.kcfg, b.url, topic); err != nil {
		return err
	}
	if b.cluster == nil {
		b.note("naive", "TLS+SASL case skipped: it needs the in-process broker (KAFKA_BROKERS is set)")
		return nil
	}
	brokers, env, stop, err := secureCluster("naive")
	if err != nil {
		return err
	}
	defer stop()
	st, err := harness.New(ctx, harness.Options{Brokers: brokers, Env: env, Platform: harness.Local})
	if err != nil {
		return err
	}
	defer st.Close()
	kcfg, url := st.Kafka, st.URL
	return b.compareNaive(ctx, "TLS + SASL/SCRAM-SHA-512", kcfg, url, "naive")
}

func (b *bench) compareNaive(ctx context.Context, how string, kcfg broker.Config, warmURL, topic string) error {
	body := produceBody(1)
	postTo := func(url string) func(ctx context.Context) error {
		return func(ctx context.Context) error { return b.postURL(ctx, url, body) }
	}
	warm, err := measure(ctx, b.o.caseTime, 1, postTo(warmURL+"/v1/producer/topics/"+topic))
	if err != nil {
		return fmt.Errorf("warm %s: %w", how, err)
	}
	h, err := naiveHandler(kcfg, topic)
	if err != nil {
		return err
	}
	url, stop, err := serve(h)
	if err != nil {
		return err
	}
	defer stop()
	naive, err := measure(ctx, b.o.caseTime, 1, postTo(url+"/"))
	if err != nil {
		return fmt.Errorf("naive %s: %w", how, err)
	}
	b.add(Result{Section: "naive", Name: "1 record, " + how + ": naive handler (new kafka-go client per call)", Value: naive.quantile(.5), Unit: "ms",
		P50ms: naive.quantile(.5), P99ms: naive.quantile(.99), Samples: naive.ops})
	ratio := naive.quantile(.5) / warm.quantile(.5)
	b.add(Result{Section: "naive", Name: "1 record, " + how + ": kafkafn warm path", Value: warm.quantile(.5), Unit: "ms",
		P50ms: warm.quantile(.5), P99ms: warm.quantile(.99), Samples: warm.ops,
		Ratio: ratio, Baseline: "faster than naive (p50)", Target: "≥10× faster (p50)", Met: met(ratio >= 10)})
	return nil
}

// consumeWindow: a 6 MB window (5800 × 1 KiB records) through HTTP against raw
// Client.Fetch of the same range (1 MiB per fetch, like kafkafn).
func (b *bench) consumeWindow(ctx context.Context) error {
	const n = 5800
	topic, drop, err := b.topic(ctx, 1)
	if err != nil {
		return err
	}
	defer drop()
	for done := 0; done < n; done += 500 {
		if err := b.rawProduce(topic, min(500, n-done))(ctx); err != nil {
			return err
		}
	}
	size := float64(n * len(value1K))
	// fetchAll reads the window with raw kafka-go, each value into one buffer of its length
	// (held once, like the HTTP side's answer), handed to keep.
	fetchAll := func(ctx context.Context, keep func([]byte)) error {
		got := 0
		for off := int64(0); got < n; {
			fr, err := b.raw.Fetch(ctx, &kafka.FetchRequest{Topic: topic, Partition: 0, Offset: off, MinBytes: 1, MaxBytes: 1 << 20, MaxWait: time.Millisecond})
			if err != nil {
				return err
			}
			if fr.Error != nil {
				return fr.Error
			}
			read := 0
			for {
				r, err := fr.Records.ReadRecord()
				if err != nil {
					break
				}
				if r.Offset < off {
					continue
				}
				v := make([]byte, r.Value.Len())
				if _, err := io.ReadFull(r.Value, v); err != nil {
					return err
				}
				keep(v)
				off = r.Offset + 1
				got++
				read++
			}
			if read == 0 {
				return errShort
			}
		}
		return nil
	}
	rawOp := func(ctx context.Context) error { return fetchAll(ctx, func([]byte) {}) }
	// The plain gateway: the same raw fetch inside a net/http handler on the local server,
	// whose answer is the values' bytes back to back with a Content-Length (no JSON, no
	// checks, fetches one after another), read by the same client: what the simplest HTTP
	// gateway around kafka-go costs here. An information row, no target.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /floor", func(w http.ResponseWriter, r *http.Request) {
		var vals [][]byte
		total := 0
		if err := fetchAll(r.Context(), func(v []byte) { vals = append(vals, v); total += len(v) }); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(total))
		for _, v := range vals {
			if _, err := w.Write(v); err != nil {
				return
			}
		}
	})
	floor, stop, err := serve(mux)
	if err != nil {
		return err
	}
	defer stop()
	floorOp := func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", floor+"/floor", nil)
		res, err := b.client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK || float64(res.ContentLength) != size {
			return fmt.Errorf("consume floor: %d, %d bytes", res.StatusCode, res.ContentLength)
		}
		data := make([]byte, res.ContentLength)
		_, err = io.ReadFull(res.Body, data)
		return err
	}
	path := fmt.Sprintf("/v1/consumer/topics/%s/partitions/0/offsets/0?count=%d", topic, n)
	httpOp := func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", b.url+path, nil)
		res, err := b.client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		// Read the whole answer (as a client must) into one buffer of its Content-Length, as
		// the raw side reads each value into one buffer of its length, and count its records;
		// parsing the JSON is the client's cost and is left out. (io.ReadAll reads a body of
		// unknown length into growing pieces and copies them into a final slice: twice the
		// 7 MB answer allocated and zeroed and one more copy, the bench client's cost and
		// GC work for the whole process, not kafkafn's.)
		if res.ContentLength < 0 {
			return fmt.Errorf("consume: %d without a Content-Length", res.StatusCode)
		}
		data := make([]byte, res.ContentLength)
		if _, err := io.ReadFull(res.Body, data); err != nil {
			return err
		}
		if got := bytes.Count(data, []byte(`"offset":`)); res.StatusCode != http.StatusOK || got != n {
			return fmt.Errorf("consume: %d with %d records, want %d", res.StatusCode, got, n)
		}
		return nil
	}
	ss, err := measureSideBySide(ctx, b.o.caseTime, []func(context.Context) error{rawOp, httpOp, floorOp})
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	raw, viaHTTP, viaFloor := ss[0], ss[1], ss[2]
	rawMBs := raw.perSecond(1) * size / 1e6
	httpMBs := viaHTTP.perSecond(1) * size / 1e6
	b.add(Result{Section: "consume", Name: "6 MB window: raw kafka-go Client.Fetch", Value: rawMBs, Unit: "MB/s",
		P50ms: raw.quantile(.5), P99ms: raw.quantile(.99), Samples: raw.ops})
	b.add(Result{Section: "consume", Name: "6 MB window: HTTP loopback (JSON read, not parsed, by the client)", Value: httpMBs, Unit: "MB/s",
		P50ms: viaHTTP.quantile(.5), P99ms: viaHTTP.quantile(.99), Samples: viaHTTP.ops,
		Ratio: httpMBs / rawMBs, Baseline: "raw", Target: "≥0.8× raw", Met: met(httpMBs/rawMBs >= 0.8)})
	floorMBs := viaFloor.perSecond(1) * size / 1e6
	b.add(Result{Section: "consume", Name: "6 MB window: HTTP loopback plain gateway: net/http handler around raw Client.Fetch, values as-is", Value: floorMBs, Unit: "MB/s",
		P50ms: viaFloor.quantile(.5), P99ms: viaFloor.quantile(.99), Samples: viaFloor.ops,
		Ratio: floorMBs / rawMBs, Baseline: "raw"})
	return nil
}
