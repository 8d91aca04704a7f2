package consumewindow_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/internal/harness"
)

// FuzzConsumeParams sends any topic, partition, offset and query string through the real
// consume-by-offset route over a kfake cluster holding a few records: never a 5xx or a
// panic, and always a JSON answer (but for ServeMux's redirect of unclean paths).
func FuzzConsumeParams(f *testing.F) {
	for _, seed := range [][4]string{
		{"fuzz", "0", "0", ""},
		{"fuzz", "0", "0", "count=10"},
		{"fuzz", "1", "2", "count=1&encoding=base64"},
		{"fuzz", "0", "3", "count=10000"},
		{"fuzz", "0", "999999", ""},
		{"fuzz", "7", "0", ""},
		{"fuzz", "-1", "0", ""},
		{"fuzz", "0", "-1", ""},
		{"fuzz", "0", "9223372036854775807", ""},
		{"fuzz", "0", "9223372036854775808", ""},
		{"fuzz", "0x1", "0", "count=abc"},
		{"fuzz", "0", "0", "count=0"},
		{"fuzz", "0", "0", "encoding=hex"},
		{"missing", "0", "0", ""},
		{"bad topic!", "0", "0", ""},
		{"..", "0", "0", ""},
		{"", "", "", "%zz"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	s := harness.Start(f, harness.Options{Cluster: []kfake.Opt{kfake.SeedTopics(2, "fuzz")}, NoOpenAPICheck: true, Platform: harness.None})
	for i := range 5 {
		p := int32(i % 2)
		body, _ := json.Marshal(harness.ProduceBody(&p, "a", "b"))
		req := httptest.NewRequest("POST", "/v1/producer/topics/fuzz", bytes.NewReader(body))
		rec := httptest.NewRecorder()
		s.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			f.Fatalf("seed produce: %d %s", rec.Code, rec.Body)
		}
	}
	f.Fuzz(func(t *testing.T, topic, partition, offset, rawQuery string) {
		target := "/v1/consumer/topics/" + url.PathEscape(topic) + "/partitions/" + url.PathEscape(partition) +
			"/offsets/" + url.PathEscape(offset)
		u, err := url.Parse(target)
		if err != nil {
			return
		}
		u.RawQuery = rawQuery
		req, err := http.NewRequest("GET", u.String(), nil)
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		s.Handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %s: %s", rec.Code, u, rec.Body)
		}
		// ServeMux redirects unclean paths ("/topics/../…") with an empty 307; anything else
		// answers JSON.
		if rec.Code != http.StatusTemporaryRedirect && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("status %d with a body that is not JSON: %q", rec.Code, rec.Body)
		}
	})
}
