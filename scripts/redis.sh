#!/usr/bin/env bash
# Redis for tests: installs redis-server (and redis-cli) from Debian's
# packages when missing, and starts, on loopback ports, a standalone server
# and a three-node Redis Cluster, each in a temporary directory of its own.
#
#   scripts/redis.sh install          install redis-server when missing (apt-get, as root)
#   scripts/redis.sh start            start both; print the settings below; leave them running
#   scripts/redis.sh stop DIR         stop what `start` started (DIR is its REDIS_TEST_DIR)
#   scripts/redis.sh run CMD [ARG...] start both, run CMD with the settings exported, stop both
#                                     (also on failure or Ctrl-C); exits with CMD's status
#
# `start` prints, one per line, settings to eval or export:
#
#   REDIS_TEST_DIR=/tmp/mcpgen-redis.XXXXXX
#   MCP_TEST_REDIS_URL=redis://127.0.0.1:PORT
#   MCP_TEST_REDIS_CLUSTER_URL=redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3
#
# The tests of runtime/store/redisstore use those two URLs when they are set
# and start servers of their own otherwise. Progress goes to stderr. Nothing
# listens beyond 127.0.0.1, nothing is saved to disk, and no password is set.
set -euo pipefail

log() { echo "redis.sh: $*" >&2; }

have_redis() { command -v redis-server >/dev/null && command -v redis-cli >/dev/null; }

install() {
  have_redis && return 0
  # Two test runs installing at once: the second waits for the first.
  if command -v flock >/dev/null; then
    exec 9>"${TMPDIR:-/tmp}/mcpgen-redis-install.lock"
    flock 9
    have_redis && return 0
  fi
  if ! command -v apt-get >/dev/null; then
    log "redis-server is missing and there is no apt-get to install it"
    return 1
  fi
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    if ! command -v sudo >/dev/null; then
      log "redis-server is missing; installing it needs root"
      return 1
    fi
    sudo=(sudo)
  fi
  log "installing redis-server from Debian's packages"
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -qq redis-server >&2
  # The package starts a system service on 6379; the tests never use it.
}

# free_port prints a loopback port that nothing listens on, and whose
# cluster bus port (port + 10000) is free too.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null &&
      ! (exec 3<>"/dev/tcp/127.0.0.1/$((p + 10000))") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  log "no free port found"
  return 1
}

# start_server DIR PORT [ARGS...] starts a daemonized redis-server in DIR.
start_server() {
  local dir=$1 port=$2
  shift 2
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --protected-mode yes \
    --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
    --save '' --appendonly no "$@" >&2
}

wait_ready() {
  local port=$1
  for _ in $(seq 1 100); do
    if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; then
      return 0
    fi
    sleep 0.05
  done
  log "redis-server on port $port did not answer"
  return 1
}

start() {
  install
  local root
  root=$(mktemp -d "${TMPDIR:-/tmp}/mcpgen-redis.XXXXXX")
  # Stop what is already running when a later step fails.
  trap 'stop "$root" >/dev/null 2>&1 || true' ERR

  local port
  port=$(free_port)
  start_server "$root/standalone" "$port"
  wait_ready "$port"

  local ports=() nodes=()
  for i in 1 2 3; do
    local p
    p=$(free_port)
    while [[ " ${ports[*]} $port " == *" $p "* ]]; do p=$(free_port); done
    start_server "$root/cluster-$i" "$p" --cluster-enabled yes \
      --cluster-config-file "$root/cluster-$i/nodes.conf" --cluster-node-timeout 2000
    ports+=("$p")
    nodes+=("127.0.0.1:$p")
  done
  for p in "${ports[@]}"; do wait_ready "$p"; done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$root/cluster-create.log" 2>&1 ||
    {
      cat "$root/cluster-create.log" >&2
      return 1
    }
  local ok=
  for _ in $(seq 1 100); do
    ok=yes
    for p in "${ports[@]}"; do
      redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || ok=
    done
    [ -n "$ok" ] && break
    sleep 0.1
  done
  if [ -z "$ok" ]; then
    log "the cluster did not reach cluster_state:ok"
    return 1
  fi
  trap - ERR

  local joined
  joined=$(
    IFS=,
    echo "${nodes[*]}"
  )
  log "standalone on 127.0.0.1:$port, cluster on $joined (stop with: scripts/redis.sh stop $root)"
  echo "REDIS_TEST_DIR=$root"
  echo "MCP_TEST_REDIS_URL=redis://127.0.0.1:$port"
  echo "MCP_TEST_REDIS_CLUSTER_URL=redis+cluster://$joined"
}

stop() {
  local root=${1:?usage: redis.sh stop DIR}
  case $root in
  */mcpgen-redis.*) ;;
  *)
    log "refusing to stop $root: not a directory made by redis.sh start"
    return 1
    ;;
  esac
  local pidfile pid
  for pidfile in "$root"/*/redis.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    # Only a redis-server of ours: its pid file names it.
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q redis-server "/proc/$pid/cmdline" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
      done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$root"
}

run() {
  [ $# -gt 0 ] || {
    log "usage: redis.sh run CMD [ARG...]"
    return 2
  }
  local settings
  settings=$(start)
  local line
  while IFS= read -r line; do export "${line?}"; done <<<"$settings"
  trap 'stop "$REDIS_TEST_DIR"' EXIT
  trap 'exit 130' INT TERM
  local status=0
  "$@" || status=$?
  return "$status"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
install) install ;;
start) start ;;
stop) stop "$@" ;;
run) run "$@" ;;
*)
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
