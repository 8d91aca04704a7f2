package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	signer "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/aws_msk_iam_v2"
	"github.com/segmentio/kafka-go/sasl/plain"

	"github.com/kafkafn/kafkafn/shared/broker/saslcred"
)

func saslMechanism(cfg Config) (sasl.Mechanism, error) {
	switch cfg.SASLMechanism {
	case "":
		return nil, nil
	case SASLPlain:
		return plain.Mechanism{Username: cfg.SASLUsername, Password: cfg.SASLPassword}, nil
	case SASLScramSHA256, SASLScramSHA512:
		m, err := newSCRAM(cfg.SASLMechanism, cfg.SASLUsername, cfg.SASLPassword)
		if err != nil {
			return nil, fmt.Errorf("broker: KAFKA_SASL_MECHANISM: %w", err)
		}
		return m, nil
	case SASLAWSMSKIAM:
		return mskIAM(cfg)
	case SASLOAuthBearer:
		return oauthBearer(cfg)
	default:
		return nil, fmt.Errorf("broker: KAFKA_SASL_MECHANISM: unsupported %q", cfg.SASLMechanism)
	}
}

// mskIAM is kafka-go's own AWS_MSK_IAM mechanism (SigV4 presign by the AWS SDK's signer)
// with credentials that are retrieved for every connection, never a snapshot
// (segmentio/kafka-go#975). SignTime stays zero so each connection signs with its own time.
func mskIAM(cfg Config) (sasl.Mechanism, error) {
	if cfg.AWS.Region == "" {
		return nil, errors.New("broker: AWS_REGION is required with KAFKA_SASL_MECHANISM=AWS_MSK_IAM")
	}
	if cfg.AWS.Getenv == nil {
		return nil, errors.New("broker: AWS_MSK_IAM needs the environment to read credentials from")
	}
	creds, err := saslcred.NewAWSCredentials(cfg.AWS, cfg.DialTimeout)
	if err != nil {
		return nil, fmt.Errorf("broker: AWS_MSK_IAM: %w", err)
	}
	return &aws_msk_iam_v2.Mechanism{
		Signer:      signer.NewSigner(),
		Credentials: expiryNoting{creds},
		Region:      cfg.AWS.Region,
	}, nil
}

// expiryNoting tells the SASL exchange when the credentials it signs with expire, which
// bounds the session the broker grants.
type expiryNoting struct{ aws.CredentialsProvider }

func (p expiryNoting) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := p.CredentialsProvider.Retrieve(ctx)
	if err == nil && c.CanExpire {
		noteCredentialExpiry(ctx, c.Expires)
	}
	return c, err
}

func oauthBearer(cfg Config) (sasl.Mechanism, error) {
	if cfg.OAuth.ManagedIdentity && cfg.OAuth.Getenv == nil {
		return nil, errors.New("broker: KAFKA_OAUTH_MANAGED_IDENTITY needs the environment to read IDENTITY_HEADER from")
	}
	tokens, err := saslcred.NewTokenSource(cfg.OAuth, cfg.DialTimeout)
	if err != nil {
		return nil, fmt.Errorf("broker: OAUTHBEARER: %w", err)
	}
	var ext strings.Builder
	for _, k := range cfg.OAuth.ExtensionKeys() {
		ext.WriteString(k + "=" + cfg.OAuth.Extensions[k] + "\x01")
	}
	return &oauthMechanism{tokens: tokens, extensions: ext.String()}, nil
}

// oauthMechanism is OAUTHBEARER (RFC 7628, KIP-255), which kafka-go lacks.
type oauthMechanism struct {
	tokens     *saslcred.Tokens
	extensions string // rendered key=value\x01 pairs, sorted by key
}

func (m *oauthMechanism) Name() string { return "OAUTHBEARER" }

// Start sends the client-first message n,,\x01auth=Bearer <token>\x01[key=value\x01...]\x01
// with a token that has at least half its lifetime left.
func (m *oauthMechanism) Start(ctx context.Context) (sasl.StateMachine, []byte, error) {
	tok, err := m.tokens.Token(ctx)
	if err != nil {
		return nil, nil, err
	}
	if !b64token.MatchString(tok.Value) {
		return nil, nil, errors.New("the token endpoint returned an access token that is not an RFC 6750 bearer token")
	}
	noteCredentialExpiry(ctx, tok.Expiry)
	return &oauthSession{}, []byte("n,,\x01auth=Bearer " + tok.Value + "\x01" + m.extensions + "\x01"), nil
}

// oauthSession handles the server's answer: empty on success; on failure a JSON challenge
// {"status":…,"scope":…,"openid-configuration":…}, to which the client must send a single
// \x01, after which the broker fails the exchange (RFC 7628 §3.2.2).
type oauthSession struct{ refused string }

func (s *oauthSession) Next(_ context.Context, challenge []byte) (bool, []byte, error) {
	if s.refused != "" {
		return false, nil, fmt.Errorf("the broker refused the token: %s", s.refused)
	}
	if len(challenge) == 0 {
		return true, nil, nil
	}
	var e struct {
		Status string `json:"status"`
		Scope  string `json:"scope"`
		OpenID string `json:"openid-configuration"`
	}
	if json.Unmarshal(challenge, &e) != nil || e.Status == "" {
		s.refused = "an unreadable error"
	} else {
		s.refused = "status " + e.Status
		if e.Scope != "" {
			s.refused += ", scope " + e.Scope
		}
	}
	return false, []byte{0x01}, nil
}

func (s *oauthSession) refusal() string { return s.refused }
