package policy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/policy"
	"github.com/kafkafn/kafkafn/shared/config/authenv"
)

const group = "0c5b5a7e-1d0f-4a53-9a6e-6f1a1c9e2b11"

const doc = `{"rules":[
 {"description":"writers","principals":["group:` + group + `","role:Kafka.Writer"],"ops":["produce"],"topics":["orders","orders.*"]},
 {"principals":["tc3:AKIDtelemetry"],"ops":["produce"],"topics":["telemetry"]},
 {"principals":["entra:11111111-2222-3333-4444-555555555555"],"ops":["*"],"topics":["*"]},
 {"principals":["webhook:github"],"ops":["produce"],"topics":["github-events"]},
 {"principals":["*"],"ops":["metadata"],"topics":["public.*"]}
]}`

func TestAllow(t *testing.T) {
	p, err := policy.Parse("AUTH_POLICY", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	writerGroup := &auth.Principal{Scheme: "entra", ID: "a", Groups: []string{strings.ToUpper(group)}}
	writerRole := &auth.Principal{Scheme: "entra", ID: "b", Roles: []string{"Kafka.Writer"}}
	admin := &auth.Principal{Scheme: "entra", ID: "11111111-2222-3333-4444-555555555555"}
	telemetry := &auth.Principal{Scheme: "tc3", ID: "AKIDtelemetry"}
	other := &auth.Principal{Scheme: "tc3", ID: "AKIDother"}
	github := &auth.Principal{Scheme: "webhook", ID: "github"}
	githubAsTC3 := &auth.Principal{Scheme: "tc3", ID: "github"}
	// A TC3 principal never matches Entra groups or roles, even if an ID collides.
	spoof := &auth.Principal{Scheme: "tc3", ID: "11111111-2222-3333-4444-555555555555", Groups: []string{group}}
	cases := []struct {
		name  string
		p     *auth.Principal
		op    auth.Op
		topic string
		allow bool
	}{
		{"a writer group member produces to orders", writerGroup, auth.OpProduce, "orders", true},
		{"a writer group member produces to orders.eu by prefix", writerGroup, auth.OpProduce, "orders.eu", true},
		{"a writer group member may not produce to ordersx", writerGroup, auth.OpProduce, "ordersx", false},
		{"a writer group member may not consume orders", writerGroup, auth.OpConsume, "orders", false},
		{"a writer role holder produces to orders", writerRole, auth.OpProduce, "orders", true},
		{"the named object administers anything", admin, auth.OpAdmin, "orders", true},
		{"the SecretId produces to its topic", telemetry, auth.OpProduce, "telemetry", true},
		{"the SecretId may not produce elsewhere", telemetry, auth.OpProduce, "orders", false},
		{"another SecretId may not produce to telemetry", other, auth.OpProduce, "telemetry", false},
		{"anyone reads metadata of public topics", other, auth.OpMetadata, "public.news", true},
		{"anyone may list topics (cluster-wide metadata)", other, auth.OpMetadata, "", true},
		{"nobody without a grant administers the cluster", writerGroup, auth.OpAdmin, "", false},
		{"a TC3 principal does not match Entra principals", spoof, auth.OpAdmin, "orders", false},
		{"no principal is denied", nil, auth.OpMetadata, "public.x", false},
		{"a webhook source produces to its granted topic", github, auth.OpProduce, "github-events", true},
		{"a webhook source may not produce elsewhere", github, auth.OpProduce, "orders", false},
		{"a TC3 SecretId named like a webhook source is not that source", githubAsTC3, auth.OpProduce, "github-events", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := p.Allow(tc.p, tc.op, tc.topic)
			if (err == nil) != tc.allow {
				t.Fatalf("Allow = %v; want allowed=%v", err, tc.allow)
			}
			if err != nil && apierr.KindOf(err) != apierr.Forbidden {
				t.Fatalf("kind %v; want forbidden", apierr.KindOf(err))
			}
		})
	}
}

