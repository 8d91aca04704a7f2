package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/internal/bintest"
)

// localEnv is a minimal environment: no platform variables, no Kafka, no auth.
func localEnv(extra ...string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	return append(env, extra...)
}

// TestLocalRunOnEmbeddedKafka is the README's first command in a test: the all-routes
// binary with no KAFKA_BROKERS starts an embedded broker and serves every route.
func TestLocalRunOnEmbeddedKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := bintest.Build(t, ".")
	addr := bintest.FreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs bytes.Buffer
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = localEnv("ADDR="+addr, "AUTH_INSECURE_DEV=true")
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			_ = cmd.Wait()
		}
	}
	defer stop()
	base := "http://" + addr
	waitReady(t, base+"/v1/status")
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	steps := []struct {
		method, path, body string
		status             int
		contains           string
	}{
		{"PUT", "/v1/topics/orders", `{"partition_count":3}`, 201, `"created":true`},
		{"POST", "/v1/producer/topics/orders", `{"records":[{"value":"hello","partition":1}]}`, 200, `"offset":0`},
		{"GET", "/v1/consumer/topics/orders/partitions/1/offsets/0", "", 200, `"value":"hello"`},
		{"GET", "/v1/metadata/topics", "", 200, `"orders"`},
		{"GET", "/v1/status", "", 200, `"ok"`},
		{"GET", "/", "", 200, `"openapi":"/v1/openapi.json"`},
		// Without TOKEN_TENANT_ID the token route is off, and its 404 says how to turn it on.
		{"POST", "/v1/token", `{"grant_type":"client_credentials"}`, 404, "set TOKEN_TENANT_ID"},
		// POST / stays CKafka's SendMessage next to GET /{$}: its envelope, not a 405.
		{"POST", "/", `{}`, 200, `"Response"`},
	}
	for _, s := range steps {
		status, body := do(s.method, s.path, s.body)
		if status != s.status || !strings.Contains(body, s.contains) {
			t.Fatalf("%s %s: %d %s", s.method, s.path, status, body)
		}
	}
	stop() // the log buffer is written until the process ends
	if !strings.Contains(logs.String(), "EMBEDDED Kafka") || !strings.Contains(logs.String(), "AUTH_INSECURE_DEV") {
		t.Errorf("the embedded broker and the open dev mode must be logged loudly:\n%s", logs.String())
	}
}

// TestLocalRunRefusesUnsafeStarts: no auth configured, or the dev mode on a non-loopback
// address, stops the start with a message naming the variable.
func TestLocalRunRefusesUnsafeStarts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := bintest.Build(t, ".")
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"no auth configured", []string{"ADDR=" + bintest.FreeAddr(t)}, "AUTH_ENTRA_TENANT_ID"},
		{"dev mode on every interface", []string{"ADDR=0.0.0.0:0", "AUTH_INSECURE_DEV=true"}, "AUTH_INSECURE_DEV"},
		{"a port that is not a number", []string{"PORT=abc", "AUTH_INSECURE_DEV=true"}, `PORT: "abc" is not a port number`},
		{"a bad Kafka setting", []string{"ADDR=" + bintest.FreeAddr(t), "AUTH_INSECURE_DEV=true", "KAFKA_BROKERS=x:1", "KAFKA_SASL_MECHANISM=KERBEROS"}, "KAFKA_SASL_MECHANISM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin)
			cmd.Env = localEnv(tt.env...)
			out, err := cmd.CombinedOutput()
			if err == nil || ctx.Err() != nil {
				t.Fatalf("the binary started (err %v); output:\n%s", err, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Fatalf("output does not name %s:\n%s", tt.want, out)
			}
		})
	}
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not become ready", url)
}
