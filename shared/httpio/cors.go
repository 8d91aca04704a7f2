package httpio

import (
	"net/http"
	"strings"
)

// cors answers browsers (the Fetch standard's CORS protocol) for HTTP_CORS_ORIGINS. A
// preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered here, before
// authentication (browsers send no credentials on a preflight), for the methods the mux has
// a route for on that path, that is the route tables; an actual request from an allowed
// origin gets Access-Control-Allow-Origin on its answer, whatever the status. Every answer
// carries Vary: Origin, since it depends on the Origin header.
type cors struct {
	any         bool
	origins     map[string]struct{}
	credentials bool
}

// corsAllowHeaders are the request headers kafkafn reads (auth, content, request id, trace
// context, Tencent TC3 signatures).
const corsAllowHeaders = "Authorization, Content-Type, X-Request-Id, traceparent, tracestate, " +
	"X-TC-Action, X-TC-Version, X-TC-Timestamp, X-TC-Region, X-TC-Token, X-TC-Language"

// corsExposeHeaders are the response headers a browser script may read.
const corsExposeHeaders = "X-Request-Id, Retry-After, Location"

// corsMaxAge is how long (seconds) a browser may cache a preflight answer (Chromium caps it
// at 7200).
const corsMaxAge = "600"

var corsMethods = [...]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete}

func newCORS(o Ops) *cors {
	if len(o.CORSOrigins) == 0 {
		return nil
	}
	c := &cors{origins: map[string]struct{}{}, credentials: o.CORSCredentials}
	for _, origin := range o.CORSOrigins {
		if origin == "*" {
			c.any, c.credentials = true, false
			continue
		}
		c.origins[origin] = struct{}{}
	}
	return c
}

func (c *cors) allowed(origin string) bool {
	if origin == "" {
		return false
	}
	if c.any {
		return true
	}
	_, ok := c.origins[origin]
	return ok
}

// serve sets the CORS headers of r's answer and answers preflights. It reports whether it
// answered.
func (c *cors) serve(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	h.Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	reqMethod := r.Header.Get("Access-Control-Request-Method")
	preflight := r.Method == http.MethodOptions && reqMethod != ""
	if preflight {
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
	}
	if !c.allowed(origin) {
		return false // no CORS headers: the browser refuses; the request itself is served as usual
	}
	if !preflight {
		c.allowOrigin(h, origin)
		h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		return false
	}
	methods := c.routeMethods(mux, r)
	if !strings.Contains(","+methods+",", ","+reqMethod+",") {
		// Not a documented route and method: no CORS headers, so the browser refuses; the
		// answer is the JSON error the request would get.
		if methods != "" {
			h.Set("Allow", strings.ReplaceAll(methods, ",", ", "))
		}
		WriteError(w, r, errPreflight(r, reqMethod, methods))
		return true
	}
	c.allowOrigin(h, origin)
	h.Set("Access-Control-Allow-Methods", methods)
	h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	h.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusNoContent)
	return true
}

func (c *cors) allowOrigin(h http.Header, origin string) {
	if c.any {
		h.Set("Access-Control-Allow-Origin", "*")
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	if c.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// routeMethods lists, comma-separated, the methods the mux has a route for on r's path.
func (c *cors) routeMethods(mux *http.ServeMux, r *http.Request) string {
	var b strings.Builder
	probe := *r
	for _, m := range corsMethods {
		probe.Method = m
		if _, pattern := mux.Handler(&probe); pattern != "" {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(m)
		}
	}
	return b.String()
}
