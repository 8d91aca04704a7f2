package apierr_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// TestMessageOfDefaults: the generic texts are used for errors nobody classified, such as
// a deadline that passed while a request body was still being read. They must not claim
// that a write may have reached Kafka: only the code that sent one knows that.
func TestMessageOfDefaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		kind apierr.Kind
	}{
		{"a bare deadline", context.DeadlineExceeded, apierr.Timeout},
		{"a wrapped deadline", fmt.Errorf("read body: %w", context.DeadlineExceeded), apierr.Timeout},
		{"a cancellation", context.Canceled, apierr.Timeout},
		{"an unavailable kind without a message", &apierr.Error{Kind: apierr.Unavailable}, apierr.Unavailable},
		{"anything else", errors.New("boom"), apierr.Internal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if k := apierr.KindOf(tc.err); k != tc.kind {
				t.Fatalf("kind %v, want %v", k, tc.kind)
			}
			m := apierr.MessageOf(tc.err)
			if m == "" || strings.Contains(m, "outcome") || strings.Contains(m, "boom") {
				t.Errorf("message %q", m)
			}
		})
	}
	t.Run("a public message wins", func(t *testing.T) {
		err := apierr.Wrap(apierr.Timeout, "kafka_timeout", "Kafka did not answer; the outcome is unknown", context.DeadlineExceeded)
		if m := apierr.MessageOf(err); m != "Kafka did not answer; the outcome is unknown" {
			t.Errorf("message %q", m)
		}
	})
}

func TestClip(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{"abcd", "abc…"},
	} {
		if got := apierr.Clip(tc.in, 3); got != tc.want {
			t.Errorf("Clip(%q, 3) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
