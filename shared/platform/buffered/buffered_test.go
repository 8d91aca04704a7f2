package buffered_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/platform/buffered"
)

func TestRecorder(t *testing.T) {
	t.Run("writes past the limit fail and mark the response as overflowed", func(t *testing.T) {
		rec := buffered.NewRecorder(4)
		if n, err := rec.Write([]byte("abc")); n != 3 || err != nil {
			t.Fatal(n, err)
		}
		if _, err := rec.Write([]byte("de")); !errors.Is(err, buffered.ErrTooLarge) || !rec.Overflowed() {
			t.Fatal(err)
		}
		if string(rec.Body()) != "abc" || rec.Status() != 200 {
			t.Fatalf("%q %d", rec.Body(), rec.Status())
		}
	})
	t.Run("only the first WriteHeader counts", func(t *testing.T) {
		rec := buffered.NewRecorder(4)
		rec.WriteHeader(201)
		rec.WriteHeader(500)
		if rec.Status() != 201 {
			t.Fatal(rec.Status())
		}
	})
	t.Run("Serve turns a panic into a JSON 500", func(t *testing.T) {
		req, _ := http.NewRequest("GET", "/", nil)
		rec := buffered.Serve(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Partial", "1")
			panic("boom")
		}), req, 1<<10)
		if rec.Status() != 500 || rec.Header().Get("X-Partial") != "" || !strings.Contains(string(rec.Body()), `"internal"`) {
			t.Fatalf("%d %v %s", rec.Status(), rec.Header(), rec.Body())
		}
	})
	t.Run("Serve turns an overflow into response_too_large", func(t *testing.T) {
		req, _ := http.NewRequest("GET", "/", nil)
		rec := buffered.Serve(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(make([]byte, 100))
		}), req, 10)
		if rec.Status() != 500 || !strings.Contains(string(rec.Body()), "response_too_large") {
			t.Fatalf("%d %s", rec.Status(), rec.Body())
		}
	})
}

func TestNewRequest(t *testing.T) {
	tests := []struct {
		name    string
		in      buffered.Request
		wantErr bool
		check   func(t *testing.T, r *http.Request)
	}{
		{"an escaped raw path is kept", buffered.Request{Method: "get", RawPath: "/a%2Fb/c", RawQuery: "x=1", Header: http.Header{"Host": {"h.example"}}},
			false, func(t *testing.T, r *http.Request) {
				if r.Method != "GET" || r.URL.Path != "/a/b/c" || r.URL.EscapedPath() != "/a%2Fb/c" || r.Host != "h.example" || r.Header.Get("Host") != "" || r.URL.Query().Get("x") != "1" {
					t.Fatalf("%s %s %s %s", r.Method, r.URL, r.Host, r.RequestURI)
				}
			}},
		{"an empty path is /", buffered.Request{}, false, func(t *testing.T, r *http.Request) {
			if r.URL.Path != "/" || r.Method != "GET" || r.Body != http.NoBody {
				t.Fatal(r.URL, r.Method)
			}
		}},
		{"a body sets ContentLength", buffered.Request{Method: "POST", Path: "/p", Body: []byte("abc")}, false, func(t *testing.T, r *http.Request) {
			if r.ContentLength != 3 {
				t.Fatal(r.ContentLength)
			}
		}},
		{"a path without a leading slash is refused", buffered.Request{Path: "v1/x"}, true, nil},
		{"a raw path that is a URL is refused", buffered.Request{RawPath: "http://evil.example/x"}, true, nil},
		{"a method with spaces is refused", buffered.Request{Method: "GE T", Path: "/"}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := buffered.NewRequest(context.Background(), tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestIsText(t *testing.T) {
	tests := []struct {
		ct   string
		body string
		want bool
	}{
		{"application/json", `{}`, true},
		{"application/problem+json", `{}`, true},
		{"text/plain; charset=utf-8", "hi", true},
		{"text/plain; charset=latin1", "hi", false},
		{"application/octet-stream", "hi", false},
		{"", "hi", false},
		{"", "", true},
		{"text/plain", "\xff\xfe", false},
	}
	for _, tt := range tests {
		t.Run(tt.ct+" is text: "+map[bool]string{true: "yes", false: "no"}[tt.want], func(t *testing.T) {
			if got := buffered.IsText(tt.ct, []byte(tt.body)); got != tt.want {
				t.Fatalf("IsText(%q, %q) = %v", tt.ct, tt.body, got)
			}
		})
	}
}

func FuzzNewRequest(f *testing.F) {
	f.Add("GET", "/a", "/a%2Fb", "x=1")
	f.Add("POST", "", "http://x/y", "")
	f.Fuzz(func(t *testing.T, method, path, rawPath, rawQuery string) {
		r, err := buffered.NewRequest(context.Background(), buffered.Request{Method: method, Path: path, RawPath: rawPath, RawQuery: rawQuery})
		if err == nil && !strings.HasPrefix(r.URL.Path, "/") {
			t.Fatalf("path %q", r.URL.Path)
		}
	})
}

func TestServeReusesReleasedBodies(t *testing.T) {
	write := func(s string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(s)) })
	}
	req, err := buffered.NewRequest(context.Background(), buffered.Request{Method: "GET", Path: "/"})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range []string{strings.Repeat("a", 1<<16), "b", "", "cd"} {
		rec := buffered.Serve(write(s), req, 1<<20)
		if got := string(rec.Body()); got != s {
			t.Fatalf("serve %d: body %.20q (%d bytes), want %.20q", i, got, len(got), s)
		}
		rec.Release()
		if rec.Body() != nil {
			t.Fatal("body kept after Release")
		}
		rec.Release() // twice is harmless
	}
}
