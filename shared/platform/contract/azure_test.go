package contract_test

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/internal/loopback"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
	"github.com/kafkafn/kafkafn/shared/platform/internal/echo"
)

// startAzure starts bin as the Functions host does and returns the handler's base URL.
func startAzure(t testing.TB, bin, portVar string, env ...string) (*proc, string) {
	t.Helper()
	port := loopback.FreePort(t)
	p := start(t, bin, append(env, portVar+"="+port, "FUNCTIONS_WORKER_RUNTIME=Custom")...)
	addr := net.JoinHostPort("127.0.0.1", port)
	waitDial(t, p, addr)
	return p, "http://" + addr
}

func TestAzureContract(t *testing.T) {
	bin := binary(t, testapp)
	cluster := brokertest.NewCluster(t, kfake.SeedTopics(1, "orders"))
	p, base := startAzure(t, bin, "FUNCTIONS_CUSTOMHANDLER_PORT", cluster.Env()...)
	host := map[string]string{ // what the Functions host adds to a forwarded request
		"X-Azure-Functions-InvocationId": "3f1c9a40-0000-4000-8000-000000000001",
		"X-Azure-Functions-HostVersion":  "4.1037.1.1",
		"User-Agent":                     "Azure-Functions-Host/4.1037.1.1",
		"X-Forwarded-For":                "203.0.113.7:50123",
		"Content-Type":                   "application/json",
	}
	t.Run("a forwarded request is served at its original path without a deadline", func(t *testing.T) {
		status, _, body := httpDo(t, "POST", base+"/echo/v1/producer/topics/orders?a=1", []byte(`{"records":[]}`), host)
		var rep echo.Reply
		if err := json.Unmarshal(body, &rep); err != nil || status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		if rep.Path != "/echo/v1/producer/topics/orders" || rep.HasDeadline || rep.Platform != "azure" ||
			rep.Invocation.RequestID != host["X-Azure-Functions-InvocationId"] || rep.Invocation.SourceIP != "203.0.113.7" {
			t.Fatalf("%+v", rep)
		}
	})
	t.Run("a timer envelope posted to /<FunctionName> runs App.Timer", func(t *testing.T) {
		// The host's own payload-mode call: no front-end headers such as X-Forwarded-For.
		payloadHeaders := map[string]string{
			"X-Azure-Functions-InvocationId": "3f1c9a40-0000-4000-8000-000000000002",
			"X-Azure-Functions-HostVersion":  host["X-Azure-Functions-HostVersion"],
			"User-Agent":                     host["User-Agent"],
			"Content-Type":                   "application/json",
		}
		status, _, body := httpDo(t, "POST", base+"/TimerConsumeWindow", fixture(t, "../azurefunc/testdata/azure_timer.json"), payloadHeaders)
		var res struct {
			Outputs     map[string]any
			Logs        []string
			ReturnValue any
		}
		if err := json.Unmarshal(body, &res); err != nil || status != 200 || res.Outputs == nil || res.ReturnValue != nil {
			t.Fatalf("%d %s", status, body)
		}
		_, _, body = httpDo(t, "GET", base+"/timer/last", nil, nil)
		if !strings.Contains(string(body), `"name":"TimerConsumeWindow"`) || !strings.Contains(string(body), `"platform":"azure"`) {
			t.Fatalf("%s", body)
		}
	})
	t.Run("a public request to a timer path, forwarded by a catch-all route, does not fire the timer", func(t *testing.T) {
		status, _, body := httpDo(t, "POST", base+"/TimerConsumeWindow", fixture(t, "../azurefunc/testdata/azure_timer.json"), host)
		if status != 404 || !strings.Contains(string(body), "route_not_found") {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("a panic is a JSON 500 and the handler keeps serving", func(t *testing.T) {
		if status, _, _ := httpDo(t, "GET", base+"/panic", nil, nil); status != 500 {
			t.Fatalf("status %d", status)
		}
		if status, _, _ := httpDo(t, "GET", base+"/echo/x", nil, nil); status != 200 {
			t.Fatalf("status %d", status)
		}
	})
	t.Run("two warm requests share one Kafka connection pool", func(t *testing.T) {
		dials := func() int64 {
			status, _, body := httpDo(t, "GET", base+"/kafka/topics/orders/produce", nil, nil)
			var d struct{ Dials int64 }
			if status != 200 || json.Unmarshal(body, &d) != nil || d.Dials == 0 {
				t.Fatalf("%d %s", status, body)
			}
			return d.Dials
		}
		if first, second := dials(), dials(); first != second {
			t.Fatalf("dials went from %d to %d", first, second)
		}
	})
	t.Run("SIGTERM ends the process cleanly", func(t *testing.T) {
		if err := p.stop(t); err != nil {
			t.Fatalf("exit: %v", err)
		}
	})
}

func TestAzureLegacyPort(t *testing.T) {
	_, base := startAzure(t, binary(t, testapp), "FUNCTIONS_HTTPWORKER_PORT")
	if status, _, body := httpDo(t, "GET", base+"/echo/legacy", nil, nil); status != 200 || !strings.Contains(string(body), `"platform":"azure"`) {
		t.Fatalf("%d %s", status, body)
	}
}

func TestLocalServer(t *testing.T) {
	_, base := startLocal(t, binary(t, testapp))
	status, _, body := httpDo(t, "GET", base+"/echo/local", nil, nil)
	if status != 200 || !strings.Contains(string(body), `"platform":"local"`) {
		t.Fatalf("%d %s", status, body)
	}
}

// TestSCFWebBootstrap runs scf_bootstrap as an SCF web function does: next to the binary
// named main, from another working directory. The address is overridden to a free port
// (SCF uses 0.0.0.0:9000); a stray _LAMBDA_SERVER_PORT must not switch it to the RPC mode.
func TestSCFWebBootstrap(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, binary(t, testapp), filepath.Join(dir, "main"), 0o755)
	copyFile(t, filepath.Join(modRoot, "scf_bootstrap"), filepath.Join(dir, "scf_bootstrap"), 0o755)
	port := loopback.FreePort(t)
	p := start(t, filepath.Join(dir, "scf_bootstrap"), "ADDR=0.0.0.0:"+port, "_LAMBDA_SERVER_PORT="+loopback.FreePort(t))
	waitDial(t, p, "127.0.0.1:"+port)
	status, _, body := httpDo(t, "GET", "http://127.0.0.1:"+port+"/echo/web", nil, nil)
	if status != 200 || !strings.Contains(string(body), `"platform":"local"`) {
		t.Fatalf("%d %s", status, body)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}
