package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkafn/kafkafn/shared/apierr"
)

// modes is what retryOf answers for an idempotent call, a produce and a topic admin call.
type modes [3]retryMode

var (
	never      = modes{}
	every      = modes{retryRefresh, retryRefresh, retryRefresh}
	notAdmin   = modes{retryRefresh, retryRefresh, noRetry}
	reads      = modes{retryRefresh, noRetry, noRetry}
	pause      = modes{retryPause, retryPause, retryPause}
	pauseReads = modes{retryPause, noRetry, noRetry}
)

// kafkaCodes is the audit: every error code kafka-go defines, what kafkafn answers for it,
// whether kafkafn retries it once itself (per call kind), and whether a failed write says
// its outcome is unknown. TestErrorClassification fails on a code kafka-go defines that is
// missing here (a kafka-go upgrade that adds codes must extend this table).
var kafkaCodes = map[kafka.Error]struct {
	kind    apierr.Kind
	retry   modes
	unknown bool // a failed write "may have been applied"
}{
	kafka.Unknown:                            {apierr.Unavailable, never, true},
	kafka.OffsetOutOfRange:                   {apierr.Invalid, never, false},
	kafka.InvalidMessage:                     {apierr.Unavailable, reads, false},
	kafka.UnknownTopicOrPartition:            {apierr.NotFound, notAdmin, false},
	kafka.InvalidMessageSize:                 {apierr.Internal, never, false},
	kafka.LeaderNotAvailable:                 {apierr.Unavailable, every, false},
	kafka.NotLeaderForPartition:              {apierr.Unavailable, every, false},
	kafka.RequestTimedOut:                    {apierr.Timeout, never, true},
	kafka.BrokerNotAvailable:                 {apierr.Unavailable, every, false},
	kafka.ReplicaNotAvailable:                {apierr.Unavailable, every, false},
	kafka.MessageSizeTooLarge:                {apierr.TooLarge, never, false},
	kafka.StaleControllerEpoch:               {apierr.Internal, never, false},
	kafka.OffsetMetadataTooLarge:             {apierr.Internal, never, false},
	kafka.NetworkException:                   {apierr.Unavailable, reads, true},
	kafka.GroupLoadInProgress:                {apierr.Unavailable, pause, false},
	kafka.GroupCoordinatorNotAvailable:       {apierr.Unavailable, pause, false},
	kafka.NotCoordinatorForGroup:             {apierr.Unavailable, every, false},
	kafka.InvalidTopic:                       {apierr.Invalid, never, false},
	kafka.RecordListTooLarge:                 {apierr.TooLarge, never, false},
	kafka.NotEnoughReplicas:                  {apierr.Unavailable, pause, false},
	kafka.NotEnoughReplicasAfterAppend:       {apierr.Unavailable, never, true},
	kafka.InvalidRequiredAcks:                {apierr.Internal, never, false},
	kafka.IllegalGeneration:                  {apierr.Conflict, never, false},
	kafka.InconsistentGroupProtocol:          {apierr.Internal, never, false},
	kafka.InvalidGroupId:                     {apierr.Invalid, never, false},
	kafka.UnknownMemberId:                    {apierr.Conflict, never, false},
	kafka.InvalidSessionTimeout:              {apierr.Internal, never, false},
	kafka.RebalanceInProgress:                {apierr.Conflict, never, false},
	kafka.InvalidCommitOffsetSize:            {apierr.Internal, never, false},
	kafka.TopicAuthorizationFailed:           {apierr.Forbidden, never, false},
	kafka.GroupAuthorizationFailed:           {apierr.Forbidden, never, false},
	kafka.ClusterAuthorizationFailed:         {apierr.Forbidden, never, false},
	kafka.InvalidTimestamp:                   {apierr.Invalid, never, false},
	kafka.UnsupportedSASLMechanism:           {apierr.Unavailable, never, false},
	kafka.IllegalSASLState:                   {apierr.Unavailable, never, false},
	kafka.UnsupportedVersion:                 {apierr.Internal, never, false},
	kafka.TopicAlreadyExists:                 {apierr.Conflict, never, false},
	kafka.InvalidPartitionNumber:             {apierr.Invalid, never, false},
	kafka.InvalidReplicationFactor:           {apierr.Invalid, never, false},
	kafka.InvalidReplicaAssignment:           {apierr.Invalid, never, false},
	kafka.InvalidConfiguration:               {apierr.Invalid, never, false},
	kafka.NotController:                      {apierr.Unavailable, every, false},
	kafka.InvalidRequest:                     {apierr.Invalid, never, false},
	kafka.UnsupportedForMessageFormat:        {apierr.Invalid, never, false},
	kafka.PolicyViolation:                    {apierr.Invalid, never, false},
	kafka.OutOfOrderSequenceNumber:           {apierr.Internal, never, false},
	kafka.DuplicateSequenceNumber:            {apierr.Internal, never, false},
	kafka.InvalidProducerEpoch:               {apierr.Internal, never, false},
	kafka.InvalidTransactionState:            {apierr.Internal, never, false},
	kafka.InvalidProducerIDMapping:           {apierr.Internal, never, false},
	kafka.InvalidTransactionTimeout:          {apierr.Internal, never, false},
	kafka.ConcurrentTransactions:             {apierr.Internal, never, false},
	kafka.TransactionCoordinatorFenced:       {apierr.Internal, never, false},
	kafka.TransactionalIDAuthorizationFailed: {apierr.Forbidden, never, false},
	kafka.SecurityDisabled:                   {apierr.Internal, never, false},
	kafka.BrokerAuthorizationFailed:          {apierr.Forbidden, never, false},
	kafka.KafkaStorageError:                  {apierr.Unavailable, reads, true},
	kafka.LogDirNotFound:                     {apierr.Internal, never, false},
	kafka.SASLAuthenticationFailed:           {apierr.Unavailable, never, false},
	kafka.UnknownProducerId:                  {apierr.Internal, never, false},
	kafka.ReassignmentInProgress:             {apierr.Conflict, never, false},
	kafka.DelegationTokenAuthDisabled:        {apierr.Internal, never, false},
	kafka.DelegationTokenNotFound:            {apierr.Internal, never, false},
	kafka.DelegationTokenOwnerMismatch:       {apierr.Internal, never, false},
	kafka.DelegationTokenRequestNotAllowed:   {apierr.Internal, never, false},
	kafka.DelegationTokenAuthorizationFailed: {apierr.Forbidden, never, false},
	kafka.DelegationTokenExpired:             {apierr.Internal, never, false},
	kafka.InvalidPrincipalType:               {apierr.Internal, never, false},
	kafka.NonEmptyGroup:                      {apierr.Conflict, never, false},
	kafka.GroupIdNotFound:                    {apierr.NotFound, never, false},
	kafka.FetchSessionIDNotFound:             {apierr.Unavailable, reads, false},
	kafka.InvalidFetchSessionEpoch:           {apierr.Unavailable, reads, false},
	kafka.ListenerNotFound:                   {apierr.Unavailable, every, false},
	kafka.TopicDeletionDisabled:              {apierr.Forbidden, never, false},
	kafka.FencedLeaderEpoch:                  {apierr.Unavailable, every, false},
	kafka.UnknownLeaderEpoch:                 {apierr.Unavailable, every, false},
	kafka.UnsupportedCompressionType:         {apierr.Internal, never, false},
	kafka.StaleBrokerEpoch:                   {apierr.Internal, never, false},
	kafka.OffsetNotAvailable:                 {apierr.Unavailable, pauseReads, false},
	kafka.MemberIDRequired:                   {apierr.Internal, never, false},
	kafka.PreferredLeaderNotAvailable:        {apierr.Internal, never, false},
	kafka.GroupMaxSizeReached:                {apierr.Internal, never, false},
	kafka.FencedInstanceID:                   {apierr.Conflict, never, false},
	kafka.EligibleLeadersNotAvailable:        {apierr.Internal, never, false},
	kafka.ElectionNotNeeded:                  {apierr.Internal, never, false},
	kafka.NoReassignmentInProgress:           {apierr.Internal, never, false},
	kafka.GroupSubscribedToTopic:             {apierr.Conflict, never, false},
	kafka.InvalidRecord:                      {apierr.Invalid, never, false},
	kafka.UnstableOffsetCommit:               {apierr.Unavailable, pauseReads, false},
	kafka.ThrottlingQuotaExceeded:            {apierr.TooManyRequests, never, false},
	kafka.ProducerFenced:                     {apierr.Internal, never, false},
	kafka.ResourceNotFound:                   {apierr.NotFound, never, false},
	kafka.DuplicateResource:                  {apierr.Invalid, never, false},
	kafka.UnacceptableCredential:             {apierr.Internal, never, false},
	kafka.InconsistentVoterSet:               {apierr.Internal, never, false},
	kafka.InvalidUpdateVersion:               {apierr.Internal, never, false},
	kafka.FeatureUpdateFailed:                {apierr.Internal, never, false},
	kafka.PrincipalDeserializationFailure:    {apierr.Internal, never, false},
	kafka.SnapshotNotFound:                   {apierr.Internal, never, false},
	kafka.PositionOutOfRange:                 {apierr.Internal, never, false},
	kafka.UnknownTopicID:                     {apierr.NotFound, notAdmin, false},
	kafka.DuplicateBrokerRegistration:        {apierr.Internal, never, false},
	kafka.BrokerIDNotRegistered:              {apierr.Internal, never, false},
	kafka.InconsistentTopicID:                {apierr.Unavailable, every, false},
	kafka.InconsistentClusterID:              {apierr.Internal, never, false},
	kafka.TransactionalIDNotFound:            {apierr.Internal, never, false},
	kafka.FetchSessionTopicIDError:           {apierr.Unavailable, reads, false},
}

