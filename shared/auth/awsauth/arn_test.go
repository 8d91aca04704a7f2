package awsauth_test

import (
	"testing"

	"github.com/kafkafn/kafkafn/shared/auth/awsauth"
)

func TestParseARN(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"arn:aws:sts::123456789012:assumed-role/Accounting-Role/JaneDoe", "arn:aws:iam::123456789012:role/Accounting-Role"},
		{"arn:aws-cn:sts::123456789012:assumed-role/R/s@example.com", "arn:aws-cn:iam::123456789012:role/R"},
		{"arn:aws:iam::123456789012:role/application_abc/component_xyz/RDSAccess", "arn:aws:iam::123456789012:role/RDSAccess"},
		{"arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Bob", "arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Bob"},
		{"arn:aws:sts::123456789012:federated-user/Bob", "arn:aws:sts::123456789012:federated-user/Bob"},
		{"arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:root"},
		{"arn:aws:sts::123456789012:assumed-role/R", ""},
		{"arn:aws:iam::12345:user/x", ""},
		{"arn:aws:iam:eu-west-1:123456789012:user/x", ""},
		{"arn:aws:iam::123456789012:role/", ""},
		{"not an arn", ""},
	} {
		a, ok := awsauth.ParseARN(tc.in)
		if got := map[bool]string{true: a.String(), false: ""}[ok]; got != tc.want {
			t.Errorf("%s → %q, want %q", tc.in, got, tc.want)
		}
	}
	session, _ := awsauth.ParseARN("arn:aws:sts::123456789012:assumed-role/RDSAccess/s1")
	role, _ := awsauth.ParseARN("arn:aws:iam::123456789012:role/app/RDSAccess")
	user, _ := awsauth.ParseARN("arn:aws:iam::123456789012:user/RDSAccess")
	if !role.Matches(session) || role.Matches(user) || user.Matches(session) {
		t.Fatal("role matching is wrong")
	}
}

func FuzzParseARN(f *testing.F) {
	f.Add("arn:aws:sts::123456789012:assumed-role/R/S")
	f.Add("arn:aws:iam::123456789012:role/a/b/c")
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := awsauth.ParseARN(s)
		if !ok {
			return
		}
		b, ok := awsauth.ParseARN(a.String())
		if !ok || b.String() != a.String() || !a.Matches(b) {
			t.Fatalf("%q → %q → %q (%v)", s, a.String(), b.String(), ok)
		}
	})
}
