# passbridge: build, verify, run. CI calls the same targets (see .ci/run).

GO                  ?= go
STATICCHECK_VERSION ?= v0.8.2
VERSION             ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN                 ?= bin/passbridge
LDFLAGS             := -s -w -X main.version=$(VERSION)

.PHONY: test race lint fmt-check vet staticcheck bench e2e build run load

# The browser tests (real Chromium, the Node.js examples) carry the e2e build
# tag: a plain `go test ./...` leaves them out, `make test` runs them too.
TAGS                ?= e2e

## test: formatting, go vet, and every test (browser tests included) with the race detector
test: fmt-check vet race

## race: every test with the race detector, never cached
race:
	$(GO) test -race -count=1 -tags $(TAGS) ./...

## lint: formatting, go vet and staticcheck (pinned)
lint: fmt-check vet staticcheck

fmt-check:
	@files="$$(gofmt -l .)"; \
	if [ -n "$$files" ]; then \
		echo "gofmt needed on:"; echo "$$files"; exit 1; \
	fi

vet:
	$(GO) vet -tags $(TAGS) ./...

staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -tags $(TAGS) ./...

## bench: benchmarks only, with allocations
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## load: passbridge bench against real servers on SQLite and PostgreSQL (see .ci/load)
load:
	bash .ci/load

## e2e: the browser tests only (real Chromium with a virtual authenticator)
e2e:
	$(GO) test -race -count=1 -tags e2e -run Browser ./...

## build: a static binary in bin/, its version stamped from git
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/passbridge

## run: build and serve with the defaults (./data, 127.0.0.1:8080)
run: build
	./$(BIN) serve
