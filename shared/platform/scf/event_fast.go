package scf

import (
	"github.com/kafkafn/kafkafn/shared/platform/buffered"
)

// decodeAPIGatewayFast decodes the rest of an API Gateway trigger event (buffered.Event.Rest:
// valid JSON) into ev without encoding/json, for the usual event: member names without
// escapes or non-ASCII bytes (buffered.PlainName), strings without escapes
// (buffered.PlainString), and the types APIGatewayEvent declares. ok is false for anything
// else; ev is then partly written, and serveAPIGateway decodes a fresh one with encoding/json
// (which also words the errors).
//
// buffered.DecodePlain does what json.Unmarshal does with those members (queryString, which
// QueryString.UnmarshalJSON replaces whole, by queryStringFast); FuzzDecodeEvent compares
// the two.
func decodeAPIGatewayFast(rest []byte, ev *APIGatewayEvent) bool {
	rc := &ev.RequestContext
	return buffered.DecodePlain(rest,
		buffered.Target{Name: "path", To: &ev.Path},
		buffered.Target{Name: "httpMethod", To: &ev.HTTPMethod},
		buffered.Target{Name: "body", To: &ev.Body},
		buffered.Target{Name: "isBase64Encoded", To: &ev.IsBase64Encoded},
		buffered.Target{Name: "headers", To: &ev.Headers},
		buffered.Target{Name: "pathParameters", To: &ev.PathParameters},
		buffered.Target{Name: "queryString", To: func(v []byte) bool { return queryStringFast(v, &ev.QueryString) }},
		buffered.Target{Name: "requestContext", To: []buffered.Target{
			{Name: "serviceId", To: &rc.ServiceID},
			{Name: "path", To: &rc.Path},
			{Name: "httpMethod", To: &rc.HTTPMethod},
			{Name: "requestId", To: &rc.RequestID},
			{Name: "sourceIp", To: &rc.SourceIP},
			{Name: "stage", To: &rc.Stage},
		}})
}

// queryStringFast is QueryString.UnmarshalJSON for an object of plain strings, arrays of plain
// strings and true under plain names: a new map each time, null sets it to nil.
func queryStringFast(v []byte, q *QueryString) bool {
	if v[0] == 'n' {
		*q = nil
		return true
	}
	if v[0] != '{' {
		return false
	}
	out := QueryString{}
	ok := buffered.Members(v, func(name, v []byte) bool {
		if !buffered.PlainName(name) {
			return false
		}
		switch v[0] {
		case '"':
			s, ok := buffered.PlainString(v)
			out[string(name)] = []string{s}
			return ok
		case '[':
			var ss []string
			ok := buffered.StoreStrings(v, &ss)
			out[string(name)] = ss
			return ok
		case 't':
			out[string(name)] = []string{""}
			return true
		}
		return false
	})
	if ok {
		*q = out
	}
	return ok
}
