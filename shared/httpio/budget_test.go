package httpio_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

func TestBodyBudget(t *testing.T) {
	entered := make(chan struct{}, 4)
	unblock := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slow", func(w http.ResponseWriter, r *http.Request) {
		if _, err := httpio.ReadBody(w, r, 100); err != nil {
			httpio.WriteError(w, r, err)
			return
		}
		entered <- struct{}{}
		<-unblock
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /fast", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	limits := config.Limits{MaxBodyBytes: 100, MaxInflightBytes: 150, RequestTimeout: 200 * time.Millisecond}
	srv := httptest.NewServer(httpio.Serve(mux, nil, httpio.WithBodyBudget(limits)))
	defer srv.Close()

	post := func(n int) (*http.Response, error) {
		return http.Post(srv.URL+"/slow", "text/plain", strings.NewReader(strings.Repeat("x", n)))
	}
	first := make(chan *http.Response, 1)
	go func() {
		res, err := post(100)
		if err != nil {
			t.Error(err)
		}
		first <- res
	}()
	<-entered // 100 of 150 bytes are now in flight

	t.Run("a request without a body does not wait", func(t *testing.T) {
		res, err := http.Get(srv.URL + "/fast")
		if err != nil || res.StatusCode != http.StatusNoContent {
			t.Fatalf("%v %v", res, err)
		}
		res.Body.Close()
	})
	t.Run("a body that does not fit waits, then gets a retryable 503", func(t *testing.T) {
		res, err := post(60)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body httpio.ErrorBody
		_ = json.NewDecoder(res.Body).Decode(&body)
		if res.StatusCode != http.StatusServiceUnavailable || body.Error.Code != "server_busy" || !body.Error.Retryable {
			t.Fatalf("%d %+v", res.StatusCode, body)
		}
	})
	t.Run("a body that fits goes through", func(t *testing.T) {
		go func() {
			res, err := post(50)
			if err == nil {
				res.Body.Close()
			}
		}()
		select {
		case <-entered:
		case <-time.After(5 * time.Second):
			t.Fatal("a 50-byte body did not get in beside the 100-byte one")
		}
	})
	close(unblock)
	if res := <-first; res == nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("first request: %v", res)
	}
}

func TestBudgetConfig(t *testing.T) {
	l, err := config.LimitsFromEnv(func(string) string { return "" })
	if err != nil || l.MaxInflightBytes != 16<<20 {
		t.Fatalf("default %d, %v", l.MaxInflightBytes, err)
	}
	_, err = config.LimitsFromEnv(func(k string) string {
		return map[string]string{"HTTP_MAX_INFLIGHT_BYTES": "1024"}[k]
	})
	if err == nil || !strings.Contains(err.Error(), "HTTP_MAX_INFLIGHT_BYTES") {
		t.Fatalf("a budget below the body cap: %v", err)
	}
}
