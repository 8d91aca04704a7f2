// Package azurefunc runs a kafkafn App as an Azure Functions custom handler.
//
// The handler is an HTTP server on 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT (falling back to
// FUNCTIONS_HTTPWORKER_PORT) that answers two kinds of requests from the Functions host:
//
//   - forwarded HTTP requests (host.json: enableForwardingHttpRequest true, routePrefix ""):
//     the caller's original request at its original path, served by App.HTTP unchanged.
//     Azure gives such a request no deadline; the route's own maximum bounds it, and the
//     front end gives up after 230 s;
//   - payload-mode invocations of timer functions: POST /<FunctionName> with the JSON
//     envelope {"Data":{...},"Metadata":{...}}, answered with
//     {"Outputs":{},"Logs":[...],"ReturnValue":null} (HTTP 200), or a non-2xx status when
//     App.Timer fails, so the host records a failed invocation.
//
// Timer functions are recognised by name: a function whose name starts with "Timer" (for
// example TimerConsumeWindow) is a timer function, and the adapter treats a POST to
// "/Timer<rest>", a single path segment of letters, digits, '_' and '-', as its
// invocation. No kafkafn route is a single segment starting with an upper-case "Timer"
// (every API path starts with /v1/, /api/ or is "/"), so the two cannot collide. A request
// that came through the public front end (it carries X-Forwarded-For and the other headers
// the front end adds) is never taken for a timer invocation, even at a /Timer… path: only
// the host itself, calling on loopback, can fire a timer.
package azurefunc
