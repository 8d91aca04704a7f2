package listtopics

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/buildinfo"
	"github.com/kafkafn/kafkafn/shared/httpio"
	"github.com/kafkafn/kafkafn/shared/kafkadeps"
	"github.com/kafkafn/kafkafn/shared/metrics"
	"github.com/kafkafn/kafkafn/shared/openapi"
)

// Routes is the list-topics function's public surface, for the deploy descriptors.
var Routes = auth.Specs((&handlers{}).routes())

// routes is the route table: Register and Routes both read it.
func (h *handlers) routes() []auth.Route {
	return []auth.Route{
		{Route: httpio.Route{Method: "GET", Path: "/v1/metadata/topics", Name: "ListTopics"}, Op: auth.OpMetadata, Handle: h.topics},
		{Route: httpio.Route{Method: "GET", Path: "/v1/metadata/topics/{topic}/partitions", Name: "ListPartitions"}, Op: auth.OpMetadata, Handle: h.partitions},
		{Route: httpio.Route{Method: "GET", Path: "/v1/metadata/topics/{topic}/partitions/{partition}", Name: "GetPartition"}, Op: auth.OpMetadata, Handle: h.partition},
		{Route: httpio.Route{Method: "GET", Path: "/v1/metadata/brokers", Name: "ListBrokers"}, Op: auth.OpMetadata, Handle: h.brokers},
		{Route: httpio.Route{Method: "PUT", Path: "/v1/topics/{topic}", Name: "CreateTopic"}, Op: auth.OpAdmin, Handle: h.createTopic},
		{Route: httpio.Route{Method: "DELETE", Path: "/v1/topics/{topic}", Name: "DeleteTopic"}, Op: auth.OpAdmin, Handle: h.deleteTopic},
		{Route: httpio.Route{Method: "GET", Path: "/v1/status", Name: "Status"}, Op: auth.OpMetadata, Handle: h.status},
		{Route: httpio.Route{Method: "GET", Path: "/v1/openapi.json", Name: "OpenAPI"}, Op: auth.OpMetadata, Handle: serve(http.HandlerFunc(openapi.Serve))},
		{Route: httpio.Route{Method: "GET", Path: "/metrics", Name: "Metrics"}, Op: auth.OpMetadata, Handle: serve(httpio.MetricsHandler(h.Metrics))},
		// Index is exactly "/" ({$}): POST / is CKafka's SendMessage (produce), and a bare "GET /"
		// pattern would answer every unknown GET path with the index instead of a 404.
		{Route: httpio.Route{Method: "GET", Path: "/{$}", Name: "Index"}, Op: auth.OpMetadata, Handle: index},
	}
}

// serve answers with h (the routes that are plain http.Handlers).
func serve(h http.Handler) httpio.Handler {
	return func(*httpio.Request) (httpio.Response, error) { return httpio.Serving{Handler: h}, nil }
}

// Deps is what the routes need.
type Deps struct {
	kafkadeps.Base // the broker client, the guard, the limits
	// Metrics is served on GET /metrics when it is a Prometheus registry (METRICS=prometheus);
	// otherwise that route answers 404 metrics_disabled.
	Metrics *metrics.Registry
}

