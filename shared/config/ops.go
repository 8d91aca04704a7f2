package config

import (
	"net/url"
	"strings"
)

// Ops configures what operators and browsers see around every route: trace propagation,
// metrics and CORS. Request ids are always on.
type Ops struct {
	// TracePropagation copies a valid W3C traceparent/tracestate (and, on Lambda, the X-Ray
	// trace header) into the headers of produced records (TRACE_PROPAGATION, default true).
	TracePropagation bool
	// Metrics is where request metrics go (METRICS): "emf" (CloudWatch Embedded Metric
	// Format lines on stdout), "prometheus" (GET /metrics, behind the metadata permission)
	// or "off". Default: "emf" on AWS Lambda, "prometheus" for the local server on
	// loopback, "off" on the public platforms SCF and Azure and for a local server on a
	// public address (a scrape there reaches one random instance).
	Metrics string
	// MetricsNamespace is the EMF namespace (METRICS_NAMESPACE, default "kafkafn").
	MetricsNamespace string
	// CORSOrigins are the browser origins allowed to call the routes (HTTP_CORS_ORIGINS,
	// comma-separated exact origins such as https://app.example.com, or "*"). Empty: CORS
	// is off and no CORS header is ever sent.
	CORSOrigins []string
	// CORSCredentials lets browsers send cookies and TLS client certificates
	// (HTTP_CORS_CREDENTIALS, default false). Refused together with "*".
	CORSCredentials bool
}

// OpsFromEnv reads the operations section. platform picks the METRICS default: "aws" →
// emf, "local" (a loopback-only server) → prometheus, anything else → off.
func OpsFromEnv(getenv Getenv, platform string) (Ops, error) {
	r := &reader{getenv: getenv}
	o := Ops{
		TracePropagation: r.boolean("TRACE_PROPAGATION", true),
		MetricsNamespace: r.str("METRICS_NAMESPACE", "kafkafn"),
		CORSOrigins:      r.list("HTTP_CORS_ORIGINS"),
		CORSCredentials:  r.boolean("HTTP_CORS_CREDENTIALS", false),
	}
	def := "off"
	switch platform {
	case "aws":
		def = "emf"
	case "local":
		def = "prometheus"
	}
	switch o.Metrics = strings.ToLower(r.str("METRICS", def)); o.Metrics {
	case "off", "emf", "prometheus":
	default:
		r.fail("METRICS", `must be "emf", "prometheus" or "off", got %q`, o.Metrics)
	}
	if len(o.MetricsNamespace) > 255 {
		r.fail("METRICS_NAMESPACE", "must be at most 255 characters")
	}
	for _, origin := range o.CORSOrigins {
		if origin == "*" {
			if len(o.CORSOrigins) > 1 {
				r.fail("HTTP_CORS_ORIGINS", `"*" must be the only entry`)
			}
			if o.CORSCredentials {
				r.fail("HTTP_CORS_CREDENTIALS", `must not be true with HTTP_CORS_ORIGINS="*" (browsers refuse credentials with a wildcard origin)`)
			}
			continue
		}
		if !validOrigin(origin) {
			r.fail("HTTP_CORS_ORIGINS", "%q is not an origin: scheme://host[:port] with no path, such as https://app.example.com", origin)
		}
	}
	return o, r.err()
}

// validOrigin reports whether s is a serialised origin: http or https, a host, an optional
// port, nothing else (a browser's Origin header is compared to it exactly).
func validOrigin(s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "/") {
		return false
	}
	return s == strings.ToLower(u.Scheme)+"://"+strings.ToLower(u.Host)
}
