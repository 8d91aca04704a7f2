package awslambda

import (
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
		case buffered.NameIs(name, "version"):
			return buffered.StoreString(v, &ev.Version)
		case buffered.NameIs(name, "routeKey"):
			return buffered.StoreString(v, &ev.RouteKey)
		case buffered.NameIs(name, "rawPath"):
			return buffered.StoreString(v, &ev.RawPath)
		case buffered.NameIs(name, "rawQueryString"):
			return buffered.StoreString(v, &ev.RawQueryString)
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
		case buffered.NameIs(name, "cookies"):
			return buffered.StoreStrings(v, &ev.Cookies)
		case buffered.NameIs(name, "headers"):
			return buffered.StoreMap(v, &ev.Headers)
		case buffered.NameIs(name, "queryStringParameters"):
			return buffered.StoreMap(v, &ev.QueryStringParameters)
		case buffered.NameIs(name, "pathParameters"):
			return buffered.StoreMap(v, &ev.PathParameters)
		case buffered.NameIs(name, "stageVariables"):
			return buffered.StoreMap(v, &ev.StageVariables)
		case buffered.NameIs(name, "requestContext"):
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
	case buffered.NameIs(name, "routeKey"):
		return buffered.StoreString(v, &rc.RouteKey)
	case buffered.NameIs(name, "accountId"):
		return buffered.StoreString(v, &rc.AccountID)
	case buffered.NameIs(name, "stage"):
		return buffered.StoreString(v, &rc.Stage)
	case buffered.NameIs(name, "requestId"):
		return buffered.StoreString(v, &rc.RequestID)
	case buffered.NameIs(name, "apiId"):
		return buffered.StoreString(v, &rc.APIID)
	case buffered.NameIs(name, "domainName"):
		return buffered.StoreString(v, &rc.DomainName)
	case buffered.NameIs(name, "domainPrefix"):
		return buffered.StoreString(v, &rc.DomainPrefix)
	case buffered.NameIs(name, "time"):
		return buffered.StoreString(v, &rc.Time)
	case buffered.NameIs(name, "timeEpoch"):
		if v[0] == 'n' {
			return true
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return false
		}
		rc.TimeEpoch = n
	case buffered.NameIs(name, "http"):
		switch v[0] {
		case 'n':
			return true
		case '{':
			return buffered.Members(v, func(name, v []byte) bool { return v2HTTP(name, v, &rc.HTTP) })
		}
		return false
	case buffered.NameIs(name, "authorizer"), buffered.NameIs(name, "authentication"):
		return false // identity: encoding/json's to read
	}
	return true
}

func v2HTTP(name, v []byte, h *events.APIGatewayV2HTTPRequestContextHTTPDescription) bool {
	if !buffered.PlainName(name) {
		return false
	}
	switch {
	case buffered.NameIs(name, "method"):
		return buffered.StoreString(v, &h.Method)
	case buffered.NameIs(name, "path"):
		return buffered.StoreString(v, &h.Path)
	case buffered.NameIs(name, "protocol"):
		return buffered.StoreString(v, &h.Protocol)
	case buffered.NameIs(name, "sourceIp"):
		return buffered.StoreString(v, &h.SourceIP)
	case buffered.NameIs(name, "userAgent"):
		return buffered.StoreString(v, &h.UserAgent)
	}
	return true
}
