// Package scf runs a kafkafn App as a Tencent Cloud SCF event function (runtime Go1).
//
// It is kafkafn's own implementation of the Go1 runtime contract (the official
// scf-go-lib cannot be fetched from the module proxy and is not copied): the runtime starts
// the binary with _LAMBDA_SERVER_PORT set, and the binary serves Go net/rpc with the gob
// codec on 0.0.0.0:$_LAMBDA_SERVER_PORT, as the service "Function" with the methods Ping
// and Invoke. Message fields are matched by name (gob), so the types here only need the
// same field names as the runtime's.
//
// Invoke semantics:
//
//   - the context deadline is InvokeRequest.Deadline; a zero Deadline (no deadline sent)
//     falls back to now + TimeLimitInMs, and to no deadline when that is zero too;
//   - the App is built lazily on the first Invoke, once per process, with the request's
//     Environment (a JSON object) overlaid on the process environment; the process
//     environment itself is never modified;
//   - API Gateway trigger events (httpMethod with requestContext) become an *http.Request;
//     the answer is the integrated-response JSON {isBase64Encoded, statusCode, headers,
//     body} (enable integratedResponse on the trigger). The event's body string is unquoted
//     once into the request body (buffered.SplitEvent; a text body that is not valid UTF-8
//     is a 400, never altered) and the answer is written directly, its body escaped once;
//   - timer trigger events ({"Type":"Timer",...}, Type compared case-insensitively) call
//     App.Timer with the trigger's Message as the payload;
//   - handler errors and unknown events are reported in InvokeResponse.Error; a panic
//     outside the HTTP handler is reported with ShouldExit set so that the runtime restarts
//     the process. A panic in the HTTP handler is a JSON 500 and the process lives on.
package scf
