package launch_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/rpc"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/internal/loopback"
	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/internal/echo"
	"github.com/kafkafn/kafkafn/shared/platform/launch"
	"github.com/kafkafn/kafkafn/shared/platform/scf"
)

// run starts launch.Run with env in the background; it is stopped when the test ends.
func run(t *testing.T, env map[string]string) chan platform.Env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	built := make(chan platform.Env, 1)
	done := make(chan error, 1)
	go func() {
		done <- launch.Run(ctx, "launch-test", func(k string) string { return env[k] }, func(ctx context.Context, e platform.Env) (platform.App, error) {
			built <- e
			return echo.Build(ctx, e)
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(15 * time.Second):
			t.Error("launch.Run did not return after cancel")
		}
	})
	return built
}

func dial(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("nothing listens on %s", addr)
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestRun(t *testing.T) {
	t.Run("with no platform variable the binary serves HTTP on ADDR, loopback only", func(t *testing.T) {
		port := loopback.FreePort(t)
		built := run(t, map[string]string{"ADDR": "127.0.0.1:" + port})
		dial(t, "127.0.0.1:"+port)
		if env := <-built; env.Platform != "local" || !env.LoopbackOnly {
			t.Fatalf("env = %+v", env)
		}
	})
	t.Run("FUNCTIONS_CUSTOMHANDLER_PORT selects the Azure adapter", func(t *testing.T) {
		port := loopback.FreePort(t)
		built := run(t, map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": port, "ADDR": "127.0.0.1:1"})
		dial(t, "127.0.0.1:"+port)
		if env := <-built; env.Platform != "azure" || env.LoopbackOnly {
			t.Fatalf("env = %+v", env)
		}
		if body := get(t, "http://127.0.0.1:"+port+"/echo/x"); !strings.Contains(body, `"platform":"azure"`) {
			t.Fatal(body)
		}
	})
	t.Run("FUNCTIONS_HTTPWORKER_PORT selects the Azure adapter too", func(t *testing.T) {
		port := loopback.FreePort(t)
		built := run(t, map[string]string{"FUNCTIONS_HTTPWORKER_PORT": port})
		dial(t, "127.0.0.1:"+port)
		if env := <-built; env.Platform != "azure" {
			t.Fatalf("env = %+v", env)
		}
	})
	t.Run("_LAMBDA_SERVER_PORT selects SCF and wins over the Azure variables", func(t *testing.T) {
		port := loopback.FreePort(t)
		built := run(t, map[string]string{"_LAMBDA_SERVER_PORT": port, "FUNCTIONS_CUSTOMHANDLER_PORT": loopback.FreePort(t)})
		dial(t, "127.0.0.1:"+port)
		c, err := rpc.Dial("tcp", "127.0.0.1:"+port)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ev, _ := json.Marshal(map[string]any{"httpMethod": "GET", "path": "/echo/x", "requestContext": map[string]string{}})
		var resp scf.InvokeResponse
		d := time.Now().Add(time.Minute)
		if err := c.Call("Function.Invoke", &scf.InvokeRequest{Payload: ev, Deadline: scf.Timestamp{Seconds: d.Unix()}}, &resp); err != nil || resp.Error != nil {
			t.Fatalf("%v %+v", err, resp.Error)
		}
		if env := <-built; env.Platform != "scf" || env.LoopbackOnly {
			t.Fatalf("env = %+v", env)
		}
	})
}
