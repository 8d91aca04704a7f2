package listtopics

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/buildinfo"
	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/metrics"
	"github.com/kafkafn/kafkafn/shared/openapi"
)

// Routes is the list-topics function's public surface.
var Routes = []httpio.Route{
	{Method: "GET", Path: "/v1/metadata/topics", Name: "ListTopics"},
	{Method: "GET", Path: "/v1/metadata/topics/{topic}/partitions", Name: "ListPartitions"},
	{Method: "GET", Path: "/v1/metadata/topics/{topic}/partitions/{partition}", Name: "GetPartition"},
	{Method: "GET", Path: "/v1/metadata/brokers", Name: "ListBrokers"},
	{Method: "PUT", Path: "/v1/topics/{topic}", Name: "CreateTopic"},
	{Method: "DELETE", Path: "/v1/topics/{topic}", Name: "DeleteTopic"},
	{Method: "GET", Path: "/v1/status", Name: "Status"},
	{Method: "GET", Path: "/v1/openapi.json", Name: "OpenAPI"},
	{Method: "GET", Path: "/metrics", Name: "Metrics"},
	// Index is exactly "/" ({$}): POST / is CKafka's SendMessage (produce), and a bare "GET /"
	// pattern would answer every unknown GET path with the index instead of a 404.
	{Method: "GET", Path: "/{$}", Name: "Index"},
}

// Deps is what the routes need.
type Deps struct {
	Broker *broker.Client
	Guard  *auth.Guard
	Limits config.Limits
	// Metrics is served on GET /metrics when it is a Prometheus registry (METRICS=prometheus);
	// otherwise that route answers 404 metrics_disabled.
	Metrics *metrics.Registry
}

// Register adds the routes to mux.
func Register(mux *http.ServeMux, d Deps) {
	h := &handlers{d}
	g := d.Guard
	mux.Handle(Routes[0].Pattern(), g.Wrap(auth.OpMetadata, http.HandlerFunc(h.topics)))
	mux.Handle(Routes[1].Pattern(), g.Wrap(auth.OpMetadata, http.HandlerFunc(h.partitions)))
	mux.Handle(Routes[2].Pattern(), g.Wrap(auth.OpMetadata, http.HandlerFunc(h.partition)))
	mux.Handle(Routes[3].Pattern(), g.Wrap(auth.OpMetadata, http.HandlerFunc(h.brokers)))
	mux.Handle(Routes[4].Pattern(), g.Wrap(auth.OpAdmin, http.HandlerFunc(h.createTopic)))
	mux.Handle(Routes[5].Pattern(), g.Wrap(auth.OpAdmin, http.HandlerFunc(h.deleteTopic)))
	mux.Handle(Routes[6].Pattern(), g.Wrap(auth.OpMetadata, http.HandlerFunc(h.status)))
	mux.Handle(Routes[7].Pattern(), g.Wrap(auth.OpMetadata, http.HandlerFunc(openapi.Serve)))
	mux.Handle(Routes[8].Pattern(), g.Wrap(auth.OpMetadata, httpio.MetricsHandler(d.Metrics)))
	mux.Handle(Routes[9].Pattern(), g.Wrap(auth.OpMetadata, http.HandlerFunc(index)))
}

// Index is the body of GET /: what answers, and where to read on.
type Index struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Version     string            `json:"version"`
	Links       map[string]string `json:"links"`
}

// index answers GET / with a small JSON index. It sits behind the same credentials as
// GET /v1/status and the OpenAPI document, so an unauthenticated caller learns no version.
func index(w http.ResponseWriter, _ *http.Request) {
	httpio.WriteJSON(w, http.StatusOK, Index{
		Name:        "kafkafn",
		Description: "Apache Kafka over HTTP",
		Version:     buildinfo.Version,
		Links: map[string]string{
			"openapi": "/v1/openapi.json",
			"status":  "/v1/status",
			"docs":    "https://github.com/kafkafn/kafkafn",
		},
	})
}

