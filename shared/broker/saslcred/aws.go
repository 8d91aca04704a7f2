package saslcred

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/sync/singleflight"
)

// NewAWSCredentials returns the credentials provider cfg describes: the container credentials
// endpoint when cfg.ContainerURI is set (cached until five minutes, or half their lifetime,
// before the credentials expire), else the AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN variables,
// read afresh for every call. timeout bounds each fetch from the endpoint.
func NewAWSCredentials(cfg AWSCredentials, timeout time.Duration) (aws.CredentialsProvider, error) {
	if cfg.ContainerURI == "" {
		return envCredentials{getenv: cfg.Getenv}, nil
	}
	hc, err := httpClient(nil)
	if err != nil {
		return nil, err
	}
	return &awsCache{src: containerCredentials{uri: cfg.ContainerURI, getenv: cfg.Getenv, hc: hc}, timeout: timeout}, nil
}

// awsCache caches expiring credentials. Unlike aws.CredentialsCache it reports their true
// expiry (the SDK's cache moves Expires forward by its window), which bounds the Kafka session.
type awsCache struct {
	src     aws.CredentialsProvider
	timeout time.Duration
	mu      sync.Mutex
	creds   aws.Credentials
	fetched time.Time
	sf      singleflight.Group
}

func (c *awsCache) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c.mu.Lock()
	creds, fetched := c.creds, c.fetched
	c.mu.Unlock()
	if creds.HasKeys() {
		window := min(5*time.Minute, creds.Expires.Sub(fetched)/2)
		if !creds.CanExpire || time.Now().Before(creds.Expires.Add(-window)) {
			return creds, nil
		}
	}
	return sharedFetch(ctx, &c.sf, c.timeout, "AWS credentials", func(fctx context.Context) (aws.Credentials, error) {
		start := time.Now()
		creds, err := c.src.Retrieve(fctx)
		if err != nil {
			return aws.Credentials{}, err
		}
		c.mu.Lock()
		c.creds, c.fetched = creds, start
		c.mu.Unlock()
		return creds, nil
	})
}

type envCredentials struct{ getenv func(string) string }

func (e envCredentials) Retrieve(context.Context) (aws.Credentials, error) {
	id, secret := strings.TrimSpace(e.getenv("AWS_ACCESS_KEY_ID")), e.getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return aws.Credentials{}, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
	}
	return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: e.getenv("AWS_SESSION_TOKEN"), Source: "environment"}, nil
}

// containerCredentials speaks the AWS container credentials protocol: GET the URI with the
// authorization token, answered with {"AccessKeyId","SecretAccessKey","Token","Expiration"}.
type containerCredentials struct {
	uri    string
	getenv func(string) string
	hc     *http.Client
}

func (c containerCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	fail := func(format string, args ...any) (aws.Credentials, error) {
		return aws.Credentials{}, fmt.Errorf("AWS_CONTAINER_CREDENTIALS_FULL_URI: "+format, args...)
	}
	auth := c.getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
	if auth == "" {
		if f := c.getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				return fail("reading AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %v", err)
			}
			auth = strings.TrimSpace(string(b))
		}
	}
	if strings.ContainsAny(auth, "\r\n") {
		return fail("the authorization token has a line break")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.uri, nil)
	if err != nil {
		return fail("%v", err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return fail("%v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fail("reading the answer: %v", err)
	}
	creds, err := decodeContainerAnswer(resp.StatusCode, resp.Status, body)
	if err != nil {
		return fail("%v", err)
	}
	return creds, nil
}

// decodeContainerAnswer reads the container credentials endpoint's answer.
func decodeContainerAnswer(code int, status string, body []byte) (aws.Credentials, error) {
	var out struct {
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string `json:"SecretAccessKey"`
		Token           string `json:"Token"`
		Expiration      string `json:"Expiration"`
		Code            string `json:"code"`
		Message         string `json:"message"`
	}
	jerr := json.Unmarshal(body, &out)
	if code != http.StatusOK {
		return aws.Credentials{}, fmt.Errorf("answered %s %.100s %.200s", status, out.Code, out.Message)
	}
	if jerr != nil || out.AccessKeyID == "" || out.SecretAccessKey == "" {
		return aws.Credentials{}, errors.New("the answer holds no credentials")
	}
	creds := aws.Credentials{AccessKeyID: out.AccessKeyID, SecretAccessKey: out.SecretAccessKey, SessionToken: out.Token, Source: "container endpoint"}
	if out.Expiration != "" {
		exp, err := time.Parse(time.RFC3339, out.Expiration)
		if err != nil {
			return aws.Credentials{}, fmt.Errorf("the Expiration %.40q is not an RFC 3339 time", out.Expiration)
		}
		creds.CanExpire, creds.Expires = true, exp
	}
	return creds, nil
}
