package authenv_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kafkafn/kafkafn/shared/auth/tc3"
	"github.com/kafkafn/kafkafn/shared/config/authenv"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestTC3FromEnv(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tc3")
	if err := os.WriteFile(file, []byte("AKIDf:fileKey1\nAKIDf:fileKey2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := []struct {
		name string
		env  map[string]string
		want tc3.Config
	}{
		{"unset is disabled", nil, tc3.Config{}},
		{"pairs, with a second key for rotation", map[string]string{"AUTH_TC3_CREDENTIALS": " AKIDa:k1 , AKIDb:k:with:colons,AKIDa:k2 "},
			tc3.Config{Keys: map[string][]string{"AKIDa": {"k1", "k2"}, "AKIDb": {"k:with:colons"}}}},
		{"a file named with @", map[string]string{"AUTH_TC3_CREDENTIALS": "@" + file, "AUTH_TC3_PUBLIC_HOSTS": "api.example.com, gw.example.com:8443"},
			tc3.Config{Keys: map[string][]string{"AKIDf": {"fileKey1", "fileKey2"}}, PublicHosts: []string{"api.example.com", "gw.example.com:8443"}}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			got, err := authenv.TC3FromEnv(env(tc.env))
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("TC3FromEnv = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	bad := []struct {
		name, value, hosts, want string
	}{
		{"a pair without a key", "AKIDa:", "", "AUTH_TC3_CREDENTIALS: entry 1 must be secretId:secretKey"},
		{"a pair without a colon", "AKIDa:k,AKIDbsecretvalue", "", "AUTH_TC3_CREDENTIALS: entry 2"},
		{"a SecretId with a slash", "AK/ID:k", "", "must not contain '/'"},
		{"three keys for one SecretId", "A:k1,A:k2,A:k3", "", "more than two keys"},
		{"only separators", ",,", "", "holds no secretId:secretKey pair"},
		{"a missing file", "@/nonexistent/tc3", "", "AUTH_TC3_CREDENTIALS: cannot read"},
		{"a public host with a path", "A:k", "api.example.com/x", "AUTH_TC3_PUBLIC_HOSTS"},
	}
	for _, tc := range bad {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			_, err := authenv.TC3FromEnv(env(map[string]string{"AUTH_TC3_CREDENTIALS": tc.value, "AUTH_TC3_PUBLIC_HOSTS": tc.hosts}))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v; want %q", err, tc.want)
			}
			for _, secret := range []string{"secretvalue", "k3"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("the error echoes a key: %v", err)
				}
			}
		})
	}
}

func FuzzTC3FromEnv(f *testing.F) {
	f.Add("AKIDa:k1,AKIDa:k2")
	f.Add(",,:")
	f.Fuzz(func(t *testing.T, creds string) {
		getenv := env(map[string]string{"AUTH_TC3_CREDENTIALS": creds})
		if c, err := authenv.TC3FromEnv(getenv); err == nil {
			for id, keys := range c.Keys {
				if id == "" || len(keys) == 0 || len(keys) > 2 || strings.ContainsAny(id, "/ \t") {
					t.Fatalf("accepted SecretId %q with %d keys", id, len(keys))
				}
			}
		} else if !strings.HasPrefix(creds, "@") {
			for _, part := range strings.Split(creds, ",") {
				if _, key, ok := strings.Cut(part, ":"); ok && len(key) > 6 && strings.Contains(err.Error(), key) {
					t.Fatalf("the error echoes a key: %v", err)
				}
			}
		}
	})
}
