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
// It does what json.Unmarshal does with those members: names match ignoring ASCII case,
// unknown ones are skipped, the last occurrence wins (a repeated object is decoded into the
// same struct or map, except queryString, which QueryString.UnmarshalJSON replaces), and null
// leaves a string, bool or struct as it was and sets a map to nil. FuzzDecodeEvent compares
// the two.
func decodeAPIGatewayFast(rest []byte, ev *APIGatewayEvent) bool {
	return buffered.Members(rest, func(name, v []byte) bool {
		if !buffered.PlainName(name) {
			return false
		}
		switch {
		case buffered.NameIs(name, "path"):
			return buffered.StoreString(v, &ev.Path)
		case buffered.NameIs(name, "httpMethod"):
			return buffered.StoreString(v, &ev.HTTPMethod)
		case buffered.NameIs(name, "body"):
			return buffered.StoreString(v, &ev.Body)
		case buffered.NameIs(name, "isBase64Encoded"):
			switch v[0] {
			case 't':
				ev.IsBase64Encoded = true
			case 'f':
				ev.IsBase64Encoded = false
			case 'n':
			default:
				return false
			}
		case buffered.NameIs(name, "headers"):
			return buffered.StoreMap(v, &ev.Headers)
		case buffered.NameIs(name, "pathParameters"):
			return buffered.StoreMap(v, &ev.PathParameters)
		case buffered.NameIs(name, "queryString"):
			return queryStringFast(v, &ev.QueryString)
		case buffered.NameIs(name, "requestContext"):
			switch v[0] {
			case 'n':
				return true
			case '{':
				return buffered.Members(v, func(name, v []byte) bool { return contextFast(name, v, &ev.RequestContext) })
			}
			return false
		}
		return true
	})
}

func contextFast(name, v []byte, rc *APIGatewayRequestContext) bool {
	if !buffered.PlainName(name) {
		return false
	}
	switch {
	case buffered.NameIs(name, "serviceId"):
		return buffered.StoreString(v, &rc.ServiceID)
	case buffered.NameIs(name, "path"):
		return buffered.StoreString(v, &rc.Path)
	case buffered.NameIs(name, "httpMethod"):
		return buffered.StoreString(v, &rc.HTTPMethod)
	case buffered.NameIs(name, "requestId"):
		return buffered.StoreString(v, &rc.RequestID)
	case buffered.NameIs(name, "sourceIp"):
		return buffered.StoreString(v, &rc.SourceIP)
	case buffered.NameIs(name, "stage"):
		return buffered.StoreString(v, &rc.Stage)
	}
	return true
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
