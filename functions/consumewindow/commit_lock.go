package consumewindow

import (
	"hash/fnv"
	"sync"
)

// commitLocks serialise check-and-commit per group within one process. Kafka has no
// compare-and-set for offsets, so two instances committing the same group at the same
// moment can still race; see docs/consume-windows.md.
var commitLocks [64]sync.Mutex

func commitLock(group string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(group))
	return &commitLocks[h.Sum32()%uint32(len(commitLocks))]
}
