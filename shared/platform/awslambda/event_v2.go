package awslambda

import (
	"bytes"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kafkafn/kafkafn/shared/platform/buffered"
)

// decodeV2Fast decodes the rest of an HTTP API payload 2.0 or Function URL event
// (buffered.Event.Rest: valid JSON) into ev without encoding/json, for the usual event:
// member names without escapes or non-ASCII bytes (buffered.PlainName), strings without
// escapes (buffered.PlainString), the types the struct declares, and no authorizer or
// authentication member. ok is false for anything else; ev is then partly written, and
// serveV2 decodes a fresh one with encoding/json (which also words the errors), so what the
// platform wrote is read the same either way, identity included.
//
// It does what json.Unmarshal does with those members: names match ignoring ASCII case,
// unknown ones are skipped, the last occurrence wins (a repeated object is decoded into the
// same struct or map), null leaves a string, bool, number or struct as it was and sets a map
// or slice to nil, and an empty array is an empty slice. FuzzDecodeEvent compares the two.
func decodeV2Fast(rest []byte, ev *events.APIGatewayV2HTTPRequest) bool {
	return buffered.Members(rest, func(name, v []byte) bool {
		if !buffered.PlainName(name) {
			return false
		}
		switch {
		case eq(name, "version"):
			return plainString(v, &ev.Version)
		case eq(name, "routeKey"):
			return plainString(v, &ev.RouteKey)
		case eq(name, "rawPath"):
			return plainString(v, &ev.RawPath)
		case eq(name, "rawQueryString"):
			return plainString(v, &ev.RawQueryString)
		case eq(name, "body"):
			return plainString(v, &ev.Body)
		case eq(name, "isBase64Encoded"):
			switch v[0] {
			case 't':
				ev.IsBase64Encoded = true
			case 'f':
				ev.IsBase64Encoded = false
			case 'n':
			default:
				return false
			}
		case eq(name, "cookies"):
			return plainStrings(v, &ev.Cookies)
		case eq(name, "headers"):
			return plainMap(v, &ev.Headers)
		case eq(name, "queryStringParameters"):
			return plainMap(v, &ev.QueryStringParameters)
		case eq(name, "pathParameters"):
			return plainMap(v, &ev.PathParameters)
		case eq(name, "stageVariables"):
			return plainMap(v, &ev.StageVariables)
		case eq(name, "requestContext"):
			switch v[0] {
			case 'n':
				return true
			case '{':
				return buffered.Members(v, func(name, v []byte) bool { return v2Context(name, v, &ev.RequestContext) })
			}
			return false
		}
		return true
	})
}

func v2Context(name, v []byte, rc *events.APIGatewayV2HTTPRequestContext) bool {
	if !buffered.PlainName(name) {
		return false
	}
	switch {
	case eq(name, "routeKey"):
		return plainString(v, &rc.RouteKey)
	case eq(name, "accountId"):
		return plainString(v, &rc.AccountID)
	case eq(name, "stage"):
		return plainString(v, &rc.Stage)
	case eq(name, "requestId"):
		return plainString(v, &rc.RequestID)
	case eq(name, "apiId"):
		return plainString(v, &rc.APIID)
	case eq(name, "domainName"):
		return plainString(v, &rc.DomainName)
	case eq(name, "domainPrefix"):
		return plainString(v, &rc.DomainPrefix)
	case eq(name, "time"):
		return plainString(v, &rc.Time)
	case eq(name, "timeEpoch"):
		if v[0] == 'n' {
			return true
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return false
		}
		rc.TimeEpoch = n
	case eq(name, "http"):
		switch v[0] {
		case 'n':
			return true
		case '{':
			return buffered.Members(v, func(name, v []byte) bool { return v2HTTP(name, v, &rc.HTTP) })
		}
		return false
	case eq(name, "authorizer"), eq(name, "authentication"):
		return false // identity: encoding/json's to read
	}
	return true
}

func v2HTTP(name, v []byte, h *events.APIGatewayV2HTTPRequestContextHTTPDescription) bool {
	if !buffered.PlainName(name) {
		return false
	}
	switch {
	case eq(name, "method"):
		return plainString(v, &h.Method)
	case eq(name, "path"):
		return plainString(v, &h.Path)
	case eq(name, "protocol"):
		return plainString(v, &h.Protocol)
	case eq(name, "sourceIp"):
		return plainString(v, &h.SourceIP)
	case eq(name, "userAgent"):
		return plainString(v, &h.UserAgent)
	}
	return true
}

// eq compares a plain member name with a field name as encoding/json does.
func eq(name []byte, field string) bool {
	return len(name) == len(field) && bytes.EqualFold(name, []byte(field))
}

// plainString stores a plain string into dst; null leaves dst as it was.
func plainString(v []byte, dst *string) bool {
	if v[0] == 'n' {
		return true
	}
	s, ok := buffered.PlainString(v)
	if ok {
		*dst = s
	}
	return ok
}

// plainStrings stores an array of plain strings into dst; null sets it to nil.
func plainStrings(v []byte, dst *[]string) bool {
	if v[0] == 'n' {
		*dst = nil
		return true
	}
	out := []string{}
	ok := buffered.Elements(v, func(e []byte) bool {
		s, ok := buffered.PlainString(e)
		out = append(out, s)
		return ok
	})
	if ok {
		*dst = out
	}
	return ok
}

// plainMap adds an object of plain strings to the map *dst (made when nil); null sets it to
// nil.
func plainMap(v []byte, dst *map[string]string) bool {
	if v[0] == 'n' {
		*dst = nil
		return true
	}
	if v[0] != '{' {
		return false
	}
	if *dst == nil {
		*dst = make(map[string]string)
	}
	m := *dst
	return buffered.Members(v, func(name, v []byte) bool {
		if !buffered.PlainName(name) {
			return false
		}
		k, ok := buffered.PlainString(v)
		if ok {
			m[string(name)] = k
		}
		return ok
	})
}
