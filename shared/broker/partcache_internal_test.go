package broker

import (
	"fmt"
	"testing"
	"time"
)

func TestPartCache(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	pc := partCache{ttl: time.Second}
	pc.put("a", 3, 7, t0)
	if n, ok := pc.get("a", 7, t0.Add(999*time.Millisecond)); !ok || n != 3 {
		t.Errorf("within the TTL: %d %v, want 3 true", n, ok)
	}
	if _, ok := pc.get("a", 7, t0.Add(time.Second)); ok {
		t.Error("an entry a TTL old is still used")
	}
	if _, ok := pc.get("a", 8, t0); ok {
		t.Error("an entry of an older generation (before a refresh) is still used")
	}
	if _, ok := pc.get("a", 7, t0.Add(-time.Millisecond)); ok {
		t.Error("an entry from the future (the clock went back) is still used")
	}
	pc.forget("a")
	if _, ok := pc.get("a", 7, t0); ok {
		t.Error("a forgotten entry is still used")
	}
	for i := range maxTopics + 1 {
		pc.put(fmt.Sprint("t", i), 1, 7, t0)
	}
	if len(pc.m) > maxTopics {
		t.Errorf("%d entries, want at most %d", len(pc.m), maxTopics)
	}
	off := partCache{}
	off.put("a", 3, 7, t0)
	if _, ok := off.get("a", 7, t0); ok {
		t.Error("a zero TTL caches")
	}
}
