// Package policy is kafkafn's per-topic authorisation policy (AUTH_POLICY): which
// principals may perform which operations on which topics. It implements auth.Policy.
//
// A policy is a JSON document of allow rules; anything no rule allows is denied:
//
//	{"rules": [
//	  {"principals": ["group:0c5b5a7e-1d0f-4a53-9a6e-6f1a1c9e2b11", "role:Kafka.Writer"],
//	   "ops": ["produce"], "topics": ["orders", "orders.*"]},
//	  {"principals": ["tc3:AKIDexample"], "ops": ["produce"], "topics": ["telemetry"]},
//	  {"principals": ["*"], "ops": ["metadata"], "topics": ["*"]}
//	]}
//
// Principals: "group:<Entra group object id>", "role:<Entra app role value>",
// "entra:<object id or client id>", "tc3:<SecretId>", "webhook:<source name>" (a
// WEBHOOK_SECRETS source), or "*" (any authenticated caller).
// Ops: "produce", "consume", "metadata", "admin", or "*" (all four). Topics: an exact name,
// a prefix ending in "*" ("orders.*" matches "orders.eu" and "orders.us"), or "*" (every
// topic). A cluster-wide operation (listing topics or brokers, the status route) is allowed
// when the principal may perform it on at least one topic pattern; topic lists are then
// filtered per topic.
//
// Consumer groups are a resource of their own, like Kafka's GROUP ACLs: a rule that grants
// "consume" may name them in "groups" (an exact name, a prefix ending in "*", or "*"). The
// group routes (a group's window, its commits, its lag) need one rule that matches the
// caller, grants consume, covers the topic AND names the group. A rule without "groups"
// grants no consumer group: existing policies keep working for every other route, and a
// group route answers 403 until a rule names the group. (Principals of kind "group:" are
// Entra ID security groups, a different thing: they say who calls, "groups" says which
// consumer groups the caller may use.)
//
// Without AUTH_POLICY, Default applies: every authenticated caller may produce, consume and
// read metadata on every topic, use every consumer group, and nobody may administer topics
// (create or delete them) until a policy grants "admin".
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
)

// Document is the JSON form of a policy.
type Document struct {
	Rules []Rule `json:"rules"`
}

// Rule allows its principals its ops on its topics and, for consume, the use of its
// consumer groups.
type Rule struct {
	Description string   `json:"description,omitempty"`
	Principals  []string `json:"principals"`
	Ops         []string `json:"ops"`
	Topics      []string `json:"topics"`
	// Groups are the consumer groups the rule's consume grant may use; nil grants none.
	Groups []string `json:"groups,omitempty"`
}

// Policy is a validated policy. It is immutable and safe for concurrent use.
type Policy struct {
	rules []rule
}

var (
	_ auth.Policy      = (*Policy)(nil)
	_ auth.GroupPolicy = (*Policy)(nil)
)

type rule struct {
	principals []matcher
	ops        []auth.Op
	topics     []pattern
	groups     []pattern // consumer groups; empty: none
}

type matcher struct {
	kind   string // "*", "group", "role", "entra", "tc3", "webhook", or an identity kind (identity.go)
	value  string
	issuer string // the issuer name of oidc, oidc-group and oidc-role matchers
}

type pattern struct {
	prefix string
	exact  bool
}

// Default is the policy without AUTH_POLICY: produce, consume and metadata on every topic,
// through every consumer group, for every authenticated principal; no admin.
func Default() *Policy {
	return &Policy{rules: []rule{{
		principals: []matcher{{kind: "*"}},
		ops:        []auth.Op{auth.OpProduce, auth.OpConsume, auth.OpMetadata},
		topics:     []pattern{{prefix: ""}},
		groups:     []pattern{{prefix: ""}},
	}}}
}

