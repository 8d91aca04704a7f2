package auth_test

import (
	"context"
	"testing"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
)

// topicsOnly is a Policy that knows nothing of consumer groups.
type topicsOnly struct{}

func (topicsOnly) Allow(*auth.Principal, auth.Op, string) error { return nil }

func TestGuardAllowGroup(t *testing.T) {
	p := &auth.Principal{Scheme: "entra", ID: "x"}
	withP := auth.NewContext(context.Background(), p)
	cases := []struct {
		name  string
		g     *auth.Guard
		ctx   context.Context
		allow bool
		kind  apierr.Kind // of the refusal
	}{
		{"a policy without GroupPolicy grants no consumer group", auth.NewGuard(topicsOnly{}), withP, false, apierr.Forbidden},
		{"the nil policy (AllowAll) grants every group", auth.NewGuard(nil), withP, true, 0},
		{"the dev guard grants every group", auth.NewDevGuard(), withP, true, 0},
		{"no principal is unauthorised", auth.NewGuard(nil), context.Background(), false, apierr.Unauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.g.AllowGroup(tc.ctx, "orders", "billing")
			if tc.allow && err != nil || !tc.allow && (err == nil || apierr.KindOf(err) != tc.kind) {
				t.Fatalf("AllowGroup = %v; want allowed=%v (refusal kind %v)", err, tc.allow, tc.kind)
			}
		})
	}
}
