#!/usr/bin/env bash
# Several replicas of the trading example behind one address: Redis
# (scripts/redis.sh), three replicas of examples/trading on loopback ports
# (stateless Streamable HTTP, HMAC v1, MCP_REDIS_URL), and nginx as a
# round-robin balancer in front (scripts/nginx.sh). Runs the multi-replica
# tests against them, the Go one and the TypeScript one, and stops
# everything, also on failure or Ctrl-C. Exits non-zero on any failure.
#
#   scripts/scaleout.sh                  run the scale-out tests (under a minute): on one
#                                        Redis server, then again on a three-node Redis
#                                        Cluster (all but the outage test)
#   scripts/scaleout.sh bench [SECONDS]  tools/call throughput through the balancer:
#                                        one replica on memory stores, then one and
#                                        three on Redis (SECONDS each, default 5);
#                                        prints the ratios
#   scripts/scaleout.sh up [redis|cluster|memory]  start a deployment, print its settings
#                                        (eval them), leave it running
#   scripts/scaleout.sh down DIR         stop what `up` started (DIR is MCP_SCALEOUT_DIR)
#
# Used by the tests, through MCP_SCALEOUT_CTL, on a running deployment:
#
#   scripts/scaleout.sh restart DIR      stop every replica, then start them again
#                                        (same ports, same settings)
#   scripts/scaleout.sh redis-stop DIR   stop the Redis the replicas use
#   scripts/scaleout.sh redis-start DIR  start it again on its port (empty: nothing is saved)
#   scripts/scaleout.sh redis-pause DIR  freeze it (SIGSTOP: connections open, no answers)
#   scripts/scaleout.sh redis-resume DIR thaw it (SIGCONT)
#
# The settings the tests read (`up` prints them):
#   MCP_SCALEOUT_URL        the balancer's MCP endpoint, http://127.0.0.1:PORT/mcp
#   MCP_SCALEOUT_REPLICAS   the replicas' own endpoints, comma-separated
#   MCP_SCALEOUT_KEYS_FILE  the HMAC keys the replicas hold (MCP_HMAC_KEYS_FILE): one
#                           client per test, so that one test's limit is not another's
#   MCP_SCALEOUT_CLIENT_LIMIT  the replicas' MCP_CLIENT_RATE_LIMIT
#   MCP_SCALEOUT_STORES     redis (one server), cluster (Redis Cluster) or memory
#   MCP_SCALEOUT_DIR, MCP_SCALEOUT_CTL  the deployment's directory and this script
# Everything listens on 127.0.0.1 only; the directory is removed on stop.
set -euo pipefail
shopt -s inherit_errexit # a failure inside $(...) fails the script too
cd "$(dirname "$0")/.."
root=$PWD

REPLICAS=${MCP_SCALEOUT_REPLICA_COUNT:-3}
CLIENT_LIMIT=${MCP_SCALEOUT_CLIENT_LIMIT:-300/1m}

log() { echo "scaleout.sh: $*" >&2; }

# keys_file FILE N_BENCH writes the HMAC keys: one client per test, and
# N_BENCH benchmark clients (the tools' own x-rate-limit is per client).
keys_file() {
  local file=$1 bench=${2:-0} first=yes id
  local ids=(ratelimit toollimit replay idempotency concurrent state roundtrips outage ts-v1 ts-v2)
  for i in $(seq 1 "$bench"); do ids+=("bench-$i"); done
  (
    umask 077
    {
      echo '{"keys": ['
      for id in "${ids[@]}"; do
        [ -n "$first" ] || echo ','
        first=
        printf '  {"id": "%s", "client": "%s", "secret": "%s"}' "$id" "$id" "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
      done
      echo
      echo ']}'
    } >"$file"
  )
}

# settings DIR prints the deployment's settings, one NAME=value a line.
settings() { cat "$1/settings"; }

load() {
  local dir=$1 line
  [ -f "$dir/settings" ] || {
    log "$dir is not a directory made by scaleout.sh up"
    return 1
  }
  while IFS= read -r line; do export "${line?}"; done <"$dir/settings"
}

