package contract_test

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/internal/loopback"
	"github.com/kafkafn/kafkafn/shared/auth/entratest"
	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
	"github.com/kafkafn/kafkafn/shared/metrics/metricstest"
)

// routeBinary is a real route binary and one request that proves it serves its routes.
type routeBinary struct {
	name, pkg    string
	method, path string // path may carry a query
	body         string
	want         string // a substring of the 200 body
}

var routeBinaries = []routeBinary{
	{"list-topics", "functions/listtopics/cmd/list-topics", "GET", "/v1/metadata/topics", "", `"orders"`},
	{"produce", "functions/produce/cmd/produce", "POST", "/v1/producer/topics/orders", `{"records":[{"value":"hello"}]}`, ""},
	{"consume-window", "functions/consumewindow/cmd/consume-window", "GET", "/v1/consumer/topics/orders/partitions/0/offsets/0?count=1", "", ""},
	{"all", "functions/all", "GET", "/v1/metadata/topics", "", `"orders"`},
}

// requester sends one HTTP request through a platform.
type requester func(t *testing.T, method, path, body string, header map[string]string) (int, string)

func splitQuery(path string) (string, string) {
	p, q, _ := strings.Cut(path, "?")
	return p, q
}

// auth is what a route binary needs to accept a request on a cloud platform.
type routeAuth struct {
	env    []string
	header map[string]string
}

