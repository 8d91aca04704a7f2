package produce

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// results turns the broker's outcomes into the answer's records.
func results(produced []broker.Produced) []RecordResult {
	out := make([]RecordResult, len(produced))
	offsets := make([]int64, len(produced)) // one allocation for every Offset pointer
	for i, p := range produced {
		out[i] = RecordResult{Partition: p.Partition, Timestamp: p.Time.UnixMilli()}
		if p.Acknowledged() {
			offsets[i] = p.Offset
			out[i].Offset = &offsets[i]
		} else if p.Err != nil {
			out[i].Error = apierr.CodeOf(p.Err)
		}
	}
	return out
}

// produceAnswer is the 200 answer of a produce that Kafka acknowledged whole: a
// ProduceResponse, written by hand (appendAnswer) rather than by reflection.
type produceAnswer []broker.Produced

// answerPool keeps answer buffers between requests; see putAnswer.
var answerPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledAnswer bounds the buffers kept: the answer to PRODUCE_MAX_RECORDS records is a few
// tens of KB; a larger one is left to the collector rather than pinned.
const maxPooledAnswer = 256 << 10

// WriteResponse implements httpio.Response.
func (a produceAnswer) WriteResponse(w http.ResponseWriter, r *http.Request) {
	for i := range a {
		if !a[i].Acknowledged() { // not a whole success (never so when Produce returns nil)
			httpio.WriteJSON(w, http.StatusOK, ProduceResponse{Records: results(a)})
			return
		}
	}
	bp := answerPool.Get().(*[]byte)
	buf := appendAnswer((*bp)[:0], a)
	httpio.WriteRawJSON(w, http.StatusOK, buf) // the writer has copied or sent buf on return
	if cap(buf) <= maxPooledAnswer {
		*bp = buf[:0]
		answerPool.Put(bp)
	}
}

// appendAnswer appends the JSON of ProduceResponse for produced, every record acknowledged,
// exactly as httpio.WriteJSON writes it (encoding/json, then a newline):
// {"records":[{"partition":0,"offset":5,"timestamp":1700000000000},…]}.
func appendAnswer(dst []byte, produced []broker.Produced) []byte {
	dst = append(dst, `{"records":[`...)
	for i := range produced {
		p := &produced[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendInt(append(dst, `{"partition":`...), int64(p.Partition), 10)
		dst = strconv.AppendInt(append(dst, `,"offset":`...), p.Offset, 10)
		dst = strconv.AppendInt(append(dst, `,"timestamp":`...), p.Time.UnixMilli(), 10)
		dst = append(dst, '}')
	}
	return append(dst, "]}\n"...)
}
