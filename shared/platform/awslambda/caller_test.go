package awslambda_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/shared/platform"
	"github.com/kafkafn/kafkafn/shared/platform/internal/eventtest"
)

// callerApp answers with the Caller the adapter put in the context, and the headers it saw.
func callerApp(context.Context, platform.Env) (platform.App, error) {
	return platform.App{HTTP: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inv, _ := platform.FromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"caller": inv.Caller, "header": r.Header})
	})}, nil
}

func TestCaller(t *testing.T) {
	h := newHandler(t, callerApp)
	for _, tc := range []struct {
		fixture string
		want    *platform.Caller
	}{
		{"aws_auth_httpapi_iam_assumed_role.json", &platform.Caller{IAM: &platform.IAMCaller{
			UserARN: "arn:aws:sts::123456789012:assumed-role/kafkafn-writer/ci-session", AccountID: "123456789012",
			CallerID: "AROA7ZJZYVRE7C3DUXHH6:ci-session", AccessKey: "ASIA2ZJZYVUEREEIHAKY"}}},
		{"aws_auth_function_url_iam_user.json", &platform.Caller{IAM: &platform.IAMCaller{
			UserARN: "arn:aws:iam::111122223333:user/ops/example-user", AccountID: "111122223333",
			CallerID: "AIDACKCEVSQ6C2EXAMPLE", AccessKey: "AKIAIOSFODNN7EXAMPLE"}}},
		{"aws_auth_rest_iam_assumed_role.json", &platform.Caller{IAM: &platform.IAMCaller{
			UserARN: "arn:aws:sts::123456789012:assumed-role/kafkafn-writer/ci-session", AccountID: "123456789012",
			CallerID: "AROA7ZJZYVRE7C3DUXHH6:ci-session", AccessKey: "ASIA2ZJZYVUEREEIHAKY"}}},
		{"aws_auth_httpapi_lambda_authorizer.json", &platform.Caller{Authorizer: &platform.AuthorizerCaller{
			PrincipalID: "tenant-7", Context: map[string]any{"principalId": "tenant-7", "plan": "gold"}}}},
		{"aws_auth_rest_lambda_authorizer.json", &platform.Caller{Authorizer: &platform.AuthorizerCaller{
			PrincipalID: "tenant-7", Context: map[string]any{"principalId": "tenant-7", "clientId": 1.0, "plan": "gold", "integrationLatency": 12.0}}}},
		{"aws_auth_httpapi_no_authorizer_forged_headers.json", nil},
		{"aws_httpapi_v2_post.json", nil},
		{"aws_rest_v1_multivalue.json", nil},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			r := invokeHTTP(t, h, eventtest.Fixture(t, tc.fixture), time.Now().Add(time.Minute))
			var got struct {
				Caller *platform.Caller
				Header http.Header
			}
			if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
				t.Fatalf("%s: %v", r.Body, err)
			}
			if !reflect.DeepEqual(got.Caller, tc.want) {
				t.Fatalf("caller %s", r.Body)
			}
			for k := range got.Header {
				if strings.Contains(strings.ToLower(k), "authorizer") || strings.Contains(strings.ToLower(k), "caller") {
					t.Errorf("the caller context leaked into header %s", k)
				}
			}
		})
	}
	t.Run("a JWT authorizer's string claims and scopes", func(t *testing.T) {
		r := invokeHTTP(t, h, eventtest.Fixture(t, "aws_auth_httpapi_jwt_cognito.json"), time.Now().Add(time.Minute))
		var got struct{ Caller *platform.Caller }
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil || got.Caller == nil || got.Caller.JWT == nil {
			t.Fatalf("%s: %v", r.Body, err)
		}
		if j := got.Caller.JWT; j.Claims["cognito:groups"] != "[writers readers]" || j.Claims["client_id"] != "3n4b5urk1ft4fl3mg5e62d9ado" ||
			!reflect.DeepEqual(j.Scopes, []string{"kafkafn/metadata"}) {
			t.Fatalf("%+v", j)
		}
	})
}
