# kafkafn build entry points.
#
# AWS SAM: every function in template.yaml has `Metadata: {BuildMethod: makefile}` and
# `CodeUri: .`, so `sam build` runs the build-<LogicalId> target below from this directory
# with ARTIFACTS_DIR set. LAMBDA_ARCH must match the template's Architectures (arm64).
#
# The version stamped into the binaries (`bootstrap -version`, GET /v1/status) is VERSION, else
# `git describe`, else "dev" (sam build may copy the sources without .git: run
# `VERSION=$(git describe --tags --always --dirty) sam build` to keep it).
#
# Everything else goes through scripts/: `make build` (all artefacts into dist/), `make test`
# (the whole suite), `make check` (the quick edit-test loop), `make clean` (removes dist/ and
# .aws-sam/), `make descriptors` (regenerate template.yaml, serverless.yml and azure/ from the
# route tables).

LAMBDA_ARCH ?= arm64
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO_BUILD = CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_ARCH) go build -trimpath -tags lambda.norpc,nethttpomithttp2 -ldflags='-s -w -X github.com/kafkafn/kafkafn/shared/buildinfo.Version=$(VERSION)'

.PHONY: build test check clean descriptors build-ProduceFunction build-ConsumeWindowFunction build-ListTopicsFunction build-TokenFunction

build:
	VERSION='$(VERSION)' scripts/build

test:
	scripts/test

check:
	scripts/test -short

clean:
	rm -rf dist .aws-sam

descriptors:
	go run ./scripts/gendeploy

build-ProduceFunction:
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/produce/cmd/produce

build-ConsumeWindowFunction:
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/consumewindow/cmd/consume-window

build-ListTopicsFunction:
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/listtopics/cmd/list-topics

build-TokenFunction:
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/token/cmd/token
