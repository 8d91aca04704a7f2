// Package awslambda runs a kafkafn App on AWS Lambda (provided.al2023, binary "bootstrap",
// built with -tags lambda.norpc). It is the only package that imports aws-lambda-go.
//
// One raw-JSON handler serves every event source the function is wired to; the event is
// recognised by its shape:
//
//   - requestContext.http: API Gateway HTTP API (payload 2.0) or a Function URL
//   - requestContext.elb: an Application Load Balancer target group
//   - httpMethod with requestContext: API Gateway REST API (payload 1.0)
//   - "detail-type": "Scheduled Event": an EventBridge (CloudWatch Events) schedule
//   - any other JSON value: the constant Input of a schedule target, passed to App.Timer
//
// HTTP events become an *http.Request built with the invocation's context (its deadline is
// the Lambda deadline; platform.FromContext returns the invocation metadata) and the
// recorded response goes back in the event source's own response shape. Bodies are
// base64-decoded and -encoded as the event says; non-text responses are always
// base64-encoded. The event is read once (buffered.SplitEvent): the body string is unquoted
// once into the request body, the rest of the envelope is decoded with encoding/json, and
// the response envelope is written directly with the body escaped once; a text body that is
// not valid UTF-8 is refused with a 400 rather than altered. The response is bounded by Lambda's 6 MB synchronous limit: a larger one
// becomes a JSON 500 with code "response_too_large". A panic in the handler becomes a JSON
// 500 and the process keeps serving.
package awslambda
