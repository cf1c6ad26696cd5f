# passbridge: build, verify, run. CI calls the same targets (see .ci/run).

GO                  ?= go
STATICCHECK_VERSION ?= v0.8.2
VERSION             ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN                 ?= bin/passbridge
LDFLAGS             := -s -w -X main.version=$(VERSION)

# A DSN's run-time parameters follow its '?'; lib/pq passes
# default_transaction_isolation on to the server.
SERIALIZABLE_DSN    = $(PASSBRIDGE_TEST_POSTGRES_DSN)$(if $(findstring ?,$(PASSBRIDGE_TEST_POSTGRES_DSN)),&,?)default_transaction_isolation=serializable

.PHONY: test test-serializable race lint fmt-check vet staticcheck bench e2e build run load

# The browser tests (real Chromium, the Node.js examples) carry the e2e build
# tag: a plain `go test ./...` leaves them out, `make test` runs them too.
TAGS                ?= e2e

## test: formatting, go vet, every test (browser tests included) with the race detector, then the PostgreSQL tests at SERIALIZABLE
test: fmt-check vet race test-serializable

## race: every test with the race detector, never cached
race:
	$(GO) test -race -count=1 -tags $(TAGS) ./...

## test-serializable: the packages with PostgreSQL tests again, every connection at SERIALIZABLE
## isolation (CockroachDB's only level); browser tests, the chaos scenarios and the SQLite cases of
## the conformance suite run once, in race
test-serializable:
	@if [ -z "$(PASSBRIDGE_TEST_POSTGRES_DSN)" ]; then \
		echo "test-serializable: PASSBRIDGE_TEST_POSTGRES_DSN not set: skipped"; exit 0; \
	fi; \
	pkgs="$$($(GO) list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | \
		grep -E 'sqlstore/sqlstoretest|importsrc/importsrctest|examples/internal/exampletest' | \
		cut -d' ' -f1 | grep -v '/internal/chaos$$')"; \
	PASSBRIDGE_TEST_POSTGRES_DSN='$(SERIALIZABLE_DSN)' PASSBRIDGE_TEST_ONLY_POSTGRES=1 $(GO) test -count=1 -skip Browser $$pkgs

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

## chaos: the reliability scenarios in their long form (several instances, kill -9, database
## cut, stall and restart, a 10-minute soak, bad input) and their table (docs/reliability.md);
## PostgreSQL ones when PASSBRIDGE_TEST_POSTGRES_DSN is set. make test runs the short form.
## The table is printed and kept under bin/chaos/ (CHAOS_OUT).
CHAOS_OUT           ?= $(CURDIR)/bin/chaos
.PHONY: chaos
chaos:
	mkdir -p $(CHAOS_OUT)
	$(GO) test -count=1 -timeout 60m -v -run TestChaos -artifacts -outputdir $(CHAOS_OUT) ./cmd/passbridge/internal/chaos -args -chaos.long

## e2e: the browser tests only (real Chromium with a virtual authenticator)
e2e:
	$(GO) test -race -count=1 -tags e2e -run Browser ./...

## build: a static binary in bin/, its version stamped from git
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/passbridge

## run: build and serve with the defaults (./data, 127.0.0.1:8080)
run: build
	./$(BIN) serve
