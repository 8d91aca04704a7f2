// Package eventtest is test support shared by the platform adapters' tests (awslambda, scf,
// azurefunc) and the contract tests: the produce body and routes their benchmarks drive, the
// event fixtures and fuzz seeds read from a package's testdata, the checks that the split
// event decoder reads what encoding/json read, and the union of the HTTP response envelopes.
package eventtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/platform/buffered"
	"github.com/kafkafn/kafkafn/shared/platform/internal/echo"
)

// Main is a TestMain that discards the adapters' logs.
func Main(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// Fixture reads testdata/name of the calling package.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Seeds is every testdata/*.json event of the calling package followed by extra: the cases
// of a split-decoding comparison and the seeds of its fuzz target.
func Seeds(t testing.TB, extra ...string) [][]byte {
	t.Helper()
	var out [][]byte
	names, _ := filepath.Glob("testdata/*.json")
	for _, n := range names {
		out = append(out, Fixture(t, filepath.Base(n)))
	}
	for _, s := range extra {
		out = append(out, []byte(s))
	}
	return out
}

// ProduceBody is an HDInsight-style produce body of n records of about 1 KiB each; each value
// is a JSON object, so its quotes are escaped inside an event's body string.
func ProduceBody(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"records":[`)
	pad := strings.Repeat("x", 1000)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"key":"k%d","value":{"n":%d,"data":"%s"}}`, i, i, pad)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// ReadBody reads the body as a route does (up to 6 MiB) and answers {"bytes":n}.
func ReadBody(w http.ResponseWriter, r *http.Request) {
	body, err := httpio.ReadBody(w, r, 6<<20)
	if err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	httpio.WriteJSON(w, http.StatusOK, map[string]int{"bytes": len(body)})
}

// BenchMux answers small (POST /produce, ReadBody) or answers the large JSON document
// answer (GET /consume), so the benchmarks measure the adapter, not a route.
func BenchMux(answer []byte) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /produce", ReadBody)
	mux.HandleFunc("GET /consume", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	})
	return mux
}

// CompareBody checks the body the split decoder read (got, err) against what encoding/json
// read from the whole event (oldText, the event's body string; oldBody, those bytes after any
// base64 decoding; oldErr): both fail, or a text body encoding/json mangled into U+FFFD is
// refused, or both read the same bytes. It reports whether both read a body, so the caller
// goes on comparing the other fields.
func CompareBody(t *testing.T, payload []byte, oldText string, oldBody []byte, oldErr error, got []byte, err error) bool {
	t.Helper()
	switch {
	case oldErr != nil && err != nil:
		return false
	case oldErr == nil && errors.Is(err, buffered.ErrBodyUTF8):
		if !strings.ContainsRune(oldText, utf8.RuneError) {
			t.Fatalf("%q: body refused as invalid UTF-8; encoding/json kept %q", payload, oldText)
		}
		return false
	case (oldErr == nil) != (err == nil):
		t.Fatalf("%q: encoding/json err %v, split err %v", payload, oldErr, err)
	}
	if !bytes.Equal(oldBody, got) {
		t.Fatalf("%q: body %q, want %q", payload, got, oldBody)
	}
	return true
}

// Recorder is a 1 MiB recorder with Content-Type ct (none when empty) and, when k is not
// empty, the header k set to the two values v and v+"2": the response of a render comparison.
func Recorder(ct, k, v string) *buffered.Recorder {
	rec := buffered.NewRecorder(1 << 20)
	if ct != "" {
		rec.Header().Set("Content-Type", ct)
	}
	if k != "" {
		rec.Header()[k] = append(rec.Header()[k], v, v+"2")
	}
	return rec
}

// EchoedBody checks an answer of echo's POST /echo/b to a body-decoding case: the status is
// wantStatus; a refused body (wantStatus not 200) is an invalid_body error; an accepted one
// reached the route as want. It returns echo's reply and whether the body was accepted.
func EchoedBody(t *testing.T, status int, body []byte, wantStatus int, want string) (echo.Reply, bool) {
	t.Helper()
	var rep echo.Reply
	if status != wantStatus {
		t.Fatalf("status %d: %s", status, body)
	}
	if wantStatus != 200 {
		if !strings.Contains(string(body), `"invalid_body"`) {
			t.Fatalf("body %s", body)
		}
		return rep, false
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatal(err)
	}
	if got, _ := base64.StdEncoding.DecodeString(rep.BodyBase64); string(got) != want {
		t.Fatalf("route read %q, want %q", got, want)
	}
	return rep, true
}

// HTTPResponse is the union of the platforms' HTTP response envelopes (API Gateway v1 and
// v2, ALB, Function URL, SCF integrated response).
type HTTPResponse struct {
	StatusCode        int                 `json:"statusCode"`
	StatusDescription string              `json:"statusDescription"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Cookies           []string            `json:"cookies"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

// Bytes is the body the envelope carries, base64-decoded when IsBase64Encoded.
func (r HTTPResponse) Bytes(t testing.TB) []byte {
	t.Helper()
	if !r.IsBase64Encoded {
		return []byte(r.Body)
	}
	b, err := base64.StdEncoding.DecodeString(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Check runs check on each seed as a numbered subtest.
func Check(t *testing.T, seeds [][]byte, check func(*testing.T, []byte)) {
	t.Helper()
	for i, ev := range seeds {
		t.Run(strconv.Itoa(i), func(t *testing.T) { check(t, ev) })
	}
}

// Fuzz seeds f with seeds and fuzzes check.
func Fuzz(f *testing.F, seeds [][]byte, check func(*testing.T, []byte)) {
	for _, ev := range seeds {
		f.Add(ev)
	}
	f.Fuzz(check)
}
