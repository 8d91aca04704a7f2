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

// tencentCode maps an error to its TencentCloud API error code: by its code when
// tencentByCode names it, else by its kind (tencentByKind), else InternalError. It is the
// only mapping from kafkafn's error kinds and codes to Tencent's.
func tencentCode(err error) string {
	if c, ok := tencentByCode[apierr.CodeOf(err)]; ok {
		return c
	}
	if c, ok := tencentByKind[apierr.KindOf(err)]; ok {
		return c
	}
	return "InternalError"
}

var tencentByCode = map[string]string{
	tc3.CodeInvalidAuthorization: "AuthFailure.InvalidAuthorization",
	tc3.CodeSignatureExpire:      "AuthFailure.SignatureExpire",
	tc3.CodeSecretIDNotFound:     "AuthFailure.SecretIdNotFound",
	tc3.CodeSignatureFailure:     "AuthFailure.SignatureFailure",
	codeMissingParameter:         "MissingParameter",
	codeUnknownParameter:         "UnknownParameter",
	codeInvalidParameterValue:    "InvalidParameterValue",
	codeInvalidAction:            "InvalidAction",
	codeNoSuchVersion:            "NoSuchVersion",
	codeTaskSuspended:            "FailedOperation",
	"body_too_large":             "RequestSizeLimitExceeded",
	"kafka_authorization_failed": "FailedOperation",
}

var tencentByKind = map[apierr.Kind]string{
	apierr.Invalid:          "InvalidParameter",
	apierr.UnsupportedMedia: "InvalidParameter",
	apierr.MethodNotAllowed: "InvalidParameter",
	apierr.Unauthorized:     "AuthFailure",
	apierr.Forbidden:        "UnauthorizedOperation",
	apierr.NotFound:         "ResourceNotFound",
	apierr.Conflict:         "FailedOperation",
	apierr.RequestTimeout:   "FailedOperation",
	apierr.TooLarge:         "LimitExceeded",
	apierr.TooManyRequests:  "RequestLimitExceeded",
	apierr.Unavailable:      "ResourceUnavailable.KafkaStorageError",
	apierr.Timeout:          "ResourceUnavailable.KafkaStorageError",
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
