package produce

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/httpio"
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
	if req.DataHubID, err = checkDataHubID(hubID); err != nil {
		return req, err
	}
	msg := top.get("Message")
	if msg == nil || msg.isNull() {
		return req, missing("Message")
	}
	if !msg.isArray {
		return req, invalidParam("Message must be an array of {\"Key\",\"Body\"} objects")
	}
	if err := checkMessageCount(len(msg.items), max); err != nil {
		return req, err
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
		if err := checkBody(at, b); err != nil {
			return req, err
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

// checkDataHubID checks the DataHubId parameter (nil: absent or null) and returns it.
func checkDataHubID(hubID *string) (string, error) {
	if hubID == nil {
		return "", missing("DataHubId")
	}
	if *hubID == "" {
		return "", badValue("DataHubId must not be empty")
	}
	return *hubID, nil
}

// checkMessageCount checks that Message holds 1 to max messages.
func checkMessageCount(n, max int) error {
	switch {
	case n == 0:
		return badValue("Message must hold at least one message")
	case n > max:
		return badValue(fmt.Sprintf("Message may hold at most %d messages, got %d", max, n))
	}
	return nil
}

// checkBody checks the Body of the message at (nil: absent or null).
func checkBody(at string, b *string) error {
	if b == nil {
		return missing(at + ".Body")
	}
	if *b == "" {
		return badValue(at + ".Body must not be empty")
	}
	return nil
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
