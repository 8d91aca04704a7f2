package httpio

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// RequestContext bounds the request's context for work on the caller's behalf: at most
// timeout, and ending margin before the platform's own deadline (already in r's context on
// Lambda and SCF) so there is time left to answer.
func RequestContext(r *http.Request, timeout, margin time.Duration) (context.Context, context.CancelFunc) {
	ctx := r.Context()
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Add(-margin).Before(deadline) {
		deadline = d.Add(-margin)
	}
	return context.WithDeadline(ctx, deadline)
}

// PathInt parses the path value name as an integer in [min, max].
func PathInt(r *http.Request, name string, min, max int64) (int64, error) {
	return parseInt("path parameter", name, r.PathValue(name), min, max)
}

// QueryInt parses the query parameter name as an integer in [min, max], or returns def when
// it is absent.
func QueryInt(r *http.Request, name string, def, min, max int64) (int64, error) {
	q := r.URL.Query()
	if !q.Has(name) {
		return def, nil
	}
	return parseInt("query parameter", name, q.Get(name), min, max)
}

func parseInt(what, name, v string, min, max int64) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, apierr.E(apierr.Invalid, "invalid_"+name,
			what+" "+name+" must be an integer, got "+strconv.Quote(apierr.Clip(v, 32)))
	}
	if n < min || n > max {
		return 0, apierr.E(apierr.Invalid, "invalid_"+name,
			what+" "+name+" must be between "+strconv.FormatInt(min, 10)+" and "+strconv.FormatInt(max, 10)+", got "+v)
	}
	return n, nil
}

// Base64Param reads the encoding query parameter of the HDInsight-style routes: absent or
// "json" (false), or "base64" (true); anything else is invalid_encoding.
func Base64Param(r *http.Request) (bool, error) {
	if r.URL.RawQuery == "" {
		return false, nil // no query: nothing to parse (Query makes a map)
	}
	switch r.URL.Query().Get("encoding") {
	case "", "json":
		return false, nil
	case "base64":
		return true, nil
	default:
		return false, apierr.E(apierr.Invalid, "invalid_encoding", `query parameter encoding must be "json" or "base64"`)
	}
}
