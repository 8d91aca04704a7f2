package policy_test

import (
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/policy"
)

func TestIdentityPrincipals(t *testing.T) {
	p, err := policy.Parse("AUTH_POLICY", []byte(`{"rules":[
	  {"principals":["key:ci"], "ops":["produce"], "topics":["k"]},
	  {"principals":["oidc:cognito#alice"], "ops":["produce"], "topics":["o-sub"]},
	  {"principals":["oidc:keycloak#*"], "ops":["produce"], "topics":["o-any"]},
	  {"principals":["oidc-group:cognito#admins"], "ops":["produce"], "topics":["o-group"]},
	  {"principals":["oidc-role:keycloak#writer"], "ops":["produce"], "topics":["o-role"]},
	  {"principals":["aws:arn:aws:iam::123456789012:role/service/Writer"], "ops":["produce"], "topics":["a-role"]},
	  {"principals":["aws:arn:aws:iam::123456789012:user/ops/bob"], "ops":["produce"], "topics":["a-user"]},
	  {"principals":["aws:210987654321"], "ops":["produce"], "topics":["a-acct"]},
	  {"principals":["authorizer:user-7"], "ops":["produce"], "topics":["l"]}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	cognitoAdmin := &auth.Principal{Scheme: "oidc", ID: "cognito#bob", Issuer: "cognito", Groups: []string{"admins"}}
	keycloakAdmin := &auth.Principal{Scheme: "oidc", ID: "keycloak#bob", Issuer: "keycloak", Groups: []string{"admins"}, Roles: []string{"writer"}}
	for _, tc := range []struct {
		name  string
		p     *auth.Principal
		topic string
		allow bool
	}{
		{"key:ci may produce to k", &auth.Principal{Scheme: "key", ID: "ci"}, "k", true},
		{"key:other may not", &auth.Principal{Scheme: "key", ID: "other"}, "k", false},
		{"a TC3 SecretId named ci is not key:ci", &auth.Principal{Scheme: "tc3", ID: "ci"}, "k", false},
		{"oidc subject matches", &auth.Principal{Scheme: "oidc", ID: "cognito#alice", Issuer: "cognito"}, "o-sub", true},
		{"the same subject of another issuer does not", &auth.Principal{Scheme: "oidc", ID: "keycloak#alice", Issuer: "keycloak"}, "o-sub", false},
		{"oidc:<issuer>#* matches any caller of that issuer", keycloakAdmin, "o-any", true},
		{"oidc:<issuer>#* does not match another issuer", cognitoAdmin, "o-any", false},
		{"a group of the named issuer counts", cognitoAdmin, "o-group", true},
		{"the same group name from another issuer does not", keycloakAdmin, "o-group", false},
		{"a role of the named issuer counts", keycloakAdmin, "o-role", true},
		{"an Entra caller with the group name does not", &auth.Principal{Scheme: "entra", ID: "x", Groups: []string{"admins"}}, "o-group", false},
		{"a session of the role (path ignored) matches", &auth.Principal{Scheme: "aws", ID: "arn:aws:iam::123456789012:role/Writer"}, "a-role", true},
		{"the role in another account does not", &auth.Principal{Scheme: "aws", ID: "arn:aws:iam::999999999999:role/Writer"}, "a-role", false},
		{"the role in another partition does not", &auth.Principal{Scheme: "aws", ID: "arn:aws-cn:iam::123456789012:role/Writer"}, "a-role", false},
		{"another role does not", &auth.Principal{Scheme: "aws", ID: "arn:aws:iam::123456789012:role/Reader"}, "a-role", false},
		{"a user named like the role does not", &auth.Principal{Scheme: "aws", ID: "arn:aws:iam::123456789012:user/Writer"}, "a-role", false},
		{"the IAM user matches exactly", &auth.Principal{Scheme: "aws", ID: "arn:aws:iam::123456789012:user/ops/bob"}, "a-user", true},
		{"a user of another path does not", &auth.Principal{Scheme: "aws", ID: "arn:aws:iam::123456789012:user/bob"}, "a-user", false},
		{"aws:<account> matches any caller of it", &auth.Principal{Scheme: "aws", ID: "arn:aws:iam::210987654321:role/Any"}, "a-acct", true},
		{"aws:<account> does not match another", &auth.Principal{Scheme: "aws", ID: "arn:aws:iam::123456789012:role/Any"}, "a-acct", false},
		{"a Lambda authorizer principalId", &auth.Principal{Scheme: "authorizer", ID: "user-7"}, "l", true},
		{"an API key named like the principalId does not", &auth.Principal{Scheme: "key", ID: "user-7"}, "l", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := p.Allow(tc.p, auth.OpProduce, tc.topic)
			if (err == nil) != tc.allow {
				t.Fatalf("allow=%v err=%v", tc.allow, err)
			}
		})
	}
	for _, bad := range []string{"oidc:cognito", "oidc-group:#x", "aws:arn:aws:iam::12:role/x", "aws:bob", "oidc-role:k#"} {
		_, err := policy.Parse("AUTH_POLICY", []byte(`{"rules":[{"principals":["`+bad+`"],"ops":["*"],"topics":["*"]}]}`))
		if err == nil || !strings.Contains(err.Error(), "rules[0].principals[0]") {
			t.Errorf("%s: err %v", bad, err)
		}
	}
}
