package produce

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth/tc3"
	"github.com/kafkafn/kafkafn/shared/broker"
)

func TestTencentCode(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{apierr.E(apierr.Unauthorized, tc3.CodeInvalidAuthorization, ""), "AuthFailure.InvalidAuthorization"},
		{apierr.E(apierr.Unauthorized, tc3.CodeSignatureExpire, ""), "AuthFailure.SignatureExpire"},
		{apierr.E(apierr.Unauthorized, tc3.CodeSecretIDNotFound, ""), "AuthFailure.SecretIdNotFound"},
		{apierr.E(apierr.Unauthorized, tc3.CodeSignatureFailure, ""), "AuthFailure.SignatureFailure"},
		{apierr.E(apierr.Unauthorized, "other", ""), "AuthFailure"},
		{apierr.E(apierr.Invalid, codeMissingParameter, ""), "MissingParameter"},
		{apierr.E(apierr.Invalid, codeUnknownParameter, ""), "UnknownParameter"},
		{apierr.E(apierr.Invalid, codeInvalidParameterValue, ""), "InvalidParameterValue"},
		{apierr.E(apierr.Invalid, codeInvalidAction, ""), "InvalidAction"},
		{apierr.E(apierr.Invalid, codeNoSuchVersion, ""), "NoSuchVersion"},
		{apierr.E(apierr.Invalid, "invalid_parameter", ""), "InvalidParameter"},
		{apierr.E(apierr.Conflict, codeTaskSuspended, ""), "FailedOperation"},
		{apierr.E(apierr.TooLarge, "body_too_large", ""), "RequestSizeLimitExceeded"},
		{&broker.Error{Kind: apierr.TooLarge, Code: "record_too_large"}, "LimitExceeded"},
		{apierr.E(apierr.Forbidden, "forbidden", ""), "UnauthorizedOperation"},
		{&broker.Error{Kind: apierr.Forbidden, Code: "kafka_authorization_failed"}, "FailedOperation"},
		{&broker.Error{Kind: apierr.NotFound, Code: "unknown_topic"}, "ResourceNotFound"},
		{&broker.Error{Kind: apierr.Unavailable, Code: "kafka_unavailable"}, "ResourceUnavailable.KafkaStorageError"},
		{&broker.Error{Kind: apierr.Timeout, Code: "kafka_timeout"}, "ResourceUnavailable.KafkaStorageError"},
		{context.DeadlineExceeded, "ResourceUnavailable.KafkaStorageError"},
		{apierr.E(apierr.TooManyRequests, "slow_down", ""), "RequestLimitExceeded"},
		{&broker.Error{Kind: apierr.Internal, Code: "kafka_error"}, "InternalError"},
		{errors.New("an unclassified bug"), "InternalError"},
		{&partialError{err: &broker.Error{Kind: apierr.Unavailable, Code: "kafka_unavailable"}, acked: 1, total: 2}, "ResourceUnavailable.KafkaStorageError"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s (%v) → %s", apierr.CodeOf(tc.err), apierr.KindOf(tc.err), tc.want), func(t *testing.T) {
			if got := tencentCode(tc.err); got != tc.want {
				t.Fatalf("tencentCode = %s; want %s", got, tc.want)
			}
		})
	}
	t.Run("a partial failure says how many messages were written", func(t *testing.T) {
		err := &partialError{err: &broker.Error{Kind: apierr.Unavailable, Message: "Kafka is unavailable"}, acked: 3, total: 5}
		if m := apierr.MessageOf(err); !strings.Contains(m, "3 of 5 messages were written") || !strings.Contains(m, "Kafka is unavailable") {
			t.Fatalf("message %q", m)
		}
	})
	t.Run("request IDs are version 4 UUIDs", func(t *testing.T) {
		a, b := newRequestID(), newRequestID()
		if a == b || len(a) != 36 || a[14] != '4' || !strings.ContainsRune("89ab", rune(a[19])) {
			t.Fatalf("%s %s", a, b)
		}
	})
}
