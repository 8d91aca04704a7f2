package consumewindow

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kafkafn/kafkafn/internal/jsontest"
)

// In package consumewindow: the fuzz targets drive the unexported decoders of outside
// input (decodeCursor, decodeCommitToken, parseTime, decodePullPayload).

// textRules fails unless the base64url JSON that a decoder accepted keeps the text rules.
func textRules(t *testing.T, b64 string) {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("accepted %q, which is not base64url: %v", b64, err)
	}
	if err := jsontest.TextRules(raw); err != nil {
		t.Fatalf("accepted %q, which breaks the text rules: %v", raw, err)
	}
}

func FuzzDecodeCursor(f *testing.F) {
	p := 2
	for _, c := range []*cursor{
		{V: 1, Topic: "events", From: 0, To: 1000, Next: map[string]int64{}},
		{V: 1, Topic: "events", From: 5, To: 10, Partition: &p, Next: map[string]int64{"2": 7}},
		{V: 1, Topic: "a.b-c_d", From: 1, To: maxTimeMillis, Next: map[string]int64{"0": 1, "1": 0, "10": 99}},
	} {
		f.Add(c.encode())
	}
	f.Add("")
	f.Add("eyJ2IjoxfQ")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			return
		}
		textRules(t, s)
		again, err := decodeCursor(c.encode())
		if err != nil {
			t.Fatalf("a valid cursor does not survive re-encoding: %v", err)
		}
		if !reflect.DeepEqual(c, again) {
			t.Fatalf("re-encoding changed the cursor: %+v vs %+v", c, again)
		}
	})
}

func FuzzDecodeCommitToken(f *testing.F) {
	secret := []byte("0123456789abcdef")
	now := time.UnixMilli(1_800_000_000_000)
	tok := &commitToken{V: 1, Group: "g", Topic: "events", Issued: now.UnixMilli(),
		Partitions: []commitTokenOffset{{Partition: 0, Committed: -1, Next: 3}, {Partition: 1, Committed: 4, Next: 9}}}
	f.Add(tok.encode(secret), true)
	f.Add(tok.encode(nil), false)
	f.Add("ct1..", false)
	f.Add("ct1.e30.", false)
	f.Fuzz(func(t *testing.T, s string, signed bool) {
		key := secret
		if !signed {
			key = nil
		}
		got, err := decodeCommitToken(s, key, time.Hour, now)
		if err != nil {
			return
		}
		if i := strings.LastIndexByte(s, '.'); i > len(commitTokenPrefix) {
			textRules(t, s[len(commitTokenPrefix):i])
		}
		for _, p := range got.Partitions {
			if p.Next < 0 || (p.Committed >= 0 && p.Next < p.Committed) {
				t.Fatalf("accepted a token that moves offsets backwards: %+v", p)
			}
		}
		again, err := decodeCommitToken(got.encode(key), key, time.Hour, now)
		if err != nil || !reflect.DeepEqual(got, again) {
			t.Fatalf("a valid token does not survive re-encoding: %v", err)
		}
	})
}

func FuzzDecodePullPayload(f *testing.F) {
	for _, s := range []string{``, `null`, `{}`, `{"topic":"orders"}`, `{"topic":"orders","group":"billing"}`, `{"topic":1}`, `[]`, `"x"`, `{"topic":"a"} {}`, `{"other":1}`} {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"topic":"a","topic":"b"}`))
	f.Add([]byte("{\"group\":\"g\xff\"}"))
	f.Add([]byte(`{"topic":"\ud800"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePullPayload(b)
		if err != nil {
			return
		}
		if tb := bytes.Trim(b, " \t\r\n"); len(tb) == 0 || string(tb) == "null" {
			return
		}
		if err := jsontest.TextRules(b); err != nil {
			t.Fatalf("accepted a payload that breaks the text rules (%v): %q", err, b)
		}
		var want PullPayload
		if err := json.Unmarshal(b, &want); err != nil || want != p {
			t.Fatalf("decoded %+v, encoding/json %+v (%v)", p, want, err)
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"0", "1763805600000", "2026-11-22T10:00:00Z", "2026-11-22T10:00:00.5+02:00", "", "-1", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := parseTime("from", s)
		if err == nil && (ms < 0 || ms > maxTimeMillis) {
			t.Fatalf("%q parsed to %d, outside [0, %d]", s, ms, maxTimeMillis)
		}
	})
}