# start_replica DIR I [PORT] starts replica I (1-based) of the deployment in
# DIR on PORT, by default its port in DIR/ports.
start_replica() {
  local dir=$1 i=$2 port=${3:-}
  [ -n "$port" ] || port=$(sed -n "${i}p" "$dir/ports")
  local env=(
    PATH="$PATH" HOME="${HOME:-/}"
    MCP_SERVER_MODE=http
    MCP_HTTP_ADDR="127.0.0.1:$port"
    MCP_HTTP_STATELESS=true
    # The balancer passes the client's Host on; clients reach it by
    # 127.0.0.1 (a name without a port accepts any port).
    MCP_ALLOWED_HOSTS=127.0.0.1
    MCP_TRUSTED_PROXIES=127.0.0.1/32
    AUTH_MODE=hmac
    MCP_HMAC_KEYS_FILE="$dir/keys.json"
    MCP_CLIENT_RATE_LIMIT="$MCP_SCALEOUT_CLIENT_LIMIT"
    MCP_AUDIT_LOG="$dir/audit-$i.jsonl"
    MCP_SHUTDOWN_TIMEOUT=5s
  )
  [ -n "${MCP_SCALEOUT_REDIS_URL:-}" ] && env+=(MCP_REDIS_URL="$MCP_SCALEOUT_REDIS_URL")
  env -i "${env[@]}" "$dir/trading" >>"$dir/replica-$i.log" 2>&1 &
  echo $! >"$dir/replica-$i.pid"
}

# http_status PORT PATH prints the status of GET PATH on 127.0.0.1:PORT
# (empty when nothing answers within 2 s).
http_status() (
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 0
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
  local _proto status=""
  read -r -t 2 _proto status _ <&3 || true
  echo "$status"
) 2>/dev/null

