package tracectx_test

import (
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/tracectx"
)

func TestParseTraceParent(t *testing.T) {
	const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	tests := []struct {
		in   string
		ok   bool
		want string // the forwarded value when it is not in itself
	}{
		{valid, true, ""},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true, ""},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03", true, ""}, // random-trace-id flag (Level 2)
		{"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds", true, valid},
		{"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true, valid},
		{"01-00000000000000000000000000000001-0000000000000001-00-A", true, "00-00000000000000000000000000000001-0000000000000001-00"},
		{"", false, ""},
		{valid + "-", false, ""}, // version 00 is exactly 55 characters
		{valid[:54], false, ""},
		{"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, ""},
		{"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false, ""},
		{"00-00000000000000000000000000000000-00f067aa0ba902b7-01", false, ""},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false, ""},
		{"00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, ""},
		{"00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", false, ""},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x", false, ""},
		{"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", false, ""},
	}
	for _, tt := range tests {
		want := tt.in
		if tt.want != "" {
			want = tt.want
		}
		if got, ok := tracectx.ParseTraceParent(tt.in); ok != tt.ok || (ok && got != want) {
			t.Errorf("ParseTraceParent(%q) = %q, %v; want ok %v", tt.in, got, ok, tt.ok)
		}
	}
}

func TestParseTraceState(t *testing.T) {
	many := make([]string, 33)
	for i := range many {
		many[i] = "k" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + "=v"
	}
	big := make([]string, 10)
	for i := range big {
		big[i] = "k" + string(rune('a'+i)) + "=" + strings.Repeat("v", 100)
	}
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"two members", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", true},
		{"spaces and empty members are dropped", " a=1 ,, b=2\t", "a=1,b=2", true},
		{"a multi-tenant key", "tenant@vendor=x", "tenant@vendor=x", true},
		{"a key with allowed punctuation", "a_b-c*d/e=1", "a_b-c*d/e=1", true},
		{"an upper-case key", "Key=1", "", false},
		{"no equals sign", "key", "", false},
		{"a value with a comma is two members, the second invalid", "a=1,2", "", false},
		{"a value ending in a space is trimmed as OWS", "a=1 ", "a=1", true},
		{"an empty value", "a=", "", false},
		{"a duplicate key", "a=1,a=2", "", false},
		{"33 members", strings.Join(many, ","), "", false},
		{"32 members", strings.Join(many[:32], ","), strings.Join(many[:32], ","), true},
		{"over 512 characters: whole members dropped from the end", strings.Join(big, ","), strings.Join(big[:4], ","), true},
		{"a control character", "a=\x01", "", false},
	}
	for _, tt := range tests {
		got, ok := tracectx.ParseTraceState(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("%s: ParseTraceState(%q) = %q, %v; want %q, %v", tt.name, tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestValidXRay(t *testing.T) {
	for in, want := range map[string]bool{
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1": true,
		"Root=1-5759e988-bd862e3fe1be46a994272793":                                   true,
		"":                                      false,
		"Parent=53995c3f42cd8ad8":               false,
		"Root=1-5759e988 bd862e3fe1be46a994272": false,
		"Root=" + strings.Repeat("a", 300):      false,
	} {
		if got := tracectx.ValidXRay(in); got != want {
			t.Errorf("ValidXRay(%q) = %v", in, got)
		}
	}
}

func FuzzParseTraceContext(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")
	f.Add("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", "a@b=1, ,c=2")
	f.Fuzz(func(t *testing.T, tp, ts string) {
		if v, ok := tracectx.ParseTraceParent(tp); ok {
			// What is forwarded is a version 00 value, itself valid, and the input's
			// first 55 characters but for the version.
			if len(v) != 55 || v[:2] != "00" || v[2:] != tp[2:55] || strings.ToLower(v) != v {
				t.Fatalf("accepted %q as %q", tp, v)
			}
			if again, ok2 := tracectx.ParseTraceParent(v); !ok2 || again != v {
				t.Fatalf("the forwarded value %q does not parse to itself (%q, %v)", v, again, ok2)
			}
		}
		if v, ok := tracectx.ParseTraceState(ts); ok {
			if len(v) > 512 || strings.Count(v, ",") > 31 {
				t.Fatalf("forwarded %d characters, %d members", len(v), strings.Count(v, ",")+1)
			}
			if again, ok2 := tracectx.ParseTraceState(v); !ok2 || again != v {
				t.Fatalf("the forwarded value %q does not parse to itself (%q, %v)", v, again, ok2)
			}
		}
	})
}
