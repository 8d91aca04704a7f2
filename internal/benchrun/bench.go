package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/internal/harness"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/platform/local"
)

type options struct {
	caseTime time.Duration
	coldRuns int
	out      string
	only     string
	brokers  []string
}

type bench struct {
	o       options
	report  Report
	cluster *kfake.Cluster // nil with KAFKA_BROKERS
	kcfg    broker.Config
	stack   *harness.Stack // kafkafn over the broker
	url     string         // the local server over loopback
	client  *http.Client
	raw     *kafka.Client
	rawTr   *kafka.Transport
	brokers []string // the bootstrap addresses of the broker every case uses
	stop    []func()
	topicN  atomic.Int64
}

func newBench(ctx context.Context, o options) (*bench, error) {
	b := &bench{o: o}
	brokers := o.brokers
	if len(brokers) == 0 {
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.BrokerConfigs(benchBrokerConfigs))
		if err != nil {
			return nil, err
		}
		b.cluster = c
		b.stop = append(b.stop, c.Close)
		brokers = c.ListenAddrs()
	}
	b.brokers = brokers
	b.report.Machine = machine(o.brokers)
	// The shipped all-routes Build, configured from the environment, on the local
	// platform's server over loopback.
	st, err := harness.New(ctx, harness.Options{Brokers: brokers, Platform: harness.Local})
	if err != nil {
		return nil, err
	}
	b.stop = append(b.stop, st.Close)
	b.stack, b.kcfg, b.url = st, st.Kafka, st.URL
	b.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}, Timeout: time.Minute}
	b.rawTr = &kafka.Transport{DialTimeout: b.kcfg.DialTimeout, IdleTimeout: b.kcfg.IdleTimeout, MetadataTTL: b.kcfg.MetadataTTL, ClientID: "bench-raw"}
	b.raw = &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 30 * time.Second, Transport: b.rawTr}
	b.stop = append(b.stop, b.rawTr.CloseIdleConnections)
	return b, nil
}

// benchBrokerConfigs configures the in-process kfake broker. kfake keeps a partition's
// active log segment in one in-memory buffer that grows by doubling up to log.segment.bytes
// (100 MiB by default): the produce that outgrows it waits while kfake allocates, clears
// and copies up to 200 MB, tens of milliseconds in which every case's client (raw kafka-go
// as much as kafkafn) stands still, and which made the p99 of the 100- and 500-record rows
// mostly a measure of kfake. A real broker appends to a file. Segments of 4 MiB bound each
// growth to a few MiB, so the p99 is the clients' again; every case gets the same broker.
var benchBrokerConfigs = map[string]string{"message.max.bytes": "16777216", "log.segment.bytes": "4194304"}

// serve runs h on the local platform's server over loopback.
func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = local.Serve(ctx, ln, h, "bench", nil); close(done) }()
	return "http://" + ln.Addr().String(), func() { cancel(); <-done }, nil
}

func (b *bench) close() {
	for i := len(b.stop) - 1; i >= 0; i-- {
		b.stop[i]()
	}
}

// topic creates a fresh topic for one case and returns it with a cleanup that deletes it
// (kfake keeps every record in memory).
func (b *bench) topic(ctx context.Context, partitions int) (string, func(), error) {
	name := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano()%1e6, b.topicN.Add(1))
	// Created through the raw client: kafka-go refreshes its own metadata cache after its own
	// CreateTopics, and kafkafn's client asks a broker when its cache does not know a topic.
	res, err := b.raw.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{
		{Topic: name, NumPartitions: partitions, ReplicationFactor: -1}}})
	if err == nil {
		err = res.Errors[name]
	}
	if err != nil {
		return "", nil, fmt.Errorf("create topic %s: %w", name, err)
	}
	return name, func() {
		_, _ = b.raw.DeleteTopics(context.Background(), &kafka.DeleteTopicsRequest{Topics: []string{name}})
	}, nil
}

// stats is a measured run.
type stats struct {
	ops     int
	elapsed time.Duration
	lat     []time.Duration
}

func (s stats) perSecond(unitsPerOp int) float64 {
	return float64(s.ops*unitsPerOp) / s.elapsed.Seconds()
}

func (s stats) quantile(q float64) float64 {
	if len(s.lat) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(s.lat)))) - 1
	return float64(s.lat[max(i, 0)]) / float64(time.Millisecond)
}

// measure runs op from conc goroutines: a warm-up of a fifth of d (at least 50 ops in
// total), then for d. Any error stops the run and is returned.
func measure(ctx context.Context, d time.Duration, conc int, op func(ctx context.Context) error) (stats, error) {
	if err := warmUp(ctx, d/5, op); err != nil {
		return stats{}, err
	}
	return runFor(ctx, d, conc, op)
}

// warmUp runs op for d, and at least 50 times.
func warmUp(ctx context.Context, d time.Duration, op func(ctx context.Context) error) error {
	warm := time.Now().Add(d)
	for n := 0; n < 50 || time.Now().Before(warm); n++ {
		if err := op(ctx); err != nil {
			return err
		}
	}
	return nil
}

// sideBySideRounds is how many turns each op of takeTurns gets.
const sideBySideRounds = 6

