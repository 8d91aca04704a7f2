package token

import "testing"

func TestIsGUID(t *testing.T) {
	for s, want := range map[string]bool{
		"00000000-0000-0000-0000-000000000000":     true,
		"0a1B2c3D-4e5F-6a7b-8C9d-0123456789aF":     true,
		"0a1b2c3d4e5f6a7b8c9d0123456789af":         false, // no dashes
		"0a1b2c3d-4e5f-6a7b-8c9d-0123456789ag":     false, // g is not hex
		"0a1b2c3d-4e5f-6a7b-8c9d-0123456789a":      false, // short
		"0a1b2c3d-4e5f-6a7b-8c9d-0123456789aff":    false, // long
		"0a1b2c3d-4e5f-6a7b-8c9d_0123456789af":     false, // '_' for '-'
		"{0a1b2c3d-4e5f-6a7b-8c9d-0123456789a}":    false, // braces
		"0a1b2c3d-4e5f-6a7b-8c9d-0123456789\u212a": false, // the Kelvin sign lower-cases to k
		"": false,
	} {
		if got := isGUID(s); got != want {
			t.Errorf("isGUID(%q) = %v, want %v", s, got, want)
		}
	}
}