// deviations are the codes where kafkafn's "retryable" differs from franz-go's
// kerr.Retriable or kafka-go's Temporary, and why (the same reasons as classifyKafka's
// comment).
var deviations = map[kafka.Error]string{
	kafka.Unknown:                     "the broker's own unexpected failure, never the caller's; real brokers answer it while starting",
	kafka.UnknownTopicOrPartition:     "retried once after asking a broker directly; what is left is a real 404",
	kafka.UnknownTopicID:              "as UNKNOWN_TOPIC_OR_PARTITION",
	kafka.BrokerNotAvailable:          "kafka-go's transport returns it, before sending, while its layout lacks the broker (restart)",
	kafka.ReplicaNotAvailable:         "transient (kerr); kafka-go's Temporary omits it",
	kafka.UnsupportedSASLMechanism:    "nothing was sent; short-lived SASL credentials may have been renewed late",
	kafka.IllegalSASLState:            "as UNSUPPORTED_SASL_MECHANISM",
	kafka.SASLAuthenticationFailed:    "as UNSUPPORTED_SASL_MECHANISM",
	kafka.PreferredLeaderNotAvailable: "ElectLeaders only, which kafkafn never sends: a bug, which a retry does not fix",
	kafka.EligibleLeadersNotAvailable: "ElectLeaders only",
	kafka.ElectionNotNeeded:           "ElectLeaders only",
	kafka.NoReassignmentInProgress:    "partition reassignment APIs only, which kafkafn never sends",
	kafka.GroupSubscribedToTopic:      "OffsetDelete only; a group with live members is a 409 (kerr agrees)",
}

