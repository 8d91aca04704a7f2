package broker

import (
	"sync"
	"time"
)

// partCache keeps topics' partition counts for a short while, so that a produce does not ask
// for metadata on every request (kafka-go's Client.Metadata answers from the transport's
// cache, but still builds the whole cluster's metadata response each time).
//
// Design note: an entry is trusted for a quarter of KAFKA_METADATA_TTL, so a count is at
// most that much older than the transport's own cache (itself at most MetadataTTL old): a
// partition added a moment ago is used a quarter of a TTL later than before, never
// missed for longer. An entry is dropped when a produce to its topic fails, and every entry
// is stale after a refresh (a new generation), so a topic re-created with fewer partitions
// is looked up afresh at once (Produce's unknown_partition retry). The map is bounded: topic
// names come from requests, but only those with metadata are kept, and at most maxTopics.
type partCache struct {
	ttl time.Duration // 0: no caching
	mu  sync.Mutex
	m   map[string]partEntry
}

type partEntry struct {
	n   int
	at  time.Time
	gen int64
}

// maxTopics bounds the cache; when full it starts over.
const maxTopics = 1024

func (pc *partCache) get(topic string, gen int64, now time.Time) (int, bool) {
	if pc.ttl <= 0 {
		return 0, false
	}
	pc.mu.Lock()
	e, ok := pc.m[topic]
	pc.mu.Unlock()
	if !ok || e.gen != gen || now.Sub(e.at) >= pc.ttl || now.Before(e.at) {
		return 0, false
	}
	return e.n, true
}

func (pc *partCache) put(topic string, n int, gen int64, now time.Time) {
	if pc.ttl <= 0 {
		return
	}
	pc.mu.Lock()
	if pc.m == nil || len(pc.m) >= maxTopics {
		pc.m = make(map[string]partEntry)
	}
	pc.m[topic] = partEntry{n: n, at: now, gen: gen}
	pc.mu.Unlock()
}

func (pc *partCache) forget(topic string) {
	pc.mu.Lock()
	delete(pc.m, topic)
	pc.mu.Unlock()
}
