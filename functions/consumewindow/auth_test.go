package consumewindow

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/bearer"
	"github.com/kafkafn/kafkafn/shared/auth/entratest"
	"github.com/kafkafn/kafkafn/shared/auth/policy"
)

// In package consumewindow: the test forges commit tokens (commitToken) for another topic
// and group, and guards the routes with a bearer authenticator of its own.

// TestGroupRoutesAuthorizeTheTopicAndTheGroup runs the routes behind real Entra ID bearer
// tokens (from the fake Entra ID) and a policy that lets the role consume only "events",
// and only through consumer group "g".
func TestGroupRoutesAuthorizeTheTopicAndTheGroup(t *testing.T) {
	const audience = "api://kafkafn-test"
	idp := entratest.New(t)
	a, err := bearer.New(bearer.EntraConfig{TenantID: idp.Tenant, Audiences: []string{audience}, AllowedRoles: []string{"Kafka.Reader"}, AuthorityHost: idp.URL},
		bearer.WithHTTPClient(idp.Client()), bearer.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Parse("test", []byte(`{"rules":[{"principals":["role:Kafka.Reader"],"ops":["consume"],"topics":["events"],"groups":["g"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	e := startEnv(t, func(d *Deps) { d.Guard = auth.NewGuard(pol, a) }, kfake.SeedTopics(1, "events", "secret"))
	SeedTimed(t, e, "events", 1, 3)
	SeedTimed(t, e, "secret", 1, 3)
	claims := idp.Claims("2.0", audience)
	claims["roles"] = []string{"Kafka.Reader"}
	bearerToken := "Bearer " + idp.Sign(claims)

	secretToken := (&commitToken{V: 1, Group: "g", Topic: "secret", Issued: time.Now().UnixMilli(),
		Partitions: []commitTokenOffset{{Partition: 0, Committed: -1, Next: 3}}}).encode(nil)
	otherGroupToken := (&commitToken{V: 1, Group: "h", Topic: "events", Issued: time.Now().UnixMilli(),
		Partitions: []commitTokenOffset{{Partition: 0, Committed: -1, Next: 3}}}).encode(nil)
	tests := []struct {
		name, method, path, body, authz string
		status                          int
	}{
		{"a group window on an allowed topic is served", "POST", "/v1/consumer/groups/g/topics/events/window", "", bearerToken, 200},
		{"a group window on another topic is forbidden", "POST", "/v1/consumer/groups/g/topics/secret/window", "", bearerToken, 403},
		{"a time window on another topic is forbidden", "GET", "/v1/consumer/topics/secret/window?from=0", "", bearerToken, 403},
		{"a commit token for another topic is forbidden", "POST", "/v1/consumer/groups/g/commit", `{"token":"` + secretToken + `"}`, bearerToken, 403},
		{"lag of another topic is forbidden", "GET", "/v1/consumer/groups/g/lag?topic=secret", "", bearerToken, 403},
		{"lag of an allowed topic is served", "GET", "/v1/consumer/groups/g/lag?topic=events", "", bearerToken, 200},
		{"a group window of an ungranted group is forbidden", "POST", "/v1/consumer/groups/h/topics/events/window?commit=immediate", "", bearerToken, 403},
		{"a commit for an ungranted group is forbidden", "POST", "/v1/consumer/groups/h/commit", `{"token":"` + otherGroupToken + `"}`, bearerToken, 403},
		{"lag of an ungranted group is forbidden", "GET", "/v1/consumer/groups/h/lag?topic=events", "", bearerToken, 403},
		{"a commit without credentials is 401", "POST", "/v1/consumer/groups/g/commit", `{"token":"` + secretToken + `"}`, "", 401},
		{"lag without credentials is 401", "GET", "/v1/consumer/groups/g/lag?topic=events", "", "", 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tc.method, e.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if tc.authz != "" {
				req.Header.Set("Authorization", tc.authz)
			}
			res, err := e.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("got %d %s, want %d", res.StatusCode, body, tc.status)
			}
		})
	}
	if c := e.Committed(t, "g", "secret", 1); c[0] != -1 {
		t.Fatalf("a refused commit changed the group: %v", c)
	}
	if c := e.Committed(t, "h", "events", 1); c[0] != -1 {
		t.Fatalf("a refused window or commit changed the ungranted group: %v", c)
	}
}