// Register adds the routes to mux.
func Register(mux *http.ServeMux, d Deps) {
	h := &handlers{d}
	auth.Register(mux, auth.Table{Routes: h.routes(), Guard: d.Guard,
		Timeout: d.Limits.RequestTimeout, Margin: d.Limits.DeadlineMargin,
		Checks: []httpio.PathCheck{{Name: "topic", Check: broker.ValidateTopicName}}})
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
func index(*httpio.Request) (httpio.Response, error) {
	return httpio.OK(Index{
		Name:        "kafkafn",
		Description: "Apache Kafka over HTTP",
		Version:     buildinfo.Version,
		Links: map[string]string{
			"openapi": "/v1/openapi.json",
			"status":  "/v1/status",
			"docs":    "https://github.com/kafkafn/kafkafn",
		},
	}), nil
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

func (h *handlers) topics(r *httpio.Request) (httpio.Response, error) {
	all, err := h.Broker.Topics(r.Context())
	if err != nil {
		return nil, err
	}
	topics := make([]string, 0, len(all))
	for _, t := range all {
		if h.Guard.Allow(r.Context(), auth.OpMetadata, t) == nil {
			topics = append(topics, t)
		}
	}
	return httpio.OK(struct {
		Topics []string `json:"topics"`
	}{topics}), nil
}

func (h *handlers) partitions(r *httpio.Request) (httpio.Response, error) {
	parts, err := h.Broker.Partitions(r.Context(), r.Topic)
	if err != nil {
		return nil, err
	}
	out := TopicMetadata{Topic: r.Topic, Partitions: make([]PartitionMetadata, len(parts))}
	for i, p := range parts {
		out.Partitions[i] = partitionMetadata(p)
	}
	return httpio.OK(out), nil
}

func (h *handlers) partition(r *httpio.Request) (httpio.Response, error) {
	p, err := httpio.PathInt(r.Request, "partition", 0, broker.MaxPartitionID)
	if err != nil {
		return nil, err
	}
	info, err := h.Broker.Partition(r.Context(), r.Topic, int(p))
	if err != nil {
		return nil, err
	}
	return httpio.OK(partitionMetadata(info)), nil
}

func (h *handlers) brokers(r *httpio.Request) (httpio.Response, error) {
	bs, err := h.Broker.Brokers(r.Context())
	if err != nil {
		return nil, err
	}
	out := struct {
		Brokers []BrokerEndpoint `json:"brokers"`
	}{make([]BrokerEndpoint, len(bs))}
	for i, b := range bs {
		out.Brokers[i] = endpoint(b)
	}
	return httpio.OK(out), nil
}

// TopicCreation is HDInsight's TopicCreationRecord.
type TopicCreation struct {
	PartitionCount    *int32                     `json:"partition_count"`
	ReplicationFactor *int32                     `json:"replication_factor"`
	TopicProperties   map[string]json.RawMessage `json:"topic_properties"`
}

func (h *handlers) createTopic(r *httpio.Request) (httpio.Response, error) {
	var body TopicCreation
	if err := httpio.DecodeJSON(r.Writer(), r.Request, 64<<10, &body, true); err != nil {
		return nil, err
	}
	spec, err := topicSpec(r.Topic, body)
	if err != nil {
		return nil, err
	}
	if err := h.Broker.CreateTopic(r.Context(), spec); err != nil {
		return nil, err
	}
	slog.InfoContext(r.Context(), "topic created", "topic", r.Topic, "partitions", spec.Partitions)
	return httpio.JSON[topicCreated]{Status: http.StatusCreated, Body: topicCreated{r.Topic, true}}, nil
}

type topicCreated struct {
	Topic   string `json:"topic"`
	Created bool   `json:"created"`
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

func (h *handlers) deleteTopic(r *httpio.Request) (httpio.Response, error) {
	if err := h.Broker.DeleteTopic(r.Context(), r.Topic); err != nil {
		return nil, err
	}
	slog.InfoContext(r.Context(), "topic deleted", "topic", r.Topic)
	return httpio.OK(struct {
		Topic   string `json:"topic"`
		Deleted bool   `json:"deleted"`
	}{r.Topic, true}), nil
}

// status answers 200 {"status":"ok"} or, when Kafka cannot be reached, 503 (504 on a
// timeout) with the status body and the error inside it.
func (h *handlers) status(r *httpio.Request) (httpio.Response, error) {
	if err := h.Broker.Ping(r.Context()); err != nil {
		return nil, statusError{err}
	}
	return httpio.OK(struct {
		Status  string `json:"status"`
		Version string `json:"version"`
	}{"ok", buildinfo.Version}), nil
}

// statusError is the status route's failure: it writes itself (httpio.Encode), as the status
// body with the error inside, never below 503.
type statusError struct{ error }

func (e statusError) Unwrap() error { return e.error }

func (e statusError) WriteResponse(w http.ResponseWriter, r *http.Request) {
	status, body := httpio.ErrorForRequest(r, e.error)
	if status < 500 {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Retry-After", "1")
	httpio.WriteJSON(w, status, struct {
		Status  string             `json:"status"`
		Version string             `json:"version"`
		Error   httpio.ErrorDetail `json:"error"`
	}{"unavailable", buildinfo.Version, body.Error})
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