func TestAllowGroup(t *testing.T) {
	p, err := policy.Parse("AUTH_POLICY", []byte(`{"rules":[
 {"principals":["role:Billing"],"ops":["consume"],"topics":["orders.*"],"groups":["billing","billing.*"]},
 {"principals":["role:Billing"],"ops":["consume","metadata"],"topics":["audit"]},
 {"principals":["role:Legacy"],"ops":["*"],"topics":["*"]},
 {"principals":["role:Ops"],"ops":["*"],"topics":["*"],"groups":["*"]},
 {"principals":["group:`+group+`"],"ops":["consume"],"topics":["orders.eu"],"groups":["team-a:eu"]}
]}`))
	if err != nil {
		t.Fatal(err)
	}
	billing := &auth.Principal{Scheme: "entra", ID: "a", Roles: []string{"Billing"}}
	legacy := &auth.Principal{Scheme: "entra", ID: "b", Roles: []string{"Legacy"}}
	ops := &auth.Principal{Scheme: "entra", ID: "c", Roles: []string{"Ops"}}
	member := &auth.Principal{Scheme: "entra", ID: "d", Groups: []string{group}}
	// A consumer group named like the Entra group id is still only a consumer group.
	spoof := &auth.Principal{Scheme: "tc3", ID: "x", Roles: []string{"Billing"}}
	cases := []struct {
		name         string
		p            *auth.Principal
		topic, group string
		allow        bool
		want         string // part of the refusal
	}{
		{"a rule's exact group", billing, "orders.eu", "billing", true, ""},
		{"a rule's group prefix", billing, "orders.eu", "billing.nightly", true, ""},
		{"a group the rule does not name", billing, "orders.eu", "shipping", false, `consumer group "shipping"`},
		{"the prefix does not match a longer bare name", billing, "orders.eu", "billingx", false, "consumer group"},
		{"one rule's groups do not extend to another rule's topics", billing, "audit", "billing", false, `consumer group "billing" on topic "audit"`},
		{"a topic without consume is refused as a topic", billing, "secret", "billing", false, `consume from topic "secret"`},
		{"a rule without groups grants no group, even with every op on every topic", legacy, "orders.eu", "legacy", false, `"groups"`},
		{"groups * grants every group", ops, "anything", "any:group", true, ""},
		{"an Entra group principal with a consumer group", member, "orders.eu", "team-a:eu", true, ""},
		{"the Entra group's id is not a consumer-group grant", member, "orders.eu", group, false, "consumer group"},
		{"roles match only Entra callers", spoof, "orders.eu", "billing", false, "consume from"},
		{"no principal", nil, "orders.eu", "billing", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := p.AllowGroup(tc.p, tc.topic, tc.group)
			if (err == nil) != tc.allow {
				t.Fatalf("AllowGroup = %v; want allowed=%v", err, tc.allow)
			}
			if err != nil && (apierr.KindOf(err) != apierr.Forbidden || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("refusal %v (kind %v); want forbidden mentioning %q", err, apierr.KindOf(err), tc.want)
			}
		})
	}
	// The group grant adds nothing to the topic routes.
	if err := p.Allow(legacy, auth.OpConsume, "orders.eu"); err != nil {
		t.Fatalf("a policy without groups no longer grants consume: %v", err)
	}
}

func TestConsumeWithoutGroups(t *testing.T) {
	for _, tt := range []struct {
		doc  string
		want bool
	}{
		{`{"rules":[{"principals":["*"],"ops":["consume"],"topics":["*"]}]}`, true},
		{`{"rules":[{"principals":["*"],"ops":["*"],"topics":["*"]}]}`, true},
		{`{"rules":[{"principals":["*"],"ops":["consume"],"topics":["*"],"groups":["billing"]}]}`, false},
		{`{"rules":[{"principals":["*"],"ops":["consume"],"topics":["a"]},{"principals":["*"],"ops":["consume"],"topics":["b"],"groups":["*"]}]}`, false},
		{`{"rules":[{"principals":["*"],"ops":["produce","metadata"],"topics":["*"]}]}`, false},
	} {
		p, err := policy.Parse("AUTH_POLICY", []byte(tt.doc))
		if err != nil {
			t.Fatal(err)
		}
		if got := p.ConsumeWithoutGroups(); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.doc, got, tt.want)
		}
	}
	if policy.Default().ConsumeWithoutGroups() {
		t.Error("the default policy grants every group")
	}
}

