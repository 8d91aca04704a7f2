package config

import (
	"strings"

	"github.com/kafkafn/kafkafn/shared/config/internal/envread"
)

// TC3 configures verification of TencentCloud API 3.0 signatures (TC3-HMAC-SHA256) on the
// CKafka SendMessage action (shared/auth/tc3).
type TC3 struct {
	// Keys (AUTH_TC3_CREDENTIALS) maps each SecretId to its SecretKeys: comma-separated
	// secretId:secretKey pairs; a SecretId may appear twice (two active keys, for rotation).
	// The value may also be @/path/to/file holding the same list (commas or newlines).
	Keys map[string][]string
	// PublicHosts (AUTH_TC3_PUBLIC_HOSTS, comma separated host[:port]) are hosts clients may
	// have signed besides the request's Host: the API gateway or custom domain in front of
	// the function, when it rewrites Host.
	PublicHosts []string
}

// Enabled reports whether any TC3 credentials are configured.
func (c TC3) Enabled() bool { return len(c.Keys) > 0 }

// TC3FromEnv reads the TC3 section. Error messages name the variable and the entry's
// position, never a SecretKey.
func TC3FromEnv(getenv Getenv) (TC3, error) {
	const name = "AUTH_TC3_CREDENTIALS"
	r := envread.New(getenv)
	c := TC3{PublicHosts: r.List("AUTH_TC3_PUBLIC_HOSTS")}
	for _, h := range c.PublicHosts {
		if strings.ContainsAny(h, "/ @?#") {
			r.Fail("AUTH_TC3_PUBLIC_HOSTS", "%q is not a host[:port]", h)
		}
	}
	raw := strings.TrimSpace(r.Secret(name))
	if path, ok := strings.CutPrefix(raw, "@"); ok {
		raw = string(r.ReadFile(name, strings.TrimSpace(path)))
	}
	entries := strings.FieldsFunc(raw, func(c rune) bool { return c == ',' || c == '\n' || c == '\r' })
	for i, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		id, key, ok := strings.Cut(e, ":")
		id, key = strings.TrimSpace(id), strings.TrimSpace(key)
		switch {
		case !ok || id == "" || key == "":
			r.Fail(name, "entry %d must be secretId:secretKey", i+1)
			continue
		case strings.ContainsAny(id, "/ \t"):
			r.Fail(name, "entry %d: the SecretId must not contain '/' or spaces", i+1)
			continue
		}
		if c.Keys == nil {
			c.Keys = map[string][]string{}
		}
		if len(c.Keys[id]) == 2 {
			r.Fail(name, "SecretId %s has more than two keys (two are allowed, for rotation)", id)
			continue
		}
		c.Keys[id] = append(c.Keys[id], key)
	}
	if raw != "" && len(c.Keys) == 0 && !r.Failed() {
		r.Fail(name, "holds no secretId:secretKey pair")
	}
	return c, r.Err()
}

// CKafka configures the Tencent CKafka DataHub SendMessage action.
type CKafka struct {
	// DataHubs (CKAFKA_DATAHUBS) maps each DataHubId to its Kafka topic: comma-separated
	// datahub-id=topic pairs; a pair ending in :paused answers FailedOperation
	// ("task status suspended"), like a paused DataHub task.
	DataHubs map[string]DataHub
}

// DataHub is one SendMessage target.
type DataHub struct {
	Topic  string
	Paused bool
}

// Enabled reports whether any DataHub is configured.
func (c CKafka) Enabled() bool { return len(c.DataHubs) > 0 }

// CKafkaFromEnv reads the CKafka section.
func CKafkaFromEnv(getenv Getenv) (CKafka, error) {
	const name = "CKAFKA_DATAHUBS"
	r := envread.New(getenv)
	var c CKafka
	for i, e := range r.List(name) {
		id, topic, ok := strings.Cut(e, "=")
		id, topic = strings.TrimSpace(id), strings.TrimSpace(topic)
		topic, paused := strings.CutSuffix(topic, ":paused")
		switch {
		case !ok || id == "" || topic == "":
			r.Fail(name, "entry %d (%q) must be datahub-id=topic or datahub-id=topic:paused", i+1, e)
			continue
		case !isDataHubID(id):
			r.Fail(name, "entry %d: %q is not a DataHubId (letters, digits, '-' and '_')", i+1, id)
			continue
		case !isTopicName(topic):
			r.Fail(name, "entry %d: %q is not a Kafka topic name (letters, digits, '.', '_', '-'; at most 249)", i+1, topic)
			continue
		}
		if _, dup := c.DataHubs[id]; dup {
			r.Fail(name, "DataHubId %s is listed twice", id)
			continue
		}
		if c.DataHubs == nil {
			c.DataHubs = map[string]DataHub{}
		}
		c.DataHubs[id] = DataHub{Topic: topic, Paused: paused}
	}
	return c, r.Err()
}

func isDataHubID(s string) bool {
	if len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// isTopicName reports whether s is a legal Kafka topic name.
func isTopicName(s string) bool {
	if s == "" || len(s) > 249 || s == "." || s == ".." {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