// Parse validates a policy document. source names it in errors (e.g. "AUTH_POLICY"); every
// error names the bad entry, e.g. `AUTH_POLICY: rules[1].ops[0]: unknown operation "write"`.
func Parse(source string, data []byte) (*Policy, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", source, fmt.Sprintf(format, args...))
	}
	var doc Document
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fail("not a valid policy document (%v); want {\"rules\":[{\"principals\":[…],\"ops\":[…],\"topics\":[…]}]}", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fail("unexpected data after the policy document")
	}
	if len(doc.Rules) == 0 {
		return nil, fail("rules is empty: every request would be denied")
	}
	p := &Policy{}
	for i, r := range doc.Rules {
		at := fmt.Sprintf("rules[%d]", i)
		if len(r.Principals) == 0 || len(r.Ops) == 0 || len(r.Topics) == 0 {
			return nil, fail("%s: principals, ops and topics must each list at least one entry", at)
		}
		var out rule
		for j, s := range r.Principals {
			m, err := parsePrincipal(s)
			if err != nil {
				return nil, fail("%s.principals[%d]: %v", at, j, err)
			}
			out.principals = append(out.principals, m)
		}
		for j, s := range r.Ops {
			ops, err := parseOp(s)
			if err != nil {
				return nil, fail("%s.ops[%d]: %v", at, j, err)
			}
			out.ops = append(out.ops, ops...)
		}
		for j, s := range r.Topics {
			t, err := parseTopic(s)
			if err != nil {
				return nil, fail("%s.topics[%d]: %v", at, j, err)
			}
			out.topics = append(out.topics, t)
		}
		if r.Groups != nil {
			if len(r.Groups) == 0 {
				return nil, fail("%s.groups: is empty; list consumer groups, or leave groups out to grant none", at)
			}
			if !slices.Contains(out.ops, auth.OpConsume) {
				return nil, fail("%s.groups: the rule does not grant consume, and consumer groups are only used to consume", at)
			}
		}
		for j, s := range r.Groups {
			g, err := parseGroup(s)
			if err != nil {
				return nil, fail("%s.groups[%d]: %v", at, j, err)
			}
			out.groups = append(out.groups, g)
		}
		p.rules = append(p.rules, out)
	}
	return p, nil
}

func parsePrincipal(s string) (matcher, error) {
	if s == "*" {
		return matcher{kind: "*"}, nil
	}
	kind, value, ok := strings.Cut(s, ":")
	value = strings.TrimSpace(value)
	if !ok || value == "" {
		return matcher{}, fmt.Errorf("%q must be \"*\" or kind:value with kind group, role, entra, tc3 or webhook", s)
	}
	switch kind {
	case "group", "entra":
		if !isGUID(value) && kind == "group" {
			return matcher{}, fmt.Errorf("%q: a group is its object ID, a GUID", s)
		}
		return matcher{kind: kind, value: strings.ToLower(value)}, nil
	case "role", "tc3", "webhook":
		return matcher{kind: kind, value: value}, nil
	}
	if m, ok, err := parseIdentityPrincipal(s, kind, value); ok {
		return m, err
	}
	return matcher{}, fmt.Errorf("%q: unknown principal kind %q (want group, role, entra, tc3, webhook, key, oidc, oidc-group, oidc-role, aws or authorizer)", s, kind)
}

func parseOp(s string) ([]auth.Op, error) {
	if s == "*" {
		return auth.Ops, nil
	}
	if op := auth.Op(s); slices.Contains(auth.Ops, op) {
		return []auth.Op{op}, nil
	}
	return nil, fmt.Errorf("unknown operation %q (want produce, consume, metadata, admin or *)", s)
}

func parseTopic(s string) (pattern, error) {
	name, prefix := strings.CutSuffix(s, "*")
	if prefix && name == "" {
		return pattern{}, nil // every topic
	}
	if strings.Contains(name, "*") {
		return pattern{}, fmt.Errorf("%q: '*' is allowed only at the end of a topic pattern", s)
	}
	if len(name) > 249 || (!prefix && (name == "." || name == "..")) || !nameChars(name, "._-") {
		return pattern{}, fmt.Errorf("%q is not a topic name or prefix (letters, digits, '.', '_', '-', optionally ending in '*')", s)
	}
	if strings.HasPrefix(name, "__") {
		return pattern{}, fmt.Errorf("%q names Kafka's internal topics (\"__\" prefix), which kafkafn refuses on every route", s)
	}
	return pattern{prefix: name, exact: !prefix}, nil
}

// parseGroup parses a consumer-group pattern: the names broker.ValidateGroupID accepts, a
// prefix of one ending in "*", or "*".
func parseGroup(s string) (pattern, error) {
	name, prefix := strings.CutSuffix(s, "*")
	if prefix && name == "" {
		return pattern{}, nil // every group
	}
	if strings.Contains(name, "*") {
		return pattern{}, fmt.Errorf("%q: '*' is allowed only at the end of a consumer-group pattern", s)
	}
	if kind, _, ok := strings.Cut(name, ":"); ok && slices.Contains(principalKinds, kind) {
		return pattern{}, fmt.Errorf("%q looks like a principal: \"groups\" names consumer groups (e.g. \"billing\", \"team-a.*\"); callers (Entra ID groups, API keys, IAM roles, …) go in principals", s)
	}
	if len(name) > 249 || !nameChars(name, "._:-") {
		return pattern{}, fmt.Errorf("%q is not a consumer group name or prefix (letters, digits, '.', '_', ':', '-', optionally ending in '*')", s)
	}
	return pattern{prefix: name, exact: !prefix}, nil
}

