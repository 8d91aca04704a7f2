package harness

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// Invoke sends one Lambda event to the shipped AWS Lambda adapter over the App (the way
// the Lambda runtime delivers it) and returns the answer the adapter encoded
// (ProxyResponse). It fails t when the adapter returns an error or an answer that is not a
// proxy response.
func (s *Stack) Invoke(t testing.TB, event []byte) Response {
	t.Helper()
	out, err := s.Lambda().Invoke(t.Context(), event)
	if err != nil {
		t.Fatalf("harness: invoke: %v", err)
	}
	r, err := ProxyResponse(out)
	if err != nil {
		t.Fatalf("harness: invoke: %v", err)
	}
	return r
}

// ProxyResponse decodes an API Gateway (or SCF API Gateway) integration response, as the
// Lambda and SCF adapters encode answers: its headers from headers and multiValueHeaders,
// its body decoded when base64.
func ProxyResponse(out []byte) (Response, error) {
	var res struct {
		StatusCode        int                 `json:"statusCode"`
		Headers           map[string]string   `json:"headers"`
		MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
		Body              string              `json:"body"`
		IsBase64Encoded   bool                `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return Response{}, fmt.Errorf("not a proxy response: %s: %w", out, err)
	}
	r := Response{Status: res.StatusCode, Header: http.Header{}, Body: []byte(res.Body)}
	for k, v := range res.Headers {
		r.Header.Set(k, v)
	}
	for k, vs := range res.MultiValueHeaders {
		r.Header.Del(k)
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	if res.IsBase64Encoded {
		var err error
		if r.Body, err = base64.StdEncoding.DecodeString(res.Body); err != nil {
			return Response{}, fmt.Errorf("a body that is not base64: %w", err)
		}
	}
	return r, nil
}

// LambdaEvent re-aims a recorded API Gateway event (HTTP API or Function URL payload 2.0,
// REST API 1.0; for instance a fixture of shared/platform/awslambda/testdata) at method and
// target (a path with an optional query) with body and a JSON content type, keeping
// everything else it carries: the authorizer context, identity, headers and stage.
func LambdaEvent(event []byte, method, target, body string) ([]byte, error) {
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, fmt.Errorf("harness: event: %w", err)
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("harness: target: %w", err)
	}
	rc, _ := ev["requestContext"].(map[string]any)
	hdr, _ := ev["headers"].(map[string]any)
	if rc == nil || hdr == nil {
		return nil, fmt.Errorf("harness: the event has no requestContext or headers")
	}
	if ev["version"] == "2.0" {
		ev["routeKey"], ev["rawPath"], ev["rawQueryString"] = "$default", u.Path, u.RawQuery
		rc["routeKey"] = "$default"
		h, _ := rc["http"].(map[string]any)
		if h == nil {
			return nil, fmt.Errorf("harness: a 2.0 event without requestContext.http")
		}
		h["method"], h["path"] = method, u.Path
	} else {
		q := map[string]any{}
		mq := map[string]any{}
		for k, v := range u.Query() {
			q[k], mq[k] = v[len(v)-1], v
		}
		ev["httpMethod"], ev["path"], ev["resource"] = method, u.Path, "/{proxy+}"
		ev["queryStringParameters"], ev["multiValueQueryStringParameters"] = q, mq
		stage, _ := rc["stage"].(string)
		rc["httpMethod"], rc["path"], rc["resourcePath"] = method, "/"+stage+u.Path, "/{proxy+}"
	}
	ev["body"] = body
	hdr["content-type"] = "application/json"
	return json.Marshal(ev)
}
