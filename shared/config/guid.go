package config

import (
	"github.com/kafkafn/kafkafn/shared/config/internal/envread"
)

// IsGUID reports whether s is a GUID in its 8-4-4-4-12 hex form (any case). The token route
// checks client IDs with it; the readers use envread's.
func IsGUID(s string) bool { return envread.IsGUID(s) }