// takeTurns measures n ops against each other for d each, one client: after a warm-up of
// each, the ops take turns (sideBySideRounds turns of d/sideBySideRounds each, in a
// rotating order), so that load from outside the bench, on a shared machine, falls on every
// op alike instead of skewing whichever ran during it. with(i, f) calls f with op i (and
// may set it up before and clean up after).
func takeTurns(ctx context.Context, d time.Duration, n int, with func(i int, f func(op func(context.Context) error) error) error) ([]stats, error) {
	for i := range n {
		if err := with(i, func(op func(context.Context) error) error { return warmUp(ctx, d/5, op) }); err != nil {
			return nil, err
		}
	}
	out := make([]stats, n)
	for r := range sideBySideRounds {
		for k := range n {
			i := (k + r) % n
			err := with(i, func(op func(context.Context) error) error {
				s, err := runFor(ctx, d/sideBySideRounds, 1, op)
				out[i].ops += s.ops
				out[i].elapsed += s.elapsed
				out[i].lat = append(out[i].lat, s.lat...)
				return err
			})
			if err != nil {
				return nil, err
			}
		}
	}
	for i := range out {
		slices.Sort(out[i].lat)
	}
	return out, nil
}

// measureSideBySide is takeTurns of fixed ops.
func measureSideBySide(ctx context.Context, d time.Duration, ops []func(context.Context) error) ([]stats, error) {
	return takeTurns(ctx, d, len(ops), func(i int, f func(op func(context.Context) error) error) error { return f(ops[i]) })
}

// variant is one way to run a case: its name in the results and its operation on a topic.
type variant struct {
	name string
	op   func(topic string) func(context.Context) error
}

// produceSideBySide runs the variants of an n-record produce side by side and adds one
// records/s result per variant to section; each variant after the first is a ratio against
// the first, called baseline, with the target ratio target(name) when that is above 0.
func (b *bench) produceSideBySide(ctx context.Context, section, baseline string, n int, variants []variant, target func(name string) float64) error {
	ops := make([]func(string) func(context.Context) error, len(variants))
	for i, v := range variants {
		ops[i] = v.op
	}
	ss, err := b.sideBySide(ctx, b.o.caseTime, ops)
	if err != nil {
		return fmt.Errorf("%s, %d records: %w", section, n, err)
	}
	base := ss[0].perSecond(n)
	for i, v := range variants {
		s := ss[i]
		r := Result{Section: section, Name: fmt.Sprintf("N=%d×1KiB: %s", n, v.name), Value: s.perSecond(n), Unit: "records/s",
			P50ms: s.quantile(.5), P99ms: s.quantile(.99), Samples: s.ops}
		if i > 0 {
			r.Ratio, r.Baseline = r.Value/base, baseline
			if t := target(v.name); t > 0 {
				r.Target, r.Met = fmt.Sprintf("≥%.1f× %s", t, baseline), met(r.Ratio >= t)
			}
		}
		b.add(r)
	}
	return nil
}

// sideBySide is takeTurns of produce variants, each warm-up and each turn with a fresh
// topic (touched once, untimed) deleted right after it: kfake keeps every record in memory, and a heap of several
// hundred MB of records would make each garbage collection of the bench process (kafkafn
// runs in it) costlier the more a variant allocates.
func (b *bench) sideBySide(ctx context.Context, d time.Duration, variants []func(topic string) func(context.Context) error) ([]stats, error) {
	return takeTurns(ctx, d, len(variants), func(i int, f func(op func(context.Context) error) error) error {
		topic, drop, err := b.topic(ctx, 1)
		if err != nil {
			return err
		}
		defer drop()
		// The first request to a new topic includes each client's metadata look-up for it
		// (franz-go's can wait for a metadata refresh): made before the turn, untimed.
		op := variants[i](topic)
		if err := op(ctx); err != nil {
			return err
		}
		return f(op)
	})
}

// runFor runs op from conc goroutines for d. Any error stops the run and is returned.
func runFor(ctx context.Context, d time.Duration, conc int, op func(ctx context.Context) error) (stats, error) {
	var (
		mu    sync.Mutex
		all   []time.Duration
		first error
		wg    sync.WaitGroup
	)
	start := time.Now()
	end := start.Add(d)
	for range conc {
		wg.Go(func() {
			var lat []time.Duration
			for time.Now().Before(end) {
				t0 := time.Now()
				if err := op(ctx); err != nil {
					mu.Lock()
					first = cmpOr(first, err)
					mu.Unlock()
					break
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	s := stats{ops: len(all), elapsed: time.Since(start), lat: all}
	slices.Sort(s.lat)
	return s, first
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// post sends body to the local server and fails on any status but 200.
func (b *bench) post(ctx context.Context, path string, body []byte) error {
	return b.postURL(ctx, b.url+path, body)
}

// postURL sends body to url and fails on any status but 200.
func (b *bench) postURL(ctx context.Context, url string, body []byte) error {
	status, data, err := roundTrip(ctx, b.client, "POST", url, body)
	return checkOK("POST", url, status, data, err)
}

// roundTrip sends one request with client (a JSON body unless body is nil) and reads the
// whole answer, as a client must.
func roundTrip(ctx context.Context, client *http.Client, method, url string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return res.StatusCode, data, err
}

// checkOK is err, or an error naming the request when the status is not 200.
func checkOK(method, url string, status int, data []byte, err error) error {
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("%s %s: %d %s", method, url, status, truncate(string(data), 200))
	}
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

var errShort = errors.New("short read")
