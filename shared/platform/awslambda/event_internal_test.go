package awslambda

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kafkafn/kafkafn/shared/platform/buffered"
	"github.com/kafkafn/kafkafn/shared/platform/internal/eventtest"
)

// oldDetect is Detect as it was with encoding/json over the whole event.
func oldDetect(payload []byte) (Kind, error) {
	if !json.Valid(payload) {
		return 0, errNotJSON
	}
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return KindTimer, nil
	}
	var s shape
	if err := json.Unmarshal(trimmed, &s); err != nil {
		return KindTimer, nil
	}
	switch {
	case s.RequestContext != nil && isObject(s.RequestContext.HTTP):
		return KindHTTPV2, nil
	case s.RequestContext != nil && isObject(s.RequestContext.ELB):
		return KindALB, nil
	case s.RequestContext != nil && s.HTTPMethod != nil:
		return KindREST, nil
	case s.DetailType == "Scheduled Event":
		return KindSchedule, nil
	}
	return KindTimer, nil
}

// compareDecode checks that splitting the event and decoding its rest extracts exactly what
// encoding/json extracted from the whole event into E (every field: headers, multi-value
// headers, query strings, cookies, paths, the request context), and the same body bytes.
func compareDecode[E any](t *testing.T, payload []byte, body func(*E) (string, bool)) {
	t.Helper()
	var old, got E
	oldErr := json.Unmarshal(payload, &old)
	var oldBody []byte
	if oldErr == nil {
		s, b64 := body(&old)
		oldBody = []byte(s)
		if b64 {
			oldBody, oldErr = base64.StdEncoding.DecodeString(s)
		}
	}
	split, err := buffered.SplitEvent(payload)
	if err == nil {
		err = json.Unmarshal(split.Rest, &got)
	}
	var gotBody []byte
	if err == nil {
		_, b64 := body(&got)
		gotBody, err = buffered.DecodeBody(split.Body, b64)
	}
	if oldText, _ := body(&old); !eventtest.CompareBody(t, payload, oldText, oldBody, oldErr, gotBody, err) {
		return
	}
	reflect.ValueOf(&old).Elem().FieldByName("Body").SetString("") // compared as bytes above
	if !reflect.DeepEqual(old, got) {
		t.Fatalf("%q: event\n%+v\nwant\n%+v", payload, got, old)
	}
}

func compareAll(t *testing.T, payload []byte) {
	t.Helper()
	k1, err1 := oldDetect(payload)
	k2, err2 := Detect(payload)
	if k1 != k2 || (err1 == nil) != (err2 == nil) {
		t.Fatalf("%q: Detect = %v, %v; encoding/json: %v, %v", payload, k2, err2, k1, err1)
	}
	compareDecode(t, payload, func(e *events.APIGatewayV2HTTPRequest) (string, bool) { return e.Body, e.IsBase64Encoded })
	compareV2Fast(t, payload)
	compareDecode(t, payload, func(e *events.APIGatewayProxyRequest) (string, bool) { return e.Body, e.IsBase64Encoded })
	compareDecode(t, payload, func(e *events.ALBTargetGroupRequest) (string, bool) { return e.Body, e.IsBase64Encoded })
}

// compareV2Fast checks that decodeV2Fast, when it takes an event's rest, decodes what
// encoding/json decodes from it, and that it takes the usual events.
func compareV2Fast(t *testing.T, payload []byte) {
	t.Helper()
	split, err := buffered.SplitEvent(payload)
	if err != nil {
		return
	}
	var fast, want events.APIGatewayV2HTTPRequest
	if !decodeV2Fast(split.Rest, &fast) {
		return
	}
	if err := json.Unmarshal(split.Rest, &want); err != nil {
		t.Fatalf("%q: decodeV2Fast took it, encoding/json: %v", split.Rest, err)
	}
	if !reflect.DeepEqual(fast, want) {
		t.Fatalf("%q: decodeV2Fast\n%+v\nwant\n%+v", split.Rest, fast, want)
	}
}

