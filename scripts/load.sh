#!/usr/bin/env bash
# A load test of the trading server, on loopback: builds it and the load
# driver (examples/trading/internal/loadgen), starts the server in HMAC mode
# on a free loopback port, drives it with concurrent signed clients for a
# fixed time, prints throughput, latency, answers by outcome and the
# server's peak RSS, and stops the server. A script, not a test: it asserts
# nothing about speed. Exit status 1 when a call failed unexpectedly.
#
#   scripts/load.sh                                  # 16 clients, 60 s, one session and one key each
#   LOAD_CLIENTS=32 LOAD_DURATION=30s scripts/load.sh
#   LOAD_MODE=rotate scripts/load.sh                 # stateless, 1024 keys, each request signed by the next key
#
# Settings (environment):
#   LOAD_CLIENTS    concurrent clients (16)
#   LOAD_DURATION   how long they call (60s)
#   LOAD_MODE       sessions: each client one MCP session with a key of its own (default);
#                   rotate: MCP_HTTP_STATELESS=true and LOAD_KEYS keys (1024), each
#                   request signed with the next of the client's keys
#   LOAD_KEYS       number of keys (LOAD_CLIENTS in sessions mode, 1024 in rotate mode)
#   LOAD_TOOL_LIMITS  unset: every tool's x-rate-limit applies; "off": none does
#                   (MCP_TOOL_RATE_LIMITS=<tool>=off for the five tools); anything
#                   else is passed as MCP_TOOL_RATE_LIMITS ("tool=N/duration,...")
#   LOAD_REPORT     also write the report as JSON to this file
#
# The server runs with MCP_CLIENT_RATE_LIMIT=off, so the per-client request
# limit refuses nothing; every other limit is the default. Each tool's
# x-rate-limit (100 to 1000 calls a minute per client) still refuses a
# client that calls flat out: those answers are counted as "tool MCP-006",
# expected. In sessions mode they are most of the calls; rotate mode spreads
# the calls over enough client IDs to stay under them, and LOAD_TOOL_LIMITS=off
# lifts them. Both modes sign
# every request, so the replay-protection store (2^18 nonces for 600 s,
# 2^15 per client) bounds how many signed requests a run can make: about
# 4,300 a second for 60 s.
set -euo pipefail

cd "$(dirname "$0")/.."

CLIENTS=${LOAD_CLIENTS:-16}
DURATION=${LOAD_DURATION:-60s}
MODE=${LOAD_MODE:-sessions}
case "$MODE" in
sessions)
	KEYS=${LOAD_KEYS:-$CLIENTS}
	STATELESS=false
	FLAGS=()
	;;
rotate)
	KEYS=${LOAD_KEYS:-1024}
	STATELESS=true
	FLAGS=(-stateless -rotate)
	;;
*)
	echo "load.sh: LOAD_MODE must be sessions or rotate, got $MODE" >&2
	exit 2
	;;
esac

TOOL_LIMITS=
case "${LOAD_TOOL_LIMITS:-}" in
"") ;;
off)
	for tool in risk.position_limits_check features.ohlcv_window execution.sim_quote storage.shared_state.get storage.shared_state.set; do
		TOOL_LIMITS="${TOOL_LIMITS:+$TOOL_LIMITS,}$tool=off"
	done
	;;
*) TOOL_LIMITS=$LOAD_TOOL_LIMITS ;;
esac

tmp=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "load.sh: building the trading server and the load driver"
go build -o "$tmp/trading" ./examples/trading
go build -o "$tmp/loadgen" ./examples/trading/internal/loadgen
"$tmp/loadgen" -write-keys "$tmp/keys.json" -keys-count "$KEYS"

MCP_SERVER_MODE=http \
	MCP_HTTP_ADDR=127.0.0.1:0 \
	MCP_HTTP_STATELESS=$STATELESS \
	AUTH_MODE=hmac \
	MCP_HMAC_KEYS_FILE="$tmp/keys.json" \
	MCP_CLIENT_RATE_LIMIT=off \
	MCP_TOOL_RATE_LIMITS="$TOOL_LIMITS" \
	MCP_AUDIT_LOG="$tmp/audit.log" \
	"$tmp/trading" 2>"$tmp/server.log" &
pid=$!

addr=
for _ in $(seq 1 100); do
	addr=$(sed -n 's/.*"msg":"serving MCP over HTTP".*"addr":"\([^"]*\)".*/\1/p' "$tmp/server.log" | head -1)
	[ -n "$addr" ] && break
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "load.sh: the server did not start:" >&2
		cat "$tmp/server.log" >&2
		exit 2
	fi
	sleep 0.1
done
if [ -z "$addr" ]; then
	echo "load.sh: the server did not say where it listens:" >&2
	cat "$tmp/server.log" >&2
	exit 2
fi
echo "load.sh: server pid $pid on $addr (HMAC, $KEYS keys, stateless=$STATELESS, MCP_CLIENT_RATE_LIMIT=off, MCP_TOOL_RATE_LIMITS=${TOOL_LIMITS:-unset}); $CLIENTS clients for $DURATION"

report=()
[ -n "${LOAD_REPORT:-}" ] && report=(-json "$LOAD_REPORT")
set +e
"$tmp/loadgen" -url "http://$addr/mcp" -keys "$tmp/keys.json" -clients "$CLIENTS" -duration "$DURATION" \
	-pid "$pid" "${FLAGS[@]}" "${report[@]}"
rc=$?
set -e

kill -TERM "$pid"
stopped=0
wait "$pid" || stopped=$?
pid=
warnings=$(grep -c '"level":"\(WARN\|ERROR\)"' "$tmp/server.log" || true)
echo "load.sh: server stopped (exit $stopped); $warnings warnings or errors in its log; audit log $(wc -c <"$tmp/audit.log") bytes"
if [ "$warnings" != 0 ]; then
	grep '"level":"\(WARN\|ERROR\)"' "$tmp/server.log" | head -5 | cut -c1-300
fi
exit $rc
