package consumewindow

import (
	"encoding/base64"
	"unicode/utf8"

	"github.com/kafkafn/kafkafn/shared/broker"
)

// ConsumeRecord is HDInsight's ConsumeRecord, extended with headers. Key and value are the
// record's bytes as UTF-8 text; bytes that are not valid UTF-8 (or every key and value, with
// ?encoding=base64) come back as standard base64 with keyEncoding/valueEncoding "base64". A
// null key or value is JSON null.
type ConsumeRecord struct {
	Topic         string   `json:"topic"`
	Key           *string  `json:"key"`
	KeyEncoding   string   `json:"keyEncoding,omitempty"`
	Value         *string  `json:"value"`
	ValueEncoding string   `json:"valueEncoding,omitempty"`
	Partition     int      `json:"partition"`
	Offset        int64    `json:"offset"`
	Timestamp     int64    `json:"timestamp"`
	TimestampType string   `json:"timestampType"`
	Headers       []Header `json:"headers"`
}

// Header is a record header; headers keep their order and may repeat.
type Header struct {
	Key           string `json:"key"`
	Value         string `json:"value"`
	ValueEncoding string `json:"valueEncoding,omitempty"`
}

// ConsumeResponse is the body of a consume answer (Microsoft's sample reads "records").
type ConsumeResponse struct {
	Records []ConsumeRecord `json:"records"`
}

// ToRecord converts a broker message for the wire.
func ToRecord(topic string, m *broker.Message, forceBase64 bool) ConsumeRecord {
	rec := ConsumeRecord{
		Topic: topic, Partition: m.Partition, Offset: m.Offset,
		Timestamp: m.Time.UnixMilli(), TimestampType: "CreateTime", Headers: []Header{},
	}
	if m.LogAppendTime {
		rec.TimestampType = "LogAppendTime"
	}
	rec.Key, rec.KeyEncoding = text(m.Key, forceBase64)
	rec.Value, rec.ValueEncoding = text(m.Value, forceBase64)
	for _, h := range m.Headers {
		v, enc := text(h.Value, forceBase64)
		hv := Header{Key: h.Key, ValueEncoding: enc}
		if v != nil {
			hv.Value = *v
		}
		rec.Headers = append(rec.Headers, hv)
	}
	return rec
}

func text(b []byte, forceBase64 bool) (*string, string) {
	if b == nil {
		return nil, ""
	}
	if !forceBase64 && utf8.Valid(b) {
		s := string(b)
		return &s, ""
	}
	s := base64.StdEncoding.EncodeToString(b)
	return &s, "base64"
}
