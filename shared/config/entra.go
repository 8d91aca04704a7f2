package config

import (
	"github.com/kafkafn/kafkafn/shared/config/internal/envread"
)

// DefaultEntraAuthorityHost is the public-cloud Entra ID login host.
const DefaultEntraAuthorityHost = "https://login.microsoftonline.com"

// DefaultTokenScope is the scope the token route hands out by default: HDInsight Kafka REST.
const DefaultTokenScope = "https://hib.azurehdinsight.net/.default"

// IsGUID reports whether s is a GUID in its 8-4-4-4-12 hex form (any case).
func IsGUID(s string) bool { return envread.IsGUID(s) }
