package push_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/push"
	"github.com/kafkafn/kafkafn/shared/webhook"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

type rec struct {
	Offset int64  `json:"offset"`
	Value  string `json:"value"`
}

func batch() *push.Batch[rec] {
	return &push.Batch[rec]{ID: "msg_1", Topic: "t", Group: "g", Records: []rec{{0, "a"}, {1, "<b>"}}}
}

func TestHTTP(t *testing.T) {
	signer, err := webhook.NewSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := webhook.NewStandard(secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		statuses []int // answers in order; the last repeats
		wantErr  bool
		calls    int32
	}{
		{"2xx accepts at once", []int{http.StatusNoContent}, false, 1},
		{"5xx, 408 and 429 are retried until accepted", []int{500, 408, 429, 200}, false, 4},
		{"4xx refuses at once", []int{http.StatusBadRequest}, true, 1},
		{"3xx is not followed and refuses", []int{http.StatusFound}, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1))
				body, _ := io.ReadAll(r.Body)
				if err := verifier.Verify(r.Header, body, time.Now()); err != nil {
					t.Errorf("signature: %v", err)
				}
				var got push.Batch[rec]
				if err := json.Unmarshal(body, &got); err != nil || got.ID != "msg_1" || len(got.Records) != 2 || got.Records[1].Value != "<b>" {
					t.Errorf("body %s: %v", body, err)
				}
				if tc.statuses[0] == http.StatusFound {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tc.statuses[min(n, len(tc.statuses))-1])
			}))
			defer srv.Close()
			s := push.NewHTTP[rec](srv.URL+"/hook?key=s3cret", signer, time.Second, push.WithBackoff(time.Millisecond))
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			err := s.Deliver(ctx, batch())
			if (err != nil) != tc.wantErr || calls.Load() != tc.calls {
				t.Fatalf("err %v after %d calls", err, calls.Load())
			}
			if err != nil {
				if apierr.KindOf(err) != apierr.BadGateway || strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("kind %v, error %q", apierr.KindOf(err), err)
				}
			}
		})
	}
	t.Run("a receiver that stays down fails before the deadline without the URL", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
		defer srv.Close()
		s := push.NewHTTP[rec](srv.URL+"/?key=s3cret", signer, time.Second, push.WithBackoff(20*time.Millisecond))
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		err := s.Deliver(ctx, batch())
		var pe *push.Error
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "giving up") {
			t.Fatalf("err %v", err)
		}
		if strings.Contains(err.Error(), "s3cret") || strings.Contains(apierr.MessageOf(err), "s3cret") {
			t.Fatalf("the URL leaked: %q", err)
		}
	})
}

func TestLog(t *testing.T) {
	var out bytes.Buffer
	if err := push.NewLog[rec](&out).Deliver(t.Context(), batch()); err != nil {
		t.Fatal(err)
	}
	want := `{"batch":"msg_1","group":"g","offset":0,"value":"a"}` + "\n" +
		`{"batch":"msg_1","group":"g","offset":1,"value":"\u003cb\u003e"}` + "\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
	t.Run("a record that is not a JSON object is refused and nothing is written", func(t *testing.T) {
		out.Reset()
		err := push.NewLog[int](&out).Deliver(t.Context(), &push.Batch[int]{ID: "x", Records: []int{1}})
		if err == nil || out.Len() != 0 {
			t.Fatalf("err %v, wrote %q", err, out.String())
		}
	})
}
