package produce

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// ProduceRequest is the HDInsight produce body, extended with headers and timestamps.
type ProduceRequest struct {
	Records []ProducerRecord `json:"records"`
}

// ProducerRecord is one record of a ProduceRequest. Value is required and may be any JSON: a
// JSON string is stored as its UTF-8 text, JSON null as a null value (a tombstone), anything
// else as its compact JSON text. Key likewise (null or absent: no key). With ?encoding=base64
// Key and Value must be JSON strings holding standard base64, stored as the decoded bytes.
// Text that is not valid UTF-8, or a repeated name, is refused, never stored changed.
type ProducerRecord struct {
	Value     json.RawMessage   `json:"value"`
	Key       json.RawMessage   `json:"key,omitempty"`
	Partition *int32            `json:"partition,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	Timestamp *int64            `json:"timestamp,omitempty"` // epoch milliseconds
}

// RecordResult is one record's outcome, in request order.
type RecordResult struct {
	Partition int    `json:"partition"`
	Offset    *int64 `json:"offset,omitempty"`
	Timestamp int64  `json:"timestamp"`
	Error     string `json:"error,omitempty"` // error code, only in failure answers
}

// ProduceResponse answers a produce request.
type ProduceResponse struct {
	Records []RecordResult `json:"records"`
}

// produceFailure is the error body of a produce request that reached Kafka: the usual error
// plus each record's outcome, so a caller can tell which records were acknowledged.
type produceFailure struct {
	Error   httpio.ErrorDetail `json:"error"`
	Records []RecordResult     `json:"records"`
}

// partialFailure is a produce failure after some partitions acknowledged their records. It
// writes itself (httpio.Encode): the error's status and body, with each record's outcome, so
// the caller can retry only the rest.
type partialFailure struct {
	err     error
	records []RecordResult
}

func (e *partialFailure) Error() string { return e.err.Error() }
func (e *partialFailure) Unwrap() error { return e.err }

// WriteResponse implements httpio.Response.
func (e *partialFailure) WriteResponse(w http.ResponseWriter, r *http.Request) {
	status, body := httpio.ErrorForRequest(r, e.err)
	if status >= 500 {
		w.Header().Set("Retry-After", "1")
	}
	httpio.WriteJSON(w, status, produceFailure{Error: body.Error, Records: e.records})
}

type hdinsight struct{ Deps }

func (h *hdinsight) serve(r *httpio.Request) (httpio.Response, error) {
	enc, err := encodingParam(r.Request)
	if err != nil {
		return nil, err
	}
	body, err := httpio.ReadJSONBody(r.Writer(), r.Request, h.Limits.MaxBodyBytes, false)
	if err != nil {
		return nil, err
	}
	records, err := DecodeBody(body, enc, h.Limits.MaxRecords)
	if err != nil {
		return nil, err
	}
	addTraceHeaders(r.Request, records)
	produced, err := produceKafka(r.Request, h.Broker, r.Context(), r.Topic, records)
	if err != nil {
		if !broker.AnyAcknowledged(produced) {
			return nil, err
		}
		return nil, &partialFailure{err: err, records: results(produced)}
	}
	return produceAnswer(produced), nil
}

// Encoding says how keys and values are written in a request or response body.
type Encoding int

// The encodings.
const (
	EncodingJSON   Encoding = iota // JSON values as described on ProducerRecord
	EncodingBase64                 // keys and values are base64 strings
)

// encodingParam reads ?encoding= (httpio.Base64Param) as an Encoding.
func encodingParam(r *http.Request) (Encoding, error) {
	if b64, err := httpio.Base64Param(r); err != nil || !b64 {
		return EncodingJSON, err
	}
	return EncodingBase64, nil
}

// DecodeRecords validates every record and converts them for the broker. It fails on the
// first invalid record, naming it, before anything is sent. Keys and values that are not
// valid UTF-8 or repeat a name (which encoding/json's RawMessage keeps as is) are invalid.
func DecodeRecords(in []ProducerRecord, enc Encoding, maxRecords int) ([]broker.Record, error) {
	return decodeRecords(in, enc, maxRecords, false)
}

// decodeRecords is DecodeRecords; checked says that the keys and values were read by
// DecodeBody's pass, which has already checked their text.
func decodeRecords(in []ProducerRecord, enc Encoding, maxRecords int, checked bool) ([]broker.Record, error) {
	if len(in) == 0 {
		return nil, apierr.E(apierr.Invalid, "no_records", "records must hold at least one record")
	}
	if len(in) > maxRecords {
		return nil, apierr.E(apierr.TooLarge, "too_many_records",
			fmt.Sprintf("a request may hold at most %d records, got %d", maxRecords, len(in)))
	}
	out := make([]broker.Record, len(in))
	for i, pr := range in {
		rec, err := decodeRecord(pr, enc, checked)
		if err != nil {
			return nil, apierr.E(apierr.Invalid, "invalid_record", fmt.Sprintf("records[%d]: %s", i, err))
		}
		out[i] = rec
	}
	return out, nil
}

func decodeRecord(pr ProducerRecord, enc Encoding, checked bool) (broker.Record, error) {
	rec := broker.Record{Partition: broker.AnyPartition}
	if pr.Value == nil {
		return rec, fmt.Errorf("value is required")
	}
	var err error
	if rec.Value, err = decodeData("value", pr.Value, enc, checked); err != nil {
		return rec, err
	}
	if pr.Key != nil {
		if rec.Key, err = decodeData("key", pr.Key, enc, checked); err != nil {
			return rec, err
		}
	}
	if pr.Partition != nil {
		if *pr.Partition < 0 {
			return rec, fmt.Errorf("partition must not be negative")
		}
		rec.Partition = int(*pr.Partition)
	}
	if pr.Timestamp != nil {
		if *pr.Timestamp < 0 {
			return rec, fmt.Errorf("timestamp must be epoch milliseconds, not negative")
		}
		rec.Time = time.UnixMilli(*pr.Timestamp)
	}
	if len(pr.Headers) > 0 {
		rec.Headers = make([]broker.Header, 0, len(pr.Headers))
		for _, k := range sortedKeys(pr.Headers) {
			if k == "" {
				return rec, fmt.Errorf("header names must not be empty")
			}
			rec.Headers = append(rec.Headers, broker.Header{Key: k, Value: []byte(pr.Headers[k])})
		}
	}
	return rec, nil
}

// decodeData turns a JSON key or value into record bytes. JSON null is Kafka null. A JSON
// string is its UTF-8 text (with encoding=base64, the bytes it spells); anything else is its
// compact JSON text. Unless checked, raw is first held to the text rules (valid UTF-8, no
// unpaired surrogate escapes, unique names), so that no byte is ever replaced.
func decodeData(field string, raw json.RawMessage, enc Encoding, checked bool) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if !checked && !jsontext.Value(raw).IsValid() {
		if !json.Valid(raw) {
			return nil, fmt.Errorf("%s is not valid JSON", field)
		}
		return nil, fmt.Errorf("%s is not valid UTF-8 or repeats a name", field)
	}
	var text []byte // the string's text, if raw is a string
	if len(raw) > 0 && raw[0] == '"' {
		var err error
		if text, err = unquote(jsontext.Value(raw)); err != nil {
			return nil, fmt.Errorf("%s is not a valid JSON string", field)
		}
	}
	if enc == EncodingBase64 {
		if text == nil {
			return nil, fmt.Errorf("%s must be a base64 string with encoding=base64", field)
		}
		b := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
		n, err := base64.StdEncoding.Decode(b, text)
		if err != nil {
			return nil, fmt.Errorf("%s is not valid base64", field)
		}
		return b[:n], nil
	}
	if text != nil {
		return text, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON", field)
	}
	return buf.Bytes(), nil
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
