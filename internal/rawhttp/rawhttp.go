// Package rawhttp is test support for HTTP exchanges: Exchange, one request and its whole
// answer (what every test client shares), and hostile HTTP/1.1 clients on raw sockets:
// requests that announce a body and then send little or nothing of it, as the slow-body
// tests of functions/internal/authtest and test/fault open them against a real server.
package rawhttp

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// SlowPost connects to addr and sends a POST to path that declares a JSON body of declared
// bytes, with header (complete "Name: value\r\n" lines), followed by only the first send
// bytes of the body; the connection stays open and is closed when t ends.
func SlowPost(t testing.TB, addr, path, header string, declared, send int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: kafkafn\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n", path, declared, header)
	if _, err := io.WriteString(c, req+strings.Repeat("{", send)); err != nil {
		t.Fatal(err)
	}
	return c
}

// ForgedTC3 is the header lines of a CKafka SendMessage request for SecretId id, signed in
// the right shape with a wrong signature: the server must read the body to find that out.
func ForgedTC3(id string) string {
	return "X-TC-Action: SendMessage\r\nX-TC-Version: 2019-08-19\r\nX-TC-Timestamp: " + fmt.Sprint(time.Now().Unix()) +
		"\r\nAuthorization: TC3-HMAC-SHA256 Credential=" + id + "/2026-01-01/ckafka/tc3_request, SignedHeaders=content-type;host, Signature=" +
		strings.Repeat("0", 64) + "\r\n"
}

// Answer reads the one answer on c, by deadline at the latest, and then whether the server
// closed the connection after it (closed is false, with the read error, when it did not).
func Answer(c net.Conn, deadline time.Time) (res *http.Response, body []byte, closed bool, err error) {
	_ = c.SetReadDeadline(deadline)
	br := bufio.NewReader(c)
	if res, err = http.ReadResponse(br, nil); err != nil {
		return nil, nil, false, err
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	_, err = br.ReadByte()
	if err == io.EOF {
		return res, body, true, nil
	}
	return res, body, false, err
}

// Exchange sends req with c (http.DefaultClient when nil) and reads the whole answer;
// the response's body is read and closed.
func Exchange(c *http.Client, req *http.Request) (*http.Response, []byte, error) {
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res, b, err
}
