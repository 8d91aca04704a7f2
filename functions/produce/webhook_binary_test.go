package produce_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/functions/produce"
	"github.com/kafkafn/kafkafn/internal/logtest"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
	"github.com/kafkafn/kafkafn/shared/buildinfo"
)

// buildProduce builds the produce binary as it ships (-tags lambda.norpc).
func buildProduce(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "produce")
	cmd := exec.Command("go", "build", "-tags", buildinfo.Tags, "-o", bin, "./cmd/produce")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestWebhookBinary runs the built produce binary as a local server, configured only by
// environment variables as on every platform, and posts GitHub's documented example to it.
func TestWebhookBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	c := brokertest.NewCluster(t, kfake.SeedTopics(1, "github-events"))
	bin := buildProduce(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	base := append(os.Environ(), c.Env()...)
	base = append(base, "AUTH_INSECURE_DEV=true", "ADDR="+addr, "GITHUB_WEBHOOK_SECRET="+whGitHubSecret)

	t.Run("a bad WEBHOOK_SECRETS stops start-up with an error naming the variable and not the secret", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin)
		cmd.Env = append(base, `WEBHOOK_SECRETS={"github":{"scheme":"github","secret":"tiny","topics":["github-*"]}}`)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("started: %s", out)
		}
		if !strings.Contains(string(out), `WEBHOOK_SECRETS: source "github"`) || strings.Contains(string(out), "tiny") {
			t.Fatalf("output: %s", out)
		}
	})

	t.Run("a signed GitHub delivery is written, and the dev mode does not waive the signature", func(t *testing.T) {
		var out logtest.Buffer
		cmd := exec.Command(bin)
		cmd.Env = append(base, `WEBHOOK_SECRETS={"github":{"scheme":"github","secretEnv":"GITHUB_WEBHOOK_SECRET","topics":["github-*"]}}`)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		waitListening(t, addr, &out)

		d := githubExample()
		status, body := postTo(t, "http://"+addr+d.path, d.body, d.header)
		if status != http.StatusAccepted {
			t.Fatalf("status %d: %s\n%s", status, body, out.String())
		}
		var res produce.WebhookResponse
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatal(err)
		}
		m := readRecord(t, c, "github-events", res.Partition, res.Offset)
		if string(m.Value) != "Hello, World!" || string(m.Key) != "72d3162e-cc78-11e3-81ab-4c9367dc0958" {
			t.Fatalf("record %q=%q", m.Key, m.Value)
		}

		d.header.Del("X-Hub-Signature-256")
		if status, body := postTo(t, "http://"+addr+d.path, d.body, d.header); status != http.StatusUnauthorized {
			t.Fatalf("unsigned: status %d: %s", status, body)
		}
	})
}

func waitListening(t *testing.T, addr string, out *logtest.Buffer) {
	t.Helper()
	for range 200 {
		conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			conn.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the binary did not listen on %s:\n%s", addr, out.String())
}

func postTo(t *testing.T, url string, body []byte, h http.Header) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	res, err := http.DefaultClient.Do(req)
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