# listening_port DIR I prints the port replica I says it listens on.
listening_port() {
  local dir=$1 i=$2 addr
  for _ in $(seq 1 200); do
    addr=$(grep -o '"msg":"serving MCP over HTTP","addr":"127\.0\.0\.1:[0-9]*"' "$dir/replica-$i.log" 2>/dev/null | head -1 || true)
    if [ -n "$addr" ]; then
      addr=${addr%\"}
      echo "${addr##*:}"
      return 0
    fi
    if ! running "$(cat "$dir/replica-$i.pid")"; then
      log "replica $i exited:"
      tail -20 "$dir/replica-$i.log" >&2
      return 1
    fi
    sleep 0.05
  done
  log "replica $i did not say where it listens within 10 s:"
  tail -20 "$dir/replica-$i.log" >&2
  return 1
}

wait_ready() {
  local dir=$1 i=$2 port
  port=$(sed -n "${i}p" "$dir/ports")
  for _ in $(seq 1 200); do
    if [ "$(http_status "$port" /readyz)" = 200 ]; then
      return 0
    fi
    if ! running "$(cat "$dir/replica-$i.pid")"; then
      log "replica $i exited:"
      tail -20 "$dir/replica-$i.log" >&2
      return 1
    fi
    sleep 0.05
  done
  log "replica $i on 127.0.0.1:$port was not ready within 10 s:"
  tail -20 "$dir/replica-$i.log" >&2
  return 1
}

# running PID: whether PID runs (a zombie does not: daemons and orphans are
# reaped by whatever runs as PID 1, which in a container may take a while).
running() {
  kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# ours DIR PID: whether PID is a trading replica of the deployment in DIR.
ours() {
  [ -n "$2" ] && running "$2" || return 1
  local cmd
  cmd=$(tr '\0' ' ' <"/proc/$2/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"$1/trading"* ]]
}

stop_replicas() {
  local dir=$1 i pid pids=()
  for i in $(seq 1 "$(wc -l <"$dir/ports")"); do
    [ -f "$dir/replica-$i.pid" ] || continue
    pid=$(cat "$dir/replica-$i.pid")
    if ours "$dir" "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 200); do
      running "$pid" || break
      sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
}

restart() {
  local dir=${1:?usage: scaleout.sh restart DIR} i
  load "$dir"
  stop_replicas "$dir"
  for i in $(seq 1 "$(wc -l <"$dir/ports")"); do start_replica "$dir" "$i"; done
  for i in $(seq 1 "$(wc -l <"$dir/ports")"); do wait_ready "$dir" "$i"; done
}

# The standalone Redis of scripts/redis.sh, stopped and started in place.
redis_pidfile() {
  if [ "$MCP_SCALEOUT_STORES" != redis ]; then
    log "the replicas do not use the standalone Redis (MCP_SCALEOUT_STORES=$MCP_SCALEOUT_STORES)"
    return 1
  fi
  echo "$REDIS_TEST_DIR/standalone/redis.pid"
}

redis_stop() {
  local dir=${1:?usage: scaleout.sh redis-stop DIR} pid
  load "$dir"
  pid=$(cat "$(redis_pidfile)" 2>/dev/null || true)
  redis_pidfile >/dev/null
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q redis-server "/proc/$pid/cmdline" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
      running "$pid" || return 0
      sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

# redis_signal DIR SIG sends SIG to the standalone Redis of the deployment.
redis_signal() {
  local dir=${1:?usage: scaleout.sh redis-pause|redis-resume DIR} pid
  load "$dir"
  pid=$(cat "$(redis_pidfile)" 2>/dev/null || true)
  redis_pidfile >/dev/null
  if [ -z "$pid" ] || ! grep -q redis-server "/proc/$pid/cmdline" 2>/dev/null; then
    log "no redis-server of this deployment is running"
    return 1
  fi
  kill "-$2" "$pid"
}

redis_start() {
  local dir=${1:?usage: scaleout.sh redis-start DIR} port
  load "$dir"
  redis_pidfile >/dev/null
  port=${MCP_SCALEOUT_REDIS_URL##*:}
  # As scripts/redis.sh starts it: loopback, nothing saved.
  redis-server --port "$port" --bind 127.0.0.1 --protected-mode yes \
    --dir "$REDIS_TEST_DIR/standalone" --daemonize yes --pidfile "$(redis_pidfile)" \
    --logfile "$REDIS_TEST_DIR/standalone/redis.log" --save '' --appendonly no >&2
  for _ in $(seq 1 100); do
    [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.05
  done
  log "redis-server on port $port did not answer"
  return 1
}

# up [memory] [BENCH_KEYS] starts a deployment and prints its settings.
up() {
  local stores=${1:-redis} bench=${2:-0}
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/mcpgen-scaleout.XXXXXX")
  trap 'log "starting the deployment failed; stopping what started"; down "$dir" >/dev/null 2>&1 || true' ERR
  if [ -n "${TRADING_BUILT:-}" ]; then
    cp "$TRADING_BUILT" "$dir/trading"
  else
    log "building examples/trading"
    go build -o "$dir/trading" ./examples/trading
  fi
  keys_file "$dir/keys.json" "$bench"

  {
    echo "MCP_SCALEOUT_DIR=$dir"
    echo "MCP_SCALEOUT_CTL=$root/scripts/scaleout.sh"
    echo "MCP_SCALEOUT_KEYS_FILE=$dir/keys.json"
    echo "MCP_SCALEOUT_CLIENT_LIMIT=$CLIENT_LIMIT"
    echo "MCP_SCALEOUT_STORES=$stores"
  } >"$dir/settings"
  if [ "$stores" = redis ] || [ "$stores" = cluster ]; then
    local redis line url=MCP_TEST_REDIS_URL
    [ "$stores" = cluster ] && url=MCP_TEST_REDIS_CLUSTER_URL
    # One more try: on a busy machine a redis-server can miss redis.sh's
    # 5 s start-up wait.
    redis=$(scripts/redis.sh start) || redis=$(scripts/redis.sh start)
    while IFS= read -r line; do
      case $line in
      REDIS_TEST_DIR=*) echo "$line" >>"$dir/settings" ;;
      "$url"=*) echo "MCP_SCALEOUT_REDIS_URL=${line#*=}" >>"$dir/settings" ;;
      esac
    done <<<"$redis"
  fi

  local i n=$REPLICAS replicas=() upstreams=()
  [ "$stores" = memory ] && n=1 # memory stores are per process: one replica only
  load "$dir"
  # The first start takes a port the kernel picks (MCP_HTTP_ADDR
  # 127.0.0.1:0), learnt from the "serving MCP over HTTP" line; a restart
  # reuses it.
  for i in $(seq 1 "$n"); do start_replica "$dir" "$i" 0; done
  for i in $(seq 1 "$n"); do
    local p
    p=$(listening_port "$dir" "$i")
    echo "$p" >>"$dir/ports"
    replicas+=("http://127.0.0.1:$p/mcp")
    upstreams+=("127.0.0.1:$p")
  done
  for i in $(seq 1 "$n"); do wait_ready "$dir" "$i"; done

  local nginx
  nginx=$(scripts/nginx.sh start "${upstreams[@]}")
  while IFS= read -r line; do
    case $line in
    NGINX_DIR=*) echo "$line" >>"$dir/settings" ;;
    NGINX_ADDR=*) echo "MCP_SCALEOUT_URL=http://${line#*=}/mcp" >>"$dir/settings" ;;
    esac
  done <<<"$nginx"
  local joined
  joined=$(
    IFS=,
    echo "${replicas[*]}"
  )
  echo "MCP_SCALEOUT_REPLICAS=$joined" >>"$dir/settings"
  trap - ERR
  log "$n replica(s) on ${upstreams[*]} ($stores stores) behind $(grep MCP_SCALEOUT_URL "$dir/settings" | cut -d= -f2) (stop with: scripts/scaleout.sh down $dir)"
  settings "$dir"
}

down() {
  local dir=${1:?usage: scaleout.sh down DIR}
  case $dir in
  */mcpgen-scaleout.*) ;;
  *)
    log "refusing to stop $dir: not a directory made by scaleout.sh up"
    return 1
    ;;
  esac
  [ -d "$dir" ] || return 0
  local line NGINX_DIR='' REDIS_TEST_DIR=''
  while IFS= read -r line; do
    case $line in
    NGINX_DIR=*) NGINX_DIR=${line#*=} ;;
    REDIS_TEST_DIR=*) REDIS_TEST_DIR=${line#*=} ;;
    esac
  done <"$dir/settings" 2>/dev/null || true
  [ -n "$NGINX_DIR" ] && scripts/nginx.sh stop "$NGINX_DIR" || true
  [ -f "$dir/ports" ] && stop_replicas "$dir"
  if [ -n "$REDIS_TEST_DIR" ]; then
    # Stop the servers all at once, waiting for them as processes, not as
    # zombies (redis.sh waits for each in turn until PID 1 reaps it), then
    # let redis.sh remove the rest.
    local pidfile pid pids=()
    for pidfile in "$REDIS_TEST_DIR"/*/redis.pid; do
      [ -f "$pidfile" ] || continue
      pid=$(cat "$pidfile")
      if running "$pid" && grep -q redis-server "/proc/$pid/cmdline" 2>/dev/null; then
        kill -CONT "$pid" 2>/dev/null || true # a frozen one cannot exit
        kill -TERM "$pid" 2>/dev/null || true
        pids+=("$pid")
      fi
    done
    for pid in "${pids[@]}"; do
      for _ in $(seq 1 100); do
        running "$pid" || break
        sleep 0.05
      done
    done
    scripts/redis.sh stop "$REDIS_TEST_DIR" || true
  fi
  if [ -n "${MCP_SCALEOUT_KEEP:-}" ]; then
    log "kept $dir (replica logs and audit logs)"
  else
    rm -rf "$dir"
  fi
}

# with_deployment STORES BENCH_KEYS CMD...: up, run CMD with the settings
# exported, down (also on failure or Ctrl-C); returns CMD's status.
with_deployment() {
  local stores=$1 bench=$2
  shift 2
  local out line
  out=$(up "$stores" "$bench")
  while IFS= read -r line; do export "${line?}"; done <<<"$out"
  trap 'down "$MCP_SCALEOUT_DIR"; [ -z "${BUILD_DIR:-}" ] || rm -rf "$BUILD_DIR"' EXIT
  trap 'exit 130' INT TERM
  local status=0
  "$@" || status=$?
  down "$MCP_SCALEOUT_DIR"
  trap - EXIT
  return "$status"
}

run_tests() {
  local status=0
  echo "== scaleout: Go (examples/trading TestScaleOut) through $MCP_SCALEOUT_URL, $MCP_SCALEOUT_STORES"
  MCP_SCALEOUT=1 go test -count=1 -run 'ScaleOut' -v ./examples/trading 2>&1 | grep -v '^=== \(RUN\|PAUSE\|CONT\)' || status=1
  echo "== scaleout: TypeScript SDK v2 and v1 clients (interop/scaleout.test.mjs), node $("$NODE" --version)"
  (cd interop && MCP_SCALEOUT=1 "$NODE" --test --test-reporter=spec --test-timeout=60000 scaleout.test.mjs) || status=1
  if [ "$status" != 0 ] && [ -n "${MCP_SCALEOUT_DIR:-}" ]; then
    local f
    for f in "$MCP_SCALEOUT_DIR"/replica-*.log; do
      echo "--- $f (last 20 lines)"
      tail -20 "$f"
    done
  fi
  return "$status"
}

# build_once builds examples/trading once for every deployment of a run.
build_once() {
  BUILD_DIR=$(mktemp -d)
  TRADING_BUILT=$BUILD_DIR/trading
  log "building examples/trading"
  go build -o "$TRADING_BUILT" ./examples/trading
}

run() {
  local start=$SECONDS
  # shellcheck source=node-env.sh
  . scripts/node-env.sh
  scripts/nginx.sh install
  scripts/redis.sh install
  build_once
  local status=0
  set -o pipefail
  with_deployment redis 0 run_tests || status=$?
  with_deployment cluster 0 run_tests || status=$?
  rm -rf "$BUILD_DIR"
  echo "== scaleout: $([ "$status" = 0 ] && echo ok || echo FAILED) in $((SECONDS - start)) s"
  return "$status"
}

bench_one() {
  local label=$1 seconds=$2 out=$3
  echo "== bench: $label through $MCP_SCALEOUT_URL, $seconds s"
  MCP_SCALEOUT=1 MCP_SCALEOUT_BENCH=1 MCP_SCALEOUT_BENCH_SECONDS=$seconds MCP_SCALEOUT_BENCH_OUT=$out \
    go test -count=1 -run 'ScaleOutThroughput' -v ./examples/trading 2>&1 | grep -E 'throughput|FAIL|ok|---'
}

bench() {
  local seconds=${1:-5} tmp n=$REPLICAS
  scripts/nginx.sh install
  scripts/redis.sh install
  build_once
  tmp=$BUILD_DIR
  CLIENT_LIMIT=off
  with_deployment memory 128 bench_one "1 replica, memory stores" "$seconds" "$tmp/memory"
  REPLICAS=1 with_deployment redis 128 bench_one "1 replica, Redis stores" "$seconds" "$tmp/redis1"
  with_deployment redis 128 bench_one "$n replicas, Redis stores" "$seconds" "$tmp/redis"
  local m r1 r
  m=$(cat "$tmp/memory")
  r1=$(cat "$tmp/redis1")
  r=$(cat "$tmp/redis")
  rm -rf "$BUILD_DIR"
  awk -v m="$m" -v r1="$r1" -v r="$r" -v n="$n" 'BEGIN {
    printf "== bench: tools/call through nginx, %d cores: memory, 1 replica %.0f/s; Redis, 1 replica %.0f/s (%.2f); Redis, %d replicas %.0f/s (%.2f of memory)\n", '"$(nproc)"', m, r1, r1 / m, n, r, r / m
  }'
}

cmd=${1:-run}
[ $# -gt 0 ] && shift
case $cmd in
run) run ;;
bench) bench "$@" ;;
up)
  scripts/nginx.sh install
  [ "${1:-redis}" = memory ] || scripts/redis.sh install
  up "${1:-redis}" 0
  ;;
down) down "$@" ;;
restart) restart "$@" ;;
redis-stop) redis_stop "$@" ;;
redis-start) redis_start "$@" ;;
redis-pause) redis_signal "${1:-}" STOP ;;
redis-resume) redis_signal "${1:-}" CONT ;;
*)
  sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
