package awslambda_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/internal/harness"
	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/awslambda"
	"github.com/kafkafn/kafkafn/shared/platform/azurefunc"
	"github.com/kafkafn/kafkafn/shared/platform/internal/eventtest"
	"github.com/kafkafn/kafkafn/shared/platform/scf"
)

// produce1 is an HDInsight produce body of one 1 KiB string value, as scripts/bench sends.
var produce1 = fmt.Appendf(nil, `{"records":[{"partition":0,"value":"%s"}]}`, bytes.Repeat([]byte("0123456789abcdef"), 64))

// adapterCase is one way into the same App: an op serving one request and checking for 200.
type adapterCase struct {
	name string
	op   func(ctx context.Context) error
}

// adapterCases are the three in-process doors as scripts/bench drives them
// (internal/benchrun): an HTTP API payload 2.0 event into awslambda.Handler.Invoke, an SCF API
// Gateway trigger event into scf.Function.Invoke, and a forwarded request into
// azurefunc.Handler with an httptest recorder.
func adapterCases(b *testing.B, app platform.App, path string, body []byte) []adapterCase {
	lh := awslambda.New(app)
	sf := scf.New(b.Context(), func(string) string { return "" },
		func(context.Context, platform.Env) (platform.App, error) { return app, nil })
	b.Cleanup(sf.Close)
	ah := azurefunc.Handler(app)
	lev, _ := json.Marshal(map[string]any{
		"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
		"headers": map[string]string{"content-type": "application/json"},
		"requestContext": map[string]any{
			"http":      map[string]string{"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
			"requestId": "bench", "stage": "$default", "timeEpoch": time.Now().UnixMilli(),
		},
		"body": string(body), "isBase64Encoded": false,
	})
	sev, _ := json.Marshal(scf.APIGatewayEvent{
		RequestContext: scf.APIGatewayRequestContext{ServiceID: "service-bench", Path: path, HTTPMethod: "POST",
			RequestID: "bench", SourceIP: "127.0.0.1", Stage: "release"},
		Headers: map[string]string{"content-type": "application/json"}, Body: string(body),
		Path: path, HTTPMethod: "POST",
	})
	status := func(out []byte) error {
		if !bytes.HasPrefix(out, []byte(`{"statusCode":200`)) {
			return fmt.Errorf("%.300s", out)
		}
		return nil
	}
	return []adapterCase{
		{"lambda", func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "bench"})
			out, err := lh.Invoke(ctx, lev)
			if err != nil {
				return err
			}
			return status(out)
		}},
		{"scf", func(context.Context) error {
			var resp scf.InvokeResponse
			err := sf.Invoke(&scf.InvokeRequest{Payload: sev, RequestId: "bench", FunctionName: "produce", TimeLimitInMs: 30_000}, &resp)
			switch {
			case err != nil:
				return err
			case resp.Error != nil:
				return fmt.Errorf("invoke error %+v", *resp.Error)
			}
			return status(resp.Payload)
		}},
		{"azure", func(ctx context.Context) error {
			req := httptest.NewRequestWithContext(ctx, "POST", path, bytes.NewReader(body))
			req.RemoteAddr = "127.0.0.1:50000"
			req.Header = http.Header{"Content-Type": {"application/json"}, "X-Azure-Functions-Invocationid": {"bench"}}
			rec := httptest.NewRecorder()
			ah.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				return fmt.Errorf("%d %s", rec.Code, rec.Body)
			}
			return nil
		}},
	}
}

// sideBySide runs every case once per iteration (so load from outside skews none of them)
// under a pprof label v=<name> (-cpuprofile splits by case with -tagfocus), and reports each
// case's mean and median.
func sideBySide(b *testing.B, cases []adapterCase) {
	ctxs := make([]context.Context, len(cases))
	for i, tc := range cases {
		ctxs[i] = pprof.WithLabels(context.Background(), pprof.Labels("v", tc.name))
		for range 10 { // warm-up: connections, metadata, pools
			if err := tc.op(ctxs[i]); err != nil {
				b.Fatalf("%s: %v", tc.name, err)
			}
		}
	}
	spent := make([][]time.Duration, len(cases))
	b.ReportAllocs()
	for b.Loop() {
		for i := range cases {
			pprof.SetGoroutineLabels(ctxs[i])
			start := time.Now()
			err := cases[i].op(ctxs[i])
			spent[i] = append(spent[i], time.Since(start))
			if err != nil {
				b.Fatalf("%s: %v", cases[i].name, err)
			}
		}
	}
	pprof.SetGoroutineLabels(context.Background())
	for i, d := range spent {
		slices.Sort(d)
		var total time.Duration
		for _, x := range d {
			total += x
		}
		mean, p50 := total/time.Duration(len(d)), d[len(d)/2]
		b.ReportMetric(float64(mean)/1e3, cases[i].name+"-mean-µs")
		b.ReportMetric(float64(p50)/1e3, cases[i].name+"-p50-µs")
	}
}

// BenchmarkAdaptersProduce1 is scripts/bench's N=1×1 KiB produce row through the Lambda, SCF
// and Azure adapters in-process, side by side on one App (the produce route over kfake).
func BenchmarkAdaptersProduce1(b *testing.B) {
	s := harness.Start(b, harness.Options{Routes: harness.Produce, NoOpenAPICheck: true, Platform: harness.None,
		Cluster: []kfake.Opt{kfake.SeedTopics(1, "bench"), kfake.BrokerConfigs(map[string]string{"log.segment.bytes": "4194304"})}})
	sideBySide(b, adapterCases(b, s.App, "/v1/producer/topics/bench", produce1))
}

// BenchmarkAdaptersNoKafka is the same three doors in front of a handler that reads the body
// and answers a small JSON document: the adapters' own cost per request. Each door also has
// its own benchmark for allocs/op (BenchmarkAdapter/<door>).
func BenchmarkAdaptersNoKafka(b *testing.B) {
	app := platform.App{HTTP: eventtest.BenchMux(nil)}
	sideBySide(b, adapterCases(b, app, "/produce", produce1))
}

// BenchmarkAdapter is BenchmarkAdaptersNoKafka one door at a time, for allocs/op and profiles.
func BenchmarkAdapter(b *testing.B) {
	app := platform.App{HTTP: eventtest.BenchMux(nil)}
	for _, tc := range adapterCases(b, app, "/produce", produce1) {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := tc.op(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
