#!/usr/bin/env bash
# nginx as a test load balancer: installs nginx from Debian's packages when
# missing, and runs one on a loopback port as a plain round-robin balancer
# (no sticky sessions) in front of the upstream addresses given, with its
# configuration, pid file, logs and temporary files in a directory of its own.
#
#   scripts/nginx.sh install                 install nginx when missing (apt-get, as root)
#   scripts/nginx.sh start HOST:PORT...      start a balancer in front of these upstreams;
#                                            print the settings below; leave it running
#   scripts/nginx.sh stop DIR                stop what `start` started (DIR is its NGINX_DIR)
#
# `start` prints, one per line, settings to eval or export:
#
#   NGINX_DIR=/tmp/mcpgen-nginx.XXXXXX
#   NGINX_ADDR=127.0.0.1:PORT
#
# NGINX_PORT=PORT in the environment picks the listening port (default: a
# free one). What the balancer does, for MCP's Streamable HTTP:
#   - round robin over the upstreams, per request (one worker, so the
#     rotation is exact), with HTTP/1.1 keepalive connections to them;
#   - the client's Host header passed on unchanged (HMAC v1 signs it, and
#     the servers check it against MCP_ALLOWED_HOSTS), X-Forwarded-For and
#     X-Forwarded-Proto added;
#   - no buffering either way, so SSE responses stream;
#   - a request the upstream never received (connection refused) goes to the
#     next upstream; one it received is never sent twice (nginx does not
#     retry a POST once sent);
#   - X-Mcpgen-Upstream on every response names the upstream that answered
#     (a test aid: leave it out of a production configuration).
# Nothing listens beyond 127.0.0.1 and nothing is written outside NGINX_DIR.
set -euo pipefail

log() { echo "nginx.sh: $*" >&2; }

install() {
  if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
    return 0
  fi
  if ! command -v apt-get >/dev/null; then
    log "nginx is missing and there is no apt-get to install it"
    return 1
  fi
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    if ! command -v sudo >/dev/null; then
      log "nginx is missing; installing it needs root"
      return 1
    fi
    sudo=(sudo)
  fi
  log "installing nginx from Debian's packages"
  "${sudo[@]}" apt-get update -qq >&2
  # The package may try to start a system service on port 80; where no init
  # runs (containers) that is refused, and the tests never use it anyway.
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq nginx >&2 || true
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || {
    log "apt-get install nginx did not install nginx"
    return 1
  }
}

nginx_bin() {
  command -v nginx 2>/dev/null || echo /usr/sbin/nginx
}

free_port() {
  local p
  for _ in $(seq 1 200); do
    # Below the kernel's ephemeral range (32768 and up by default), which
    # outgoing connections draw from.
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  log "no free port found"
  return 1
}

start() {
  [ $# -gt 0 ] || {
    log "usage: nginx.sh start HOST:PORT..."
    return 2
  }
  local up
  for up in "$@"; do
    case $up in
    127.*:[0-9]* | localhost:[0-9]* | \[::1\]:[0-9]*) ;;
    *)
      log "upstream $up is not a loopback host:port"
      return 2
      ;;
    esac
  done
  install
  local bin dir port
  bin=$(nginx_bin)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/mcpgen-nginx.XXXXXX")
  port=${NGINX_PORT:-$(free_port)}
  mkdir -p "$dir/tmp"

  # Run as root, nginx's master switches its workers to an unprivileged
  # user, who must reach the temporary directories (which the master
  # creates and hands over) and nothing else of ours.
  local user_line=""
  if [ "$(id -u)" = 0 ]; then
    user_line="user nobody $(id -gn nobody 2>/dev/null || echo nogroup);"
    chmod 0755 "$dir"
  fi

  local servers=""
  for up in "$@"; do
    servers+="    server $up max_fails=0;"$'\n'
  done
  cat >"$dir/nginx.conf" <<EOF
# Written by scripts/nginx.sh: a round-robin balancer for tests.
$user_line
worker_processes 1;
daemon on;
pid $dir/nginx.pid;
error_log $dir/error.log warn;

events {
  worker_connections 4096;
}

http {
  log_format upstream '\$remote_addr [\$time_local] "\$request" \$status \$body_bytes_sent '
                      'upstream=\$upstream_addr upstream_status=\$upstream_status time=\$request_time';
  access_log $dir/access.log upstream;

  client_body_temp_path $dir/tmp/client_body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;

  # The servers cap bodies at 10 MiB themselves (413, MCP-017).
  client_max_body_size 11m;
  server_tokens off;

  upstream mcp {
$servers    keepalive 64;
    keepalive_requests 100000;
    keepalive_timeout 60s;
  }

  server {
    listen 127.0.0.1:$port;

    location / {
      proxy_pass http://mcp;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_cache off;
      proxy_connect_timeout 2s;
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 0;
      add_header X-Mcpgen-Upstream \$upstream_addr always;
    }
  }
}
EOF
  # -e names the error log before the configuration is read, so nginx never
  # opens the packaged /var/log/nginx/error.log.
  if ! "$bin" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -t >"$dir/check.log" 2>&1; then
    cat "$dir/check.log" >&2
    rm -rf "$dir"
    return 1
  fi
  "$bin" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >&2
  local ok=
  for _ in $(seq 1 100); do
    if [ -s "$dir/nginx.pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      ok=yes
      break
    fi
    sleep 0.05
  done
  if [ -z "$ok" ]; then
    log "nginx did not listen on 127.0.0.1:$port"
    cat "$dir/error.log" >&2 || true
    stop "$dir" || true
    return 1
  fi
  log "balancer on 127.0.0.1:$port in front of $* (stop with: scripts/nginx.sh stop $dir)"
  echo "NGINX_DIR=$dir"
  echo "NGINX_ADDR=127.0.0.1:$port"
}

# running PID: whether PID runs. A zombie does not: the daemonized master's
# parent is PID 1, which in a container may reap it only a while later.
running() {
  kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

stop() {
  local dir=${1:?usage: nginx.sh stop DIR}
  case $dir in
  */mcpgen-nginx.*) ;;
  *)
    log "refusing to stop $dir: not a directory made by nginx.sh start"
    return 1
    ;;
  esac
  local pid=
  [ -f "$dir/nginx.pid" ] && pid=$(cat "$dir/nginx.pid")
  # Only an nginx of ours: its pid file names it and it runs our config.
  local cmd=""
  [ -n "$pid" ] && cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
  if running "$pid" && [[ $cmd == nginx:*"$dir/nginx.conf"* ]]; then
    kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      running "$pid" || break
      sleep 0.05
    done
    running "$pid" && kill -TERM "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
install) install ;;
start) start "$@" ;;
stop) stop "$@" ;;
*)
  sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
