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

func (h *byOffset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	topic := r.PathValue("topic")
	if err := broker.ValidateTopicName(topic); err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	partition, err := httpio.PathInt(r, "partition", 0, 1<<31-1)
	if err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	offset, err := httpio.PathInt(r, "offset", 0, 1<<63-1)
	if err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	count, err := httpio.QueryInt(r, "count", 1, 1, int64(h.Limits.ConsumeMaxCount))
	if err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	forceBase64, err := httpio.Base64Param(r)
	if err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	ctx, cancel := httpio.RequestContext(r, h.Limits.RequestTimeout, h.Limits.DeadlineMargin)
	defer cancel()
	start := time.Now()
	// The window's record data is reserved from the response budget as it is fetched and
	// stays reserved until the answer is written (httpio.Serve gives it back).
	win, err := h.Broker.FetchBudget(ctx, topic, int(partition), offset, int(count), h.Limits.ConsumeMaxBytes, httpio.ResponseHold(r))
	if err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	noteConsumed(r, win.Messages, start)
	w.Header().Set(NextOffsetHeader, strconv.FormatInt(win.Next, 10))
	if win.HighWatermark >= 0 {
		w.Header().Set("X-Kafka-High-Watermark", strconv.FormatInt(win.HighWatermark, 10))
	}
	streamJSON(w, r, func(wr io.Writer) error {
		return writeRecords(wr, `{"records":`, topic, win.Messages, forceBase64, func(b []byte) []byte { return append(b, "}\n"...) })
	})
}

// streamJSON answers 200 with the JSON that write streams. A failure to write (the caller
// went away) goes to the request's log line; the status is already sent.
func streamJSON(w http.ResponseWriter, r *http.Request, write func(io.Writer) error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if err := write(w); err != nil {
		httpio.NoteError(r, err)
	}
}
