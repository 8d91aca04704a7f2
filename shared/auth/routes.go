package auth

import (
	"net/http"
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/shared/httpio"
)

// The access of routes that the Guard does not authorise by an Op on the path's topic.
const (
	// Authenticated routes get the principal in the context and no authorisation: the
	// handler calls Guard.AllowGroup once it knows the topic and group (the group routes).
	Authenticated Op = "authenticated"
	// Public routes are not wrapped in the Guard: the handler authenticates the caller itself
	// (webhook signatures, TC3-signed SendMessage, the token route's client credentials).
	Public Op = "public"
)

// Route is one entry of a route package's table: what deploy descriptors and the OpenAPI
// cross-check read (httpio.Route), the operation the Guard authorises (or Authenticated,
// Public), and the handler.
type Route struct {
	httpio.Route
	Op     Op
	Handle httpio.Handler
	// MuxPath is the ServeMux path when it differs from Path ("/{$}" for POST /: only the
	// root path matches).
	MuxPath string
}

// Table is a route package's routes with what every one of them shares.
type Table struct {
	Routes []Route
	Guard  *Guard // nil only when every route is Public
	// Timeout and Margin bound each request's context (httpio.RequestContext).
	Timeout, Margin time.Duration
	// Checks validate path values, in order, after the Guard and before the handler, on the
	// routes whose pattern has them.
	Checks []httpio.PathCheck
}

// Register adds every route of t to mux: the Guard for its op, then the shared prologue,
// handler and encoder (httpio.Endpoint). It is the one registration loop of kafkafn. It lives
// here, not in httpio, because it wraps routes in the Guard and auth imports httpio (the
// error encoder), not the other way round.
func Register(mux *http.ServeMux, t Table) {
	for _, rt := range t.Routes {
		var checks []httpio.PathCheck // those of the path values the pattern has
		for _, c := range t.Checks {
			if strings.Contains(rt.Path, "{"+c.Name+"}") {
				checks = append(checks, c)
			}
		}
		var h http.Handler = httpio.Endpoint{Handle: rt.Handle, Checks: checks, Timeout: t.Timeout, Margin: t.Margin}
		switch rt.Op {
		case Public:
		case Authenticated:
			h = t.Guard.authenticated(h)
		default:
			h = t.Guard.Wrap(rt.Op, h)
		}
		path := rt.Path
		if rt.MuxPath != "" {
			path = rt.MuxPath
		}
		mux.Handle(rt.Method+" "+path, h)
	}
}

// Specs returns the routes without their handlers, for the deploy descriptors and the
// OpenAPI cross-check.
func Specs(routes []Route) []httpio.Route {
	out := make([]httpio.Route, len(routes))
	for i, rt := range routes {
		out[i] = rt.Route
	}
	return out
}

// authenticated establishes the principal without authorising a topic; the handler must
// call Guard.AllowGroup once it knows the topic.
func (g *Guard) authenticated(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := g.Authenticate(r)
		if err != nil {
			httpio.WriteError(w, r, err)
			return
		}
		httpio.MarkAuthenticated(r) // as Wrap: the body now counts against the whole budget
		h.ServeHTTP(w, withPrincipal(r, p))
	})
}
