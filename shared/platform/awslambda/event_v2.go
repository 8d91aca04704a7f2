package awslambda

import (
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
// buffered.DecodePlain does what json.Unmarshal does with those members; FuzzDecodeEvent
// compares the two.
func decodeV2Fast(rest []byte, ev *events.APIGatewayV2HTTPRequest) bool {
	rc, h := &ev.RequestContext, &ev.RequestContext.HTTP
	return buffered.DecodePlain(rest, []buffered.Target{
		{Name: "version", To: &ev.Version},
		{Name: "routeKey", To: &ev.RouteKey},
		{Name: "rawPath", To: &ev.RawPath},
		{Name: "rawQueryString", To: &ev.RawQueryString},
		{Name: "body", To: &ev.Body},
		{Name: "isBase64Encoded", To: &ev.IsBase64Encoded},
		{Name: "cookies", To: &ev.Cookies},
		{Name: "headers", To: &ev.Headers},
		{Name: "queryStringParameters", To: &ev.QueryStringParameters},
		{Name: "pathParameters", To: &ev.PathParameters},
		{Name: "stageVariables", To: &ev.StageVariables},
		{Name: "requestContext", To: []buffered.Target{
			{Name: "routeKey", To: &rc.RouteKey},
			{Name: "accountId", To: &rc.AccountID},
			{Name: "stage", To: &rc.Stage},
			{Name: "requestId", To: &rc.RequestID},
			{Name: "apiId", To: &rc.APIID},
			{Name: "domainName", To: &rc.DomainName},
			{Name: "domainPrefix", To: &rc.DomainPrefix},
			{Name: "time", To: &rc.Time},
			{Name: "timeEpoch", To: &rc.TimeEpoch},
			{Name: "authorizer"},     // identity: encoding/json's to read
			{Name: "authentication"}, // the client certificate: likewise
			{Name: "http", To: []buffered.Target{
				{Name: "method", To: &h.Method},
				{Name: "path", To: &h.Path},
				{Name: "protocol", To: &h.Protocol},
				{Name: "sourceIp", To: &h.SourceIP},
				{Name: "userAgent", To: &h.UserAgent},
			}},
		}},
	}...)
}
