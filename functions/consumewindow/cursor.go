package consumewindow

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// cursorVersion is the only cursor layout this code reads and writes.
const cursorVersion = 1

// maxCursorLen bounds an encoded cursor (a few thousand partitions).
const maxCursorLen = 64 << 10

// maxTimeMillis is 9999-12-31T23:59:59.999Z: times beyond it are refused.
const maxTimeMillis = 253402300799999

// cursor is a time window's position: the window itself and, per partition, the offset to
// read next. It travels as unpadded base64url JSON; encoding the same position twice gives
// the same string (map keys are sorted).
type cursor struct {
	V         int              `json:"v"`
	Topic     string           `json:"topic"`
	From      int64            `json:"from"` // unix ms, inclusive
	To        int64            `json:"to"`   // unix ms, exclusive
	Partition *int             `json:"partition,omitempty"`
	Next      map[string]int64 `json:"next"`
}

func (c *cursor) encode() string {
	b, err := json.Marshal(c)
	if err != nil {
		panic("consumewindow: encode cursor: " + err.Error()) // plain data: cannot fail
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func invalidCursor(why string) error {
	return apierr.E(apierr.Invalid, "invalid_cursor", "invalid cursor: "+why)
}

// decodeCursor parses and validates a cursor strictly: unknown fields, trailing data, bad
// offsets, partitions or times are Invalid.
func decodeCursor(s string) (*cursor, error) {
	if len(s) > maxCursorLen {
		return nil, invalidCursor("it is too long")
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, invalidCursor("it is not unpadded base64url")
	}
	var c cursor
	if trailing, err := decodeIssued(raw, &c); trailing {
		return nil, invalidCursor("trailing data")
	} else if err != nil {
		return nil, invalidCursor("it is not a cursor this service issued")
	}
	if c.V != cursorVersion {
		return nil, invalidCursor("unknown version")
	}
	if err := broker.ValidateTopicName(c.Topic); err != nil {
		return nil, invalidCursor("bad topic")
	}
	if c.From < 0 || c.To > maxTimeMillis || c.From >= c.To {
		return nil, invalidCursor("bad time range")
	}
	if c.Partition != nil && (*c.Partition < 0 || *c.Partition > broker.MaxPartitionID) {
		return nil, invalidCursor("bad partition")
	}
	if c.Next == nil {
		return nil, invalidCursor("no offsets")
	}
	for k, off := range c.Next {
		p, err := strconv.Atoi(k)
		if err != nil || p < 0 || p > broker.MaxPartitionID || strconv.Itoa(p) != k {
			return nil, invalidCursor(fmt.Sprintf("bad partition %.16q", k))
		}
		if c.Partition != nil && p != *c.Partition {
			return nil, invalidCursor("offsets for a partition outside the window")
		}
		if off < 0 {
			return nil, invalidCursor("negative offset")
		}
	}
	return &c, nil
}

// decodeIssued decodes the JSON of a cursor or commit token this service issued into v
// strictly: valid UTF-8 text without repeated names (httpio.CheckJSONText), no unknown
// fields, and nothing after the value (trailing is then true). The error says nothing the
// caller shows: both answer with their own "not issued by this service" message.
func decodeIssued(raw []byte, v any) (trailing bool, err error) {
	if err := httpio.CheckJSONText(raw, "", ""); err != nil {
		return false, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return false, err
	}
	if _, err := dec.Token(); err != io.EOF { // dec.More() would accept a stray "}" or "]"
		return true, errors.New("trailing data")
	}
	return false, nil
}
