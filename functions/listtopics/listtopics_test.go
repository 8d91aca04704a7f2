package listtopics_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkafn/kafkafn/functions/listtopics"
	"github.com/kafkafn/kafkafn/internal/harness"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/buildinfo"
)

// start runs the list-topics binary's Build over a kfake cluster with opts, in the dev auth
// mode, with a 10 s request timeout.
func start(t *testing.T, opts ...kfake.Opt) *harness.Stack {
	return harness.Start(t, harness.Options{Routes: harness.ListTopics, Cluster: opts, Env: map[string]string{"REQUEST_TIMEOUT": "10s"}})
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func errCode(t *testing.T, b []byte) string {
	t.Helper()
	return decode[struct {
		Error struct{ Code string }
	}](t, b).Error.Code
}

func TestMetadata(t *testing.T) {
	s := start(t, kfake.NumBrokers(3), kfake.SeedTopics(3, "orders"), kfake.SeedTopics(1, "audit"))
	if _, err := s.Broker.Produce(t.Context(), "orders", []broker.Record{{Partition: 1, Value: []byte("a")}, {Partition: 1, Value: []byte("b")}}); err != nil {
		t.Fatal(err)
	}

	t.Run("topics are listed sorted", func(t *testing.T) {
		r := s.Do(t, "GET", "/v1/metadata/topics", "")
		if r.Status != 200 || string(r.Body) != `{"topics":["audit","orders"]}`+"\n" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("a topic created a moment ago by another client is listed", func(t *testing.T) {
		if err := s.Cluster.CreateTopic("fresh", 1, nil); err != nil {
			t.Fatal(err)
		}
		r := s.Do(t, "GET", "/v1/metadata/topics", "")
		if !strings.Contains(string(r.Body), `"fresh"`) {
			t.Fatalf("%s", r.Body)
		}
	})
	t.Run("partitions carry offsets, leader, replicas and isr", func(t *testing.T) {
		r := s.Do(t, "GET", "/v1/metadata/topics/orders/partitions", "")
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		md := decode[listtopics.TopicMetadata](t, r.Body)
		if md.Topic != "orders" || len(md.Partitions) != 3 {
			t.Fatalf("%+v", md)
		}
		p1 := md.Partitions[1]
		if p1.PartitionID != 1 || p1.EarliestOffset != 0 || p1.LatestOffset != 2 || p1.Leader.HostName != "127.0.0.1" || len(p1.Replicas) == 0 || len(p1.ISR) == 0 {
			t.Errorf("%+v", p1)
		}
	})
	t.Run("one partition", func(t *testing.T) {
		r := s.Do(t, "GET", "/v1/metadata/topics/orders/partitions/1", "")
		p := decode[listtopics.PartitionMetadata](t, r.Body)
		if r.Status != 200 || p.PartitionID != 1 || p.LatestOffset != 2 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("brokers", func(t *testing.T) {
		r := s.Do(t, "GET", "/v1/metadata/brokers", "")
		b := decode[struct{ Brokers []listtopics.BrokerEndpoint }](t, r.Body)
		if r.Status != 200 || len(b.Brokers) != 3 || b.Brokers[0].ID != 0 || b.Brokers[0].Port == 0 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	for _, tt := range []struct {
		name, path string
		status     int
		code       string
	}{
		{"unknown topic → 404", "/v1/metadata/topics/nope/partitions", 404, "unknown_topic"},
		{"unknown partition → 404", "/v1/metadata/topics/orders/partitions/3", 404, "unknown_partition"},
		{"a partition that is not a number → 400", "/v1/metadata/topics/orders/partitions/x", 400, "invalid_partition"},
		{"a negative partition → 400", "/v1/metadata/topics/orders/partitions/-1", 400, "invalid_partition"},
		{"an invalid topic name → 400", "/v1/metadata/topics/bad%20name/partitions", 400, "invalid_topic"},
		{"an unknown route → 404", "/v1/metadata/nothing", 404, "route_not_found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Do(t, "GET", tt.path, "")
			if r.Status != tt.status || errCode(t, r.Body) != tt.code {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}
	t.Run("a wrong method → 405 with Allow", func(t *testing.T) {
		r := s.Do(t, "POST", "/v1/metadata/topics", "")
		if r.Status != 405 || r.Header.Get("Allow") == "" || errCode(t, r.Body) != "method_not_allowed" {
			t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
		}
	})
}

func TestCreateAndDeleteTopic(t *testing.T) {
	s := start(t, kfake.SeedTopics(1, "exists"))
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"create with settings → 201", "PUT", "/v1/topics/new1", `{"partition_count":4,"replication_factor":1,"topic_properties":{"retention.ms":60000,"cleanup.policy":"delete"}}`, 201, ""},
		{"create with no body uses broker defaults → 201", "PUT", "/v1/topics/new2", "", 201, ""},
		{"create an existing topic → 409", "PUT", "/v1/topics/exists", `{}`, 409, "topic_exists"},
		{"a partition count of zero → 400", "PUT", "/v1/topics/new3", `{"partition_count":0}`, 400, "invalid_partition_count"},
		{"an unknown field → 400", "PUT", "/v1/topics/new3", `{"partitions":3}`, 400, "invalid_json"},
		{"malformed JSON → 400", "PUT", "/v1/topics/new3", `{"partition_count":`, 400, "invalid_json"},
		{"a nested property value → 400", "PUT", "/v1/topics/new3", `{"topic_properties":{"a":{"b":1}}}`, 400, "invalid_topic_properties"},
		{"an invalid name → 400", "PUT", "/v1/topics/a$b", `{}`, 400, "invalid_topic"},
		{"a repeated partition_count → 400, not the last one used", "PUT", "/v1/topics/dup1", `{"partition_count":1,"partition_count":4}`, 400, "invalid_json"},
		{"partition_count named twice in different case → 400", "PUT", "/v1/topics/dup4", `{"partition_count":1,"Partition_Count":4}`, 400, "invalid_json"},
		{"a repeated property → 400", "PUT", "/v1/topics/dup2", `{"topic_properties":{"cleanup.policy":"compact","cleanup.policy":"delete"}}`, 400, "invalid_json"},
		{"a property that is not valid UTF-8 → 400", "PUT", "/v1/topics/dup3", "{\"topic_properties\":{\"cleanup.policy\":\"del\xffete\"}}", 400, "invalid_json"},
		{"delete → 200", "DELETE", "/v1/topics/new2", "", 200, ""},
		{"delete an unknown topic → 404", "DELETE", "/v1/topics/never", "", 404, "unknown_topic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.Do(t, tt.method, tt.path, tt.body)
			if r.Status != tt.status {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if tt.code != "" && errCode(t, r.Body) != tt.code {
				t.Fatalf("%s", r.Body)
			}
		})
	}
	md := decode[listtopics.TopicMetadata](t, s.Do(t, "GET", "/v1/metadata/topics/new1/partitions", "").Body)
	if len(md.Partitions) != 4 {
		t.Errorf("new1 has %d partitions", len(md.Partitions))
	}
	if r := s.Do(t, "GET", "/v1/metadata/topics", ""); strings.Contains(string(r.Body), "new2") || strings.Contains(string(r.Body), "new3") || strings.Contains(string(r.Body), "dup") {
		t.Errorf("deleted or refused topics are listed: %s", r.Body)
	}
	r := s.Do(t, "PUT", "/v1/topics/new4", `{}`, "Content-Type", "text/plain")
	if r.Status != 415 {
		t.Errorf("text/plain body: %d", r.Status)
	}
}

func TestStatus(t *testing.T) {
	s := start(t)
	// go test builds without the -X flag scripts/build passes, so the version is "dev".
	if r := s.Do(t, "GET", "/v1/status", ""); r.Status != 200 || string(r.Body) != `{"status":"ok","version":"dev"}`+"\n" {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	s.Cluster.Close()
	s.Broker.Close()
	r := s.Do(t, "GET", "/v1/status", "")
	if r.Status != 503 || r.Header.Get("Retry-After") == "" || decode[map[string]any](t, r.Body)["version"] != buildinfo.Version {
		t.Fatalf("with the broker down: %d %s", r.Status, r.Body)
	}
}

func TestIndex(t *testing.T) {
	s := start(t)
	t.Run("GET / answers the JSON index", func(t *testing.T) {
		r := s.Do(t, "GET", "/", "")
		idx := decode[listtopics.Index](t, r.Body)
		if r.Status != 200 || idx.Name != "kafkafn" || idx.Version != buildinfo.Version ||
			idx.Links["openapi"] != "/v1/openapi.json" || idx.Links["status"] != "/v1/status" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("only the exact root: an unknown path is still a 404", func(t *testing.T) {
		if r := s.Do(t, "GET", "/nothing-here", ""); r.Status != 404 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("POST / is not the index", func(t *testing.T) {
		if r := s.Do(t, "POST", "/", "{}", "Content-Type", "application/json"); r.Status != 405 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
}

func TestOpenAPIDocumentIsServed(t *testing.T) {
	s := start(t)
	r := s.Do(t, "GET", "/v1/openapi.json", "")
	doc := decode[map[string]any](t, r.Body)
	if r.Status != 200 || doc["openapi"] != "3.1.0" {
		t.Fatalf("%d %.100s", r.Status, r.Body)
	}
}
