package tc3_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/tc3"
)

// The documented TencentCloud example (api.md §4.1).
const (
	docID      = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
	docKey     = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
	docHost    = "cvm.tencentcloudapi.com"
	docCT      = "application/json; charset=utf-8"
	docTS      = 1551113065
	docBody    = `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
	docPayload = "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
	docCanonHx = "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
	docSig     = "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
	docAuthz   = "TC3-HMAC-SHA256 Credential=" + docID + "/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=" + docSig
)

func docRequest() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "https://"+docHost+"/", strings.NewReader(docBody))
	r.Header.Set("Content-Type", docCT)
	r.Header.Set("X-TC-Timestamp", "1551113065")
	return r
}

func docVerifier(t *testing.T, opts ...tc3.Option) *tc3.Verifier {
	t.Helper()
	opts = append([]tc3.Option{tc3.WithClock(func() time.Time { return time.Unix(docTS+30, 0) })}, opts...)
	v, err := tc3.NewVerifier("cvm", map[string][]string{docID: {docKey}}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDocumentedVector(t *testing.T) {
	canon := tc3.CanonicalRequest("POST", "", []string{"content-type", "host"}, []string{docCT, docHost}, docPayload)
	wantCanon := "POST\n/\n\ncontent-type:" + docCT + "\nhost:" + docHost + "\n\ncontent-type;host\n" + docPayload
	if canon != wantCanon {
		t.Fatalf("canonical request:\n%q\nwant\n%q", canon, wantCanon)
	}
	sts := tc3.StringToSign(docTS, "2019-02-25", "cvm", canon)
	if want := "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n" + docCanonHx; sts != want {
		t.Fatalf("string to sign:\n%q\nwant\n%q", sts, want)
	}
	if got := tc3.Signature(docKey, "2019-02-25", "cvm", sts); got != docSig {
		t.Fatalf("signature %s, want %s", got, docSig)
	}

	t.Run("the signer produces the documented Authorization header byte for byte", func(t *testing.T) {
		r := docRequest()
		tc3.Sign(r, []byte(docBody), docID, docKey, "cvm", time.Unix(docTS, 0))
		if got := r.Header.Get("Authorization"); got != docAuthz {
			t.Fatalf("Authorization\n%s\nwant\n%s", got, docAuthz)
		}
	})
	t.Run("the verifier accepts the documented request", func(t *testing.T) {
		r := docRequest()
		r.Header.Set("Authorization", docAuthz)
		id, err := docVerifier(t).Verify(r, []byte(docBody))
		if err != nil || id != docID {
			t.Fatalf("Verify = %q, %v", id, err)
		}
	})
}

func TestVerify(t *testing.T) {
	body := []byte(docBody)
	cases := []struct {
		name     string
		edit     func(r *http.Request) []byte // returns the body the server sees
		opts     []tc3.Option
		wantCode string
	}{
		{name: "the documented request is accepted"},
		{name: "a tampered body fails the signature", wantCode: tc3.CodeSignatureFailure,
			edit: func(*http.Request) []byte { return []byte(strings.Replace(docBody, "1", "2", 1)) }},
		{name: "a changed Host fails the signature", wantCode: tc3.CodeSignatureFailure,
			edit: func(r *http.Request) []byte { r.Host = "evil.example.com"; return body }},
		{name: "a rewritten Host passes when the signed host is a configured public host",
			opts: []tc3.Option{tc3.WithPublicHosts(docHost)},
			edit: func(r *http.Request) []byte { r.Host = "service-1.gz.apigw.tencentcs.com"; return body }},
		{name: "a changed Content-Type fails the signature", wantCode: tc3.CodeSignatureFailure,
			edit: func(r *http.Request) []byte { r.Header.Set("Content-Type", "application/json"); return body }},
		{name: "upper-case header values pass in the documented lower-case form",
			edit: func(r *http.Request) []byte { r.Host = strings.ToUpper(docHost); return body }},
		{name: "a timestamp 6 minutes old has expired", wantCode: tc3.CodeSignatureExpire,
			opts: []tc3.Option{tc3.WithClock(func() time.Time { return time.Unix(docTS+360, 0) })}},
		{name: "a timestamp 6 minutes ahead has expired", wantCode: tc3.CodeSignatureExpire,
			opts: []tc3.Option{tc3.WithClock(func() time.Time { return time.Unix(docTS-360, 0) })}},
		{name: "a timestamp 4 minutes old is accepted",
			opts: []tc3.Option{tc3.WithClock(func() time.Time { return time.Unix(docTS+240, 0) })}},
		{name: "a missing timestamp is invalid", wantCode: tc3.CodeInvalidAuthorization,
			edit: func(r *http.Request) []byte { r.Header.Del("X-TC-Timestamp"); return body }},
		{name: "a non-numeric timestamp is invalid", wantCode: tc3.CodeInvalidAuthorization,
			edit: func(r *http.Request) []byte { r.Header.Set("X-TC-Timestamp", "+1551113065"); return body }},
		{name: "a timestamp that disagrees with the scope date is invalid", wantCode: tc3.CodeInvalidAuthorization,
			opts: []tc3.Option{tc3.WithClock(func() time.Time { return time.Unix(docTS+100000-60, 0) })},
			edit: func(r *http.Request) []byte { r.Header.Set("X-TC-Timestamp", "1551213065"); return body }},
		{name: "an unknown SecretId is not found", wantCode: tc3.CodeSecretIDNotFound,
			edit: func(r *http.Request) []byte {
				r.Header.Set("Authorization", strings.Replace(docAuthz, docID, "AKIDunknown", 1))
				return body
			}},
		{name: "another service's scope is invalid", wantCode: tc3.CodeInvalidAuthorization,
			edit: func(r *http.Request) []byte {
				r.Header.Set("Authorization", strings.Replace(docAuthz, "/cvm/", "/ckafka/", 1))
				return body
			}},
		{name: "no Authorization header is invalid", wantCode: tc3.CodeInvalidAuthorization,
			edit: func(r *http.Request) []byte { r.Header.Del("Authorization"); return body }},
		{name: "two Authorization headers are invalid", wantCode: tc3.CodeInvalidAuthorization,
			edit: func(r *http.Request) []byte { r.Header.Add("Authorization", docAuthz); return body }},
		{name: "an unsigned payload is refused", wantCode: tc3.CodeInvalidAuthorization,
			edit: func(r *http.Request) []byte { r.Header.Set("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD"); return body }},
		{name: "a GET is refused", wantCode: tc3.CodeInvalidAuthorization,
			edit: func(r *http.Request) []byte { r.Method = http.MethodGet; return body }},
		{name: "a signed header sent twice is invalid", wantCode: tc3.CodeInvalidAuthorization,
			edit: func(r *http.Request) []byte { r.Header.Add("Content-Type", docCT); return body }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := docRequest()
			r.Header.Set("Authorization", docAuthz)
			b := body
			if tc.edit != nil {
				b = tc.edit(r)
			}
			id, err := docVerifier(t, tc.opts...).Verify(r, b)
			if tc.wantCode == "" {
				if err != nil || id != docID {
					t.Fatalf("Verify = %q, %v; want success", id, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Verify succeeded; want %s", tc.wantCode)
			}
			if apierr.KindOf(err) != apierr.Unauthorized || apierr.CodeOf(err) != tc.wantCode {
				t.Fatalf("error %v (kind %v, code %s); want unauthorized %s", err, apierr.KindOf(err), apierr.CodeOf(err), tc.wantCode)
			}
			if strings.Contains(err.Error(), docKey) || strings.Contains(err.Error(), docSig) {
				t.Fatalf("the error echoes a secret or the signature: %v", err)
			}
		})
	}
}

func TestParseAuthorization(t *testing.T) {
	good := docAuthz
	bad := map[string]string{
		"another scheme":               "Bearer abc",
		"no fields":                    "TC3-HMAC-SHA256 ",
		"a field without =":            "TC3-HMAC-SHA256 Credential",
		"a missing Signature":          strings.Split(good, ", Signature")[0],
		"a repeated field":             good + ", Signature=" + docSig,
		"an unknown field":             good + ", Foo=bar",
		"a three-part credential":      strings.Replace(good, "/tc3_request", "", 1),
		"a wrong terminator":           strings.Replace(good, "tc3_request", "aws4_request", 1),
		"a bad date":                   strings.Replace(good, "2019-02-25", "2019-2-25", 1),
		"an empty SecretId":            strings.Replace(good, docID, "", 1),
		"unsorted SignedHeaders":       strings.Replace(good, "content-type;host", "host;content-type", 1),
		"upper-case SignedHeaders":     strings.Replace(good, "content-type;host", "Content-Type;host", 1),
		"SignedHeaders without host":   strings.Replace(good, "content-type;host", "content-type", 1),
		"SignedHeaders with a blank":   strings.Replace(good, "content-type;host", "content-type;;host", 1),
		"duplicate SignedHeaders":      strings.Replace(good, "content-type;host", "content-type;host;host", 1),
		"a short signature":            good[:len(good)-2],
		"a non-hex signature":          good[:len(good)-2] + "zz",
		"an over-long header":          good + strings.Repeat(" ", tc3.MaxAuthorizationBytes),
		"a lower-case algorithm":       strings.ToLower(good),
		"a signature of the wrong len": good + "00",
	}
	if a, err := tc3.ParseAuthorization(good); err != nil || a.SecretID != docID || a.Service != "cvm" || len(a.Signature) != 32 {
		t.Fatalf("ParseAuthorization(good) = %+v, %v", a, err)
	}
	if _, err := tc3.ParseAuthorization(strings.ReplaceAll(good, ", ", ",")); err != nil {
		t.Fatalf("fields without spaces after commas: %v", err)
	}
	if _, err := tc3.ParseAuthorization(strings.Replace(good, "content-type;host", "content-type;host;x-tc-action", 1)); err != nil {
		t.Fatalf("an extra signed header: %v", err)
	}
	for name, v := range bad {
		t.Run(name+" is invalid", func(t *testing.T) {
			if _, err := tc3.ParseAuthorization(v); apierr.CodeOf(err) != tc3.CodeInvalidAuthorization {
				t.Fatalf("ParseAuthorization = %v; want %s", err, tc3.CodeInvalidAuthorization)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	v, err := tc3.NewVerifier("ckafka", map[string][]string{"AKIDrotate": {"old-key", "new-key"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"old-key", "new-key", "third-key"} {
		r := httptest.NewRequest(http.MethodPost, "http://kafkafn.example/", nil)
		r.Header.Set("Content-Type", "application/json")
		tc3.Sign(r, []byte("{}"), "AKIDrotate", key, "ckafka", time.Now())
		_, err := v.Verify(r, []byte("{}"))
		if want := key != "third-key"; (err == nil) != want {
			t.Errorf("key %s: err %v, want accepted=%v", key, err, want)
		}
	}
}

func TestSignedActionHeader(t *testing.T) {
	v, err := tc3.NewVerifier("ckafka", map[string][]string{"AKIDx": {"k"}})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "http://kafkafn.example/", nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-TC-Action", "SendMessage")
	tc3.Sign(r, []byte("{}"), "AKIDx", "k", "ckafka", time.Now(), "X-TC-Action")
	if _, err := v.Verify(r, []byte("{}")); err != nil {
		t.Fatalf("a request that signs x-tc-action: %v", err)
	}
	r.Header.Set("X-TC-Action", "DeleteTopic")
	if _, err := v.Verify(r, []byte("{}")); apierr.CodeOf(err) != tc3.CodeSignatureFailure {
		t.Fatalf("swapping a signed X-TC-Action: %v; want signature failure", err)
	}
}

func TestAuthenticate(t *testing.T) {
	v, err := tc3.NewVerifier("ckafka", map[string][]string{"AKIDx": {"k"}})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"DataHubId":"datahub-1"}`)
	signed := func(path string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "http://kafkafn.example"+path, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		tc3.Sign(r, body, "AKIDx", "k", "ckafka", time.Now())
		return r
	}
	t.Run("a signed request on / authenticates and keeps its body for the handler", func(t *testing.T) {
		r := signed("/")
		p, err := v.Authenticate(r)
		if err != nil || p.Scheme != tc3.Scheme || p.ID != "AKIDx" {
			t.Fatalf("Authenticate = %+v, %v", p, err)
		}
		if got, _ := io.ReadAll(r.Body); !bytes.Equal(got, body) {
			t.Fatalf("body after Authenticate = %q", got)
		}
	})
	t.Run("a signed request on another path is refused", func(t *testing.T) {
		if _, err := v.Authenticate(signed("/v1/producer/topics/orders")); apierr.KindOf(err) != apierr.Unauthorized {
			t.Fatalf("err %v; want unauthorized", err)
		}
	})
	t.Run("a bearer request is not TC3's business", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "http://kafkafn.example/", nil)
		r.Header.Set("Authorization", "Bearer abc")
		if _, err := v.Authenticate(r); !errors.Is(err, auth.ErrNoCredentials) {
			t.Fatalf("err %v; want ErrNoCredentials", err)
		}
	})
}

