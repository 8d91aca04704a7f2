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