type handlers struct{ Deps }

// BrokerEndpoint is HDInsight's broker shape.
type BrokerEndpoint struct {
	HostName string `json:"hostName"`
	Port     int    `json:"port"`
	ID       int    `json:"id"`
	Rack     string `json:"rack"`
}

// PartitionMetadata is HDInsight's PartitionMetadataResponse.
type PartitionMetadata struct {
	PartitionID    int              `json:"partition_id"`
	EarliestOffset int64            `json:"earliest_offset"`
	LatestOffset   int64            `json:"latest_offset"`
	Leader         BrokerEndpoint   `json:"leader"`
	Replicas       []BrokerEndpoint `json:"replicas"`
	ISR            []BrokerEndpoint `json:"isr"`
}

// TopicMetadata is HDInsight's TopicMetadaResponse.
type TopicMetadata struct {
	Topic      string              `json:"topic"`
	Partitions []PartitionMetadata `json:"partitions"`
}

func (h *handlers) ctx(r *http.Request) (context.Context, context.CancelFunc) {
	return httpio.RequestContext(r, h.Limits.RequestTimeout, h.Limits.DeadlineMargin)
}

func (h *handlers) topics(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := h.ctx(r)
	defer cancel()
	all, err := h.Broker.Topics(ctx)
	if err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	topics := make([]string, 0, len(all))
	for _, t := range all {
		if h.Guard.Allow(r.Context(), auth.OpMetadata, t) == nil {
			topics = append(topics, t)
		}
	}
	httpio.WriteJSON(w, http.StatusOK, struct {
		Topics []string `json:"topics"`
	}{topics})
}

func (h *handlers) partitions(w http.ResponseWriter, r *http.Request) {
	topic := r.PathValue("topic")
	if err := broker.ValidateTopicName(topic); err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	ctx, cancel := h.ctx(r)
	defer cancel()
	parts, err := h.Broker.Partitions(ctx, topic)
	if err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	out := TopicMetadata{Topic: topic, Partitions: make([]PartitionMetadata, len(parts))}
	for i, p := range parts {
		out.Partitions[i] = partitionMetadata(p)
	}
	httpio.WriteJSON(w, http.StatusOK, out)
}

func (h *handlers) partition(w http.ResponseWriter, r *http.Request) {
	topic := r.PathValue("topic")
	if err := broker.ValidateTopicName(topic); err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	p, err := httpio.PathInt(r, "partition", 0, 1<<31-1)
	if err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	ctx, cancel := h.ctx(r)
	defer cancel()
	info, err := h.Broker.Partition(ctx, topic, int(p))
	if err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	httpio.WriteJSON(w, http.StatusOK, partitionMetadata(info))
}

func (h *handlers) brokers(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := h.ctx(r)
	defer cancel()
	bs, err := h.Broker.Brokers(ctx)
	if err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	out := struct {
		Brokers []BrokerEndpoint `json:"brokers"`
	}{make([]BrokerEndpoint, len(bs))}
	for i, b := range bs {
		out.Brokers[i] = endpoint(b)
	}
	httpio.WriteJSON(w, http.StatusOK, out)
}

// TopicCreation is HDInsight's TopicCreationRecord.
type TopicCreation struct {
	PartitionCount    *int32                     `json:"partition_count"`
	ReplicationFactor *int32                     `json:"replication_factor"`
	TopicProperties   map[string]json.RawMessage `json:"topic_properties"`
}

func (h *handlers) createTopic(w http.ResponseWriter, r *http.Request) {
	topic := r.PathValue("topic")
	if err := broker.ValidateTopicName(topic); err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	var body TopicCreation
	if err := httpio.DecodeJSON(w, r, 64<<10, &body, true); err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	spec, err := topicSpec(topic, body)
	if err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	ctx, cancel := h.ctx(r)
	defer cancel()
	if err := h.Broker.CreateTopic(ctx, spec); err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	slog.InfoContext(r.Context(), "topic created", "topic", topic, "partitions", spec.Partitions)
	httpio.WriteJSON(w, http.StatusCreated, struct {
		Topic   string `json:"topic"`
		Created bool   `json:"created"`
	}{topic, true})
}

