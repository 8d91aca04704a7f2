package config_test

import (
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

func TestOpsFromEnv(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		platform string
		check    func(httpio.Ops) bool
		wantErr  string
	}{
		{name: "defaults on Lambda: EMF, trace propagation, no CORS", platform: "aws",
			check: func(o httpio.Ops) bool {
				return o.Metrics == "emf" && o.TracePropagation && len(o.CORSOrigins) == 0 && o.MetricsNamespace == "kafkafn"
			}},
		{name: "local: Prometheus", platform: "local", check: func(o httpio.Ops) bool { return o.Metrics == "prometheus" }},
		{name: "Azure: off", platform: "azure", check: func(o httpio.Ops) bool { return o.Metrics == "off" }},
		{name: "SCF: off", platform: "scf", check: func(o httpio.Ops) bool { return o.Metrics == "off" }},
		{name: "METRICS=prometheus on Azure", platform: "azure", env: map[string]string{"METRICS": "Prometheus"},
			check: func(o httpio.Ops) bool { return o.Metrics == "prometheus" }},
		{name: "TRACE_PROPAGATION=false", env: map[string]string{"TRACE_PROPAGATION": "false"},
			check: func(o httpio.Ops) bool { return !o.TracePropagation }},
		{name: "origins", env: map[string]string{"HTTP_CORS_ORIGINS": "https://a.example, http://localhost:3000", "HTTP_CORS_CREDENTIALS": "true"},
			check: func(o httpio.Ops) bool {
				return len(o.CORSOrigins) == 2 && o.CORSOrigins[1] == "http://localhost:3000" && o.CORSCredentials
			}},
		{name: "wildcard", env: map[string]string{"HTTP_CORS_ORIGINS": "*"}, check: func(o httpio.Ops) bool { return o.CORSOrigins[0] == "*" }},
		{name: "wildcard with credentials", env: map[string]string{"HTTP_CORS_ORIGINS": "*", "HTTP_CORS_CREDENTIALS": "true"}, wantErr: "HTTP_CORS_CREDENTIALS"},
		{name: "wildcard among origins", env: map[string]string{"HTTP_CORS_ORIGINS": "*,https://a.example"}, wantErr: "HTTP_CORS_ORIGINS"},
		{name: "an origin with a path", env: map[string]string{"HTTP_CORS_ORIGINS": "https://a.example/app"}, wantErr: "HTTP_CORS_ORIGINS"},
		{name: "an origin with a trailing slash", env: map[string]string{"HTTP_CORS_ORIGINS": "https://a.example/"}, wantErr: "HTTP_CORS_ORIGINS"},
		{name: "an origin in upper case (browsers send lower case)", env: map[string]string{"HTTP_CORS_ORIGINS": "https://A.example"}, wantErr: "HTTP_CORS_ORIGINS"},
		{name: "not an origin", env: map[string]string{"HTTP_CORS_ORIGINS": "a.example"}, wantErr: "HTTP_CORS_ORIGINS"},
		{name: "a bad METRICS", env: map[string]string{"METRICS": "statsd"}, wantErr: "METRICS"},
		{name: "a bad TRACE_PROPAGATION", env: map[string]string{"TRACE_PROPAGATION": "nope"}, wantErr: "TRACE_PROPAGATION"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := config.OpsFromEnv(func(k string) string { return tt.env[k] }, tt.platform)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(o) {
				t.Fatalf("%+v %v", o, err)
			}
		})
	}
}
