package auth_test

import (
	"slices"
	"testing"

	"github.com/kafkafn/kafkafn/shared/auth"
)

func TestClaimStrings(t *testing.T) {
	claims := map[string]any{
		"cognito:groups":            []any{"a", "b"},
		"flattened":                 "[a b c]",
		"scope":                     "read write",
		"rest":                      "a,b",
		"realm_access":              map[string]any{"roles": []any{"r1", 7, "r2"}},
		"https://example.com/roles": []any{"x"},
		"number":                    3.0,
	}
	for name, want := range map[string][]string{
		"cognito:groups": {"a", "b"}, "flattened": {"a", "b", "c"}, "scope": {"read", "write"}, "rest": {"a", "b"},
		"realm_access.roles": {"r1", "r2"}, "https://example.com/roles": {"x"}, "number": nil, "missing": nil, "realm_access.none": nil,
	} {
		if got := auth.ClaimStrings(claims, name); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

func FuzzClaimStrings(f *testing.F) {
	f.Add("[a b c]")
	f.Add("a,b c")
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range auth.ClaimStrings(map[string]any{"g": s}, "g") {
			if v == "" {
				t.Fatalf("%q gave an empty entry", s)
			}
		}
	})
}
