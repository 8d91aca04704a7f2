package azurefunc_test

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/internal/loopback"
	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/azurefunc"
	"github.com/kafkafn/kafkafn/shared/platform/internal/echo"
	"github.com/kafkafn/kafkafn/shared/platform/internal/eventtest"
)

func TestMain(m *testing.M) { eventtest.Main(m) }

// start runs the adapter on a loopback port and returns its base URL.
func start(t testing.TB, build platform.BuildFunc) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- azurefunc.Run(ctx, "127.0.0.1:0", "echo", func(string) string { return "" }, build, func(a net.Addr) { addrc <- a })
	}()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return "http://" + addr.String()
}

func TestAddr(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"FUNCTIONS_CUSTOMHANDLER_PORT gives the port", map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "7001", "FUNCTIONS_HTTPWORKER_PORT": "7002"}, "127.0.0.1:7001"},
		{"FUNCTIONS_HTTPWORKER_PORT is the fallback", map[string]string{"FUNCTIONS_HTTPWORKER_PORT": "7002"}, "127.0.0.1:7002"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := azurefunc.Addr(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Fatalf("Addr = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTimerFunction(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/TimerConsumeWindow", true},
		{"/Timer_pull-1", true},
		{"/timerConsumeWindow", false},
		{"/TimerX/y", false},
		{"/v1/producer/topics/Timer", false},
		{"/", false},
		{"/Timer%2F", false},
	}
	for _, tt := range tests {
		t.Run(tt.path+" is a timer path: "+map[bool]string{true: "yes", false: "no"}[tt.want], func(t *testing.T) {
			if _, got := azurefunc.TimerFunction(tt.path); got != tt.want {
				t.Fatalf("got %v", got)
			}
		})
	}
}

func TestForwarded(t *testing.T) {
	base := start(t, echo.Build)
	t.Run("a forwarded request is served at its original path with no deadline", func(t *testing.T) {
		resp, body := loopback.Do(t, "POST", base+"/echo/v1/producer/topics/orders?a=1&a=2", []byte(`{"x":1}`), map[string]string{
			"Content-Type": "application/json", "X-Azure-Functions-InvocationId": "inv-1", "X-Forwarded-For": "203.0.113.7:51234",
		})
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		var rep echo.Reply
		if err := json.Unmarshal(body, &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Path != "/echo/v1/producer/topics/orders" || len(rep.Query["a"]) != 2 || rep.Body != `{"x":1}` || rep.HasDeadline || rep.Platform != "azure" {
			t.Fatalf("got %+v", rep)
		}
		if rep.Invocation == nil || rep.Invocation.RequestID != "inv-1" || rep.Invocation.SourceIP != "203.0.113.7" {
			t.Fatalf("invocation = %+v", rep.Invocation)
		}
	})
	t.Run("a panicking handler is a JSON 500 and the server keeps serving", func(t *testing.T) {
		if resp, _ := loopback.Do(t, "GET", base+"/panic", nil, nil); resp.StatusCode != 500 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if resp, _ := loopback.Do(t, "GET", base+"/echo/x", nil, nil); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
}

func TestPayloadMode(t *testing.T) {
	t.Run("a timer envelope reaches App.Timer and is answered with the result envelope", func(t *testing.T) {
		base := start(t, echo.Build)
		resp, body := loopback.Do(t, "POST", base+"/TimerConsumeWindow", eventtest.Fixture(t, "azure_timer.json"), map[string]string{
			"Content-Type": "application/json", "X-Azure-Functions-InvocationId": "inv-2",
		})
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		var res map[string]json.RawMessage
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatal(err)
		}
		if string(res["Outputs"]) != "{}" || string(res["ReturnValue"]) != "null" || !strings.Contains(string(res["Logs"]), "TimerConsumeWindow") {
			t.Fatalf("result = %s", body)
		}
		_, body = loopback.Do(t, "GET", base+"/timer/last", nil, nil)
		var last echo.Timer
		if err := json.Unmarshal(body, &last); err != nil {
			t.Fatal(err)
		}
		if last.Platform != "azure" || last.Name != "TimerConsumeWindow" || last.Inv.RequestID != "inv-2" ||
			!last.Time.Equal(time.Date(2026, 11, 21, 10, 5, 0, 17000000, time.UTC)) {
			t.Fatalf("timer = %+v", last)
		}
	})
	t.Run("a newer host's envelope without sys metadata works", func(t *testing.T) {
		base := start(t, echo.Build)
		if resp, body := loopback.Do(t, "POST", base+"/TimerPull", eventtest.Fixture(t, "azure_timer_newhost.json"), nil); resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
	})
	tests := []struct {
		name   string
		build  platform.BuildFunc
		method string
		body   []byte
		status int
	}{
		{"a timer input with an empty Schedule object still counts as a timer", echo.Build, "POST", []byte(`{"Data":{"t":{"Schedule":{},"IsPastDue":false}},"Metadata":{}}`), 200},
		{"an envelope without a timer input is a 400", echo.Build, "POST", []byte(`{"Data":{"req":{"Url":"x"}},"Metadata":{}}`), 400},
		{"an envelope that is not JSON is a 400", echo.Build, "POST", []byte(`{`), 400},
		{"a GET to a timer function is a 405", echo.Build, "GET", nil, 405},
		{"an app without a timer answers 404", echo.BuildHTTPOnly, "POST", []byte(`{"Data":{"t":{"Schedule":{}}}}`), 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := start(t, tt.build)
			resp, body := loopback.Do(t, tt.method, base+"/TimerX", tt.body, nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
		})
	}
	t.Run("a forwarded public request to a timer path does not fire the timer", func(t *testing.T) {
		base := start(t, echo.Build)
		for _, h := range []string{"X-Forwarded-For", "X-Original-URL", "X-ARR-LOG-ID"} {
			resp, body := loopback.Do(t, "POST", base+"/TimerConsumeWindow", eventtest.Fixture(t, "azure_timer.json"), map[string]string{h: "203.0.113.7"})
			if resp.StatusCode != 404 {
				t.Fatalf("%s: status %d: %s", h, resp.StatusCode, body)
			}
		}
		if resp, _ := loopback.Do(t, "GET", base+"/timer/last", nil, nil); resp.StatusCode != 404 {
			t.Fatalf("the timer ran: %d", resp.StatusCode)
		}
	})
	t.Run("a timer that fails answers non-2xx so the host records a failure", func(t *testing.T) {
		// Azure timers carry no payload, so the failure comes from a timer that always fails.
		failing := func(ctx context.Context, env platform.Env) (platform.App, error) {
			app, err := echo.Build(ctx, env)
			app.Timer = func(context.Context, platform.TimerEvent) error { return context.DeadlineExceeded }
			return app, err
		}
		base := start(t, failing)
		resp, body := loopback.Do(t, "POST", base+"/TimerX", eventtest.Fixture(t, "azure_timer.json"), nil)
		if resp.StatusCode != 500 || !strings.Contains(string(body), "timeout") {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
	})
}

func FuzzDecodeEnvelope(f *testing.F) {
	for _, name := range []string{"azure_timer.json", "azure_timer_newhost.json", "azure_http_payload.json"} {
		f.Add(eventtest.Fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := azurefunc.DecodeEnvelope("TimerX", body)
		if err == nil && (ev.Name != "TimerX" || ev.Time.IsZero()) {
			t.Fatalf("event = %+v", ev)
		}
	})
}
