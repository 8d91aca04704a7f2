package produce

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// FuzzDecodeSendMessageMatchesV1 compares the one-pass SendMessage decoder with the
// encoding/json decoder it replaced: the same requests, the same error codes, the same
// messages (except which of several unknown parameters is named: the old one followed map
// order).
func FuzzDecodeSendMessageMatchesV1(f *testing.F) {
	for _, s := range []string{
		`{"DataHubId":"datahub-a","Message":[{"Key":"k","Body":"v"},{"Body":"w"}]}`,
		`{"DataHubId":"d","Message":[{"Body":null}]}`, `{"DataHubId":1}`, `[]`, `null`, ``, `{}`,
		`{"DataHubId":"d","Message":{}}`, `{"DataHubId":"d","Message":[]}`, `{"DataHubId":"d","Message":[null,1]}`,
		`{"DataHubId":"d","Message":[{"Body":"b","Key":""}]} x`, `{"DataHubId":"","Message":null}`,
		`{"DataHubId":"d","Message":[{"Body":"\u00e9\"","Key":"\ud83d\ude00"}],"x":1}`,
		"{\"DataHubId\":\"d\",\"Message\":[{\"Body\":\"a\xffb\"}]}", `{"DataHubId":"d","DataHubId":"e"}`,
		`{"DataHubId":"d","Message":[{"Body":"a","Extra":1,"Other":2}]}`, `{"DataHubId":"d","Message":[{"Body":["x"]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := DecodeSendMessage(body, 3)
		want, werr := decodeSendMessageV1(body, 3)
		switch {
		case (err == nil) != (werr == nil):
			t.Fatalf("error %v, before %v", err, werr)
		case err != nil:
			if apierr.CodeOf(err) != apierr.CodeOf(werr) || apierr.KindOf(err) != apierr.KindOf(werr) {
				t.Fatalf("error %s %v, before %s %v", apierr.CodeOf(err), err, apierr.CodeOf(werr), werr)
			}
			if apierr.CodeOf(err) != codeUnknownParameter && apierr.MessageOf(err) != apierr.MessageOf(werr) {
				t.Fatalf("error %q, before %q", apierr.MessageOf(err), apierr.MessageOf(werr))
			}
		case !reflect.DeepEqual(got, want):
			t.Fatalf("decoded %+v, before %+v", got, want)
		}
	})
}

// decodeSendMessageV1 is DecodeSendMessage as it was before the one-pass decoder:
// encoding/json into maps after httpio.CheckJSONText, then the value checks both share
// (checkDataHubID, checkMessageCount, checkBody). FuzzDecodeSendMessageMatchesV1 holds the
// two parsers to the same answers.
func decodeSendMessageV1(body []byte, max int) (SendMessageRequest, error) {
	var req SendMessageRequest
	if err := httpio.CheckJSONText(body, "invalid_parameter", ""); err != nil {
		return req, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return req, apierr.E(apierr.Invalid, "invalid_parameter", "the request body must be a JSON object")
	}
	if err := v1OnlyKeys(top, "", "DataHubId", "Message"); err != nil {
		return req, err
	}
	hubID, err := v1StringParam(top, "DataHubId", "DataHubId")
	if err != nil {
		return req, err
	}
	if req.DataHubID, err = checkDataHubID(hubID); err != nil {
		return req, err
	}
	raw, ok := top["Message"]
	if !ok || v1IsNull(raw) {
		return req, missing("Message")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return req, invalidParam("Message must be an array of {\"Key\",\"Body\"} objects")
	}
	if err := checkMessageCount(len(items), max); err != nil {
		return req, err
	}
	req.Messages = make([]SendMessageItem, len(items))
	for i, item := range items {
		at := "Message[" + strconv.Itoa(i) + "]"
		var m map[string]json.RawMessage
		if err := json.Unmarshal(item, &m); err != nil || m == nil {
			return req, invalidParam(at + " must be an object with Body and an optional Key")
		}
		if err := v1OnlyKeys(m, at+".", "Key", "Body"); err != nil {
			return req, err
		}
		b, err := v1StringParam(m, "Body", at+".Body")
		if err != nil {
			return req, err
		}
		if err := checkBody(at, b); err != nil {
			return req, err
		}
		k, err := v1StringParam(m, "Key", at+".Key")
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

func v1OnlyKeys(m map[string]json.RawMessage, at string, allowed ...string) error {
	for k := range m {
		if k != allowed[0] && k != allowed[1] {
			return apierr.E(apierr.Invalid, codeUnknownParameter,
				fmt.Sprintf("the parameter %.64q is not a SendMessage parameter (want %s%s, %s%s)", at+k, at, allowed[0], at, allowed[1]))
		}
	}
	return nil
}

// stringParam returns m[key] as a string, nil when absent or null.
func v1StringParam(m map[string]json.RawMessage, key, name string) (*string, error) {
	raw, ok := m[key]
	if !ok || v1IsNull(raw) {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, invalidParam(name + " must be a string")
	}
	return &s, nil
}

func v1IsNull(raw json.RawMessage) bool { return strings.TrimSpace(string(raw)) == "null" }
