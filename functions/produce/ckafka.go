package produce

import (
	"fmt"
	"mime"
	"strconv"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/tc3"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// The CKafka API facts SendMessage answers to.
const (
	CKafkaService     = "ckafka"     // the TC3 credential scope's service
	CKafkaVersion     = "2019-08-19" // X-TC-Version
	SendMessageAction = "SendMessage"
	// MaxSendMessages is Tencent's cap on messages per SendMessage request.
	MaxSendMessages = 500
)

type ckafka struct{ Deps }

// serve answers every outcome, failures too, with a tencentAnswer: CKafka's own encoder.
func (h *ckafka) serve(r *httpio.Request) (httpio.Response, error) {
	ids, err := h.sendMessage(r)
	return tencentAnswer{ids: ids, err: err}, nil
}

func (h *ckafka) sendMessage(r *httpio.Request) ([]string, error) {
	recv := time.Now()
	body, err := httpio.ReadBody(r.Writer(), r.Request, h.Limits.MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	var p *auth.Principal
	switch {
	case h.CKafka.Verifier != nil:
		id, err := h.CKafka.Verifier.Verify(r.Request, body)
		if err != nil {
			return nil, err
		}
		httpio.MarkAuthenticated(r.Request) // give the unauthenticated share back at once
		p = tc3.NewPrincipal(id)
	case h.Guard.Dev():
		p = auth.Dev
	default:
		return nil, apierr.E(apierr.Unauthorized, tc3.CodeSecretIDNotFound, "the SecretId is not found")
	}
	ctx := auth.NewContext(r.Context(), p)

	switch action := r.Header.Get("X-TC-Action"); action {
	case SendMessageAction:
	case "":
		return nil, apierr.E(apierr.Invalid, codeMissingParameter, "the X-TC-Action header is required")
	default:
		return nil, apierr.E(apierr.Invalid, codeInvalidAction,
			fmt.Sprintf("the action %.64q is not supported; this endpoint serves SendMessage only", action))
	}
	switch version := r.Header.Get("X-TC-Version"); version {
	case CKafkaVersion:
	case "":
		return nil, apierr.E(apierr.Invalid, codeMissingParameter, "the X-TC-Version header is required")
	default:
		return nil, apierr.E(apierr.Invalid, codeNoSuchVersion,
			fmt.Sprintf("the API version %.32q does not exist; SendMessage is version %s", version, CKafkaVersion))
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, apierr.E(apierr.Invalid, "invalid_parameter", "the request body must be application/json")
	}
	limit := MaxSendMessages
	if h.Limits.MaxRecords > 0 {
		limit = min(limit, h.Limits.MaxRecords)
	}
	req, err := DecodeSendMessage(body, limit)
	if err != nil {
		return nil, err
	}
	hub, ok := h.CKafka.DataHubs[req.DataHubID]
	if !ok {
		return nil, apierr.E(apierr.NotFound, codeResourceNotFound, fmt.Sprintf("DataHubId %q does not exist", req.DataHubID))
	}
	if err := h.Guard.Allow(ctx, auth.OpProduce, hub.Topic); err != nil {
		return nil, err
	}
	if hub.Paused {
		return nil, apierr.E(apierr.Conflict, codeTaskSuspended, "task status suspended ["+req.DataHubID+"]")
	}

	records := make([]broker.Record, len(req.Messages))
	for i, m := range req.Messages {
		records[i] = broker.Record{Partition: broker.AnyPartition, Value: []byte(m.Body), Time: recv}
		if m.Key != nil {
			records[i].Key = []byte(*m.Key)
		}
	}
	addTraceHeaders(r.Request, records)
	produced, err := produceKafka(r.Request, h.Broker, ctx, hub.Topic, records)
	sent := time.Now()
	if err != nil {
		acked := 0
		for _, p := range produced {
			if p.Acknowledged() {
				acked++
			}
		}
		if acked > 0 {
			return nil, &partialError{err: err, acked: acked, total: len(records)}
		}
		return nil, err
	}
	prefix := req.DataHubID + ":" + hub.Topic + ":"
	suffix := ":" + strconv.FormatInt(recv.UnixMilli(), 10) + ":" + strconv.FormatInt(sent.UnixMilli(), 10)
	ids := make([]string, len(produced))
	for i, p := range produced {
		ids[i] = prefix + strconv.Itoa(p.Partition) + ":" + strconv.FormatInt(p.Offset, 10) + suffix
	}
	return ids, nil
}

// partialError is a produce failure after Kafka acknowledged some of the messages.
type partialError struct {
	err          error
	acked, total int
}

func (e *partialError) Error() string { return e.err.Error() }
func (e *partialError) Unwrap() error { return e.err }
func (e *partialError) PublicMessage() string {
	return fmt.Sprintf("%s (%d of %d messages were written before the failure; retrying may duplicate them)",
		apierr.MessageOf(e.err), e.acked, e.total)
}
