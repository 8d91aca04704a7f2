package listtopics

import (
	"testing"

	"github.com/kafkafn/kafkafn/internal/jsontest"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// FuzzCreateTopicBody decodes any create-topic body as the route does: never a panic, every
// refusal Invalid, and nothing accepted that breaks the text rules (valid UTF-8, unique
// names), so a topic is never created with a mangled or last-one-wins setting.
func FuzzCreateTopicBody(f *testing.F) {
	for _, s := range []string{
		`{"partition_count":4,"replication_factor":1,"topic_properties":{"retention.ms":60000,"cleanup.policy":"delete"}}`,
		`{}`, `{"partition_count":1,"partition_count":4}`, `{"partition_count":1,"Partition_Count":4}`,
		`{"topic_properties":{"a":{"b":1}}}`, "{\"topic_properties\":{\"cleanup.policy\":\"del\xffete\"}}",
		`{"topic_properties":{"x":"\ud800"}}`, `{"topic_properties":{"a":true,"b":1.5e3,"c":null}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var tc TopicCreation
		var spec broker.TopicSpec
		err := httpio.Unmarshal(body, &tc)
		if err == nil {
			spec, err = topicSpec("t", tc)
		}
		if !jsontest.Accepted(t, body, err) {
			return
		}
		for k := range spec.Configs {
			if k == "" {
				t.Fatal("accepted an empty property name")
			}
		}
	})
}
