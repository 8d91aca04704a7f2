package consumewindow

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
