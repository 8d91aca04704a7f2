package scf

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kafkafn/kafkafn/shared/platform/buffered"
	"github.com/kafkafn/kafkafn/shared/platform/internal/eventtest"
)

// compareDecode checks that the split decoding extracts exactly what encoding/json extracted
// from the whole event (shape, every APIGatewayEvent field including the polymorphic
// queryString, and the body bytes); a text body encoding/json mangled into U+FFFD is refused.
func compareDecode(t *testing.T, payload []byte) {
	t.Helper()
	var oldShape, newShape shape
	oldShapeErr := json.Unmarshal(payload, &oldShape)
	split, splitErr := buffered.SplitEvent(payload)
	newShapeErr := splitErr
	if splitErr == nil {
		newShapeErr = json.Unmarshal(split.Rest, &newShape)
	}
	if (oldShapeErr == nil) != (newShapeErr == nil) || !reflect.DeepEqual(oldShape, newShape) {
		t.Fatalf("%q: shape %+v %v, want %+v %v", payload, newShape, newShapeErr, oldShape, oldShapeErr)
	}
	if splitErr == nil {
		// shapeFast, when it takes the event, decodes what encoding/json decodes.
		if fast, ok := shapeFast(split.Rest); ok && (oldShapeErr != nil || !reflect.DeepEqual(fast, oldShape)) {
			t.Fatalf("%q: shapeFast %+v, want %+v %v", payload, fast, oldShape, oldShapeErr)
		}
	}
	if oldShapeErr != nil {
		return
	}
	var old, got APIGatewayEvent
	oldErr := json.Unmarshal(payload, &old)
	oldBody := []byte(old.Body)
	if oldErr == nil && old.IsBase64Encoded {
		oldBody, oldErr = base64.StdEncoding.DecodeString(old.Body)
	}
	err := json.Unmarshal(split.Rest, &got)
	// decodeAPIGatewayFast, when it takes the rest, decodes what encoding/json decodes.
	var fast APIGatewayEvent
	if decodeAPIGatewayFast(split.Rest, &fast) && (err != nil || !reflect.DeepEqual(fast, got)) {
		t.Fatalf("%q: decodeAPIGatewayFast\n%+v\nwant\n%+v %v", split.Rest, fast, got, err)
	}
	var gotBody []byte
	if err == nil {
		gotBody, err = buffered.DecodeBody(split.Body, got.IsBase64Encoded)
	}
	if !eventtest.CompareBody(t, payload, old.Body, oldBody, oldErr, gotBody, err) {
		return
	}
	old.Body = ""
	if !reflect.DeepEqual(old, got) {
		t.Fatalf("%q: event\n%+v\nwant\n%+v", payload, got, old)
	}
}

func seeds(t testing.TB) [][]byte {
	return eventtest.Seeds(t,
		`{"requestContext":{},"httpMethod":"POST","body":"a\u00e9\"","BODY":"b","queryString":{"a":["1","2"],"f":true}}`,
		`{"requestContext":{},"httpMethod":"POST","body":"AP8=","isBase64Encoded":true}`,
		`{"requestContext":{},"httpMethod":"POST","body":"\udfff"}`,
		`{"requestContext":{},"httpMethod":"POST","queryString":{"a":3},"body":"x"}`,
		`{"Type":"Timer","body":"x"}`, `{"body":"x"},`, `[]`, `null`,
		`{"requestContext":null,"HTTPMETHOD":"GET","httpMethod":null,"type":"timer","Type":null}`,
		`{"requestContext":[1,{"a":"}"}],"httpMethod":"G\u0045T","type":"x","Type":5}`,
		`{"requestContext":"s","httpMethod":"ÿ","t\u0079pe":"timer","ſtype":1}`,
		`{ "requestContext" : { } , "httpMethod" : "POST" , "Type" : "" }`,
		`{"requestContext":{"sourceIp":"1.2.3.4","SOURCEIP":null},"requestContext":{"stage":"s"},"httpMethod":"GET","path":"/a",`+
			`"headers":{"a":"1"},"Headers":{"b":"2"},"pathParameters":null,"isBase64Encoded":false,`+
			`"queryString":{"a":"1","b":["2","3"],"c":true,"d":[]},"queryString":{"e":"4"},"body":"x"}`,
		`{"requestContext":{},"httpMethod":"GET","queryString":{"a":null}}`, `{"requestContext":{},"httpMethod":"GET","queryString":{"a":[null]}}`,
		`{"requestContext":{},"httpMethod":"GET","queryString":{"a":false}}`, `{"requestContext":{},"httpMethod":"GET","queryString":[]}`,
		`{"requestContext":{},"httpMethod":"GET","queryString":null,"headers":{"a":1}}`, `{"requestContext":{},"httpMethod":"GET","path":"/\u0061"}`,
	)
}

func TestSplitMatchesEncodingJSON(t *testing.T) { eventtest.Check(t, seeds(t), compareDecode) }

func FuzzDecodeEvent(f *testing.F) { eventtest.Fuzz(f, seeds(f), compareDecode) }

// oldIntegrated is the response as encoding/json wrote it before.
func oldIntegrated(rec *buffered.Recorder) IntegratedResponse {
	resp := IntegratedResponse{StatusCode: rec.Status(), Headers: make(map[string]string, len(rec.Header()))}
	for k, vs := range rec.Header() {
		if len(vs) == 0 {
			continue
		}
		if k == "Set-Cookie" {
			resp.Headers[k] = vs[0]
			continue
		}
		resp.Headers[k] = buffered.JoinHeader(vs)
	}
	body := rec.Body()
	if buffered.IsText(rec.Header().Get("Content-Type"), body) {
		resp.Body = string(body)
	} else {
		resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return resp
}

func compareRender(t *testing.T, ct, k, v, body string) {
	t.Helper()
	rec := eventtest.Recorder(ct, k, v)
	rec.Header()["X-Empty"] = []string{}
	rec.Header().Add("Set-Cookie", "a=1")
	rec.Header().Add("Set-Cookie", "b=2")
	_, _ = rec.Write([]byte(body))
	out := appendIntegrated(nil, rec)
	var got IntegratedResponse
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	var want IntegratedResponse // through JSON, as the platform reads it
	old, _ := json.Marshal(oldIntegrated(rec))
	if err := json.Unmarshal(old, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: %+v, want %+v", out, got, want)
	}
}

func TestRenderMatchesEncodingJSON(t *testing.T) {
	compareRender(t, "application/json", "X-A", "<v>&\u2028", `{"a":"<b>"}`)
	compareRender(t, "application/octet-stream", "X-B", "\xff", "\x00\xff")
	compareRender(t, "", "", "", "")
}

func FuzzRender(f *testing.F) {
	f.Add("application/json", "X-A", "v", `{"a":"<b>"}`)
	f.Add("text/plain", "X-\xff", "\xff", "\xff")
	f.Fuzz(compareRender)
}