func TestErrorClassification(t *testing.T) {
	t.Run("every kafka-go error code is listed", func(t *testing.T) {
		for c := -1; c < 2000; c++ {
			ke := kafka.Error(c)
			if _, ok := kafkaCodes[ke]; !ok && ke.Title() != "" {
				t.Errorf("kafka-go defines error code %d (%s) and the classification table does not list it", c, ke.Title())
			}
		}
	})
	for ke, want := range kafkaCodes {
		t.Run(ke.Title(), func(t *testing.T) {
			err := classify("fetch", "t", 0, ke)
			if k := apierr.KindOf(err); k != want.kind {
				t.Errorf("kind %v, want %v (%v)", k, want.kind, err)
			}
			if (want.kind == apierr.Timeout) != ke.Timeout() {
				t.Errorf("kind %v, but kafka-go's Timeout() is %v", want.kind, ke.Timeout())
			}
			if !errors.Is(err, ke) {
				t.Errorf("the classified error does not wrap the code")
			}
			checkOutcome(t, ke, want.unknown, want.retry)
			ours := want.kind.Retryable()
			kerrRetriable := kerr.ErrorForCode(int16(ke)) != nil && kerr.IsRetriable(kerr.ErrorForCode(int16(ke)))
			why, listed := deviations[ke]
			differs := ours != kerrRetriable || ours != ke.Temporary()
			switch {
			case differs && !listed:
				t.Errorf("retryable %v, franz-go kerr %v, kafka-go Temporary %v: list the reason in deviations", ours, kerrRetriable, ke.Temporary())
			case !differs && listed:
				t.Errorf("listed as a deviation (%s) but agrees with both libraries", why)
			}
		})
	}

	// Network errors, produced for real on loopback where the operating system can.
	refused := func(t *testing.T) error {
		ln := listen(t, nil)
		addr := ln.Addr().String()
		ln.Close()
		_, err := net.Dial("tcp", addr)
		return err
	}
	reset := func(t *testing.T) error {
		ln := listen(t, func(c net.Conn) {
			_, _ = c.Read(make([]byte, 1)) // the request went out
			_ = c.(*net.TCPConn).SetLinger(0)
		})
		c := dial(t, ln)
		if _, err := c.Write([]byte{0}); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := c.Read(make([]byte, 1))
		return err
	}
	readTimeout := func(t *testing.T) error {
		c := dial(t, listen(t, nil))
		_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		return err
	}
	dialDeadline := func(*testing.T) error {
		ctx, cancel := context.WithTimeout(context.Background(), -time.Second)
		defer cancel()
		_, err := (&net.Dialer{}).DialContext(ctx, "tcp", "127.0.0.1:9")
		return err
	}
	tlsUntrusted := func(*testing.T) error {
		srv := httptest.NewTLSServer(nil)
		defer srv.Close()
		c, err := tls.Dial("tcp", srv.Listener.Addr().String(), &tls.Config{ServerName: "example.com"})
		if err == nil {
			c.Close()
		}
		return err
	}
	tlsToPlain := func(t *testing.T) error {
		ln := listen(t, func(c net.Conn) { _, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")) })
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{ServerName: "kafka"})
		if err == nil {
			c.Close()
		}
		return err
	}
	network := []struct {
		name    string
		err     func(t *testing.T) error
		kind    apierr.Kind
		code    string
		retry   modes
		unknown bool
	}{
		{"EOF: the broker closed the connection", func(*testing.T) error { return io.EOF }, apierr.Unavailable, "kafka_unavailable", notAdmin, true},
		{"unexpected EOF mid-response", func(*testing.T) error { return io.ErrUnexpectedEOF }, apierr.Unavailable, "kafka_unavailable", notAdmin, true},
		{"ECONNREFUSED: nothing listens", refused, apierr.Unavailable, "kafka_unavailable", every, false},
		{"ECONNRESET on read", reset, apierr.Unavailable, "kafka_unavailable", notAdmin, true},
		{"a connection closed by this process", func(*testing.T) error { return net.ErrClosed }, apierr.Unavailable, "kafka_unavailable", notAdmin, true},
		{"a dial cut short by the deadline", dialDeadline, apierr.Timeout, "kafka_timeout", every, false},
		{"a dial timeout", func(*testing.T) error {
			return &net.OpError{Op: "dial", Net: "tcp", Err: &timeoutError{}}
		}, apierr.Timeout, "kafka_timeout", every, false},
		{"a DNS failure", func(*testing.T) error {
			return &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "kafka.invalid", IsNotFound: true}}
		}, apierr.Unavailable, "kafka_unavailable", every, false},
		{"a TLS certificate from an unknown authority", tlsUntrusted, apierr.Unavailable, "kafka_tls_failed", never, false},
		{"TLS to a listener that does not speak TLS", tlsToPlain, apierr.Unavailable, "kafka_tls_failed", never, false},
		{"a read timeout on an open connection", readTimeout, apierr.Timeout, "kafka_timeout", never, true},
		{"the request deadline", func(*testing.T) error { return context.DeadlineExceeded }, apierr.Timeout, "kafka_timeout", never, true},
		{"kafka-go: topic not in its metadata", func(*testing.T) error { return protocol.ErrNoTopic }, apierr.NotFound, "unknown_topic", every, false},
		{"kafka-go: partition without a leader", func(*testing.T) error { return protocol.ErrNoLeader }, apierr.Unavailable, "kafka_unavailable", every, false},
		{"anything else", func(*testing.T) error { return errors.New("surprise") }, apierr.Internal, "kafka_error", never, false},
	}
	for _, tc := range network {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.err(t)
			if raw == nil {
				t.Fatal("the fault produced no error")
			}
			err := classify("fetch", "t", 0, raw)
			if k, c := apierr.KindOf(err), apierr.CodeOf(err); k != tc.kind || c != tc.code {
				t.Fatalf("%v (%T): kind %v code %s, want %v %s", raw, raw, k, c, tc.kind, tc.code)
			}
			checkOutcome(t, raw, tc.unknown, tc.retry)
		})
	}
}

