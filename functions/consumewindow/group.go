package consumewindow

import (
	"net/http"
	"time"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/groups"
	"github.com/kafkafn/kafkafn/shared/httpio"
)

func resetParam(r *http.Request, def string) (string, error) {
	switch v := r.URL.Query().Get("reset"); v {
	case "":
		return def, nil
	case groups.ResetEarliest, groups.ResetLatest:
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
