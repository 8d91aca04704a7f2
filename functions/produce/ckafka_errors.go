package produce

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth/tc3"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

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

// newRequestID returns a random (version 4) UUID.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