// checkOutcome checks what classify says of raw beyond its kind: a failed read never speaks
// of an outcome, a failed produce says its outcome is unknown exactly when unknown, and
// retryOf answers retry for the idempotent, produce and admin calls.
func checkOutcome(t *testing.T, raw error, unknown bool, retry modes) {
	t.Helper()
	if m := apierr.MessageOf(classify("fetch", "t", 0, raw)); strings.Contains(m, "outcome") {
		t.Errorf("a failed read says %q", m)
	}
	if m := apierr.MessageOf(classify("produce", "t", 0, raw)); strings.Contains(m, "outcome is unknown") != unknown {
		t.Errorf("a failed produce says %q; want unknown outcome %v", m, unknown)
	}
	for i, call := range []callKind{idempotentCall, produceCall, adminCall} {
		if got := retryOf(raw, call); got != retry[i] {
			t.Errorf("retryOf(call %d) = %d, want %d", call, got, retry[i])
		}
	}
}

// listen listens on a free loopback port until the test ends; serve, when not nil, is given
// the first connection, which is closed after it.
func listen(t *testing.T, serve func(net.Conn)) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if serve != nil {
		go func() {
			if c, err := ln.Accept(); err == nil {
				serve(c)
				c.Close()
			}
		}()
	}
	return ln
}

// dial connects to ln; the connection is closed when the test ends.
func dial(t *testing.T, ln net.Listener) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type timeoutError struct{}

func (*timeoutError) Error() string   { return "i/o timeout" }
func (*timeoutError) Timeout() bool   { return true }
func (*timeoutError) Temporary() bool { return true }
