package produce_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/functions/produce"
	"github.com/kafkafn/kafkafn/internal/bintest"
	"github.com/kafkafn/kafkafn/internal/logtest"
	"github.com/kafkafn/kafkafn/internal/rawhttp"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
)

// TestWebhookBinary runs the built produce binary as a local server, configured only by
// environment variables as on every platform, and posts GitHub's documented example to it.
func TestWebhookBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	c := brokertest.NewCluster(t, kfake.SeedTopics(1, "github-events"))
	bin := bintest.Build(t, "./cmd/produce")
	addr := bintest.FreeAddr(t)

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
		bintest.WaitListening(t, addr, &out)

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

func postTo(t *testing.T, url string, body []byte, h http.Header) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	res, b, err := rawhttp.Exchange(nil, req)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}