func topicSpec(topic string, body TopicCreation) (broker.TopicSpec, error) {
	spec := broker.TopicSpec{Name: topic}
	if body.PartitionCount != nil {
		if *body.PartitionCount < 1 || *body.PartitionCount > 10000 {
			return spec, apierr.E(apierr.Invalid, "invalid_partition_count", "partition_count must be between 1 and 10000")
		}
		spec.Partitions = int(*body.PartitionCount)
	}
	if body.ReplicationFactor != nil {
		if *body.ReplicationFactor < 1 || *body.ReplicationFactor > 32 {
			return spec, apierr.E(apierr.Invalid, "invalid_replication_factor", "replication_factor must be between 1 and 32")
		}
		spec.ReplicationFactor = int(*body.ReplicationFactor)
	}
	if len(body.TopicProperties) > 0 {
		spec.Configs = make(map[string]string, len(body.TopicProperties))
		for k, raw := range body.TopicProperties {
			if k == "" {
				return spec, apierr.E(apierr.Invalid, "invalid_topic_properties", "topic_properties keys must not be empty")
			}
			var s string
			if err := json.Unmarshal(raw, &s); err == nil {
				spec.Configs[k] = s
				continue
			}
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				return spec, apierr.E(apierr.Invalid, "invalid_topic_properties", "topic_properties."+k+" is not valid JSON")
			}
			switch v.(type) {
			case float64, bool:
				spec.Configs[k] = string(raw)
			default:
				return spec, apierr.E(apierr.Invalid, "invalid_topic_properties",
					"topic_properties."+k+" must be a string, number or boolean")
			}
		}
	}
	return spec, nil
}

func (h *handlers) deleteTopic(w http.ResponseWriter, r *http.Request) {
	topic := r.PathValue("topic")
	if err := broker.ValidateTopicName(topic); err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	ctx, cancel := h.ctx(r)
	defer cancel()
	if err := h.Broker.DeleteTopic(ctx, topic); err != nil {
		httpio.WriteError(w, r, err)
		return
	}
	slog.InfoContext(r.Context(), "topic deleted", "topic", topic)
	httpio.WriteJSON(w, http.StatusOK, struct {
		Topic   string `json:"topic"`
		Deleted bool   `json:"deleted"`
	}{topic, true})
}

func (h *handlers) status(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := h.ctx(r)
	defer cancel()
	if err := h.Broker.Ping(ctx); err != nil {
		status, body := httpio.ErrorForRequest(r, err)
		if status < 500 {
			status = http.StatusServiceUnavailable
		}
		w.Header().Set("Retry-After", "1")
		httpio.WriteJSON(w, status, struct {
			Status  string             `json:"status"`
			Version string             `json:"version"`
			Error   httpio.ErrorDetail `json:"error"`
		}{"unavailable", buildinfo.Version, body.Error})
		return
	}
	httpio.WriteJSON(w, http.StatusOK, struct {
		Status  string `json:"status"`
		Version string `json:"version"`
	}{"ok", buildinfo.Version})
}

func partitionMetadata(p broker.PartitionInfo) PartitionMetadata {
	return PartitionMetadata{
		PartitionID: p.ID, EarliestOffset: p.Earliest, LatestOffset: p.Latest,
		Leader: endpoint(p.Leader), Replicas: endpoints(p.Replicas), ISR: endpoints(p.ISR),
	}
}

func endpoint(b broker.BrokerInfo) BrokerEndpoint {
	return BrokerEndpoint{HostName: b.Host, Port: b.Port, ID: b.ID, Rack: b.Rack}
}

func endpoints(bs []broker.BrokerInfo) []BrokerEndpoint {
	out := make([]BrokerEndpoint, len(bs))
	for i, b := range bs {
		out[i] = endpoint(b)
	}
	return out
}
