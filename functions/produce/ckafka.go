package produce

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/auth/tc3"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// The CKafka API facts SendMessage answers to.
const (
	CKafkaService     = "ckafka"     // the TC3 credential scope's service
	CKafkaVersion     = "2019-08-19" // X-TC-Version
	SendMessageAction = "SendMessage"
	// MaxSendMessages is Tencent's cap on messages per SendMessage request.
	MaxSendMessages = 500
)

// CKafkaDeps configures SendMessage.
type CKafkaDeps struct {
	// DataHubs maps DataHubId → target topic (CKAFKA_DATAHUBS).
	DataHubs map[string]config.DataHub
	// Verifier checks TC3 signatures (AUTH_TC3_CREDENTIALS). Nil: no credentials; then only
	// the insecure dev guard lets requests through, unsigned.
	Verifier *tc3.Verifier
}

func loadCKafka(env platform.Env) (CKafkaDeps, error) {
	tc, err1 := config.TC3FromEnv(env.Getenv)
	ck, err2 := config.CKafkaFromEnv(env.Getenv)
	ac, err3 := config.AuthFromEnv(env.Getenv)
	if err := errors.Join(err1, err2, err3); err != nil {
		return CKafkaDeps{}, err
	}
	// TC3 credentials without DataHubs are fine: TC3 signs the produce routes too
	// (shared/auth/tc3 VerifyRoute); SendMessage then knows no DataHubId.
	switch {
	case ck.Enabled() && !tc.Enabled() && !ac.InsecureDev:
		return CKafkaDeps{}, errors.New("AUTH_TC3_CREDENTIALS: is required with CKAFKA_DATAHUBS: " +
			"secretId:secretKey pairs, comma separated, that may sign SendMessage requests")
	}
	for _, id := range slices.Sorted(maps.Keys(ck.DataHubs)) {
		if err := broker.ValidateTopicName(ck.DataHubs[id].Topic); err != nil {
			return CKafkaDeps{}, fmt.Errorf("CKAFKA_DATAHUBS: DataHubId %s: %s", id, apierr.MessageOf(err))
		}
	}
	d := CKafkaDeps{DataHubs: ck.DataHubs}
	if tc.Enabled() {
		v, err := tc3.NewVerifier(CKafkaService, tc.Keys, tc3.WithPublicHosts(tc.PublicHosts...))
		if err != nil {
			return CKafkaDeps{}, fmt.Errorf("AUTH_TC3_CREDENTIALS: %w", err)
		}
		d.Verifier = v
	}
	return d, nil
}

// Error codes of SendMessage's own failures; tencentCode turns them into Tencent's codes.
const (
	codeMissingParameter      = "missing_parameter"
	codeUnknownParameter      = "unknown_parameter"
	codeInvalidParameterValue = "invalid_parameter_value"
	codeInvalidAction         = "invalid_action"
	codeNoSuchVersion         = "no_such_version"
	codeTaskSuspended         = "task_suspended"
	codeResourceNotFound      = "resource_not_found"
)

// SendMessageRequest is the decoded body of a SendMessage request.
type SendMessageRequest struct {
	DataHubID string
	Messages  []SendMessageItem
}

// SendMessageItem is one BatchContent: Body is the record value; Key, when not nil, the key.
type SendMessageItem struct {
	Key  *string
	Body string
}

// sendMessageResponse is Tencent's envelope; exactly one of MessageID and Error is set.
type sendMessageResponse struct {
	Response struct {
		MessageID []string      `json:"MessageId,omitempty"`
		Error     *tencentError `json:"Error,omitempty"`
		RequestID string        `json:"RequestId"`
	} `json:"Response"`
}

type tencentError struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

type ckafka struct{ Deps }

// serve answers every outcome, failures too, with a tencentAnswer: CKafka's own encoder.
func (h *ckafka) serve(r *httpio.Request) (httpio.Response, error) {
	ids, err := h.sendMessage(r)
	return tencentAnswer{ids: ids, err: err}, nil
}

// tencentAnswer is SendMessage's outcome. It writes HTTP 200 and a Tencent envelope for
// every outcome, as the TencentCloud API does; Tencent's SDKs read the error code from the
// body (tencentCode).
type tencentAnswer struct {
	ids []string
	err error
}

