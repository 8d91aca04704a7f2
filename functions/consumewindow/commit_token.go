package consumewindow

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
)

// commitTokenVersion is the only commit-token layout this code reads and writes.
const commitTokenVersion = 1

// commitTokenPrefix starts every commit token.
const commitTokenPrefix = "ct1."

// maxCommitTokenLen bounds an encoded commit token.
const maxCommitTokenLen = 64 << 10

// commitTokenClockSkew is how far in the future a commit token's issue time may lie:
// instances of one deployment share the secret (or none) but not a clock.
const commitTokenClockSkew = time.Minute

// commitToken says what a group window delivered: for each partition whose position it
// moves, the committed offset it read from (broker.NoCommit for none) and the offset after
// the last record delivered. It travels as "ct1." + base64url(JSON) + "." + base64url(MAC),
// the MAC (HMAC-SHA256 over the first two parts) present when CONSUME_TOKEN_SECRET is set.
type commitToken struct {
	V          int                 `json:"v"`
	Group      string              `json:"group"`
	Topic      string              `json:"topic"`
	Issued     int64               `json:"iat"` // unix ms
	Partitions []commitTokenOffset `json:"partitions"`
}

type commitTokenOffset struct {
	Partition int   `json:"p"`
	Committed int64 `json:"c"` // what the group had committed when the window was read; -1: none
	Next      int64 `json:"n"` // what the commit stores
}

func (t *commitToken) encode(secret []byte) string {
	b, err := json.Marshal(t)
	if err != nil {
		panic("consumewindow: encode commit token: " + err.Error()) // plain data: cannot fail
	}
	body := commitTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return body + "." + base64.RawURLEncoding.EncodeToString(commitTokenMAC(secret, body))
}

func commitTokenMAC(secret []byte, body string) []byte {
	if len(secret) == 0 {
		return nil
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(body))
	return m.Sum(nil)
}

func invalidCommitToken(why string) error {
	return apierr.E(apierr.Invalid, "invalid_token", "invalid commit token: "+why)
}

// decodeCommitToken parses and validates a commit token strictly. With a secret, the MAC must be
// present and match; commit tokens older than ttl are refused.
func decodeCommitToken(s string, secret []byte, ttl time.Duration, now time.Time) (*commitToken, error) {
	if len(s) > maxCommitTokenLen {
		return nil, invalidCommitToken("it is too long")
	}
	if !strings.HasPrefix(s, commitTokenPrefix) {
		return nil, invalidCommitToken("it is not a commit token this service issued")
	}
	dot := strings.LastIndexByte(s, '.')
	if dot < len(commitTokenPrefix) {
		return nil, invalidCommitToken("it is not a commit token this service issued")
	}
	body, macText := s[:dot], s[dot+1:]
	mac, err := base64.RawURLEncoding.Strict().DecodeString(macText)
	if err != nil {
		return nil, invalidCommitToken("bad signature encoding")
	}
	if len(secret) > 0 && !hmac.Equal(mac, commitTokenMAC(secret, body)) {
		return nil, invalidCommitToken("the signature does not match (altered, or issued with another CONSUME_TOKEN_SECRET)")
	}
	if len(secret) == 0 && len(mac) != 0 {
		return nil, invalidCommitToken("it is signed but this service has no CONSUME_TOKEN_SECRET")
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(body[len(commitTokenPrefix):])
	if err != nil {
		return nil, invalidCommitToken("it is not unpadded base64url")
	}
	var t commitToken
	if trailing, err := decodeIssued(raw, &t); trailing {
		return nil, invalidCommitToken("trailing data")
	} else if err != nil {
		return nil, invalidCommitToken("it is not a commit token this service issued")
	}
	switch {
	case t.V != commitTokenVersion:
		return nil, invalidCommitToken("unknown version")
	case broker.ValidateGroupID(t.Group) != nil:
		return nil, invalidCommitToken("bad group")
	case broker.ValidateTopicName(t.Topic) != nil:
		return nil, invalidCommitToken("bad topic")
	case t.Issued <= 0 || t.Issued > maxTimeMillis:
		return nil, invalidCommitToken("bad issue time")
	case time.UnixMilli(t.Issued).After(now.Add(commitTokenClockSkew)):
		// Without a secret the issue time is whatever the caller wrote; a future one would
		// stretch CONSUME_TOKEN_TTL at will.
		return nil, invalidCommitToken("it was issued in the future")
	case now.Sub(time.UnixMilli(t.Issued)) > ttl:
		return nil, apierr.E(apierr.Invalid, "token_expired", "the commit token has expired (CONSUME_TOKEN_TTL); read the window again")
	case len(t.Partitions) > 100000:
		return nil, invalidCommitToken("too many partitions")
	}
	seen := make(map[int]bool, len(t.Partitions))
	for _, p := range t.Partitions {
		switch {
		case p.Partition < 0 || p.Partition > broker.MaxPartitionID || seen[p.Partition]:
			return nil, invalidCommitToken("bad or repeated partition")
		case p.Committed < broker.NoCommit || p.Next < 0:
			return nil, invalidCommitToken("bad offset")
		case p.Committed >= 0 && p.Next < p.Committed:
			return nil, invalidCommitToken("it would move a committed offset backwards")
		}
		seen[p.Partition] = true
	}
	return &t, nil
}

// checkCommitTokenRange refuses a token that would commit an offset past the end of its
// partition. A commit token this service issued never does, but an unsigned one (no
// CONSUME_TOKEN_SECRET) can be edited by hand, and a topic deleted and re-created since the
// window was read has shorter logs: either would park the group past the end, where it
// reads nothing and reports lag 0 while new records arrive. Nothing is committed.
func checkCommitTokenRange(ctx context.Context, b *broker.Client, t *commitToken) error {
	ids := make([]int, len(t.Partitions))
	for i, p := range t.Partitions {
		ids[i] = p.Partition
	}
	ends, err := b.Offsets(ctx, t.Topic, ids)
	if err != nil {
		return err
	}
	for _, p := range t.Partitions {
		if end := ends[p.Partition].Latest; p.Next > end {
			return apierr.E(apierr.Conflict, "offset_past_end", fmt.Sprintf(
				"the commit token would commit offset %d on partition %d of topic %q, past its end (%d); nothing was committed (read the window again)",
				p.Next, p.Partition, t.Topic, end))
		}
	}
	return nil
}
