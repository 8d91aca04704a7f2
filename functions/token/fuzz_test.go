package token_test

import (
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/functions/token"
	"github.com/kafkafn/kafkafn/shared/apierr"
)

func FuzzParseRequest(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", okForm(), "", "", false)
	f.Add("application/json", `{"grant_type":"client_credentials","client_id":"`+clientID+`","client_secret":"x"}`, "", "", false)
	f.Add("application/x-www-form-urlencoded", "grant_type=client_credentials", clientID, "p%41ss", true)
	f.Add("application/x-www-form-urlencoded", "a=1&a=2&%zz", "", "", false)
	f.Add("text/plain; charset=\"", "", "", "", false)
	f.Fuzz(func(t *testing.T, contentType, body, user, pass string, basic bool) {
		req, err := token.ParseRequest(contentType, []byte(body), token.Basic{User: user, Password: pass, Set: basic})
		if err != nil {
			switch apierr.CodeOf(err) {
			case "invalid_request", "invalid_client", "invalid_scope", "unsupported_grant_type":
			default:
				t.Fatalf("unexpected code %q: %v", apierr.CodeOf(err), err)
			}
			msg := apierr.MessageOf(err)
			for _, secret := range []string{req.ClientSecret, pass} {
				if len(secret) >= 6 && strings.Contains(msg, secret) {
					t.Fatalf("message %q echoes the secret", msg)
				}
			}
			return
		}
		if req.GrantType != "client_credentials" || req.ClientID == "" || req.ClientSecret == "" {
			t.Fatalf("accepted an incomplete request: grant %q, client %q, secret set %v", req.GrantType, req.ClientID, req.ClientSecret != "")
		}
	})
}
