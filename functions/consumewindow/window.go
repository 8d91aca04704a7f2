package consumewindow

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// defaultWindowCount is the count of a window request that names none.
const defaultWindowCount = 100

// WindowResponse is the body of a time-window answer.
type WindowResponse struct {
	Records []ConsumeRecord `json:"records"`
	// Cursor continues the window where this answer stopped; pass it back as ?cursor=.
	Cursor string `json:"cursor"`
	// Done is true when the window is complete: its end lies in the past and every
	// partition has been read up to it. While Done is false, asking again with Cursor
	// returns the next records (possibly none yet, for a window that ends in the future).
	Done bool `json:"done"`
	// Gaps lists offsets the cursor pointed at that were deleted (retention) before they
	// could be read.
	Gaps []Gap `json:"gaps,omitempty"`
}

// Gap is a run of offsets [from, to) of one partition that was deleted before it was read.
type Gap struct {
	Partition int   `json:"partition"`
	From      int64 `json:"from"`
	To        int64 `json:"to"`
}

type byTime struct{ Deps }

func (h *byTime) serve(r *httpio.Request) (httpio.Response, error) {
	topic := r.Topic
	count, forceBase64, err := windowQuery(r.Request, h.Limits.ConsumeMaxCount)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	cur, err := windowParams(r.Request, topic, now)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()

	parts, err := h.Broker.Partitions(ctx, topic)
	if err != nil {
		return nil, err
	}
	if cur.Partition != nil {
		var one []broker.PartitionInfo
		for _, p := range parts {
			if p.ID == *cur.Partition {
				one = append(one, p)
			}
		}
		if len(one) == 0 {
			return nil, apierr.E(apierr.NotFound, "unknown_partition",
				"topic "+strconv.Quote(topic)+" has no partition "+strconv.Itoa(*cur.Partition)+" (it has "+strconv.Itoa(len(parts))+")")
		}
		parts = one
	}
	ids := make([]int, len(parts))
	for i, p := range parts {
		ids[i] = p.ID
	}
	from, to := time.UnixMilli(cur.From), time.UnixMilli(cur.To)
	ends, err := h.Broker.OffsetsForTimes(ctx, topic, ids, to)
	if err != nil {
		return nil, err
	}
	var starts map[int]int64
	var unstarted []int
	for _, id := range ids {
		if _, ok := cur.Next[strconv.Itoa(id)]; !ok {
			unstarted = append(unstarted, id)
		}
	}
	if len(unstarted) > 0 {
		if starts, err = h.Broker.OffsetsForTimes(ctx, topic, unstarted, from); err != nil {
			return nil, err
		}
	}
	out := WindowResponse{Records: []ConsumeRecord{}}
	spans := make([]span, 0, len(parts))
	for _, p := range parts {
		next, ok := cur.Next[strconv.Itoa(p.ID)]
		if !ok {
			next = starts[p.ID]
		}
		switch {
		case next > p.Latest:
			return nil, invalidCursor("offset " + strconv.FormatInt(next, 10) + " is beyond the end of partition " + strconv.Itoa(p.ID) + " (was the topic re-created?)")
		case next < p.Earliest:
			out.Gaps = append(out.Gaps, Gap{Partition: p.ID, From: next, To: p.Earliest})
			next = p.Earliest
		}
		spans = append(spans, span{partition: p.ID, next: next, end: max(ends[p.ID], next)})
	}
	for k := range cur.Next {
		if id, _ := strconv.Atoi(k); !containsInt(ids, id) {
			return nil, invalidCursor("it names partition " + k + ", which the topic does not have")
		}
	}
	fromMs, toMs := cur.From, cur.To
	keep := func(m *broker.Message) bool {
		ms := m.Time.UnixMilli()
		return ms >= fromMs && ms < toMs
	}
	start := time.Now()
	res, err := readMerged(ctx, h.Broker, topic, spans, int(count), h.Limits.ConsumeMaxBytes, keep, httpio.ResponseHold(r.Request))
	if err != nil {
		return nil, err
	}
	noteConsumed(r.Request, res.messages, start)
	cur.Next = make(map[string]int64, len(res.next))
	for p, off := range res.next {
		cur.Next[strconv.Itoa(p)] = off
	}
	out.Cursor = cur.encode()
	out.Done = res.done && cur.To <= now.UnixMilli()
	// The records are streamed (encode.go); the rest is what encoding/json writes for
	// WindowResponse.
	return stream{write: func(wr io.Writer) error {
		return writeRecords(wr, `{"records":`, topic, res.messages, forceBase64, out.appendTail)
	}}, nil
}

