#!/usr/bin/env bash
# Runs every test of the project: unit, golden, generated-code, interop and
# conformance. Installs what it needs when missing. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' | grep -v '/testdata/') 2>/dev/null || true)
if [ -n "$unformatted" ]; then echo "gofmt needed: $unformatted"; exit 1; fi

echo "== go vet"
go vet ./...

echo "== mcpgen check (committed generated code is fresh)"
./scripts/check-generated.sh

echo "== redis-server from Debian's packages (the Redis store tests start their own on loopback)"
./scripts/redis.sh install

echo "== go test"
go test -count=1 ./...

echo "== fuzz: every fuzz target for a bounded time (crashers are kept as seeds once fixed)"
FUZZTIME=${FUZZTIME:-5s} ./scripts/fuzz.sh

echo "== Node 22+ and interop/ dependencies (lockfile)"
node_bin=$(./scripts/install-node.sh)
(cd interop && PATH="$(dirname "$node_bin"):$PATH" npm ci --prefer-offline --no-audit --no-fund)

echo "== interop: TypeScript SDK client against examples/trading (stdio and HTTP)"
./scripts/interop.sh

echo "== conformance: @modelcontextprotocol/conformance against examples/conformance"
./scripts/conformance.sh

echo "== scale-out: three replicas behind nginx on Redis and on a Redis Cluster"
./scripts/scaleout.sh
