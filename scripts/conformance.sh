#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance,
# pinned in interop/package.json) against examples/conformance over
# Streamable HTTP on a free loopback port, and compares the result with
# examples/conformance/expected-failures.txt. Fails on any failure not listed
# there; warns about a listed scenario that passes now.
#
# Every server scenario runs, the suite's pending ones included.
#
#   KEEP=1 scripts/conformance.sh     # keep the work folder (logs, checks.json)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=node-env.sh
. scripts/node-env.sh

expected=examples/conformance/expected-failures.txt
cli=interop/node_modules/@modelcontextprotocol/conformance/dist/index.js

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "${KEEP:-}" ]; then echo "conformance: work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== conformance: build examples/conformance"
go build -o "$work/conformance-server" ./examples/conformance

# Port 0: the kernel picks a free port, which the runtime logs once it
# listens, so there is no window in which another process can take it.
MCP_SERVER_MODE=http MCP_HTTP_ADDR=127.0.0.1:0 "$work/conformance-server" 2>"$work/server.log" &
server_pid=$!
addr=
for _ in $(seq 1 300); do
  addr=$(sed -n 's/.*serving MCP over HTTP.*addr[=":]*\(127\.0\.0\.1:[0-9][0-9]*\).*/\1/p' "$work/server.log" | head -n 1)
  [ -n "$addr" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "conformance: the server exited before listening:"; cat "$work/server.log"; exit 1
  fi
  sleep 0.1
done
if [ -z "$addr" ]; then
  echo "conformance: the server did not log its address within 30s:"; cat "$work/server.log"; exit 1
fi
url="http://$addr/mcp"

pkg=interop/node_modules/@modelcontextprotocol/conformance/package.json
version=$("$NODE" -p "JSON.parse(require('fs').readFileSync('$pkg', 'utf8')).version")
echo "== conformance: @modelcontextprotocol/conformance $version against $url"
"$NODE" "$cli" list --server >"$work/scenarios.txt"

# The suite's own exit status is not used: the expected failures decide.
(cd "$work" && "$NODE" "$OLDPWD/$cli" server --url "$url" --suite all -o "$work/results") >"$work/suite.log" 2>&1 || true

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "conformance: the server died during the run:"; tail -n 50 "$work/server.log"; exit 1
fi
echo "== conformance: result"
if ! "$NODE" interop/conformance-check.mjs "$work/results" "$work/scenarios.txt" "$expected"; then
  echo "conformance: unexpected failures; the suite's log and the end of the server's follow"
  cat "$work/suite.log"
  tail -n 50 "$work/server.log"
  exit 1
fi