// entraAuth starts a fake Entra ID and returns the bearer configuration for a child process.
func entraAuth(t *testing.T) routeAuth {
	srv := entratest.New(t)
	certFile := filepath.Join(t.TempDir(), "entra.pem")
	if err := os.WriteFile(certFile, srv.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	const aud = "api://kafkafn-contract"
	return routeAuth{
		env: []string{"AUTH_ENTRA_TENANT_ID=" + srv.Tenant, "AUTH_ENTRA_AUDIENCE=" + aud,
			"AUTH_ENTRA_AUTHORITY_HOST=" + srv.URL, "SSL_CERT_FILE=" + certFile},
		header: map[string]string{"Authorization": "Bearer " + srv.Sign(srv.Claims("2.0", aud))},
	}
}

// skipWithoutBearer skips when the binary refused to start because no authentication
// scheme is wired in yet (shared/auth/authconfig), and fails on any other start-up error.
func skipWithoutBearer(t *testing.T, output string) {
	t.Helper()
	if strings.Contains(output, "no authentication configured") {
		t.Skip("route binaries do not accept Entra ID bearer configuration yet (authconfig.Guard wires no scheme); " +
			"the adapters are covered by the testapp contract tests")
	}
}

func TestRouteBinaries(t *testing.T) {
	cluster := brokertest.NewCluster(t, kfake.SeedTopics(1, "orders"))
	for _, rb := range routeBinaries {
		if !exists(rb.pkg) {
			t.Run(rb.name+" is not written yet", func(t *testing.T) { t.Skip(rb.pkg + " does not exist yet") })
			continue
		}
		rb := rb
		t.Run(rb.name, func(t *testing.T) {
			t.Parallel()
			bin := binary(t, rb.pkg)
			check := func(t *testing.T, do requester, header map[string]string) {
				t.Helper()
				h := map[string]string{"Content-Type": "application/json"}
				for k, v := range header {
					h[k] = v
				}
				status, body := do(t, rb.method, rb.path, rb.body, h)
				if status != 200 || !strings.Contains(body, rb.want) {
					t.Fatalf("%s %s: %d %s", rb.method, rb.path, status, body)
				}
			}
			t.Run("serves its routes as a local server on loopback in dev mode", func(t *testing.T) {
				_, base := startLocal(t, bin, append(cluster.Env(), "AUTH_INSECURE_DEV=true")...)
				check(t, httpRequester(base), nil)
			})
			t.Run("serves its routes as an SCF web function (scf_bootstrap: ADDR=0.0.0.0:9000 style)", func(t *testing.T) {
				a := entraAuth(t)
				port := loopback.FreePort(t)
				p := start(t, bin, append(append(cluster.Env(), a.env...), "ADDR=0.0.0.0:"+port)...)
				addr := net.JoinHostPort("127.0.0.1", port)
				if !dialOrExit(t, p, addr) {
					skipWithoutBearer(t, p.out.String())
					t.Fatalf("exited: %s", p.out.String())
				}
				check(t, httpRequester("http://"+addr), a.header)
			})
			t.Run("serves its routes on AWS Lambda", func(t *testing.T) {
				a := entraAuth(t)
				rt := newFakeRuntime(t)
				p := start(t, bin, append(append(cluster.Env(), a.env...), "AWS_LAMBDA_RUNTIME_API="+rt.Addr())...)
				if !pollsOrExit(t, p, rt) {
					skipWithoutBearer(t, p.out.String())
					t.Fatalf("exited: %s", p.out.String())
				}
				check(t, func(t *testing.T, method, path, body string, header map[string]string) (int, string) {
					p2, q := splitQuery(path)
					r := rt.invokeHTTP(t, p, v2Event(method, p2, q, body, lower(header)))
					return r.StatusCode, decodeBody(t, r)
				}, a.header)
				if rb.name == "produce" { // the real binary's CloudWatch EMF line for that request
					line := waitFor(t, p, `{"_aws"`, `"RecordsProduced":1`)
					// "hello" plus the X-Ray header the record got from the invocation.
					want := float64(len("hello") + len("X-Amzn-Trace-Id") + len(xrayTrace))
					if e, err := metricstest.ParseEMF(line); err != nil || e.Number("BytesProduced") != want || e.Root["KafkaLatency"] == nil {
						t.Errorf("%v: %s", err, line)
					}
				}
			})
			t.Run("serves its routes as an SCF event function", func(t *testing.T) {
				a := entraAuth(t)
				s := startSCF(t, bin, nil, append(cluster.Env(), a.env...)...)
				do := func(t *testing.T, method, path, body string, header map[string]string) (int, string) {
					p2, q := splitQuery(path)
					query := map[string]any{}
					vals, _ := url.ParseQuery(q)
					for k, v := range vals {
						query[k] = v
					}
					resp := s.invoke(t, scfEvent(method, p2, query, body, lower(header)))
					if resp.Error != nil {
						skipWithoutBearer(t, resp.Error.Message)
						t.Fatalf("invoke: %+v", *resp.Error)
					}
					var r httpResult
					if err := json.Unmarshal(resp.Payload, &r); err != nil {
						t.Fatalf("%s: %v", resp.Payload, err)
					}
					return r.StatusCode, decodeBody(t, r)
				}
				check(t, do, a.header)
			})
			t.Run("serves its routes as an Azure custom handler", func(t *testing.T) {
				a := entraAuth(t)
				port := loopback.FreePort(t)
				p := start(t, bin, append(append(cluster.Env(), a.env...), "FUNCTIONS_CUSTOMHANDLER_PORT="+port)...)
				addr := net.JoinHostPort("127.0.0.1", port)
				if !dialOrExit(t, p, addr) {
					skipWithoutBearer(t, p.out.String())
					t.Fatalf("exited: %s", p.out.String())
				}
				check(t, httpRequester("http://"+addr), a.header)
			})
			t.Run("refuses the insecure dev mode on a cloud adapter", func(t *testing.T) {
				port := loopback.FreePort(t)
				p := start(t, bin, append(cluster.Env(), "AUTH_INSECURE_DEV=true", "FUNCTIONS_CUSTOMHANDLER_PORT="+port)...)
				select {
				case err := <-p.done:
					p.done <- err
					if err == nil || !strings.Contains(p.out.String(), "AUTH_INSECURE_DEV") {
						t.Fatalf("exit %v: %s", err, p.out.String())
					}
				case <-time.After(20 * time.Second):
					t.Fatal("the binary started in dev mode behind the Azure host")
				}
			})
		})
	}
}

func httpRequester(base string) requester {
	return func(t *testing.T, method, path, body string, header map[string]string) (int, string) {
		status, _, b := httpDo(t, method, base+path, []byte(body), header)
		return status, string(b)
	}
}

func lower(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = v
	}
	return out
}

func decodeBody(t *testing.T, r httpResult) string {
	if !r.IsBase64Encoded {
		return r.Body
	}
	b, err := base64.StdEncoding.DecodeString(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dialOrExit waits until addr accepts connections; false when the process exited first.
func dialOrExit(t *testing.T, p *proc, addr string) bool {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return true
		}
		if _, done := p.exited(); done {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
	return false
}

// pollsOrExit waits until the function polls the Runtime API; false when it exited first.
func pollsOrExit(t *testing.T, p *proc, rt *fakeRuntime) bool {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if rt.polls.Load() > 0 {
			return true
		}
		if _, done := p.exited(); done {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the function never polled the Runtime API")
	return false
}
