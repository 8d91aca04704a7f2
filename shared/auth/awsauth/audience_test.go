package awsauth_test

import (
	"net/http/httptest"
	"testing"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/awsauth"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// A JWT the gateway accepted is named like a token of the AUTH_OIDC issuer it comes from, so
// that issuer's audience rule applies: a token the gateway's authorizer accepted for another
// app gets none of the issuer's grants.
func TestJWTAuthorizerAudience(t *testing.T) {
	a := awsauth.New(map[string]auth.ClaimSet{
		"https://idp.example": {Issuer: "corp", Audience: []string{"kafkafn"}},
	})
	for _, tt := range []struct {
		name   string
		claims map[string]string
		ok     bool
	}{
		{"the configured audience", map[string]string{"aud": "kafkafn"}, true},
		{"one of the gateway's flattened audiences", map[string]string{"aud": "[other kafkafn]"}, true},
		{"client_id when there is no aud (Cognito access tokens)", map[string]string{"client_id": "kafkafn"}, true},
		{"another app's audience", map[string]string{"aud": "other"}, false},
		{"only other flattened audiences", map[string]string{"aud": "[a b]"}, false},
		{"no audience at all", map[string]string{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			claims := map[string]string{"iss": "https://idp.example", "sub": "u1"}
			for k, v := range tt.claims {
				claims[k] = v
			}
			r := httptest.NewRequest("GET", "/v1/metadata/topics", nil)
			r = r.WithContext(platform.NewContext(r.Context(), &platform.Invocation{Caller: &platform.Caller{JWT: &platform.JWTCaller{Claims: claims}}}))
			p, err := a.Authenticate(r)
			if tt.ok && (err != nil || p.Scheme != "oidc") {
				t.Fatalf("refused: %+v %v", p, err)
			}
			if !tt.ok && apierr.KindOf(err) != apierr.Unauthorized {
				t.Fatalf("accepted: %+v %v", p, err)
			}
		})
	}
	// An issuer not in AUTH_OIDC has no audience rule here (the gateway's is the only one).
	r := httptest.NewRequest("GET", "/", nil)
	r = r.WithContext(platform.NewContext(r.Context(), &platform.Invocation{Caller: &platform.Caller{JWT: &platform.JWTCaller{
		Claims: map[string]string{"iss": "https://elsewhere.example", "sub": "u2", "aud": "anything"}}}}))
	if _, err := a.Authenticate(r); err != nil {
		t.Fatalf("an unconfigured issuer: %v", err)
	}
}
