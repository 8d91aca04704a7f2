package openapitest_test

import (
	"testing"

	"github.com/kafkafn/kafkafn/shared/openapi/openapitest"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name, method, path string
		status             int
		body               string
		ok                 bool
	}{
		{"a documented answer passes", "GET", "/v1/metadata/topics", 200, `{"topics":["a"]}`, true},
		{"a wrong shape fails", "GET", "/v1/metadata/topics", 200, `{"topics":"a"}`, false},
		{"an extra field fails", "GET", "/v1/metadata/topics", 200, `{"topics":[],"x":1}`, false},
		{"an undocumented status fails", "GET", "/v1/metadata/topics", 201, `{"topics":[]}`, false},
		{"an undocumented route fails", "GET", "/v1/secret", 200, `{}`, false},
		{"an error body passes", "GET", "/v1/metadata/topics/t/partitions", 404, `{"error":{"code":"unknown_topic","message":"m"}}`, true},
		{"an error without a code fails", "GET", "/v1/metadata/topics/t/partitions", 404, `{"error":{"message":"m"}}`, false},
		{"path parameters match", "GET", "/v1/consumer/topics/t/partitions/0/offsets/5", 200, `{"records":[]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := openapitest.Validate(tt.method, tt.path, tt.status, "application/json", []byte(tt.body))
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
