package authconfig_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/authconfig"
	"github.com/kafkafn/kafkafn/shared/auth/bearer"
	"github.com/kafkafn/kafkafn/shared/auth/entratest"
)

// The audiences of the three issuers, as a deployment would configure them.
const (
	auth0API     = "https://kafkafn.example.com/api"
	googleClient = "1234567890-abc.apps.googleusercontent.com"
	githubAud    = "kafkafn" // core.getIDToken('kafkafn') in the workflow
	googleSA     = "ci-writer@my-project.iam.gserviceaccount.com"
)

// grant is one authorisation question: op on topic, or (group set) the use of a consumer
// group on topic.
type grant struct {
	op           auth.Op
	topic, group string
}

// TestIdentityProviderShapes: access and identity tokens laid out as Auth0, Google and GitHub
// Actions issue them (claims, audience forms, issuer strings with and without a trailing
// slash), signed by local issuers over TLS and checked by the Guard that AUTH_OIDC and
// AUTH_POLICY configure, exactly as a deployment writes them.
func TestIdentityProviderShapes(t *testing.T) {
	// Auth0's issuer is https://<tenant>/ (trailing slash; discovery at /.well-known/…);
	// Google's and GitHub's are a bare host.
	auth0, google, github := entratest.NewIssuer(t, "/"), entratest.NewIssuer(t, ""), entratest.NewIssuer(t, "")
	env := map[string]string{
		"AUTH_OIDC": `[
 {"name":"auth0","issuer":"` + auth0.URL + `","audience":"` + auth0API + `",
  "roles_claim":"permissions","groups_claim":"https://kafkafn.example.com/groups"},
 {"name":"google","issuer":"` + google.URL + `","audience":"` + googleClient + `","subject_claim":"email"},
 {"name":"github","issuer":"` + github.URL + `","audience":["` + githubAud + `"],
  "groups_claim":"repository","roles_claim":"job_workflow_ref"}]`,
		"AUTH_POLICY": `{"rules":[
 {"principals":["oidc-role:auth0#produce:orders"],"ops":["produce"],"topics":["orders"]},
 {"principals":["oidc-group:auth0#billing-team"],"ops":["consume"],"topics":["orders"],"groups":["billing"]},
 {"principals":["oidc:google#` + googleSA + `"],"ops":["produce"],"topics":["telemetry"]},
 {"principals":["oidc:github#repo:my-org/ingest:ref:refs/heads/main"],"ops":["produce"],"topics":["ci-events"]},
 {"principals":["oidc-group:github#my-org/ingest"],"ops":["metadata"],"topics":["ci-events"]},
 {"principals":["oidc-role:github#my-org/shared/.github/workflows/deploy.yml@refs/heads/main"],"ops":["consume"],"topics":["ci-events"],"groups":["deployments"]}]}`,
	}
	// httptest's TLS servers share one certificate: one client trusts the three issuers.
	g, err := authconfig.Guard(envOf(env, false), authconfig.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		authconfig.WithBearerOptions(bearer.WithHTTPClient(auth0.Client())))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	times := func(c jwt.MapClaims, ttl time.Duration) jwt.MapClaims {
		c["iat"], c["exp"] = now.Unix(), now.Add(ttl).Unix()
		return c
	}
	// Auth0 user access token for an API with RBAC and "Add Permissions in the Access
	// Token": aud is a list (the API and /userinfo, since scope has openid), azp is the
	// application, permissions lists the granted permissions, and an Action added a
	// namespaced custom claim.
	auth0User := func() jwt.MapClaims {
		return times(jwt.MapClaims{"iss": auth0.URL, "sub": "auth0|5f7c8ec7c33c6c004bbafe82",
			"aud": []string{auth0API, auth0.URL + "userinfo"}, "azp": "mK3f8lQp0aZ3Xy1w", "scope": "openid profile produce:orders",
			"permissions":                        []string{"produce:orders", "read:metadata"},
			"https://kafkafn.example.com/groups": []string{"billing-team"}}, 24*time.Hour)
	}
	// Auth0 machine-to-machine (client credentials) token: sub is <client id>@clients, aud
	// one string, gty client-credentials.
	auth0M2M := func() jwt.MapClaims {
		return times(jwt.MapClaims{"iss": auth0.URL, "sub": "mK3f8lQp0aZ3Xy1w@clients", "aud": auth0API,
			"azp": "mK3f8lQp0aZ3Xy1w", "gty": "client-credentials", "scope": "produce:orders",
			"permissions": []string{"produce:orders"}}, 24*time.Hour)
	}
	// Google ID token (e.g. a service account's, from `gcloud auth print-identity-token
	// --audiences=… --include-email`): aud is the OAuth client id, azp the caller, email set.
	googleID := func() jwt.MapClaims {
		return times(jwt.MapClaims{"iss": google.URL, "sub": "110169484474386276334", "aud": googleClient,
			"azp": "110169484474386276334", "email": googleSA, "email_verified": true}, time.Hour)
	}
	// GitHub Actions OIDC token of a push to main, requested with audience "kafkafn".
	githubPush := func() jwt.MapClaims {
		return times(jwt.MapClaims{"iss": github.URL, "sub": "repo:my-org/ingest:ref:refs/heads/main", "aud": githubAud,
			"ref": "refs/heads/main", "ref_type": "branch", "repository": "my-org/ingest", "repository_id": "74",
			"repository_owner": "my-org", "repository_owner_id": "65", "repository_visibility": "private",
			"event_name": "push", "workflow": "deploy", "run_id": "1234567890", "runner_environment": "github-hosted",
			"workflow_ref":     "my-org/ingest/.github/workflows/deploy.yml@refs/heads/main",
			"job_workflow_ref": "my-org/shared/.github/workflows/deploy.yml@refs/heads/main",
			"nbf":              now.Add(-5 * time.Second).Unix()}, 5*time.Minute)
	}
	with := func(c jwt.MapClaims, kv ...any) jwt.MapClaims {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
		return c
	}

	ok := []struct {
		name        string
		token       string
		id          string
		groups      []string
		roles       []string
		allow, deny []grant
	}{
		{name: "Auth0 user token: aud list, permissions as roles, a namespaced custom claim as groups",
			token: auth0.Sign(jwt.SigningMethodRS256, auth0User()), id: "auth0#auth0|5f7c8ec7c33c6c004bbafe82",
			groups: []string{"billing-team"}, roles: []string{"produce:orders", "read:metadata"},
			allow: []grant{{op: auth.OpProduce, topic: "orders"}, {op: auth.OpConsume, topic: "orders", group: "billing"}},
			deny:  []grant{{op: auth.OpProduce, topic: "telemetry"}, {op: auth.OpConsume, topic: "orders", group: "other"}}},
		{name: "Auth0 machine-to-machine token: sub <client>@clients, aud one string",
			token: auth0.Sign(jwt.SigningMethodRS256, auth0M2M()), id: "auth0#mK3f8lQp0aZ3Xy1w@clients",
			roles: []string{"produce:orders"},
			allow: []grant{{op: auth.OpProduce, topic: "orders"}},
			deny:  []grant{{op: auth.OpConsume, topic: "orders", group: "billing"}}},
		{name: "Google ID token: the email as subject, aud the client id",
			token: google.Sign(jwt.SigningMethodRS256, googleID()), id: "google#" + googleSA,
			allow: []grant{{op: auth.OpProduce, topic: "telemetry"}},
			deny:  []grant{{op: auth.OpProduce, topic: "orders"}}},
		{name: "GitHub Actions push to main: sub, repository as group, job_workflow_ref as role",
			token: github.Sign(jwt.SigningMethodRS256, githubPush()), id: "github#repo:my-org/ingest:ref:refs/heads/main",
			groups: []string{"my-org/ingest"}, roles: []string{"my-org/shared/.github/workflows/deploy.yml@refs/heads/main"},
			allow: []grant{{op: auth.OpProduce, topic: "ci-events"}, {op: auth.OpMetadata, topic: "ci-events"},
				{op: auth.OpConsume, topic: "ci-events", group: "deployments"}},
			deny: []grant{{op: auth.OpProduce, topic: "orders"}, {op: auth.OpAdmin, topic: "ci-events"}}},
		{name: "GitHub Actions pull request: same repository, other sub: no produce grant",
			token: github.Sign(jwt.SigningMethodES256, with(githubPush(), "sub", "repo:my-org/ingest:pull_request",
				"ref", "refs/pull/42/merge", "event_name", "pull_request",
				"job_workflow_ref", "my-org/ingest/.github/workflows/ci.yml@refs/pull/42/merge")),
			id: "github#repo:my-org/ingest:pull_request", groups: []string{"my-org/ingest"},
			roles: []string{"my-org/ingest/.github/workflows/ci.yml@refs/pull/42/merge"},
			allow: []grant{{op: auth.OpMetadata, topic: "ci-events"}},
			deny:  []grant{{op: auth.OpProduce, topic: "ci-events"}, {op: auth.OpConsume, topic: "ci-events", group: "deployments"}}},
		{name: "GitHub Actions environment job of a fork-named repo: nothing granted",
			token: github.Sign(jwt.SigningMethodRS256, with(githubPush(), "sub", "repo:someone/ingest:environment:prod",
				"repository", "someone/ingest", "job_workflow_ref", "someone/ingest/.github/workflows/deploy.yml@refs/heads/main")),
			id: "github#repo:someone/ingest:environment:prod", groups: []string{"someone/ingest"},
			roles: []string{"someone/ingest/.github/workflows/deploy.yml@refs/heads/main"},
			deny:  []grant{{op: auth.OpProduce, topic: "ci-events"}, {op: auth.OpMetadata, topic: "ci-events"}}},
		{name: "an Auth0 token whose custom claim names GitHub's group gets none of GitHub's grants",
			token: auth0.Sign(jwt.SigningMethodRS256, with(auth0User(), "https://kafkafn.example.com/groups", []string{"my-org/ingest"},
				"permissions", []string{"my-org/shared/.github/workflows/deploy.yml@refs/heads/main"})),
			id: "auth0#auth0|5f7c8ec7c33c6c004bbafe82", groups: []string{"my-org/ingest"},
			roles: []string{"my-org/shared/.github/workflows/deploy.yml@refs/heads/main"},
			deny: []grant{{op: auth.OpMetadata, topic: "ci-events"}, {op: auth.OpConsume, topic: "ci-events", group: "deployments"},
				{op: auth.OpProduce, topic: "orders"}}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			p, err := g.Authenticate(bearerRequest(tc.token))
			if err != nil {
				t.Fatal(err)
			}
			if p.Scheme != auth.OIDCScheme || p.ID != tc.id || !slices.Equal(p.Groups, tc.groups) || !slices.Equal(p.Roles, tc.roles) {
				t.Fatalf("principal %+v; want ID %q groups %q roles %q", p, tc.id, tc.groups, tc.roles)
			}
			ctx := auth.NewContext(t.Context(), p)
			ask := func(q grant) error {
				if q.group != "" {
					return g.AllowGroup(ctx, q.topic, q.group)
				}
				return g.Allow(ctx, q.op, q.topic)
			}
			for _, q := range tc.allow {
				if err := ask(q); err != nil {
					t.Errorf("%+v refused: %v", q, err)
				}
			}
			for _, q := range tc.deny {
				if err := ask(q); apierr.KindOf(err) != apierr.Forbidden {
					t.Errorf("%+v: %v; want forbidden", q, err)
				}
			}
		})
	}

	bad := []struct{ name, token string }{
		{"Auth0: aud lists only /userinfo (a token for another API)",
			auth0.Sign(jwt.SigningMethodRS256, with(auth0User(), "aud", []string{auth0.URL + "userinfo"}))},
		{"Auth0: iss without the trailing slash",
			auth0.Sign(jwt.SigningMethodRS256, with(auth0User(), "iss", auth0.URL[:len(auth0.URL)-1]))},
		{"Auth0: an HS256 token (Auth0 can sign with the client secret)", func() string {
			kid, _ := auth0.RSAKey()
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, auth0M2M())
			tok.Header["kid"] = kid
			s, _ := tok.SignedString([]byte("client-secret-of-the-application"))
			return s
		}()},
		{"Google: aud is another client, even with our client as azp",
			google.Sign(jwt.SigningMethodRS256, with(googleID(), "aud", "999-other.apps.googleusercontent.com", "azp", googleClient))},
		{"Google: the schemeless iss accounts.google.com form is another issuer",
			google.Sign(jwt.SigningMethodRS256, with(googleID(), "iss", google.URL[len("https://"):]))},
		{"Google: no email claim (the configured subject)",
			google.Sign(jwt.SigningMethodRS256, with(googleID(), "email", nil))},
		{"GitHub: the default audience (the owner URL) when kafkafn asked for its own",
			github.Sign(jwt.SigningMethodRS256, with(githubPush(), "aud", "https://github.com/my-org"))},
		{"GitHub: signed by another issuer's key",
			google.Sign(jwt.SigningMethodRS256, githubPush())},
		{"GitHub: expired (5-minute tokens, beyond the leeway)",
			github.Sign(jwt.SigningMethodRS256, with(githubPush(), "exp", now.Add(-bearer.Leeway-time.Minute).Unix()))},
	}
	for _, tc := range bad {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			p, err := g.Authenticate(bearerRequest(tc.token))
			if err == nil {
				t.Fatalf("accepted as %+v", p)
			}
			if apierr.KindOf(err) != apierr.Unauthorized {
				t.Fatalf("kind %v: %v; want unauthorized", apierr.KindOf(err), err)
			}
		})
	}
	if auth0.MetadataCalls() == 0 || google.MetadataCalls() == 0 || github.MetadataCalls() == 0 {
		t.Errorf("keys were not discovered from each issuer's metadata: %d %d %d",
			auth0.MetadataCalls(), google.MetadataCalls(), github.MetadataCalls())
	}
}

func bearerRequest(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/v1/metadata/topics", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}