// appendTail appends what follows the records in encoding/json's WindowResponse.
func (out *WindowResponse) appendTail(b []byte) []byte {
	b = append(b, `,"cursor":`...)
	b = appendString(b, out.Cursor)
	b = strconv.AppendBool(append(b, `,"done":`...), out.Done)
	if len(out.Gaps) > 0 {
		b = append(b, `,"gaps":[`...)
		for i, g := range out.Gaps {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(append(b, `{"partition":`...), int64(g.Partition), 10)
			b = strconv.AppendInt(append(b, `,"from":`...), g.From, 10)
			b = strconv.AppendInt(append(b, `,"to":`...), g.To, 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, "}\n"...)
}

// windowParams reads the window from the query: from, to and partition, or a cursor (with
// which from, to and partition may be repeated but must agree).
func windowParams(r *http.Request, topic string, now time.Time) (*cursor, error) {
	q := r.URL.Query()
	var part *int
	if q.Has("partition") {
		p, err := httpio.QueryInt(r, "partition", 0, 0, broker.MaxPartitionID)
		if err != nil {
			return nil, err
		}
		pi := int(p)
		part = &pi
	}
	var from, to int64 = -1, -1
	var err error
	if q.Has("from") {
		if from, err = parseTime("from", q.Get("from")); err != nil {
			return nil, err
		}
	}
	if q.Has("to") {
		if to, err = parseTime("to", q.Get("to")); err != nil {
			return nil, err
		}
	}
	if q.Has("cursor") {
		c, err := decodeCursor(q.Get("cursor"))
		if err != nil {
			return nil, err
		}
		switch {
		case c.Topic != topic:
			return nil, invalidCursor("it belongs to another topic")
		case from >= 0 && from != c.From, to >= 0 && to != c.To:
			return nil, invalidCursor("from and to must match the cursor's window (or be left out)")
		case part != nil && (c.Partition == nil || *c.Partition != *part):
			return nil, invalidCursor("partition must match the cursor's (or be left out)")
		}
		return c, nil
	}
	if from < 0 {
		return nil, apierr.E(apierr.Invalid, "invalid_from", "query parameter from is required (RFC 3339 time or epoch milliseconds), unless cursor is given")
	}
	if to < 0 {
		to = now.UnixMilli() // "until now", fixed in the cursor
	}
	if to <= from {
		return nil, apierr.E(apierr.Invalid, "invalid_window", "query parameter to must be later than from (the window is [from, to))")
	}
	return &cursor{V: cursorVersion, Topic: topic, From: from, To: to, Partition: part, Next: map[string]int64{}}, nil
}

// parseTime reads an RFC 3339 time or epoch milliseconds, as unix milliseconds.
func parseTime(name, v string) (int64, error) {
	bad := func() error {
		return apierr.E(apierr.Invalid, "invalid_"+name, "query parameter "+name+
			" must be an RFC 3339 time (2026-11-22T10:00:00Z) or epoch milliseconds, got "+strconv.Quote(apierr.Clip(v, 40)))
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, bad()
	}
	if v[0] >= '0' && v[0] <= '9' && !strings.ContainsAny(v, "-:T") {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms > maxTimeMillis {
			return 0, bad()
		}
		return ms, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil || t.Before(time.UnixMilli(0)) || t.UnixMilli() > maxTimeMillis {
		return 0, bad()
	}
	return t.UnixMilli(), nil
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// windowQuery parses the count (default defaultWindowCount, at most maxCount) and encoding
// parameters that the time and group windows share.
func windowQuery(r *http.Request, maxCount int) (count int64, forceBase64 bool, err error) {
	count, err = httpio.QueryInt(r, "count", min(defaultWindowCount, int64(maxCount)), 1, int64(maxCount))
	if err != nil {
		return 0, false, err
	}
	forceBase64, err = httpio.Base64Param(r)
	return count, forceBase64, err
}
