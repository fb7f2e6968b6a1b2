#!/usr/bin/env bash
# Drives the trading example with the official TypeScript SDK client
# (@modelcontextprotocol/sdk, pinned in interop/package.json) over stdio and
# Streamable HTTP: interop/*.test.mjs under node's test runner. The tests
# start and stop the servers themselves (HTTP on a port the kernel picks).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=node-env.sh
. scripts/node-env.sh

echo "== interop: build examples/trading"
mkdir -p .tools/bin
go build -o .tools/bin/trading ./examples/trading

echo "== interop: TypeScript SDK $("$NODE" -p "JSON.parse(require('fs').readFileSync('interop/node_modules/@modelcontextprotocol/sdk/package.json', 'utf8')).version") client, node $("$NODE" --version)"
cd interop
TRADING_BIN="$OLDPWD/.tools/bin/trading" "$NODE" --test --test-reporter=tap --test-timeout=60000 "$@"
