package consumewindow

import (
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/internal/jsontest"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// In package consumewindow: the fuzz target drives decodeCommitToken.

// FuzzCommitBody decodes any commit body as the commit route does (httpio.Unmarshal, then the
// token): never a panic, every refusal Invalid, and no body accepted that breaks the text
// rules, so that a repeated token never commits the last one given.
func FuzzCommitBody(f *testing.F) {
	now := time.UnixMilli(1_800_000_000_000)
	tok := (&commitToken{V: 1, Group: "g", Topic: "events", Issued: now.UnixMilli(),
		Partitions: []commitTokenOffset{{Partition: 0, Committed: -1, Next: 3}}}).encode(nil)
	for _, s := range []string{
		`{"token":"` + tok + `"}`, `{"token":"x","token":"` + tok + `"}`, `{"token":"x","Token":"` + tok + `"}`,
		"{\"token\":\"" + tok + "\xff\"}", `{"token":"` + tok + `\ud800"}`, `{"token":1}`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req CommitRequest
		err := httpio.Unmarshal(body, &req)
		if err == nil {
			_, err = decodeCommitToken(req.CommitToken, nil, time.Hour, now)
		}
		jsontest.Accepted(t, body, err)
	})
}