// TestOfficialSDK has the official TencentCloud Go SDK sign real requests against a local
// server that verifies them.
func TestOfficialSDK(t *testing.T) {
	const id, key = "AKIDsdkTestSecretId0000000000000000", "sdkTestSecretKey0000000000000000"
	var skew atomic.Int64
	v, err := tc3.NewVerifier("ckafka", map[string][]string{id: {key}},
		tc3.WithClock(func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		resp := map[string]any{"RequestId": "00000000-0000-4000-8000-000000000000"}
		if _, err := v.Verify(r, body); err != nil {
			resp["Error"] = map[string]string{"Code": "AuthFailure." + apierr.CodeOf(err), "Message": apierr.MessageOf(err)}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"Response": resp})
	}))
	t.Cleanup(srv.Close)
	call := func(secretID, secretKey string) error {
		cpf := profile.NewClientProfile()
		cpf.HttpProfile.Endpoint = srv.Listener.Addr().String()
		cpf.HttpProfile.Scheme = "HTTP"
		client := common.NewCommonClient(common.NewCredential(secretID, secretKey), "ap-guangzhou", cpf)
		req := tchttp.NewCommonRequest("ckafka", "2019-08-19", "SendMessage")
		if err := req.SetActionParameters(map[string]any{"DataHubId": "datahub-abc123",
			"Message": []map[string]string{{"Key": "k1", "Body": "hello"}}}); err != nil {
			t.Fatal(err)
		}
		return client.Send(req, tchttp.NewCommonResponse())
	}
	code := func(err error) string {
		var se *tcerr.TencentCloudSDKError
		if errors.As(err, &se) {
			return se.Code
		}
		return ""
	}
	if err := call(id, key); err != nil {
		t.Fatalf("SDK request rejected: %v", err)
	}
	if err := call("AKIDother", key); code(err) != "AuthFailure."+tc3.CodeSecretIDNotFound {
		t.Fatalf("unknown SecretId: %v", err)
	}
	if err := call(id, "wrong-key"); code(err) != "AuthFailure."+tc3.CodeSignatureFailure {
		t.Fatalf("wrong key: %v", err)
	}
	skew.Store(int64(6 * time.Minute))
	if err := call(id, key); code(err) != "AuthFailure."+tc3.CodeSignatureExpire {
		t.Fatalf("server clock 6 minutes ahead: %v", err)
	}
}

func BenchmarkVerify(b *testing.B) {
	v, err := tc3.NewVerifier("cvm", map[string][]string{docID: {docKey}},
		tc3.WithClock(func() time.Time { return time.Unix(docTS, 0) }))
	if err != nil {
		b.Fatal(err)
	}
	r := docRequest()
	r.Header.Set("Authorization", docAuthz)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r, []byte(docBody)); err != nil {
			b.Fatal(err)
		}
	}
}
