// Command gen-api-key prints a new API key for AUTH_API_KEYS: an id, a secret (32 random
// bytes, base64url) and the configuration entry, which holds only the secret's SHA-256.
//
//	go run ./scripts/gen-api-key [-id NAME]
//
// Give the secret to the caller (curl -u "$ID:$SECRET" …) and store it nowhere else; add the
// entry to AUTH_API_KEYS and grant key:<id> in AUTH_POLICY.
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kafkafn/kafkafn/shared/config/authenv"
)

func main() {
	id := flag.String("id", "", "key id (default: key-<8 random hex digits>)")
	flag.Parse()
	if err := run(os.Stdout, rand.Reader, *id); err != nil {
		fmt.Fprintln(os.Stderr, "gen-api-key:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, random io.Reader, id string) error {
	if id != "" && !authenv.ValidAPIKeyID(id) {
		return fmt.Errorf("-id %q: a key id is 1 to 64 letters, digits, '.', '_' or '-'", id)
	}
	var secret [32]byte
	if _, err := io.ReadFull(random, secret[:]); err != nil {
		return err
	}
	if id == "" {
		var b [4]byte
		if _, err := io.ReadFull(random, b[:]); err != nil {
			return err
		}
		id = "key-" + hex.EncodeToString(b[:])
	}
	s := base64.RawURLEncoding.EncodeToString(secret[:])
	sum := sha256.Sum256([]byte(s))
	entry, err := json.Marshal(map[string]map[string]string{id: {"sha256": hex.EncodeToString(sum[:])}})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id:     %s\nsecret: %s\n\nAUTH_API_KEYS='%s'\nAUTH_POLICY principal: \"key:%s\"\n", id, s, entry, id)
	return err
}
