// Package buildinfo holds what a kafkafn binary knows about its own build. scripts/build and
// the Makefile stamp the version in at link time:
//
//	go build -ldflags "-X github.com/kafkafn/kafkafn/shared/buildinfo.Version=v1.2.3" ./functions/produce/cmd/produce
//
// with the output of `git describe --tags --always --dirty`; a binary built without it (go
// run, go test, plain go build) reports "dev".
package buildinfo

// VersionVar is the linker symbol scripts/build sets with -X.
const VersionVar = "github.com/kafkafn/kafkafn/shared/buildinfo.Version"

// Version is the version this binary was built as: a release tag (v1.2.3), git describe
// output for an untagged commit (v1.2.3-4-gabcdef0, or a bare commit, "-dirty" with local
// changes), or "dev". It is a variable only so that the linker can set it; nothing assigns it.
var Version = "dev"

// Tags are the build tags of every shipped binary; scripts/build, the Makefile, scripts/run
// and the tests that build binaries all use them (deploy.TestBuildTags checks the scripts):
//   - lambda.norpc drops aws-lambda-go's legacy RPC mode, so _LAMBDA_SERVER_PORT only ever
//     means an SCF event function (and net/rpc, with its html/template, is not linked);
//   - nethttpomithttp2 leaves net/http's bundled HTTP/2 out (~520 KB of every binary). No
//     kafkafn server needs HTTP/2: Lambda and SCF event functions take events, and API
//     Gateway, SCF web functions and the Azure Functions host forward requests over
//     HTTP/1.1. The outbound calls (JWKS and OpenID discovery, OAuth token endpoints, push
//     sinks) then use HTTP/1.1 with keep-alive, which every such endpoint serves.
const Tags = "lambda.norpc,nethttpomithttp2"
