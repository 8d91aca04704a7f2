package consumewindow

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// NextOffsetHeader names the response header holding the offset to ask for next.
const NextOffsetHeader = "NextOffset"

type byOffset struct{ Deps }

func (h *byOffset) serve(r *httpio.Request) (httpio.Response, error) {
	topic := r.Topic
	partition, err := httpio.PathInt(r.Request, "partition", 0, broker.MaxPartitionID)
	if err != nil {
		return nil, err
	}
	offset, err := httpio.PathInt(r.Request, "offset", 0, 1<<63-1)
	if err != nil {
		return nil, err
	}
	count, err := httpio.QueryInt(r.Request, "count", 1, 1, int64(h.Limits.ConsumeMaxCount))
	if err != nil {
		return nil, err
	}
	forceBase64, err := httpio.Base64Param(r.Request)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	// The answer is encoded as the window is fetched (heldAnswer), and its room is reserved
	// from the response budget as it grows; it stays reserved until the answer is written
	// (httpio.Serve gives it back).
	hold := httpio.ResponseHold(r.Request)
	ans := newHeldAnswer(`{"records":`, topic, forceBase64, hold)
	ctx := r.Context()
	win, err := h.Broker.FetchEach(ctx, topic, int(partition), offset, int(count), h.Limits.ConsumeMaxBytes, hold,
		func(m *broker.Message) bool { return ans.add(ctx, m) })
	if err != nil {
		ans.release()
		return nil, err
	}
	httpio.NoteConsumed(r.Request, ans.records, int(ans.data), time.Since(start))
	length := ans.finish(func(b []byte) []byte { return append(b, "}\n"...) })
	return stream{
		header: func(h http.Header) {
			// The answer is whole: its length is known, so it goes out without chunked
			// framing.
			h.Set("Content-Length", strconv.Itoa(length))
			h.Set(NextOffsetHeader, strconv.FormatInt(win.Next, 10))
			if win.HighWatermark >= 0 {
				h.Set("X-Kafka-High-Watermark", strconv.FormatInt(win.HighWatermark, 10))
			}
		},
		write: func(wr io.Writer) error {
			return ans.writeTo(wr)
		},
	}, nil
}

// stream is a 200 answer whose JSON write streams (encode.go), after header (nil: none)
// has set its headers. A failure to write (the caller went away) goes to the request's log
// line; the status is already sent.
type stream struct {
	header func(http.Header)
	write  func(io.Writer) error
}

// WriteResponse implements httpio.Response.
func (s stream) WriteResponse(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if s.header != nil {
		s.header(h)
	}
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if err := s.write(w); err != nil {
		httpio.NoteError(r, err)
	}
}