func TestDecodeV2FastTakesEvents(t *testing.T) {
	for _, name := range []string{"aws_httpapi_v2_post.json", "aws_function_url_get.json"} {
		split, err := buffered.SplitEvent(eventtest.Fixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		var ev events.APIGatewayV2HTTPRequest
		if !decodeV2Fast(split.Rest, &ev) {
			t.Errorf("%s: decodeV2Fast gave way", name)
		}
	}
}

func eventSeeds(t testing.TB) [][]byte {
	return eventtest.Seeds(t,
		`{"requestContext":{"http":{"method":"POST"}},"body":"a\u00e9\"","Body":"b","isBase64Encoded":false}`,
		`{"requestContext":{"elb":{}},"httpMethod":"GET","body":"AP8=","isBase64Encoded":true,"multiValueHeaders":{"a":["1","2"]}}`,
		`{"requestContext":{},"httpMethod":"GET","body":"\ud800"}`,
		"{\"requestContext\":{},\"httpMethod\":\"GET\",\"body\":\"\xff\"}",
		`{"requestContext":{},"httpMethod":5,"body":"x"}`,
		`{"body":"x"} x`, `[1]`, `"s"`, `{"detail-type":"Scheduled Event","body":"x"}`,
		`{"requestContext":{"http":{}},"requestContext":{"ELB":{}},"HTTPMETHOD":null}`,
		`{"requestContext":{"http":{}},"requestContext":null,"requestContext":{"elb":[]},"httpMethod":"GET"}`,
		`{"Detail-Type":"Scheduled Event","detail-type":null,"source":null}`,
		`{"detail-type":"Scheduled\u0020Event"}`, `{"detail-type":"Scheduled Event","source":1}`,
		`{"requestContext":{"h\u0074tp":{}}}`, `{"requestContext":{"ſttp":{}},"httpMethod":"x"}`,
		`{"requestContext":"x","httpMethod":"GET"}`, `{"requestContext":{},"httpMethod":true}`,
		`{ "requestContext" : { "http" : { "a" : "}" } } }`,
		`{"version":"2.0","VERSION":null,"cookies":[],"headers":{"a":"1"},"Headers":{"b":"2","a":"3"},"queryStringParameters":null,`+
			`"pathParameters":{"p":"v"},"stageVariables":{},"isBase64Encoded":null,"requestContext":{"timeEpoch":-0,"http":{"method":"GET"}},`+
			`"requestContext":{"TIMEEPOCH":null,"http":{"path":"/x"},"http":null,"stage":"s"},"x":[{"headers":1}]}`,
		`{"cookies":["a",null],"requestContext":{"http":{}}}`, `{"cookies":["a","b"],"cookies":["c"],"requestContext":{"http":{}}}`,
		`{"headers":{"a":null},"requestContext":{"http":{}}}`, `{"headers":{"é":"x"},"requestContext":{"http":{}}}`,
		`{"requestContext":{"timeEpoch":1.5,"http":{}}}`, `{"requestContext":{"timeEpoch":9223372036854775808,"http":{}}}`,
		`{"requestContext":{"authorizer":null,"http":{}}}`, `{"rawPath":"/a\u0062","requestContext":{"http":{}}}`,
		`{"rawPath":5,"requestContext":{"http":{}}}`, `{"isBase64Encoded":"true","requestContext":{"http":{}}}`,
		"{\"rawPath\":\"/\xff\",\"requestContext\":{\"http\":{}}}",
	)
}

func TestSplitMatchesEncodingJSON(t *testing.T) { eventtest.Check(t, eventSeeds(t), compareAll) }

func FuzzDecodeEvent(f *testing.F) { eventtest.Fuzz(f, eventSeeds(f), compareAll) }

// The responses as encoding/json wrote them before the envelopes were written directly.
type oldV2Response struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers,omitempty"`
	Cookies         []string          `json:"cookies,omitempty"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

type oldRESTResponse struct {
	StatusCode        int                 `json:"statusCode"`
	StatusDescription string              `json:"statusDescription,omitempty"`
	Headers           map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders,omitempty"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

func oldBody(rec *buffered.Recorder) (string, bool) {
	if buffered.IsText(rec.Header().Get("Content-Type"), rec.Body()) {
		return string(rec.Body()), false
	}
	return base64.StdEncoding.EncodeToString(rec.Body()), true
}

func oldRenders(rec *buffered.Recorder) map[string]any {
	hdr := rec.Header()
	v2 := oldV2Response{StatusCode: rec.Status(), Headers: map[string]string{}}
	for k, vs := range hdr {
		if k == "Set-Cookie" {
			v2.Cookies = append(v2.Cookies, vs...)
			continue
		}
		v2.Headers[k] = buffered.JoinHeader(vs)
	}
	v2.Body, v2.IsBase64Encoded = oldBody(rec)
	rest := oldRESTResponse{StatusCode: rec.Status(), MultiValueHeaders: map[string][]string(hdr.Clone())}
	rest.Body, rest.IsBase64Encoded = oldBody(rec)
	alb := oldRESTResponse{StatusCode: rec.Status(), Headers: map[string]string{}}
	alb.StatusDescription = strconv.Itoa(alb.StatusCode) + " " + http.StatusText(alb.StatusCode)
	for k, vs := range hdr {
		alb.Headers[k] = buffered.JoinHeader(vs)
	}
	alb.Body, alb.IsBase64Encoded = oldBody(rec)
	albMulti := alb
	albMulti.Headers, albMulti.MultiValueHeaders = nil, map[string][]string(hdr.Clone())
	return map[string]any{"v2": v2, "rest": rest, "alb": alb, "albMulti": albMulti}
}

func newRenders(rec *buffered.Recorder) map[string][]byte {
	return map[string][]byte{
		"v2": renderV2(nil, rec), "rest": renderREST(nil, rec),
		"alb": renderALB(nil, rec, false), "albMulti": renderALB(nil, rec, true),
	}
}

// compareRender checks that each envelope written directly is valid JSON that decodes to
// what encoding/json wrote before (a semantic comparison: HTML characters are no longer
// escaped as \u003c, which JSON readers do not tell apart).
func compareRender(t *testing.T, status int, ct, k, v, body string) {
	t.Helper()
	rec := eventtest.Recorder(ct, k, v)
	rec.Header().Add("Set-Cookie", "a=1")
	rec.WriteHeader(100 + status%500)
	_, _ = rec.Write([]byte(body))
	olds := oldRenders(rec)
	for name, out := range newRenders(rec) {
		if !json.Valid(out) {
			t.Fatalf("%s: invalid JSON %q", name, out)
		}
		want, err := json.Marshal(olds[name])
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		_ = json.Unmarshal(out, &a)
		_ = json.Unmarshal(want, &b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%s:\n%s\nwant\n%s", name, out, want)
		}
	}
}

func TestRenderMatchesEncodingJSON(t *testing.T) {
	compareRender(t, 100, "application/json", "X-A", "<v>&\u2028", `{"a":"<b>"}`)
	compareRender(t, 304, "application/octet-stream", "X-B", "\xff", "\x00\xff")
	compareRender(t, 0, "", "", "", "")
}

func FuzzRender(f *testing.F) {
	f.Add(100, "application/json", "X-A", "v", `{"a":"<b>"}`)
	f.Add(304, "text/plain", "X-\xff", "\xff", "\xff")
	f.Fuzz(compareRender)
}