// WriteResponse implements httpio.Response.
func (a tencentAnswer) WriteResponse(w http.ResponseWriter, r *http.Request) {
	var resp sendMessageResponse
	// Tencent's RequestId is the request's id (X-Request-Id, the SCF invocation id), so one
	// id finds the answer and its log lines.
	if resp.Response.RequestID = httpio.RequestID(r.Context()); resp.Response.RequestID == "" {
		resp.Response.RequestID = newRequestID()
	}
	if a.err != nil {
		httpio.NoteError(r, a.err)
		resp.Response.Error = &tencentError{Code: tencentCode(a.err), Message: apierr.MessageOf(a.err)}
	} else {
		resp.Response.MessageID = a.ids
	}
	httpio.WriteJSON(w, http.StatusOK, resp)
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

// tencentCode maps an error to its TencentCloud API error code. It is the only mapping from
// kafkafn's error kinds and codes to Tencent's.
func tencentCode(err error) string {
	switch apierr.CodeOf(err) {
	case tc3.CodeInvalidAuthorization:
		return "AuthFailure.InvalidAuthorization"
	case tc3.CodeSignatureExpire:
		return "AuthFailure.SignatureExpire"
	case tc3.CodeSecretIDNotFound:
		return "AuthFailure.SecretIdNotFound"
	case tc3.CodeSignatureFailure:
		return "AuthFailure.SignatureFailure"
	case codeMissingParameter:
		return "MissingParameter"
	case codeUnknownParameter:
		return "UnknownParameter"
	case codeInvalidParameterValue:
		return "InvalidParameterValue"
	case codeInvalidAction:
		return "InvalidAction"
	case codeNoSuchVersion:
		return "NoSuchVersion"
	case codeTaskSuspended:
		return "FailedOperation"
	case "body_too_large":
		return "RequestSizeLimitExceeded"
	case "kafka_authorization_failed":
		return "FailedOperation"
	}
	switch apierr.KindOf(err) {
	case apierr.Invalid, apierr.UnsupportedMedia, apierr.MethodNotAllowed:
		return "InvalidParameter"
	case apierr.Unauthorized:
		return "AuthFailure"
	case apierr.Forbidden:
		return "UnauthorizedOperation"
	case apierr.NotFound:
		return "ResourceNotFound"
	case apierr.Conflict, apierr.RequestTimeout:
		return "FailedOperation"
	case apierr.TooLarge:
		return "LimitExceeded"
	case apierr.TooManyRequests:
		return "RequestLimitExceeded"
	case apierr.Unavailable, apierr.Timeout:
		return "ResourceUnavailable.KafkaStorageError"
	}
	return "InternalError"
}

// DecodeSendMessage decodes a SendMessage body strictly: a JSON object with exactly the
// (case-sensitive) parameters DataHubId (a non-empty string) and Message (1 to max objects
// with a non-empty string Body and an optional string Key; an empty or null Key means no
// key). Strings must be valid UTF-8 and no object may repeat a name (httpio.CheckJSONText):
// Body and Key are stored as their exact UTF-8 bytes. Errors are Invalid apierr errors whose
// codes tencentCode maps to MissingParameter, UnknownParameter, InvalidParameter or
// InvalidParameterValue.
//
// The body is read in one jsontext pass that checks it as it goes and keeps each value as a
// slice of body; the parameters are then checked in the order above.
func DecodeSendMessage(body []byte, max int) (SendMessageRequest, error) {
	var req SendMessageRequest
	top, err := readSendMessage(body)
	if err != nil {
		return req, err
	}
	if err := onlyKeys(top, "", "DataHubId", "Message"); err != nil {
		return req, err
	}
	hubID, err := stringParam(top, "DataHubId", "DataHubId")
	if err != nil {
		return req, err
	}
	if hubID == nil {
		return req, missing("DataHubId")
	}
	if *hubID == "" {
		return req, badValue("DataHubId must not be empty")
	}
	req.DataHubID = *hubID
	msg := top.get("Message")
	if msg == nil || msg.isNull() {
		return req, missing("Message")
	}
	if !msg.isArray {
		return req, invalidParam("Message must be an array of {\"Key\",\"Body\"} objects")
	}
	switch {
	case len(msg.items) == 0:
		return req, badValue("Message must hold at least one message")
	case len(msg.items) > max:
		return req, badValue(fmt.Sprintf("Message may hold at most %d messages, got %d", max, len(msg.items)))
	}
	req.Messages = make([]SendMessageItem, len(msg.items))
	for i, m := range msg.items {
		at := "Message[" + strconv.Itoa(i) + "]"
		if !m.isObject {
			return req, invalidParam(at + " must be an object with Body and an optional Key")
		}
		if err := onlyKeys(m.members, at+".", "Key", "Body"); err != nil {
			return req, err
		}
		b, err := stringParam(m.members, "Body", at+".Body")
		if err != nil {
			return req, err
		}
		if b == nil {
			return req, missing(at + ".Body")
		}
		if *b == "" {
			return req, badValue(at + ".Body must not be empty")
		}
		k, err := stringParam(m.members, "Key", at+".Key")
		if err != nil {
			return req, err
		}
		if k != nil && *k == "" {
			k = nil
		}
		req.Messages[i] = SendMessageItem{Key: k, Body: *b}
	}
	return req, nil
}

// smValue is one JSON value of a SendMessage body as the pass read it: its raw text, and for
// Message (an array) its items, for an item (an object) its members.
type smValue struct {
	raw      jsontext.Value
	isArray  bool
	items    []smValue
	isObject bool
	members  smMembers
}

func (v *smValue) isNull() bool { return len(v.raw) > 0 && v.raw[0] == 'n' }

type smMember struct {
	name  string
	value smValue
}

type smMembers []smMember

func (ms smMembers) get(name string) *smValue {
	for i := range ms {
		if ms[i].name == name {
			return &ms[i].value
		}
	}
	return nil
}

// readSendMessage is the one pass: the top-level object's members, Message's items and the
// items' members. A body that is not one JSON object is InvalidParameter; so is one that
// breaks the text rules, naming where.
func readSendMessage(body []byte) (smMembers, error) {
	d := jsontext.NewDecoder(bytes.NewBuffer(body))
	notObject := invalidParam("the request body must be a JSON object")
	fail := func(err error) (smMembers, error) {
		if p := httpio.TextProblem(body, err); p != "" {
			return nil, apierr.Wrap(apierr.Invalid, "invalid_parameter", p, err)
		}
		return nil, notObject
	}
	if d.PeekKind() != '{' {
		if err := d.SkipValue(); err != nil {
			return fail(err)
		}
		return nil, notObject
	}
	top, err := readMembers(d, 0)
	if err != nil {
		return fail(err)
	}
	if _, err := d.ReadToken(); err != io.EOF {
		return nil, notObject // trailing data
	}
	return top, nil
}

// readMembers reads an object; depth 0 is the body, 1 a Message item.
func readMembers(d *jsontext.Decoder, depth int) (smMembers, error) {
	if _, err := d.ReadToken(); err != nil {
		return nil, err
	}
	var ms smMembers
	for d.PeekKind() != '}' {
		if d.PeekKind() != '"' {
			if _, err := d.ReadToken(); err != nil {
				return nil, err
			}
			return nil, errors.New("produce: a member name must be a string")
		}
		n, err := d.ReadValue()
		if err != nil {
			return nil, err
		}
		name, err := unquote(n)
		if err != nil {
			return nil, err
		}
		var m smMember
		switch string(name) { // the usual names without an allocation
		case "Key":
			m.name = "Key"
		case "Body":
			m.name = "Body"
		case "DataHubId":
			m.name = "DataHubId"
		case "Message":
			m.name = "Message"
		default:
			m.name = string(name)
		}
		if depth == 0 && m.name == "Message" && d.PeekKind() == '[' {
			m.value.isArray = true
			if _, err := d.ReadToken(); err != nil {
				return nil, err
			}
			for d.PeekKind() != ']' {
				var item smValue
				if d.PeekKind() == '{' {
					item.isObject = true
					if item.members, err = readMembers(d, 1); err != nil {
						return nil, err
					}
				} else if item.raw, err = d.ReadValue(); err != nil {
					return nil, err
				}
				m.value.items = append(m.value.items, item)
			}
			if _, err := d.ReadToken(); err != nil {
				return nil, err
			}
		} else if m.value.raw, err = d.ReadValue(); err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	_, err := d.ReadToken()
	return ms, err
}

func onlyKeys(ms smMembers, at string, allowed ...string) error {
	for _, m := range ms {
		if k := m.name; k != allowed[0] && k != allowed[1] {
			return apierr.E(apierr.Invalid, codeUnknownParameter,
				fmt.Sprintf("the parameter %.64q is not a SendMessage parameter (want %s%s, %s%s)", at+k, at, allowed[0], at, allowed[1]))
		}
	}
	return nil
}

// stringParam returns ms[key] as a string, nil when absent or null.
func stringParam(ms smMembers, key, name string) (*string, error) {
	v := ms.get(key)
	if v == nil || v.isNull() {
		return nil, nil
	}
	if len(v.raw) == 0 || v.raw[0] != '"' {
		return nil, invalidParam(name + " must be a string")
	}
	b, err := unquote(v.raw)
	if err != nil {
		return nil, invalidParam(name + " must be a string")
	}
	s := string(b)
	return &s, nil
}

func missing(name string) error {
	return apierr.E(apierr.Invalid, codeMissingParameter, "the parameter "+name+" is required")
}

func invalidParam(msg string) error { return apierr.E(apierr.Invalid, "invalid_parameter", msg) }

func badValue(msg string) error { return apierr.E(apierr.Invalid, codeInvalidParameterValue, msg) }

// newRequestID returns a random (version 4) UUID.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
