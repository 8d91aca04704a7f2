package grants_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/internal/harness"
)

// awsPolicy grants the billing groups to one principal of each AWS front-door kind: an IAM
// role (its sessions, whatever the role path), a Cognito group according to the JWT
// authorizer's issuer, and a Lambda authorizer's principalId. tenant-admin may use every
// group (it obtains the commit tokens the others present).
const awsPolicy = `{"rules":[
 {"principals":["authorizer:tenant-admin"],"ops":["*"],"topics":["*"],"groups":["*"]},
 {"principals":["aws:arn:aws:iam::123456789012:role/service-role/kafkafn-writer","aws:111122223333",
   "oidc-group:cognito#writers","authorizer:tenant-7"],
  "ops":["consume"],"topics":["orders"],"groups":["billing","billing.*"]},
 {"principals":["*"],"ops":["consume"],"topics":["orders"]}]}`

// TestGroupGrantsOnLambda: the consume-window Build on AWS Lambda with
// AUTH_AWS_AUTHORIZER=true, invoked through the Lambda adapter with the documented event
// fixtures (shared/platform/awslambda/testdata) re-aimed at the group routes.
func TestGroupGrantsOnLambda(t *testing.T) {
	s := harness.Start(t, harness.Options{
		Routes:   harness.ConsumeWindow,
		Platform: harness.Lambda,
		Auth:     harness.AuthEnv,
		Cluster:  []kfake.Opt{kfake.SeedTopics(1, "orders")},
		Env: map[string]string{
			"AUTH_AWS_AUTHORIZER": "true",
			"AUTH_OIDC": `[{"issuer":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
		  "audience":"3n4b5urk1ft4fl3mg5e62d9ado","name":"cognito","groups_claim":"cognito:groups"}]`,
			"AUTH_POLICY":          awsPolicy,
			"CONSUME_TOKEN_SECRET": tokenKey,
		},
	})
	bc := s.Broker

	// fromFixture returns a caller whose requests are the fixture's event (its authorizer
	// context, headers and stage) with the method, path, query and body replaced; edit
	// rewrites the fixture's text first.
	fromFixture := func(name, file string, allowed bool, edit func(string) string) caller {
		raw, err := os.ReadFile("../../shared/platform/awslambda/testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		text := string(raw)
		if edit != nil {
			if text2 := edit(text); text2 != text {
				text = text2
			} else {
				t.Fatalf("%s: the edit changed nothing", name)
			}
		}
		return caller{name: name, allowed: allowed, event: text}
	}
	invoke := func(t *testing.T, c caller, method, path, body string) (int, string) {
		t.Helper()
		ev, err := harness.LambdaEvent([]byte(c.event), method, path, body)
		if err != nil {
			t.Fatal(err)
		}
		r := s.Invoke(t, ev)
		return r.Status, string(r.Body)
	}
	principal := func(id string) func(string) string {
		return func(s string) string {
			return strings.ReplaceAll(s, `"principalId": "tenant-7"`, `"principalId": "`+id+`"`)
		}
	}
	routes := groupRoutes{
		seed:      func(t *testing.T) { seed(t, bc) },
		send:      invoke,
		committed: func(t *testing.T, group string) int64 { return committed(t, bc, group) },
		admin:     fromFixture("admin", "aws_auth_httpapi_lambda_authorizer.json", true, principal("tenant-admin")),
	}
	callers := []caller{
		fromFixture("HTTP API IAM: a session of the granted role (role path ignored)", "aws_auth_httpapi_iam_assumed_role.json", true, nil),
		fromFixture("HTTP API IAM: a session of another role", "aws_auth_httpapi_iam_assumed_role.json", false,
			func(s string) string {
				return strings.ReplaceAll(s, "assumed-role/kafkafn-writer", "assumed-role/kafkafn-reader")
			}),
		fromFixture("HTTP API IAM: the granted role's name in another account", "aws_auth_httpapi_iam_assumed_role.json", false,
			func(s string) string {
				return strings.ReplaceAll(s, "arn:aws:sts::123456789012", "arn:aws:sts::999999999999")
			}),
		fromFixture("REST API IAM: the granted role's session (identity.userArn)", "aws_auth_rest_iam_assumed_role.json", true, nil),
		fromFixture("Function URL IAM: a user of the granted account", "aws_auth_function_url_iam_user.json", true, nil),
		fromFixture("HTTP API JWT authorizer: cognito:groups \"[writers readers]\"", "aws_auth_httpapi_jwt_cognito.json", true, nil),
		fromFixture("HTTP API JWT authorizer: without the group", "aws_auth_httpapi_jwt_cognito.json", false,
			func(s string) string { return strings.ReplaceAll(s, "[writers readers]", "[readers]") }),
		fromFixture("HTTP API JWT authorizer: the group according to another issuer", "aws_auth_httpapi_jwt_cognito.json", false,
			func(s string) string { return strings.ReplaceAll(s, "eu-west-1_AbCdEf123", "eu-west-1_Other") }),
		fromFixture("HTTP API Lambda authorizer: principalId tenant-7", "aws_auth_httpapi_lambda_authorizer.json", true, nil),
		fromFixture("HTTP API Lambda authorizer: another principalId", "aws_auth_httpapi_lambda_authorizer.json", false, principal("tenant-8")),
		fromFixture("REST API Lambda authorizer: principalId tenant-7", "aws_auth_rest_lambda_authorizer.json", true, nil),
		fromFixture("REST API Lambda authorizer: another principalId", "aws_auth_rest_lambda_authorizer.json", false,
			func(s string) string {
				return strings.ReplaceAll(s, `"principalId": "tenant-7"`, `"principalId": "tenant-8"`)
			}),
	}
	for _, c := range callers {
		for _, group := range []string{"billing", "billing.eu", "team-b"} {
			want := c.allowed && group != "team-b"
			t.Run(fmt.Sprintf("%s: group %s → allowed=%v", c.name, group, want), func(t *testing.T) {
				routes.check(t, c, group, want)
			})
		}
	}
	for _, c := range []caller{
		fromFixture("no authorizer context, forged identity headers", "aws_auth_httpapi_no_authorizer_forged_headers.json", false, nil),
		fromFixture("a Lambda authorizer context without principalId", "aws_auth_httpapi_lambda_authorizer.json", false,
			func(s string) string { return strings.ReplaceAll(s, `"principalId": "tenant-7",`, "") }),
		fromFixture("a JWT authorizer token for another audience", "aws_auth_httpapi_jwt_cognito.json", false,
			func(s string) string {
				return strings.ReplaceAll(s, `"client_id": "3n4b5urk1ft4fl3mg5e62d9ado"`, `"client_id": "other-client"`)
			}),
	} {
		t.Run(c.name+" → 401 on every group route", func(t *testing.T) {
			before := committed(t, bc, "billing")
			for _, r := range []struct{ method, path, body string }{
				{"POST", "/v1/consumer/groups/billing/topics/orders/window?commit=immediate", ""},
				{"POST", "/v1/consumer/groups/billing/commit", `{"token":"x"}`},
				{"GET", "/v1/consumer/groups/billing/lag?topic=orders", ""},
			} {
				if status, body := invoke(t, c, r.method, r.path, r.body); status != http.StatusUnauthorized {
					t.Errorf("%s %s: %d %s", r.method, r.path, status, body)
				}
			}
			if after := committed(t, bc, "billing"); after != before {
				t.Fatalf("the group's offset moved from %d to %d", before, after)
			}
		})
	}
}