// principalKinds are the kinds of principal entries; a "groups" entry starting with one of
// them and ":" is a principal put in the wrong list.
var principalKinds = []string{"group", "role", "entra", "tc3", "webhook", "key", "oidc", "oidc-group", "oidc-role", "aws", "authorizer"}

func nameChars(s, punct string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(punct, c) >= 0) {
			return false
		}
	}
	return true
}

func (t pattern) matches(name string) bool {
	if t.exact {
		return name == t.prefix
	}
	return strings.HasPrefix(name, t.prefix)
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// Allow implements auth.Policy. topic "" is a cluster-wide operation.
func (p *Policy) Allow(pr *auth.Principal, op auth.Op, topic string) error {
	if pr != nil {
		for _, r := range p.rules {
			if r.allows(pr, op, topic) {
				return nil
			}
		}
	}
	if topic == "" {
		return apierr.E(apierr.Forbidden, "forbidden", fmt.Sprintf("the caller has no %s permission on this cluster", op))
	}
	return apierr.E(apierr.Forbidden, "forbidden", fmt.Sprintf("the caller may not %s topic %q", verb(op), topic))
}

func verb(op auth.Op) string {
	switch op {
	case auth.OpProduce:
		return "produce to"
	case auth.OpConsume:
		return "consume from"
	case auth.OpMetadata:
		return "read metadata of"
	case auth.OpAdmin:
		return "administer"
	}
	return string(op)
}

func (r rule) allows(pr *auth.Principal, op auth.Op, topic string) bool {
	if !slices.Contains(r.ops, op) || !slices.ContainsFunc(r.principals, func(m matcher) bool { return m.matches(pr) }) {
		return false
	}
	if topic == "" {
		return true // cluster-wide: the principal holds op on some topic pattern
	}
	return slices.ContainsFunc(r.topics, func(t pattern) bool { return t.matches(topic) })
}

// AllowGroup implements auth.GroupPolicy: p may consume topic through consumer group group
// (read the group's window, commit its offsets, read its lag) when one rule matches p,
// grants consume, covers topic and names group.
func (p *Policy) AllowGroup(pr *auth.Principal, topic, group string) error {
	if err := p.Allow(pr, auth.OpConsume, topic); err != nil {
		return err
	}
	for _, r := range p.rules {
		if r.allows(pr, auth.OpConsume, topic) && slices.ContainsFunc(r.groups, func(g pattern) bool { return g.matches(group) }) {
			return nil
		}
	}
	return apierr.E(apierr.Forbidden, "forbidden", fmt.Sprintf(
		"the caller may not use consumer group %q on topic %q (no AUTH_POLICY rule granting consume on the topic names the group in \"groups\")", group, topic))
}

// ConsumeWithoutGroups reports whether p grants consume somewhere but names no consumer group
// in any rule: a policy written before rules named groups, whose callers are now refused on
// the group routes (authconfig warns at start).
func (p *Policy) ConsumeWithoutGroups() bool {
	consume, groups := false, false
	for _, r := range p.rules {
		consume = consume || slices.Contains(r.ops, auth.OpConsume)
		groups = groups || len(r.groups) > 0
	}
	return consume && !groups
}

func (m matcher) matches(pr *auth.Principal) bool {
	switch m.kind {
	case "*":
		return true
	case "group":
		return pr.Scheme == "entra" && slices.ContainsFunc(pr.Groups, func(g string) bool { return strings.EqualFold(g, m.value) })
	case "role":
		return pr.Scheme == "entra" && slices.Contains(pr.Roles, m.value)
	case "entra":
		return pr.Scheme == "entra" && strings.EqualFold(pr.ID, m.value)
	case "tc3":
		return pr.Scheme == "tc3" && pr.ID == m.value
	case "webhook":
		return pr.Scheme == "webhook" && pr.ID == m.value
	}
	return m.matchesIdentity(pr)
}
