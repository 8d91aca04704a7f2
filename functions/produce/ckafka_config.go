package produce

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/kafkafn/kafkafn/shared/apierr"
	"github.com/kafkafn/kafkafn/shared/auth/tc3"
	"github.com/kafkafn/kafkafn/shared/broker"
	"github.com/kafkafn/kafkafn/shared/config/authenv"
	"github.com/kafkafn/kafkafn/shared/config/datahubenv"
	"github.com/kafkafn/kafkafn/shared/datahub"
	"github.com/kafkafn/kafkafn/shared/platform"
)

// CKafkaDeps configures SendMessage.
type CKafkaDeps struct {
	// DataHubs maps DataHubId → target topic (CKAFKA_DATAHUBS).
	DataHubs map[string]datahub.Target
	// Verifier checks TC3 signatures (AUTH_TC3_CREDENTIALS). Nil: no credentials; then only
	// the insecure dev guard lets requests through, unsigned.
	Verifier *tc3.Verifier
}

func loadCKafka(env platform.Env) (CKafkaDeps, error) {
	tc, err1 := authenv.TC3FromEnv(env.Getenv)
	ck, err2 := datahubenv.FromEnv(env.Getenv)
	ac, err3 := authenv.AuthFromEnv(env.Getenv)
	if err := errors.Join(err1, err2, err3); err != nil {
		return CKafkaDeps{}, err
	}
	// TC3 credentials without DataHubs are fine: TC3 signs the produce routes too
	// (shared/auth/tc3 VerifyRoute); SendMessage then knows no DataHubId.
	switch {
	case ck.Enabled() && !tc.Enabled() && !ac.InsecureDev:
		return CKafkaDeps{}, errors.New("AUTH_TC3_CREDENTIALS: is required with CKAFKA_DATAHUBS: " +
			"secretId:secretKey pairs, comma separated, that may sign SendMessage requests")
	}
	for _, id := range slices.Sorted(maps.Keys(ck.DataHubs)) {
		if err := broker.ValidateTopicName(ck.DataHubs[id].Topic); err != nil {
			return CKafkaDeps{}, fmt.Errorf("CKAFKA_DATAHUBS: DataHubId %s: %s", id, apierr.MessageOf(err))
		}
	}
	d := CKafkaDeps{DataHubs: ck.DataHubs}
	if tc.Enabled() {
		v, err := tc3.NewVerifier(CKafkaService, tc.Keys, tc3.WithPublicHosts(tc.PublicHosts...))
		if err != nil {
			return CKafkaDeps{}, fmt.Errorf("AUTH_TC3_CREDENTIALS: %w", err)
		}
		d.Verifier = v
	}
	return d, nil
}
