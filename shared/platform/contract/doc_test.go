// Package contract_test drives REAL BUILT BINARIES the way each platform does: a fake AWS
// Lambda Runtime API, a gob net/rpc client playing the Tencent SCF Go1 runtime, an HTTP
// host posting Azure Functions forwarded requests and payload envelopes, and plain HTTP for
// local and SCF web functions.
//
// The binaries are built once per test run with the same flags as scripts/build
// (CGO_ENABLED=0, -trimpath, -tags buildinfo.Tags). The adapters' behaviour is checked on
// testapp (shared/platform/internal/testapp: the echo App plus a warm broker.Client); the
// route binaries are checked on every adapter against an in-process kfake cluster.
package contract_test
