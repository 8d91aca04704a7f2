package consumewindow

import (
	"net/http"
	"strconv"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
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
	forceBase64, err := encodingParam(r)
	if err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	ctx, cancel := httpio.RequestContext(r, h.Limits.RequestTimeout, h.Limits.DeadlineMargin)
	defer cancel()
	start := time.Now()
	win, err := h.Broker.Fetch(ctx, topic, int(partition), offset, int(count), h.Limits.ConsumeMaxBytes)
	if err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	noteConsumed(r, win.Messages, start)
	out := ConsumeResponse{Records: make([]ConsumeRecord, len(win.Messages))}
	size := 32 // the JSON around and per record is small next to the data
	for i := range win.Messages {
		out.Records[i] = ToRecord(topic, &win.Messages[i], forceBase64)
		size += 160 + 2*int(win.Messages[i].Size())
	}
	w.Header().Set(NextOffsetHeader, strconv.FormatInt(win.Next, 10))
	if win.HighWatermark >= 0 {
		w.Header().Set("X-Kafka-High-Watermark", strconv.FormatInt(win.HighWatermark, 10))
	}
	httpio.WriteRawJSON(w, http.StatusOK, appendResponse(make([]byte, 0, size), out.Records))
}

func encodingParam(r *http.Request) (bool, error) {
	switch r.URL.Query().Get("encoding") {
	case "", "json":
		return false, nil
	case "base64":
		return true, nil
	default:
		return false, apierr.E(apierr.Invalid, "invalid_encoding", `query parameter encoding must be "json" or "base64"`)
	}
}