func TestDefault(t *testing.T) {
	p := policy.Default()
	anyone := &auth.Principal{Scheme: "tc3", ID: "x"}
	for _, op := range []auth.Op{auth.OpProduce, auth.OpConsume, auth.OpMetadata} {
		if err := p.Allow(anyone, op, "t"); err != nil {
			t.Errorf("default policy denies %s: %v", op, err)
		}
	}
	if err := p.Allow(anyone, auth.OpAdmin, "t"); apierr.KindOf(err) != apierr.Forbidden {
		t.Errorf("default policy allows admin: %v", err)
	}
	if err := p.AllowGroup(anyone, "t", "any-group"); err != nil {
		t.Errorf("default policy denies consumer groups: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]struct{ doc, want string }{
		"not JSON":                        {`{`, "AUTH_POLICY: not a valid policy document"},
		"an unknown field":                {`{"rules":[],"x":1}`, "unknown field"},
		"trailing data":                   {`{"rules":[{"principals":["*"],"ops":["*"],"topics":["*"]}]} {}`, "unexpected data"},
		"no rules":                        {`{"rules":[]}`, "rules is empty"},
		"an empty list":                   {`{"rules":[{"principals":[],"ops":["produce"],"topics":["a"]}]}`, "rules[0]: principals, ops and topics"},
		"an unknown op":                   {`{"rules":[{"principals":["*"],"ops":["write"],"topics":["a"]}]}`, `rules[0].ops[0]: unknown operation "write"`},
		"an unknown principal":            {`{"rules":[{"principals":["user:bob"],"ops":["produce"],"topics":["a"]}]}`, `rules[0].principals[0]: "user:bob": unknown principal kind`},
		"a group that is no id":           {`{"rules":[{"principals":["group:writers"],"ops":["produce"],"topics":["a"]}]}`, "a group is its object ID"},
		"a bare kind":                     {`{"rules":[{"principals":["tc3:"],"ops":["produce"],"topics":["a"]}]}`, `rules[0].principals[0]`},
		"a star in the middle":            {`{"rules":[{"principals":["*"],"ops":["produce"],"topics":["a*b"]}]}`, `rules[0].topics[0]: "a*b": '*' is allowed only at the end`},
		"a bad topic":                     {`{"rules":[{"principals":["*"],"ops":["produce"],"topics":["a b"]}]}`, `rules[0].topics[0]: "a b" is not a topic name`},
		"an internal topic":               {`{"rules":[{"principals":["*"],"ops":["consume"],"topics":["__consumer_offsets"]}]}`, `rules[0].topics[0]: "__consumer_offsets" names Kafka's internal topics`},
		"internal topics by prefix":       {`{"rules":[{"principals":["*"],"ops":["consume"],"topics":["__*"]}]}`, `rules[0].topics[0]`},
		"empty groups":                    {`{"rules":[{"principals":["*"],"ops":["consume"],"topics":["a"],"groups":[]}]}`, `rules[0].groups: is empty`},
		"groups without consume":          {`{"rules":[{"principals":["*"],"ops":["produce","metadata"],"topics":["a"],"groups":["g"]}]}`, `rules[0].groups: the rule does not grant consume`},
		"a principal as a consumer group": {`{"rules":[{"principals":["*"],"ops":["consume"],"topics":["a"],"groups":["group:` + group + `"]}]}`, `rules[0].groups[0]: "group:` + group + `" looks like a principal`},
		"a star inside a group":           {`{"rules":[{"principals":["*"],"ops":["consume"],"topics":["a"],"groups":["a*b"]}]}`, `rules[0].groups[0]: "a*b": '*' is allowed only at the end`},
		"a bad group":                     {`{"rules":[{"principals":["*"],"ops":["consume"],"topics":["a"],"groups":["a/b"]}]}`, `rules[0].groups[0]: "a/b" is not a consumer group`},
		"groups of the wrong type":        {`{"rules":[{"principals":["*"],"ops":["consume"],"topics":["a"],"groups":"g"}]}`, `not a valid policy document`},
	}
	for name, tc := range cases {
		t.Run(name+" is refused naming the entry", func(t *testing.T) {
			_, err := policy.Parse("AUTH_POLICY", []byte(tc.doc))
			if err == nil || !strings.HasPrefix(err.Error(), "AUTH_POLICY: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error %v; want one containing %q", err, tc.want)
			}
		})
	}
}

func TestFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	pc, err := authenv.PolicyFromEnv(func(string) string { return "@" + path })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := policy.Parse(pc.Source, pc.JSON); err != nil {
		t.Fatal(err)
	}
	if _, err := authenv.PolicyFromEnv(func(string) string { return "@" + path + ".missing" }); err == nil ||
		!strings.HasPrefix(err.Error(), "AUTH_POLICY: cannot read") {
		t.Fatalf("a missing file: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(doc))
	f.Add([]byte(`{"rules":[{"principals":["*"],"ops":["*"],"topics":["*"]}]}`))
	f.Add([]byte(`{"rules":[{"principals":["role:r"],"ops":["consume"],"topics":["o.*"],"groups":["billing","team-a.*"]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := policy.Parse("AUTH_POLICY", b)
		if err != nil {
			return
		}
		_ = p.Allow(&auth.Principal{Scheme: "entra", ID: "x"}, auth.OpProduce, "orders")
		_ = p.Allow(&auth.Principal{Scheme: "tc3", ID: "x"}, auth.OpAdmin, "")
		_ = p.AllowGroup(&auth.Principal{Scheme: "entra", ID: "x"}, "orders", "billing")
	})
}
