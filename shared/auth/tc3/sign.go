package tc3

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sign signs r (a POST whose body is body) as a TencentCloud SDK does: it sets
// X-TC-Timestamp to t and the Authorization header. The signed headers are content-type,
// host and any extra header names given (lower-cased and sorted), with values as set on r;
// host is r.Host, or r.URL.Host when r.Host is empty.
func Sign(r *http.Request, body []byte, secretID, secretKey, service string, t time.Time, extra ...string) {
	sign3(r, body, "/", "", secretID, secretKey, service, t, extra...)
}

// SignRoute signs r as kafkafn's routes expect: like Sign, but for any method, with canonical
// URI = r.URL.EscapedPath() and canonical query = r.URL.RawQuery, so the signature covers the
// route, its topic and its parameters.
func SignRoute(r *http.Request, body []byte, secretID, secretKey, service string, t time.Time, extra ...string) {
	sign3(r, body, r.URL.EscapedPath(), r.URL.RawQuery, secretID, secretKey, service, t, extra...)
}

func sign3(r *http.Request, body []byte, uri, query, secretID, secretKey, service string, t time.Time, extra ...string) {
	ts := t.Unix()
	date := time.Unix(ts, 0).UTC().Format(time.DateOnly)
	r.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	names := []string{"content-type", "host"}
	for _, e := range extra {
		if e = strings.ToLower(e); !slices.Contains(names, e) {
			names = append(names, e)
		}
	}
	slices.Sort(names)
	values := make([]string, len(names))
	for i, n := range names {
		if n == "host" {
			values[i] = r.Host
			if values[i] == "" {
				values[i] = r.URL.Host
			}
			continue
		}
		values[i] = r.Header.Get(n)
	}
	canon := CanonicalRequestURI(r.Method, uri, query, names, values, sha256Hex(body))
	sig := Signature(secretKey, date, service, StringToSign(ts, date, service, canon))
	r.Header.Set("Authorization", Algorithm+" Credential="+secretID+"/"+date+"/"+service+"/tc3_request, SignedHeaders="+
		strings.Join(names, ";")+", Signature="+sig)
}
