package tc3_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth/tc3"
)

const (
	routeID  = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
	routeKey = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
)

var routeTime = time.Unix(1795255200, 0) // 2026-11-21T06:40:00Z

// routeVectors were computed outside Go (python3 hmac/hashlib) by Tencent's documented TC3
// steps, with the request path as CanonicalURI and the query as CanonicalQueryString:
// content-type:application/json and host:kafkafn.example.com signed, service ckafka.
var routeVectors = []struct {
	method, target, body, signature string
}{
	{"GET", "/v1/consumer/topics/orders/partitions/0/offsets/0?count=10", "", "48088cb9d340b3e68f67731506b9f2eab8cab3ab950524096c0f5636452ed064"},
	{"POST", "/v1/producer/topics/orders", `{"records":[{"value":"hello"}]}`, "f6fe76c935df821599d70a915bcb354c47b20ddc37ce7ea4aefd6892ebfe84b8"},
}

func routeRequest(method, target, body string) *http.Request {
	r := httptest.NewRequest(method, "http://kafkafn.example.com"+target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func routeVerifier(t *testing.T, now time.Time) *tc3.Verifier {
	v, err := tc3.NewVerifier("ckafka", map[string][]string{routeID: {routeKey}}, tc3.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRouteVectors(t *testing.T) {
	v := routeVerifier(t, routeTime.Add(time.Minute))
	for _, vec := range routeVectors {
		t.Run(vec.method+" "+vec.target, func(t *testing.T) {
			r := routeRequest(vec.method, vec.target, vec.body)
			tc3.SignRoute(r, []byte(vec.body), routeID, routeKey, "ckafka", routeTime)
			want := "TC3-HMAC-SHA256 Credential=" + routeID + "/2026-11-21/ckafka/tc3_request, SignedHeaders=content-type;host, Signature=" + vec.signature
			if got := r.Header.Get("Authorization"); got != want {
				t.Fatalf("signer:\n got %s\nwant %s", got, want)
			}
			p, err := v.Authenticate(r)
			if err != nil || p.ID != routeID || p.Scheme != tc3.Scheme {
				t.Fatalf("%+v %v", p, err)
			}
		})
	}
}

func TestRouteSignatures(t *testing.T) {
	v := routeVerifier(t, routeTime)
	body := `{"records":[{"value":"hello"}]}`
	signed := func(method, target string) *http.Request {
		r := routeRequest(method, target, body)
		tc3.SignRoute(r, []byte(body), routeID, routeKey, "ckafka", routeTime)
		return r
	}
	retarget := func(r *http.Request, target string) *http.Request {
		r2 := routeRequest(r.Method, target, body)
		r2.Header = r.Header.Clone()
		return r2
	}
	for _, tc := range []struct {
		name string
		req  func() *http.Request
		code string // "" = accepted
	}{
		{"a route signature → accepted", func() *http.Request { return signed("POST", "/v1/producer/topics/orders") }, ""},
		{"replayed on another topic → refused", func() *http.Request {
			return retarget(signed("POST", "/v1/producer/topics/orders"), "/v1/producer/topics/payments")
		}, tc3.CodeSignatureFailure},
		{"query changed → refused", func() *http.Request {
			return retarget(signed("GET", "/v1/consumer/topics/orders/partitions/0/offsets/0?count=10"), "/v1/consumer/topics/orders/partitions/0/offsets/0?count=1000")
		}, tc3.CodeSignatureFailure},
		{"an SDK-style \"/\"-signed request on a route → refused", func() *http.Request {
			r := routeRequest("POST", "/v1/producer/topics/orders", body)
			tc3.Sign(r, []byte(body), routeID, routeKey, "ckafka", routeTime)
			return r
		}, tc3.CodeSignatureFailure},
		{"an SDK-style \"/\"-signed POST / → accepted", func() *http.Request {
			r := routeRequest("POST", "/", body)
			tc3.Sign(r, []byte(body), routeID, routeKey, "ckafka", routeTime)
			return r
		}, ""},
		{"GET / → refused", func() *http.Request { return signed("GET", "/") }, tc3.CodeInvalidAuthorization},
		{"body changed → refused", func() *http.Request {
			r := signed("POST", "/v1/producer/topics/orders")
			r.Body = http.NoBody
			return r
		}, tc3.CodeSignatureFailure},
		{"method changed → refused", func() *http.Request {
			r := signed("POST", "/v1/producer/topics/orders")
			r.Method = "DELETE"
			return r
		}, tc3.CodeSignatureFailure},
		{"host changed → refused", func() *http.Request {
			r := signed("POST", "/v1/producer/topics/orders")
			r.Host = "evil.example.com"
			return r
		}, tc3.CodeSignatureFailure},
		{"an unsigned payload → refused", func() *http.Request {
			r := signed("POST", "/v1/producer/topics/orders")
			r.Header.Set("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD")
			return r
		}, tc3.CodeInvalidAuthorization},
		{"6 minutes old → refused", func() *http.Request {
			r := routeRequest("POST", "/v1/producer/topics/orders", body)
			tc3.SignRoute(r, []byte(body), routeID, routeKey, "ckafka", routeTime.Add(-6*time.Minute))
			return r
		}, tc3.CodeSignatureExpire},
		{"another service → refused", func() *http.Request {
			r := routeRequest("POST", "/v1/producer/topics/orders", body)
			tc3.SignRoute(r, []byte(body), routeID, routeKey, "cvm", routeTime)
			return r
		}, tc3.CodeInvalidAuthorization},
		{"an unknown SecretId → refused", func() *http.Request {
			r := routeRequest("POST", "/v1/producer/topics/orders", body)
			tc3.SignRoute(r, []byte(body), "AKIDother", routeKey, "ckafka", routeTime)
			return r
		}, tc3.CodeSecretIDNotFound},
		{"a wrong key → refused", func() *http.Request {
			r := routeRequest("POST", "/v1/producer/topics/orders", body)
			tc3.SignRoute(r, []byte(body), routeID, routeKey+"x", "ckafka", routeTime)
			return r
		}, tc3.CodeSignatureFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req()
			p, err := v.Authenticate(r)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				got := new(bytes.Buffer)
				if _, err := got.ReadFrom(r.Body); err != nil || got.String() != body {
					t.Fatalf("the handler would read %q (%v)", got, err)
				}
				return
			}
			if err == nil || apierr.CodeOf(err) != tc.code || apierr.KindOf(err) != apierr.Unauthorized {
				t.Fatalf("accepted %+v / err %v (code %q), want %s", p, err, apierr.CodeOf(err), tc.code)
			}
		})
	}
}

// trackingBody records whether anything read it.
type trackingBody struct {
	r    *strings.Reader
	read bool
}

func (b *trackingBody) Read(p []byte) (int, error) { b.read = true; return b.r.Read(p) }
func (b *trackingBody) Close() error               { return nil }

func TestRouteBodyIsReadOnlyAfterTheHeaderChecks(t *testing.T) {
	big := strings.Repeat("x", 2048)
	v, err := tc3.NewVerifier("ckafka", map[string][]string{routeID: {routeKey}},
		tc3.WithClock(func() time.Time { return routeTime }), tc3.WithMaxBody(1024))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("an unknown SecretId is refused without reading the body", func(t *testing.T) {
		r := routeRequest("POST", "/v1/producer/topics/orders", "")
		tc3.SignRoute(r, []byte(big), "AKIDother", routeKey, "ckafka", routeTime)
		b := &trackingBody{r: strings.NewReader(big)}
		r.Body = b
		if _, err := v.Authenticate(r); apierr.CodeOf(err) != tc3.CodeSecretIDNotFound || b.read {
			t.Fatalf("err %v, body read %v", err, b.read)
		}
	})
	t.Run("a body over the limit is 413", func(t *testing.T) {
		r := routeRequest("POST", "/v1/producer/topics/orders", big)
		tc3.SignRoute(r, []byte(big), routeID, routeKey, "ckafka", routeTime)
		if _, err := v.Authenticate(r); apierr.KindOf(err) != apierr.TooLarge {
			t.Fatalf("err %v", err)
		}
	})
}
