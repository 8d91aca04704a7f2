package config

import (
	"net/url"
	"os"
	"strings"

	"github.com/kafkafn/kafkafn/shared/config/envread"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/metrics"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// OpsFromEnv reads the operations section. platform picks the METRICS default: "aws" →
// emf, "local" (a loopback-only server) → prometheus, anything else → off.
func OpsFromEnv(getenv Getenv, platform string) (httpio.Ops, error) {
	r := envread.New(getenv)
	o := httpio.Ops{
		TracePropagation: r.Boolean("TRACE_PROPAGATION", true),
		MetricsNamespace: r.Str("METRICS_NAMESPACE", "kafkafn"),
		CORSOrigins:      r.List("HTTP_CORS_ORIGINS"),
		CORSCredentials:  r.Boolean("HTTP_CORS_CREDENTIALS", false),
	}
	def := "off"
	switch platform {
	case "aws":
		def = "emf"
	case "local":
		def = "prometheus"
	}
	switch o.Metrics = strings.ToLower(r.Str("METRICS", def)); o.Metrics {
	case "off", "emf", "prometheus":
	default:
		r.Fail("METRICS", `must be "emf", "prometheus" or "off", got %q`, o.Metrics)
	}
	if len(o.MetricsNamespace) > 255 {
		r.Fail("METRICS_NAMESPACE", "must be at most 255 characters")
	}
	for _, origin := range o.CORSOrigins {
		if origin == "*" {
			if len(o.CORSOrigins) > 1 {
				r.Fail("HTTP_CORS_ORIGINS", `"*" must be the only entry`)
			}
			if o.CORSCredentials {
				r.Fail("HTTP_CORS_CREDENTIALS", `must not be true with HTTP_CORS_ORIGINS="*" (browsers refuse credentials with a wildcard origin)`)
			}
			continue
		}
		if !validOrigin(origin) {
			r.Fail("HTTP_CORS_ORIGINS", "%q is not an origin: scheme://host[:port] with no path, such as https://app.example.com", origin)
		}
	}
	return o, r.Err()
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

// LoadOps reads the operations settings (OpsFromEnv) for the binary env describes
// (a local server that does not listen on loopback only counts as public) and builds its
// metrics registry: EMF lines go to stdout (Lambda's log stream; the process
// logs go to stderr), nil when METRICS is off. httpio.Serve(…, httpio.WithOps(ops, m)) uses both.
func LoadOps(env platform.Env) (httpio.Ops, *metrics.Registry, error) {
	p := env.Platform
	if p == "local" && !env.LoopbackOnly {
		p = "local-public" // an SCF web function or any public host: metrics off by default
	}
	o, err := OpsFromEnv(env.Getenv, p)
	if err != nil {
		return httpio.Ops{}, nil, err
	}
	name := env.Name
	if name == "" {
		name = "kafkafn"
	}
	return o, metrics.New(metrics.Options{Mode: o.Metrics, Namespace: o.MetricsNamespace, Function: name, Out: os.Stdout}), nil
}
