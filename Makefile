# kafkafn build entry points.
#
# AWS SAM: every function in template.yaml has `Metadata: {BuildMethod: makefile}` and
# `CodeUri: .`, so `sam build` runs the build-<LogicalId> target below from this directory
# with ARTIFACTS_DIR set. LAMBDA_ARCH must match the template's Architectures (arm64).
#
# Everything else goes through scripts/: `make build` (all artefacts into dist/), `make test`,
# `make descriptors` (regenerate template.yaml, serverless.yml and azure/ from the route tables).

LAMBDA_ARCH ?= arm64
GO_BUILD = CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_ARCH) go build -trimpath -tags lambda.norpc -ldflags='-s -w'

.PHONY: build test descriptors build-ProduceFunction build-ConsumeWindowFunction build-ListTopicsFunction build-TokenFunction

build:
	scripts/build

test:
	scripts/test

descriptors:
	go run ./scripts/gendeploy

build-ProduceFunction:
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/produce/cmd

build-ConsumeWindowFunction:
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/consumewindow/cmd

build-ListTopicsFunction:
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/listtopics/cmd

build-TokenFunction:
	$(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/token/cmd
