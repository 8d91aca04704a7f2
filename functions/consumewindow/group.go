package consumewindow

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/config"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

// GroupWindowResponse is the body of a group-window answer.
type GroupWindowResponse struct {
	Records []ConsumeRecord `json:"records"`
	// CommitToken commits exactly these records: POST it to
	// /v1/consumer/groups/{group}/commit once they are processed.
	CommitToken string `json:"token"`
	// Committed is true when ?commit=immediate committed the window before answering.
	Committed bool `json:"committed"`
	// CaughtUp is true when the window reached the end of every partition.
	CaughtUp bool `json:"caughtUp"`
}

// CommitRequest is the body of a commit.
type CommitRequest struct {
	CommitToken string `json:"token"` // a GroupWindowResponse's token
}

// CommitResponse is the body of a successful commit.
type CommitResponse struct {
	Group     string            `json:"group"`
	Topic     string            `json:"topic"`
	Committed []PartitionOffset `json:"committed"` // the offsets now stored, per partition
}

// PartitionOffset is a committed offset: the offset of the next record the group reads.
type PartitionOffset struct {
	Partition int   `json:"partition"`
	Offset    int64 `json:"offset"`
}

// LagResponse is the body of a lag answer.
type LagResponse struct {
	Group      string         `json:"group"`
	Topic      string         `json:"topic"`
	Lag        int64          `json:"lag"` // the sum over partitions
	Partitions []PartitionLag `json:"partitions"`
}

// PartitionLag is one partition's position. Committed is null when the group has no commit
// there; Lag then counts every retained record.
type PartitionLag struct {
	Partition      int    `json:"partition"`
	Committed      *int64 `json:"committed"`
	LogStartOffset int64  `json:"logStartOffset"`
	EndOffset      int64  `json:"endOffset"`
	Lag            int64  `json:"lag"`
}

// groupBatch is one group window.
type groupBatch struct {
	messages    []broker.Message
	commitToken commitToken
	caughtUp    bool
}

// readGroupWindow reads the next window of topic for group from its committed offsets
// (reset where it has none, or where its commit points before the log start), its record
// data reserved from budget (nil: none).
func readGroupWindow(ctx context.Context, d Deps, group, topic, reset string, count int, maxBytes int64, budget broker.Budget) (groupBatch, error) {
	parts, err := d.Broker.Partitions(ctx, topic)
	if err != nil {
		return groupBatch{}, err
	}
	ids := make([]int, len(parts))
	for i, p := range parts {
		ids[i] = p.ID
	}
	committed, err := d.Broker.CommittedOffsets(ctx, group, topic, ids)
	if err != nil {
		return groupBatch{}, err
	}
	spans := make([]span, len(parts))
	for i, p := range parts {
		start := committed[p.ID]
		if start == broker.NoCommit || start < p.Earliest {
			start = p.Earliest
			if reset == config.ResetLatest {
				start = p.Latest
			}
		}
		spans[i] = span{partition: p.ID, next: start, end: p.Latest}
	}
	res, err := readMerged(ctx, d.Broker, topic, spans, count, maxBytes, nil, budget)
	if err != nil {
		return groupBatch{}, err
	}
	b := groupBatch{messages: res.messages, caughtUp: res.done,
		commitToken: commitToken{V: commitTokenVersion, Group: group, Topic: topic, Issued: time.Now().UnixMilli(), Partitions: []commitTokenOffset{}}}
	for _, id := range ids {
		if n := res.next[id]; n != committed[id] {
			b.commitToken.Partitions = append(b.commitToken.Partitions, commitTokenOffset{Partition: id, Committed: committed[id], Next: n})
		}
	}
	return b, nil
}

// commitLocks serialise check-and-commit per group within one process. Kafka has no
// compare-and-set for offsets, so two instances committing the same group at the same
// moment can still race; see docs/consume-windows.md.
var commitLocks [64]sync.Mutex

func commitLock(group string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(group))
	return &commitLocks[h.Sum32()%uint32(len(commitLocks))]
}

// commitOffsets stores the commit token's offsets if the group's committed offsets are still
// the ones the window was read from. A partition that already holds the token's offset (the
// same token committed before) is left alone, so a repeated commit succeeds. Any other change is
// a Conflict and nothing is committed: a committed offset is never moved backwards or
// sideways by a stale commit token.
func commitOffsets(ctx context.Context, d Deps, t *commitToken) (CommitResponse, error) {
	out := CommitResponse{Group: t.Group, Topic: t.Topic, Committed: []PartitionOffset{}}
	if len(t.Partitions) == 0 {
		return out, nil
	}
	if err := checkCommitTokenRange(ctx, d.Broker, t); err != nil {
		return out, err
	}
	mu := commitLock(t.Group)
	mu.Lock()
	defer mu.Unlock()
	ids := make([]int, len(t.Partitions))
	for i, p := range t.Partitions {
		ids[i] = p.Partition
	}
	now, err := d.Broker.CommittedOffsets(ctx, t.Group, t.Topic, ids)
	if err != nil {
		return out, err
	}
	todo := map[int]int64{}
	for _, p := range t.Partitions {
		switch now[p.Partition] {
		case p.Committed:
			todo[p.Partition] = p.Next
		case p.Next: // already committed by this commit token
		default:
			return out, apierr.E(apierr.Conflict, "group_moved_on", fmt.Sprintf(
				"consumer group %q moved on since the window was read: partition %d was at %s, is now at %s; nothing was committed (read the window again)",
				t.Group, p.Partition, offsetText(p.Committed), offsetText(now[p.Partition])))
		}
	}
	if err := d.Broker.CommitOffsets(ctx, t.Group, t.Topic, todo); err != nil {
		return out, err
	}
	for _, p := range t.Partitions {
		out.Committed = append(out.Committed, PartitionOffset{Partition: p.Partition, Offset: p.Next})
	}
	slices.SortFunc(out.Committed, func(a, b PartitionOffset) int { return a.Partition - b.Partition })
	return out, nil
}

