package harness

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
)

// TrustTestTLS makes the product trust httptest's TLS servers (test identity providers,
// OIDC issuers) the way a deployment trusts a private CA, through SSL_CERT_FILE: every
// httptest TLS server presents one certificate, and the variable must be set before
// anything in the process loads the system roots, so a TestMain calls it first. The
// returned function removes the file.
func TrustTestTLS() (cleanup func(), err error) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	srv.Close()
	dir, err := os.MkdirTemp("", "kafkafn-tls")
	if err != nil {
		return nil, err
	}
	cleanup = func() { _ = os.RemoveAll(dir) }
	file := filepath.Join(dir, "httptest.pem")
	if err = os.WriteFile(file, cert, 0o600); err == nil {
		err = os.Setenv("SSL_CERT_FILE", file)
	}
	if err != nil {
		cleanup()
		return nil, err
	}
	return cleanup, nil
}
