package contract_test

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/broker/brokertest"
)

// countingCluster starts a kfake cluster whose listeners count the TCP connections they
// accept: the number of connections a function opened to Kafka, seen from the broker.
func countingCluster(t *testing.T) (*brokertest.Cluster, *atomic.Int64) {
	t.Helper()
	var accepts atomic.Int64
	c := brokertest.NewCluster(t, kfake.SeedTopics(1, "orders"), kfake.ListenFn(func(network, addr string) (net.Listener, error) {
		ln, err := net.Listen(network, addr)
		if err != nil {
			return nil, err
		}
		return &countingListener{Listener: ln, n: &accepts}, nil
	}))
	return c, &accepts
}

type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// TestWarmReuse sends the same produce request twice to one process of the real produce
// binary on each platform: the second request must open no new Kafka connection.
func TestWarmReuse(t *testing.T) {
	const pkg = "functions/produce/cmd/produce"
	if !exists(pkg) {
		t.Skip(pkg + " does not exist yet")
	}
	bin := binary(t, pkg)
	const path, body = "/v1/producer/topics/orders", `{"records":[{"value":"warm"}]}`
	platforms := []struct {
		name  string
		serve func(t *testing.T, env []string) requester
	}{
		{"AWS Lambda", func(t *testing.T, env []string) requester {
			rt := newFakeRuntime(t)
			p := start(t, bin, append(env, "AWS_LAMBDA_RUNTIME_API="+rt.Addr())...)
			return func(t *testing.T, method, path, body string, header map[string]string) (int, string) {
				r := rt.invokeHTTP(t, p, v2Event(method, path, "", body, lower(header)))
				return r.StatusCode, decodeBody(t, r)
			}
		}},
		{"Tencent SCF", func(t *testing.T, env []string) requester {
			s := startSCF(t, bin, nil, env...)
			return func(t *testing.T, method, path, body string, header map[string]string) (int, string) {
				r := s.invokeHTTP(t, scfEvent(method, path, map[string]any{}, body, lower(header)))
				return r.StatusCode, decodeBody(t, r)
			}
		}},
		{"Azure Functions", func(t *testing.T, env []string) requester {
			_, base := startAzure(t, bin, "FUNCTIONS_CUSTOMHANDLER_PORT", env...)
			return httpRequester(base)
		}},
	}
	for _, pl := range platforms {
		t.Run("two warm "+pl.name+" invocations share one Kafka connection pool", func(t *testing.T) {
			cluster, accepts := countingCluster(t)
			a := entraAuth(t)
			do := pl.serve(t, append(cluster.Env(), a.env...))
			h := map[string]string{"Content-Type": "application/json", "Authorization": a.header["Authorization"]}
			send := func() int64 {
				status, resp := do(t, "POST", path, body, h)
				if status != 200 {
					t.Fatalf("%d %s", status, resp)
				}
				return accepts.Load()
			}
			first := send()
			second := send()
			if first == 0 || second != first {
				t.Fatalf("Kafka connections after the first request: %d, after the second: %d", first, second)
			}
		})
	}
	t.Run("a request without a token is refused through every adapter", func(t *testing.T) {
		cluster, _ := countingCluster(t)
		a := entraAuth(t)
		for _, pl := range platforms {
			do := pl.serve(t, append(cluster.Env(), a.env...))
			status, resp := do(t, "POST", path, body, map[string]string{"Content-Type": "application/json"})
			if status != 401 || !strings.Contains(resp, `"error"`) {
				t.Errorf("%s: %d %s", pl.name, status, resp)
			}
		}
	})
}