func offsetText(off int64) string {
	if off == broker.NoCommit {
		return "no commit"
	}
	return fmt.Sprint(off)
}

func resetParam(r *http.Request, def string) (string, error) {
	switch v := r.URL.Query().Get("reset"); v {
	case "":
		return def, nil
	case config.ResetEarliest, config.ResetLatest:
		return v, nil
	default:
		return "", apierr.E(apierr.Invalid, "invalid_reset", `query parameter reset must be "earliest" or "latest"`)
	}
}

type groupWindow struct{ Deps }

func (h *groupWindow) serve(r *httpio.Request) (httpio.Response, error) {
	group, topic := r.PathValue("group"), r.Topic
	if err := h.Guard.AllowGroup(r.Context(), topic, group); err != nil {
		return nil, err
	}
	count, forceBase64, err := windowQuery(r.Request, h.Limits.ConsumeMaxCount)
	if err != nil {
		return nil, err
	}
	reset, err := resetParam(r.Request, h.Groups.Reset)
	if err != nil {
		return nil, err
	}
	immediate := false
	switch r.URL.Query().Get("commit") {
	case "":
	case "immediate":
		immediate = true
	default:
		return nil, apierr.E(apierr.Invalid, "invalid_commit", `query parameter commit must be "immediate" or left out`)
	}
	ctx := r.Context()
	start := time.Now()
	b, err := readGroupWindow(ctx, h.Deps, group, topic, reset, int(count), h.Limits.ConsumeMaxBytes, httpio.ResponseHold(r.Request))
	if err != nil {
		return nil, err
	}
	noteConsumed(r.Request, b.messages, start)
	out := GroupWindowResponse{Records: make([]ConsumeRecord, len(b.messages)), CommitToken: b.commitToken.encode(h.Groups.CommitTokenSecret), CaughtUp: b.caughtUp}
	for i := range b.messages {
		out.Records[i] = ToRecord(topic, &b.messages[i], forceBase64)
	}
	if immediate {
		// At-most-once: the records count as consumed even if this answer is lost.
		if _, err := commitOffsets(ctx, h.Deps, &b.commitToken); err != nil {
			return nil, err
		}
		out.Committed = true
	}
	return httpio.OK(out), nil
}

type groupCommit struct{ Deps }

// maxCommitBody bounds a commit request body.
const maxCommitBody = maxCommitTokenLen + 1024

func (h *groupCommit) serve(r *httpio.Request) (httpio.Response, error) {
	group := r.PathValue("group")
	var req CommitRequest
	if err := httpio.DecodeJSON(r.Writer(), r.Request, maxCommitBody, &req, false); err != nil {
		return nil, err
	}
	t, err := decodeCommitToken(req.CommitToken, h.Groups.CommitTokenSecret, h.Groups.CommitTokenTTL, time.Now())
	if err != nil {
		return nil, err
	}
	if t.Group != group {
		return nil, invalidCommitToken("it was issued for another consumer group")
	}
	if err := h.Guard.AllowGroup(r.Context(), t.Topic, group); err != nil {
		return nil, err
	}
	ctx := r.Context()
	out, err := commitOffsets(ctx, h.Deps, t)
	if err != nil {
		return nil, err
	}
	return httpio.OK(out), nil
}

type groupLag struct{ Deps }

func (h *groupLag) serve(r *httpio.Request) (httpio.Response, error) {
	group, topic := r.PathValue("group"), r.URL.Query().Get("topic")
	if !r.URL.Query().Has("topic") {
		return nil, apierr.E(apierr.Invalid, "invalid_topic", "query parameter topic is required")
	}
	if err := broker.ValidateTopicName(topic); err != nil {
		return nil, err
	}
	if err := h.Guard.AllowGroup(r.Context(), topic, group); err != nil {
		return nil, err
	}
	ctx := r.Context()
	out, err := groupLagOf(ctx, h.Deps, group, topic)
	if err != nil {
		return nil, err
	}
	return httpio.OK(out), nil
}

func groupLagOf(ctx context.Context, d Deps, group, topic string) (LagResponse, error) {
	parts, err := d.Broker.Partitions(ctx, topic)
	if err != nil {
		return LagResponse{}, err
	}
	ids := make([]int, len(parts))
	for i, p := range parts {
		ids[i] = p.ID
	}
	committed, err := d.Broker.CommittedOffsets(ctx, group, topic, ids)
	if err != nil {
		return LagResponse{}, err
	}
	out := LagResponse{Group: group, Topic: topic, Partitions: make([]PartitionLag, len(parts))}
	for i, p := range parts {
		pl := PartitionLag{Partition: p.ID, LogStartOffset: p.Earliest, EndOffset: p.Latest}
		from := p.Earliest
		if c := committed[p.ID]; c != broker.NoCommit {
			pl.Committed = &c
			from = max(c, p.Earliest)
		}
		pl.Lag = max(p.Latest-from, 0)
		out.Lag += pl.Lag
		out.Partitions[i] = pl
	}
	return out, nil
}
