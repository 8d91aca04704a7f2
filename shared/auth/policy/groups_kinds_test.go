package policy_test

import (
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/auth/policy"
)

// TestGroupsRefusePrincipalsOfEveryKind: a principal of any kind written into "groups" (which
// names consumer groups) is refused at start-up, not taken as a consumer group's name.
func TestGroupsRefusePrincipalsOfEveryKind(t *testing.T) {
	for _, entry := range []string{"key:ci", "aws:123456789012", "authorizer:tenant-7", "tc3:AKIDexample", "role:Billing"} {
		doc := `{"rules":[{"principals":["*"],"ops":["consume"],"topics":["a"],"groups":["` + entry + `"]}]}`
		if _, err := policy.Parse("AUTH_POLICY", []byte(doc)); err == nil || !strings.Contains(err.Error(), "looks like a principal") {
			t.Errorf("groups [%q]: %v; want it refused as a principal", entry, err)
		}
	}
	// Consumer-group names may contain ':' otherwise.
	if _, err := policy.Parse("AUTH_POLICY", []byte(`{"rules":[{"principals":["*"],"ops":["consume"],"topics":["a"],"groups":["team:billing"]}]}`)); err != nil {
		t.Fatal(err)
	}
}
