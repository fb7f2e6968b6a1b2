#!/usr/bin/env bash
# Every performance comparison of mcpgen against its peers, side by side in
# one run, written to BENCHMARKS.md (and the latency plot next to it):
#
#   ./scripts/bench.sh
#
# It runs, each with -benchmem and in 5 rounds (BENCH_COUNT) of go test
# -count 1, so that peers take turns:
#
#   - tools/call over HTTP in process (runtime/server BenchmarkHTTPToolsCall):
#     the full server in hmac, bearer and none mode against a bare go-sdk
#     server with a raw tool; the handler called directly, and over loopback
#     with 1, 8 and 32 clients (the latency plot);
#   - the stdio round trip on pipes against bare go-sdk stdio (BenchmarkStdio);
#   - the rate-limit decision at 1 key and 100,000 keys against
#     golang.org/x/time/rate limiters in a map (BenchmarkLimiterDecision);
#   - decode and validate of the trading inputs against jsonschema/v5 and
#     encoding/json (examples/trading/tools BenchmarkDecodeValidate);
#   - the Redis stores against the memory stores, when redis-server is
#     installed (runtime/store/redisstore BenchmarkDecisions, one round), and
#     tools/call throughput through nginx on memory and on Redis, when nginx
#     is too (scripts/scaleout.sh bench);
#   - generation time and peak heap against tool count (./gen
#     BenchmarkGenerate: 100, 500, 1,000 and 2,000 tools, BENCH_GEN_TOOLS,
#     3 rounds, BENCH_GEN_COUNT), and the wall time, CPU time and peak RSS of
#     go build of a server of the generated tools, the build cache holding
#     everything else (BenchmarkBuild: 100, 500 and 1,000 tools,
#     BENCH_BUILD_TOOLS, one round, BENCH_BUILD_COUNT; the build plot).
#     BENCH_BUILD=0 skips the builds (about 3 minutes of the run on 2 cores),
#     BENCH_GEN=0 both.
#
# Figures are only comparable within one run: read the ratios. The method is
# in docs/benchmarks.md. Settings: BENCH_COUNT (5), BENCH_HTTP (1000x, the
# -benchtime of the HTTP and stdio benchmarks), BENCH_TIME (300ms, the
# others'), BENCH_OUT (BENCHMARKS.md), BENCH_PLOT (benchmarks-http-latency.png,
# next to BENCH_OUT), BENCH_BUILD_PLOT (benchmarks-build.png), BENCH_RAW (a directory to keep the go test outputs in;
# a temporary one by default), BENCH_FROM (a BENCH_RAW of an earlier run: write
# the page from it, running nothing), BENCH_SCALEOUT (1: with redis-server
# and nginx installed, tools/call throughput through nginx on memory and on
# Redis, scripts/scaleout.sh bench, BENCH_SCALEOUT_SECONDS (5) each; 0
# skips it). gnuplot draws the plots; without it (and without root
# and apt-get to install gnuplot-nox) the page gets ASCII charts. The
# whole run takes 6 to 10 minutes on 2 cores, 4 to 6 with BENCH_BUILD=0.
set -euo pipefail

cd "$(dirname "$0")/.."
count=${BENCH_COUNT:-5}
http_time=${BENCH_HTTP:-1000x}
bench_time=${BENCH_TIME:-300ms}
out=${BENCH_OUT:-BENCHMARKS.md}
plot=${BENCH_PLOT:-benchmarks-http-latency.png}
build_plot=${BENCH_BUILD_PLOT:-benchmarks-build.png}
gen_tools=${BENCH_GEN_TOOLS:-100,500,1000,2000}
gen_count=${BENCH_GEN_COUNT:-3}
build_tools=${BENCH_BUILD_TOOLS:-100,500,1000}
build_count=${BENCH_BUILD_COUNT:-1}

log() { echo "bench.sh: $*" >&2; }

if [ -n "${BENCH_FROM:-}" ]; then
  work=$BENCH_FROM
elif [ -n "${BENCH_RAW:-}" ]; then
  work=$BENCH_RAW
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/mcpgen-bench.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi

if ! command -v gnuplot >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  log "installing gnuplot-nox for the plot"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null 2>&1 ||
    log "gnuplot-nox could not be installed: the page gets an ASCII chart"
fi

loadavg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime | sed 's/.*load average[s]*: //'; }
load_before=$(loadavg)
started=$(date +%s)
[ -z "${BENCH_FROM:-}" ] || skip=1

# suite NAME ROUNDS GO-TEST-ARGS... runs go test ARGS -count 1, ROUNDS
# times, its output kept as NAME.txt: one round after another, so that every
# sub-benchmark of a round runs before any of the next, and peers take turns
# as the machine's load comes and goes (-count N would run each
# sub-benchmark N times in a row). A failure is reported on the page, and
# the other suites still run.
suite() {
  local name=$1 rounds=$2 ok=yes
  shift 2
  [ -z "${skip:-}" ] || return 0
  local t0=$(date +%s)
  log "$name: $rounds round(s) of go test $* -count 1"
  : >"$work/$name.txt"
  for _ in $(seq 1 "$rounds"); do
    go test "$@" -count 1 >>"$work/$name.txt" 2>&1 || { ok=; break; }
  done
  if [ -n "$ok" ]; then
    echo "ok $(($(date +%s) - t0))" >"$work/$name.status"
  else
    echo "FAILED $(($(date +%s) - t0))" >"$work/$name.status"
    log "$name failed:"
    tail -20 "$work/$name.txt" >&2
  fi
  grep -E '^Benchmark' "$work/$name.txt" | sed 's/^/  /' >&2 || true
}

[ -n "${skip:-}" ] || echo "go test ./runtime/server -run '^\$' -bench '^(BenchmarkHTTPToolsCall|BenchmarkStdio)\$' -benchmem -count 1 -benchtime $http_time  # $count rounds" >"$work/http.cmd"
suite http "$count" ./runtime/server -run '^$' -bench '^(BenchmarkHTTPToolsCall|BenchmarkStdio)$' -benchmem -benchtime "$http_time" -timeout 30m
[ -n "${skip:-}" ] || echo "go test ./runtime/store/memstore -run '^\$' -bench '^BenchmarkLimiterDecision\$' -benchmem -count 1 -benchtime $bench_time  # $count rounds" >"$work/limiter.cmd"
suite limiter "$count" ./runtime/store/memstore -run '^$' -bench '^BenchmarkLimiterDecision$' -benchmem -benchtime "$bench_time" -timeout 30m
[ -n "${skip:-}" ] || echo "go test ./examples/trading/tools -run '^\$' -bench '^BenchmarkDecodeValidate\$' -benchmem -count 1 -benchtime $bench_time  # $count rounds" >"$work/decode.cmd"
suite decode "$count" ./examples/trading/tools -run '^$' -bench '^BenchmarkDecodeValidate$' -benchmem -benchtime "$bench_time" -timeout 30m
if [ "${BENCH_SCALEOUT:-1}" != 0 ] && command -v redis-server >/dev/null && command -v nginx >/dev/null; then
  if [ -z "${skip:-}" ]; then
    echo "scripts/scaleout.sh bench ${BENCH_SCALEOUT_SECONDS:-5}" >"$work/scaleout.cmd"
    log "scaleout: scripts/scaleout.sh bench ${BENCH_SCALEOUT_SECONDS:-5}"
    t0=$(date +%s)
    if scripts/scaleout.sh bench "${BENCH_SCALEOUT_SECONDS:-5}" >"$work/scaleout.txt" 2>&1; then
      echo "ok $(($(date +%s) - t0))" >"$work/scaleout.status"
    else
      echo "FAILED $(($(date +%s) - t0))" >"$work/scaleout.status"
      log "scaleout failed:"
      tail -20 "$work/scaleout.txt" >&2
    fi
    grep '^== bench: tools/call' "$work/scaleout.txt" >&2 || true
  fi
fi
if command -v redis-server >/dev/null; then
  [ -n "${skip:-}" ] || echo "go test ./runtime/store/redisstore -run '^\$' -bench '^BenchmarkDecisions\$' -benchmem -count 1 -benchtime 300ms" >"$work/redis.cmd"
  suite redis 1 ./runtime/store/redisstore -run '^$' -bench '^BenchmarkDecisions$' -benchmem -benchtime 300ms -timeout 30m
else
  log "redis-server is not installed: no Redis figures (scripts/redis.sh install)"
fi
if [ "${BENCH_GEN:-1}" != 0 ]; then
  # Generation, then go build of the generated server, against tool count.
  export MCPGEN_BENCH_TOOLS=$gen_tools MCPGEN_BENCH_BUILD_TOOLS=$build_tools
  [ -n "${skip:-}" ] || echo "MCPGEN_BENCH_TOOLS=$gen_tools go test ./gen -run '^\$' -bench '^BenchmarkGenerate\$' -benchmem -benchtime 1x -count 1  # $gen_count rounds" >"$work/gen.cmd"
  suite gen "$gen_count" ./gen -run '^$' -bench '^BenchmarkGenerate$' -benchmem -benchtime 1x -timeout 30m
  if [ "${BENCH_BUILD:-1}" != 0 ]; then
    [ -n "${skip:-}" ] || echo "MCPGEN_BENCH_BUILD_TOOLS=$build_tools go test ./gen -run '^\$' -bench '^BenchmarkBuild\$' -benchtime 1x -count 1  # $build_count rounds" >"$work/build.cmd"
    suite build "$build_count" ./gen -run '^$' -bench '^BenchmarkBuild$' -benchtime 1x -timeout 60m
  else
    [ -n "${skip:-}" ] || log "BENCH_BUILD=0: no build figures"
  fi
else
  [ -n "${skip:-}" ] || log "BENCH_GEN=0: no generation or build figures"
fi

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)
[ -n "$cpu" ] || cpu=$(sysctl -n machdep.cpu.brand_string 2>/dev/null || uname -m)
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo 2>/dev/null || true)
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit (with uncommitted changes)"
fi

mkdir -p "$work/report"
cat >"$work/report/go.mod" <<'EOF'
module benchreport

go 1.22
EOF
cat >"$work/report/main.go" <<'EOF'
// Command benchreport turns the go test outputs of scripts/bench.sh into
// BENCHMARKS.md and the data of its plot.
package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// results holds every metric of every benchmark of a suite: name (without
// the GOMAXPROCS suffix) → unit → values, one per -count; and the names in
// the order they first ran.
type results map[string]map[string][]float64

const orderKey = "\x00order"

func (r results) names() []string {
	var out []string
	for n := range r[orderKey] {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return r[orderKey][out[i]][0] < r[orderKey][out[j]][0] })
	return out
}

var line = regexp.MustCompile(`^(Benchmark\S+)\s+\d+\s+(.*)$`)

func parse(path, procs string) results {
	r := results{orderKey: {}}
	f, err := os.Open(path)
	if err != nil {
		return r
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name := strings.TrimPrefix(m[1], "Benchmark")
		if procs != "1" {
			name = strings.TrimSuffix(name, "-"+procs)
		}
		fields := strings.Fields(m[2])
		if r[orderKey][name] == nil {
			r[orderKey][name] = []float64{float64(len(r[orderKey]))}
		}
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			if r[name] == nil {
				r[name] = map[string][]float64{}
			}
			r[name][fields[i+1]] = append(r[name][fields[i+1]], v)
		}
	}
	return r
}

// get returns a metric over the runs: for a time, the lowest (another
// process on the machine only ever adds time, so the lowest is the least
// disturbed), for the rest the median.
func (r results) get(name, unit string) (float64, bool) {
	vs := append([]float64(nil), r[name][unit]...)
	if len(vs) == 0 {
		return 0, false
	}
	sort.Float64s(vs)
	if unit == "ns/op" || strings.Contains(unit, "µs") {
		return vs[0], true
	}
	if len(vs)%2 == 1 {
		return vs[len(vs)/2], true
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2, true
}

func (r results) v(name, unit string) float64 { v, _ := r.get(name, unit); return v }

func (r results) has(name string) bool { _, ok := r[name]; return ok }

func (r results) empty() bool { return len(r) <= 1 }

// spread returns the range of ns/op over the runs as a share of the lowest.
func (r results) spread(name string) string {
	vs := r[name]["ns/op"]
	if len(vs) < 2 {
		return ""
	}
	lo, hi := vs[0], vs[0]
	for _, v := range vs {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return fmt.Sprintf(" +%.0f%%", 100*(hi-lo)/lo)
}

func dur(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e4:
		return fmt.Sprintf("%.0f µs", ns/1e3)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func num(v float64) string {
	if v >= 100 || v == math.Trunc(v) {
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func ratio(x float64) string { return fmt.Sprintf("%.2fx", x) }

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

type page struct {
	strings.Builder
	env    map[string]string
	status map[string]string
}

func (p *page) f(format string, a ...any) { fmt.Fprintf(p, format, a...) }

func (p *page) cmd(suite string) {
	if c := p.env["cmd_"+suite]; c != "" {
		p.f("```sh\n%s\n```\n\n", strings.TrimSpace(c))
	}
	if s := p.status[suite]; strings.HasPrefix(s, "FAILED") {
		p.f("**This suite failed in this run**; the figures below are what it printed before failing. Its first lines:\n\n```\n%s```\n\n", p.env["head_"+suite])
	}
}

var (
	httpTargets = []string{"mcpgen-hmac", "mcpgen-bearer", "mcpgen-none", "sdk-bare"}
	httpPaths   = []struct{ key, label string }{
		{"stateful/handler", "handler, session"},
		{"stateful/loopback-c1", "loopback, 1 client"},
		{"stateful/loopback-c8", "loopback, 8 clients"},
		{"stateful/loopback-c32", "loopback, 32 clients"},
		{"stateless/handler", "handler, stateless"},
	}
	concurrency = []int{1, 8, 32}
)

type goal struct{ what, now, peer, ratio, goal, met string }

func main() {
	dir, out, plot := os.Args[1], os.Args[2], os.Args[3]
	buildPlot := "benchmarks-build.png"
	if len(os.Args) > 4 {
		buildPlot = os.Args[4]
	}
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "BR_") {
			env[strings.TrimPrefix(k, "BR_")] = v
		}
	}
	status := map[string]string{}
	for _, s := range []string{"http", "limiter", "decode", "redis", "scaleout", "gen", "build"} {
		if b, err := os.ReadFile(filepath.Join(dir, s+".status")); err == nil {
			status[s] = strings.TrimSpace(string(b))
		}
		if b, err := os.ReadFile(filepath.Join(dir, s+".cmd")); err == nil {
			env["cmd_"+s] = string(b)
		}
		if b, err := os.ReadFile(filepath.Join(dir, s+".txt")); err == nil {
			lines := strings.SplitAfter(string(b), "\n")
			env["head_"+s] = strings.Join(lines[:min(8, len(lines))], "")
		}
	}
	procs := env["procs"]
	httpR := parse(filepath.Join(dir, "http.txt"), procs)
	limR := parse(filepath.Join(dir, "limiter.txt"), procs)
	decR := parse(filepath.Join(dir, "decode.txt"), procs)
	redR := parse(filepath.Join(dir, "redis.txt"), procs)
	genR := parse(filepath.Join(dir, "gen.txt"), procs)

	p := &page{env: env, status: status}
	var goals []goal
	body := &page{env: env, status: status}

	// tools/call over HTTP.
	body.f("## tools/call over HTTP, in process\n\n")
	body.cmd("http")
	body.f("One `tools/call` of a small tool (an object in, an object out) through the full mcpgen server, against a bare go-sdk server serving the same tool with `mcp.Server.AddTool` and `mcp.NewStreamableHTTPHandler` and no checks at all. **mcpgen-hmac** is HMAC v1 on every request, the replay check (nonce store), an `Idempotency-Key` on every request (record claimed, response recorded and stored), the client rate limit, the tool's `x-rate-limit`, audit events to `io.Discard`, the strict envelope and the session guard; **bearer** and **none** are the same without signatures, nonces and idempotency keys. One session per client (stateful, the default), initialized before the timer; *stateless* is `Config.Stateless`. *handler* calls the endpoint's `ServeHTTP` with a recorder (the server's own work); *loopback* is an `httptest.Server` with N concurrent clients on keep-alive connections, the clients in the same process. *CPU per call* is the process's CPU time (user and system, every thread: server, clients and the garbage collector's workers) over calls, which other processes on the machine do not inflate: the ratios of the goals use it. *Time per call* is wall time over calls (the inverse of throughput); *p50* the median latency a client sees.\n\n")
	body.f("| path | server | CPU per call | time per call | p50 latency | B/op | allocs/op | CPU ÷ bare | time ÷ bare | p50 ÷ bare | allocs vs bare |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	var cheaper []string // rows where mcpgen's lowest CPU came under the bare server's
	for _, path := range httpPaths {
		bare := "HTTPToolsCall/" + path.key + "/sdk-bare"
		for _, t := range httpTargets {
			name := "HTTPToolsCall/" + path.key + "/" + t
			if !httpR.has(name) {
				continue
			}
			ns, p50, cpu := httpR.v(name, "ns/op"), httpR.v(name, "p50-µs"), httpR.v(name, "cpu-µs/op")
			row := fmt.Sprintf("| %s | %s | %s | %s%s | %s | %s | %s |", path.label, t, dur(cpu*1e3), dur(ns), httpR.spread(name), dur(p50*1e3),
				num(httpR.v(name, "B/op")), num(httpR.v(name, "allocs/op")))
			if t == "sdk-bare" || !httpR.has(bare) {
				row += " — | — | — | — |"
			} else {
				bns, bp50, bcpu := httpR.v(bare, "ns/op"), httpR.v(bare, "p50-µs"), httpR.v(bare, "cpu-µs/op")
				row += fmt.Sprintf(" %s | %s | %s | %+.0f |", ratio(cpu/bcpu), ratio(ns/bns), ratio(p50/bp50), httpR.v(name, "allocs/op")-httpR.v(bare, "allocs/op"))
				if cpu < bcpu {
					cheaper = append(cheaper, path.label+" "+t)
				}
			}
			body.f("%s\n", row)
		}
	}
	if len(cheaper) == 0 {
		body.f("\nThe bare go-sdk server wins every row: it checks nothing. The ratio is the price of the checks; the goals below bound it.\n\n")
	} else {
		body.f("\nThe bare go-sdk server does strictly less work on every row: it checks nothing. Where mcpgen's lowest CPU came under its own (%s), that is the machine's noise in this run, not a gain: read those rows' allocations, which are exact. The ratio is the price of the checks; the goals below bound it.\n\n", strings.Join(cheaper, "; "))
	}
	if httpR.has("HTTPToolsCall/stateful/loopback-c1/sdk-bare") {
		if env["plot"] == "png" {
			body.f("![latency against concurrency](%s)\n\n", filepath.Base(plot))
		} else {
			body.f("Median latency against concurrency (ASCII, gnuplot was not available):\n\n```\n%s```\n\n", asciiChart(httpR))
		}
		writePlotData(filepath.Join(dir, "plot.dat"), httpR)
	}
	h := func(path, t string) (float64, float64, float64, float64, bool) {
		n, b := "HTTPToolsCall/"+path+"/"+t, "HTTPToolsCall/"+path+"/sdk-bare"
		if !httpR.has(n) || !httpR.has(b) {
			return 0, 0, 0, 0, false
		}
		return httpR.v(n, "cpu-µs/op") * 1e3, httpR.v(b, "cpu-µs/op") * 1e3, httpR.v(n, "allocs/op"), httpR.v(b, "allocs/op"), true
	}
	if ns, bns, a, ba, ok := h("stateful/handler", "mcpgen-hmac"); ok {
		goals = append(goals, goal{"tools/call over HTTP in process (handler), HMAC + replay + idempotency + limits + audit; CPU per call",
			fmt.Sprintf("%s, %s allocs", dur(ns), num(a)), fmt.Sprintf("bare go-sdk %s, %s allocs", dur(bns), num(ba)),
			fmt.Sprintf("%s, %+.0f allocs", ratio(ns/bns), a-ba), "≤ 1.10x, ≤ +60 allocs", yes(ns/bns <= 1.10 && a-ba <= 60)})
	}
	for _, t := range []string{"mcpgen-bearer", "mcpgen-none"} {
		if ns, bns, _, _, ok := h("stateful/handler", t); ok {
			goals = append(goals, goal{"same, " + strings.TrimPrefix(t, "mcpgen-"), dur(ns), "bare go-sdk " + dur(bns), ratio(ns / bns), "≤ 1.05x", yes(ns/bns <= 1.05)})
		}
	}
	for _, c := range concurrency {
		if ns, bns, _, _, ok := h(fmt.Sprintf("stateful/loopback-c%d", c), "mcpgen-hmac"); ok {
			goals = append(goals, goal{fmt.Sprintf("tools/call over loopback HTTP, %d client(s), HMAC; CPU per call, the clients' included", c),
				dur(ns), "bare go-sdk " + dur(bns), ratio(ns / bns), "≤ 1.15x", yes(ns/bns <= 1.15)})
		}
	}

	// stdio.
	if httpR.has("Stdio/mcpgen") {
		body.f("## stdio round trip\n\n")
		body.cmd("http")
		body.f("One `tools/call` line written and its answer's line read, on in-process pipes, one initialized session: the mcpgen server as `Run` serves stdio (strict line reader and envelope, argument cap, the tool's `x-rate-limit`, audit events to `io.Discard`) against a bare go-sdk server on `mcp.IOTransport` with the same raw tool.\n\n")
		body.f("| server | CPU per call | time per call | B/op | allocs/op | CPU ÷ bare | time ÷ bare | allocs vs bare |\n|---|---|---|---|---|---|---|---|\n")
		m, b := "Stdio/mcpgen", "Stdio/sdk-bare"
		body.f("| mcpgen | %s | %s%s | %s | %s | %s | %s | %+.0f |\n", dur(httpR.v(m, "cpu-µs/op")*1e3), dur(httpR.v(m, "ns/op")), httpR.spread(m), num(httpR.v(m, "B/op")), num(httpR.v(m, "allocs/op")),
			ratio(httpR.v(m, "cpu-µs/op")/httpR.v(b, "cpu-µs/op")), ratio(httpR.v(m, "ns/op")/httpR.v(b, "ns/op")), httpR.v(m, "allocs/op")-httpR.v(b, "allocs/op"))
		body.f("| sdk-bare | %s | %s%s | %s | %s | — | — | — |\n\n", dur(httpR.v(b, "cpu-µs/op")*1e3), dur(httpR.v(b, "ns/op")), httpR.spread(b), num(httpR.v(b, "B/op")), num(httpR.v(b, "allocs/op")))
		r := httpR.v(m, "cpu-µs/op") / httpR.v(b, "cpu-µs/op")
		if r > 1 {
			body.f("The bare go-sdk server is faster: mcpgen costs %.0f%% more CPU per round trip.\n\n", 100*(r-1))
		} else {
			body.f("mcpgen is not slower than the bare server here (%s): within this machine's noise, the checks cost less than a run's spread.\n\n", ratio(r))
		}
		goals = append(goals, goal{"stdio round trip, CPU per call", dur(httpR.v(m, "cpu-µs/op") * 1e3), "bare go-sdk stdio " + dur(httpR.v(b, "cpu-µs/op")*1e3), ratio(r), "≤ 1.15x", yes(r <= 1.15)})
	}

	// Rate limiter.
	if !limR.empty() {
		body.f("## Rate-limit decision\n\n")
		body.cmd("limiter")
		body.f("One decision of `memstore.Limiter` (the sliding-window counter of `store.Limiter`, with the remaining count, reset time and retry delay of the response headers) against `golang.org/x/time/rate` token buckets in a `map[string]*rate.Limiter` behind a mutex (allowed or not, nothing else), every decision admitted; 1 key, or 100,000 keys taken in turn; on one goroutine (serial) or on every CPU (parallel, `b.RunParallel`). B/client is the heap per tracked client after tracking 100,000, besides the key string's own bytes, which the map keeps and the Limiter does not. *CPU* is the process's CPU time per decision (both CPUs together when parallel), which other processes do not inflate; *wall* is `ns/op`. The ratio compares CPU when serial, and wall time when parallel, where it is the throughput of both CPUs (a lock that parks a goroutine saves CPU and loses decisions).\n\n")
		body.f("| keys | run | mcpgen CPU | wall | allocs/op | B/client | x/time/rate map CPU | wall | allocs/op | B/client | mcpgen speed ÷ peer | faster |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, k := range []string{"keys-1", "keys-100000"} {
			for _, mode := range []string{"serial", "parallel"} {
				m, x := "LimiterDecision/"+k+"/"+mode+"/mcpgen", "LimiterDecision/"+k+"/"+mode+"/x-time-rate-map"
				if !limR.has(m) || !limR.has(x) {
					continue
				}
				bc := func(n string) string {
					if v, ok := limR.get(n, "B/client"); ok {
						return num(v)
					}
					return "—"
				}
				// Serial: CPU per decision. Parallel: wall time per decision,
				// the throughput of both CPUs (a lock that parks a goroutine
				// saves CPU time and loses decisions).
				unit := "cpu-ns/op"
				if _, ok := limR.get(m, unit); !ok || mode == "parallel" {
					unit = "ns/op"
				}
				r := limR.v(x, unit) / limR.v(m, unit)
				winner := "mcpgen"
				if r < 1 {
					winner = "**x/time/rate**"
				}
				cpu := func(n string) string {
					if v, ok := limR.get(n, "cpu-ns/op"); ok {
						return dur(v)
					}
					return "—"
				}
				body.f("| %s | %s | %s | %s%s | %s | %s | %s | %s%s | %s | %s | %s (%s) | %s |\n", strings.TrimPrefix(k, "keys-"), mode,
					cpu(m), dur(limR.v(m, "ns/op")), limR.spread(m), num(limR.v(m, "allocs/op")), bc(m),
					cpu(x), dur(limR.v(x, "ns/op")), limR.spread(x), num(limR.v(x, "allocs/op")), bc(x), ratio(r), map[bool]string{true: "CPU", false: "wall"}[unit == "cpu-ns/op"], winner)
				if mode == "serial" {
					g := goal{fmt.Sprintf("rate-limit decision, %s key(s), CPU per decision", strings.TrimPrefix(k, "keys-")), dur(limR.v(m, unit)),
						"x/time/rate in a map " + dur(limR.v(x, unit)), ratio(r) + " as fast", "≥ 1.0x", yes(r >= 1)}
					if v, ok := limR.get(m, "B/client"); ok {
						g.now += fmt.Sprintf(", %s B/client", num(v))
						g.goal += ", ≤ 128 B per client"
						g.met = yes(r >= 1 && v <= 128)
					}
					goals = append(goals, g)
				}
			}
		}
		body.f("\n")
	}

	// Decode and validate.
	if !decR.empty() {
		body.f("## Decode and validate\n\n")
		body.cmd("decode")
		body.f("The trading example's arguments, on the same bytes: **mcpgen** is the generated `DecodeXxxInput` (strict decode and full validation, extension keywords included); **jsonschema/v5** decodes (`UseNumber`) and validates against the published schema, format assertion on; **encoding/json** decodes into a struct of the same shape and validates nothing.\n\n")
		body.f("| input | mcpgen | allocs | jsonschema/v5 | allocs | encoding/json | allocs | vs v5 | vs encoding/json |\n|---|---|---|---|---|---|---|---|---|\n")
		var tools []string
		seen := map[string]bool{}
		jsonName := "encoding-json"
		for _, name := range decR.names() {
			parts := strings.Split(name, "/")
			if len(parts) == 4 && !seen[parts[1]] {
				seen[parts[1]] = true
				tools = append(tools, parts[1])
			}
			if len(parts) == 4 && strings.HasPrefix(parts[3], "encoding-json") {
				jsonName = parts[3]
			}
		}
		minValid, maxValid, jsonLoses := math.Inf(1), 0.0, []string{}
		for _, t := range tools {
			for _, doc := range []string{"valid", "invalid"} {
				base := "DecodeValidate/" + t + "/" + doc + "/"
				m, v5, js := base+"mcpgen", base+"jsonschema-v5", base+jsonName
				if !decR.has(m) {
					continue
				}
				mv := decR.v(m, "ns/op")
				rv5, rjs := decR.v(v5, "ns/op")/mv, decR.v(js, "ns/op")/mv
				jsText := ratio(rjs) + " faster"
				if rjs < 1 {
					jsText = fmt.Sprintf("**encoding/json faster** (%s)", ratio(1/rjs))
					jsonLoses = append(jsonLoses, t+" "+doc)
				}
				body.f("| %s, %s | %s | %s | %s | %s | %s | %s | %s faster | %s |\n", t, doc, dur(mv), num(decR.v(m, "allocs/op")),
					dur(decR.v(v5, "ns/op")), num(decR.v(v5, "allocs/op")), dur(decR.v(js, "ns/op")), num(decR.v(js, "allocs/op")), ratio(rv5), jsText)
				if doc == "valid" {
					minValid, maxValid = math.Min(minValid, rv5), math.Max(maxValid, rv5)
				}
			}
		}
		body.f("\n")
		if !math.IsInf(minValid, 1) {
			goals = append(goals, goal{"decode + validate, valid trading inputs", "", "jsonschema/v5",
				fmt.Sprintf("%.1f–%.1fx faster", minValid, maxValid), "≥ 15x v5", yes(minValid >= 15)})
			met := len(jsonLoses) == 0
			now := "faster on every input"
			if !met {
				now = "slower on " + strings.Join(jsonLoses, ", ")
			}
			goals = append(goals, goal{"decode + validate, every trading input", now, "encoding/json without validation", "", "faster than encoding/json on every input", yes(met)})
		}
	}

	// Redis.
	if !redR.empty() {
		body.f("## Redis stores against the memory stores\n\n")
		body.cmd("redis")
		body.f("Each decision of the stores on the memory stores and on Redis (one server, and a three-node cluster) started by the test on loopback, 8 requests in flight per CPU (`runtime/store/redisstore`): *checks-1-call* is the one-round-trip `Check` of nonce, client and tool limits; *signed-call* is a signed tool call's store work, as five calls one after another (client limit, nonce, tool limit, idempotency claim, stored response) and as the security layers make it on Redis now, a `Check` with the claim and the stored response; round trips per decision and decisions per second as measured.\n\n")
		body.f("| decision | store | time per decision | decisions/s | round trips | B/op | allocs/op | vs memory |\n|---|---|---|---|---|---|---|---|\n")
		for _, n := range redR.names() {
			parts := strings.Split(n, "/")
			if len(parts) != 3 {
				continue
			}
			vs := "—"
			if v, ok := redR.get(n, "x-fewer-than-mem"); ok {
				vs = fmt.Sprintf("%.0fx fewer decisions/s", v)
			} else if v, ok := redR.get(n, "x-more-than-3-calls"); ok {
				vs = fmt.Sprintf("%.2fx the decisions/s of 3 calls", v)
			} else if v, ok := redR.get(n, "x-more-than-5-calls"); ok {
				vs = fmt.Sprintf("%.2fx the calls/s of 5 calls", v)
			}
			body.f("| %s | %s | %s | %s | %s | %s | %s | %s |\n", parts[1], parts[2], dur(redR.v(n, "ns/op")), num(redR.v(n, "decisions/s")),
				fmt.Sprintf("%.2f", redR.v(n, "roundtrips/op")), num(redR.v(n, "B/op")), num(redR.v(n, "allocs/op")), vs)
		}
		body.f("\nMemory wins every row, as it must: a Redis decision is a network round trip. Redis is what several replicas share.\n\n")
		two, five := "Decisions/signed-call-2-calls/redis-standalone", "Decisions/signed-call-5-calls/redis-standalone"
		if trips, ok := redR.get(two, "roundtrips/op"); ok {
			ratio := ""
			if v, ok := redR.get(two, "x-more-than-5-calls"); ok {
				ratio = fmt.Sprintf("%.2fx the calls/s", v)
			}
			goals = append(goals, goal{"Redis round trips per signed tools/call (its checks, its idempotency record)", fmt.Sprintf("%.2f", trips),
				fmt.Sprintf("a call per check: %.2f", redR.v(five, "roundtrips/op")), ratio, "1 for the checks, 1 for the record", yes(trips <= 2.05)})
		}
	}

	// tools/call through a balancer: memory against Redis.
	if b, err := os.ReadFile(filepath.Join(dir, "scaleout.txt")); err == nil {
		var cores, replicas int
		var mem, red1, ratio1, redN, ratioN float64
		for _, line := range strings.Split(string(b), "\n") {
			if _, err := fmt.Sscanf(line, "== bench: tools/call through nginx, %d cores: memory, 1 replica %g/s; Redis, 1 replica %g/s (%g); Redis, %d replicas %g/s (%g of memory)",
				&cores, &mem, &red1, &ratio1, &replicas, &redN, &ratioN); err == nil {
				break
			}
			replicas = 0
		}
		body.f("## tools/call through a balancer: memory against Redis\n\n")
		body.cmd("scaleout")
		if replicas == 0 {
			body.f("No figures: the run printed no result line.\n\n")
		} else {
			body.f("Signed `tools/call`s (HMAC v1, an Idempotency-Key each) of the trading example's `risk.position_limits_check`, 16 in flight under 128 client keys, through nginx on loopback to stateless replicas, for a fixed time each, all on this machine's %d cores (so the replicas, Redis, nginx and the load share them): throughput of one replica on the memory stores, one on Redis, and %d on Redis. On Redis a call makes two round trips (its checks and claim in one script, its stored response), counted by `TestScaleOut/RedisRoundTripsPerCall`.\n\n", cores, replicas)
			body.f("| deployment | tools/call per s | vs memory |\n|---|---|---|\n")
			body.f("| 1 replica, memory stores | %.0f | — |\n| 1 replica, Redis | %.0f | %.2fx |\n| %d replicas, Redis | %.0f | %.2fx |\n\n", mem, red1, ratio1, replicas, redN, ratioN)
			body.f("On one machine the replicas share its cores: the rows show the price of the shared store, and how much more of the cores several processes put to use, not how a deployment across machines scales.\n\n")
		}
	}

	// Generation and build against tool count.
	buildR := parse(filepath.Join(dir, "build.txt"), procs)
	if !genR.empty() || !buildR.empty() {
		body.f("## Generation and build against tool count\n\n")
		body.cmd("gen")
		body.cmd("build")
		body.f("N tools of the shape of `scaleTool` in `gen/scale_test.go`: the trading example's kinds of checks with every schema inline, nothing shared between tools (a symbol with a pattern and normalization, three enums, exact decimals with ranges, a date-time window, an integer range, an array of strings, a nested object, an array of objects, a free-form value; an output of decimals and an array of objects). *generate* is `gen.Generate` of all N, in process (best of the runs), *peak heap* the most live heap it held; *go build* is `go build` of a server of the N tools (the generated package and a main that registers them, linked), the build cache holding the runtime and everything else, so the time is what the generated package costs: its compilation and the link. *CPU* is the build's user and system time, *peak RSS* the most memory one process of it held (the compiler).\n\n")
		counts := map[int]bool{}
		for _, r := range []results{genR, buildR} {
			for _, n := range r.names() {
				if _, tail, ok := strings.Cut(n, "/tools-"); ok {
					if c, err := strconv.Atoi(tail); err == nil {
						counts[c] = true
					}
				}
			}
		}
		var ns []int
		for c := range counts {
			ns = append(ns, c)
		}
		sort.Ints(ns)
		opt := func(r results, name, unit string, f func(float64) string) string {
			if v, ok := r.get(name, unit); ok {
				return f(v)
			}
			return "—"
		}
		secs := func(v float64) string { return fmt.Sprintf("%.2f s", v) }
		mib := func(v float64) string { return fmt.Sprintf("%.0f MiB", v) }
		val := func(r results, name, unit string, scale float64) string {
			if v, ok := r.get(name, unit); ok {
				return fmt.Sprintf("%.3f", v*scale)
			}
			return "NaN"
		}
		body.f("| tools | generate | peak heap | lines of Go per tool | go build | CPU | peak RSS |\n|---|---|---|---|---|---|---|\n")
		var dat strings.Builder
		dat.WriteString("# tools generate-s gen-heap-MiB build-s build-rss-MiB\n")
		for _, c := range ns {
			g, bl := fmt.Sprintf("Generate/tools-%d", c), fmt.Sprintf("Build/tools-%d", c)
			lines := opt(genR, g, "lines/tool", num)
			if lines == "—" {
				lines = opt(buildR, bl, "lines/tool", num)
			}
			body.f("| %d | %s%s | %s | %s | %s%s | %s | %s |\n", c, opt(genR, g, "ns/op", func(v float64) string { return secs(v / 1e9) }), genR.spread(g),
				opt(genR, g, "peak-heap-MiB", mib), lines, opt(buildR, bl, "ns/op", func(v float64) string { return secs(v / 1e9) }), buildR.spread(bl),
				opt(buildR, bl, "cpu-s", func(v float64) string { return fmt.Sprintf("%.1f s", v) }), opt(buildR, bl, "peak-RSS-MiB", mib))
			fmt.Fprintf(&dat, "%d %s %s %s %s\n", c, val(genR, g, "ns/op", 1e-9), val(genR, g, "peak-heap-MiB", 1), val(buildR, bl, "ns/op", 1e-9), val(buildR, bl, "peak-RSS-MiB", 1))
		}
		body.f("\n")
		os.WriteFile(filepath.Join(dir, "build.dat"), []byte(dat.String()), 0o644)
		if len(ns) > 1 {
			if env["plot"] == "png" {
				body.f("![generation and build against tool count](%s)\n\n", filepath.Base(buildPlot))
			} else {
				body.f("Generation and go build time against tool count (ASCII, gnuplot was not available):\n\n```\n%s```\n\n", buildChart(ns, genR, buildR))
			}
		}
		if !genR.empty() {
			if v, ok := genR.get("Generate/tools-1000", "ns/op"); ok {
				goals = append(goals, goal{"generate 1,000 tools", secs(v / 1e9), "", "", "< 3 s", yes(v < 3e9)})
			} else {
				goals = append(goals, goal{"generate 1,000 tools", "not measured (BENCH_GEN_TOOLS has no 1000)", "", "", "< 3 s", "—"})
			}
		}
		if !buildR.empty() {
			if v, ok := buildR.get("Build/tools-1000", "ns/op"); ok {
				rss, _ := buildR.get("Build/tools-1000", "peak-RSS-MiB")
				goals = append(goals, goal{"go build of a server of 1,000 tools", fmt.Sprintf("%s, peak RSS %s", secs(v/1e9), mib(rss)), "", "", "< 20 s, < 1.5 GB", yes(v < 20e9 && rss*(1<<20) < 1.5e9)})
			} else {
				goals = append(goals, goal{"go build of a server of 1,000 tools", "not measured (BENCH_BUILD_TOOLS has no 1000)", "", "", "< 20 s, < 1.5 GB", "—"})
			}
		}
	} else {
		body.f("## Generation and build against tool count\n\nNo figures: this run skipped them (BENCH_GEN=0).\n\n")
	}

	// The page.
	p.f("# Benchmarks\n\n")
	p.f("Written by `./scripts/bench.sh` on %s; rerun that command to refresh this page (the method is in [docs/benchmarks.md](docs/benchmarks.md)). Every figure on this page comes from this one run, each benchmark with `-benchmem`, in %s rounds of `go test -count 1` so that peers take turns: times are the lowest of the rounds (another process on the machine only adds time), with +N%% the highest round's excess over it; bytes and allocations the median. Read the ratios, which compare peers measured side by side; absolute times move with the machine's load.\n\n", env["date"], env["count"])
	p.f("| machine | |\n|---|---|\n| CPUs (nproc) | %s |\n| CPU | %s |\n| memory | %s |\n| OS | %s |\n| Go | %s |\n| commit | %s |\n| load average before, after | %s; %s |\n| run took | %s s |\n\n",
		env["procs"], env["cpu"], env["mem"], env["os"], env["go"], env["commit"], env["load_before"], env["load_after"], env["took"])
	if len(goals) > 0 {
		p.f("## Against the goals of issues 11 and 8\n\n| what | mcpgen | peer | ratio | goal | met |\n|---|---|---|---|---|---|\n")
		for _, g := range goals {
			p.f("| %s | %s | %s | %s | %s | %s |\n", g.what, g.now, g.peer, g.ratio, g.goal, g.met)
		}
		p.f("\n")
	}
	p.f("%s", body.String())
	if err := os.WriteFile(out, []byte(p.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func writePlotData(path string, r results) {
	var b strings.Builder
	b.WriteString("# c")
	for _, t := range httpTargets {
		fmt.Fprintf(&b, " %s-p50 %s-time", t, t)
	}
	b.WriteString("\n")
	for _, c := range concurrency {
		fmt.Fprintf(&b, "%d", c)
		for _, t := range httpTargets {
			n := fmt.Sprintf("HTTPToolsCall/stateful/loopback-c%d/%s", c, t)
			fmt.Fprintf(&b, " %.1f %.1f", r.v(n, "p50-µs"), r.v(n, "ns/op")/1e3)
		}
		b.WriteString("\n")
	}
	os.WriteFile(path, []byte(b.String()), 0o644)
}

// buildChart draws the generation and go build time of each tool count as
// bars.
func buildChart(ns []int, genR, buildR results) string {
	var b strings.Builder
	top := 0.0
	for _, c := range ns {
		top = math.Max(top, math.Max(buildR.v(fmt.Sprintf("Build/tools-%d", c), "ns/op"), genR.v(fmt.Sprintf("Generate/tools-%d", c), "ns/op")))
	}
	for _, c := range ns {
		fmt.Fprintf(&b, "%d tools\n", c)
		for _, row := range []struct {
			label string
			r     results
			name  string
		}{{"generate", genR, "Generate"}, {"go build", buildR, "Build"}} {
			v, ok := row.r.get(fmt.Sprintf("%s/tools-%d", row.name, c), "ns/op")
			if !ok {
				continue
			}
			n := 0
			if top > 0 {
				n = int(math.Round(50 * v / top))
			}
			fmt.Fprintf(&b, "  %-9s %s %.2f s\n", row.label, strings.Repeat("#", n), v/1e9)
		}
	}
	return b.String()
}

func asciiChart(r results) string {
	var b strings.Builder
	top := 0.0
	for _, c := range concurrency {
		for _, t := range httpTargets {
			top = math.Max(top, r.v(fmt.Sprintf("HTTPToolsCall/stateful/loopback-c%d/%s", c, t), "p50-µs"))
		}
	}
	for _, c := range concurrency {
		fmt.Fprintf(&b, "%d client(s)\n", c)
		for _, t := range httpTargets {
			v := r.v(fmt.Sprintf("HTTPToolsCall/stateful/loopback-c%d/%s", c, t), "p50-µs")
			n := 0
			if top > 0 {
				n = int(math.Round(50 * v / top))
			}
			fmt.Fprintf(&b, "  %-14s %s %s\n", t, strings.Repeat("#", n), dur(v*1e3))
		}
	}
	return b.String()
}
EOF

plot_kind=ascii
command -v gnuplot >/dev/null && plot_kind=png
if [ -z "${skip:-}" ]; then
  {
    printf 'BR_date=%q\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'BR_count=%q\n' "$count"
    printf 'BR_procs=%q\n' "$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"
    printf 'BR_cpu=%q\n' "$cpu"
    printf 'BR_mem=%q\n' "$mem"
    printf 'BR_os=%q\n' "$(uname -sr)"
    printf 'BR_go=%q\n' "$(go version | sed 's/^go version //')"
    printf 'BR_commit=%q\n' "$commit"
    printf 'BR_load_before=%q\n' "$load_before"
    printf 'BR_load_after=%q\n' "$(loadavg)"
    printf 'BR_took=%q\n' "$(($(date +%s) - started))"
  } >"$work/meta.env"
fi
set -a
# shellcheck disable=SC1091
. "$work/meta.env"
BR_plot=$plot_kind
set +a
outdir=$(cd "$(dirname "$out")" && pwd)
(cd "$work/report" && GOFLAGS=-mod=mod GOWORK=off go run . "$work" "$outdir/$(basename "$out")" "$outdir/$(basename "$plot")" "$outdir/$(basename "$build_plot")")

if [ "$plot_kind" = png ] && [ -f "$work/plot.dat" ]; then
  gnuplot <<EOF
set terminal pngcairo size 960,420 font "DejaVu Sans,10"
set output "$outdir/$(basename "$plot")"
set multiplot layout 1,2 title "tools/call over loopback HTTP, one session per client ($BR_procs CPUs, clients in process)"
set logscale x 2
set xtics ("1" 1, "8" 8, "32" 32)
set xlabel "concurrent clients"
set key top left
set grid
set logscale y
set ylabel "median latency of a call (µs, log scale)"
set title "latency a client sees (p50)"
plot "$work/plot.dat" using 1:2 with linespoints lw 2 title "mcpgen hmac", \
     "" using 1:4 with linespoints lw 2 title "mcpgen bearer", \
     "" using 1:6 with linespoints lw 2 title "mcpgen none", \
     "" using 1:8 with linespoints lw 2 dt 2 title "bare go-sdk"
unset logscale y
set key top right
set ylabel "wall time per call (µs) = 1 / throughput"
set title "time per call"
plot "$work/plot.dat" using 1:3 with linespoints lw 2 title "mcpgen hmac", \
     "" using 1:5 with linespoints lw 2 title "mcpgen bearer", \
     "" using 1:7 with linespoints lw 2 title "mcpgen none", \
     "" using 1:9 with linespoints lw 2 dt 2 title "bare go-sdk"
unset multiplot
EOF
  log "wrote $out and $plot"
else
  log "wrote $out"
fi
build_points=$(grep -vc '^#' "$work/build.dat" 2>/dev/null || true)
if [ "$plot_kind" = png ] && [ "${build_points:-0}" -gt 1 ]; then
  gnuplot <<EOF
set terminal pngcairo size 960,420 font "DejaVu Sans,10"
set output "$outdir/$(basename "$build_plot")"
set datafile missing "NaN"
set multiplot layout 1,2 title "generation and go build of N generated tools ($BR_procs CPUs)"
set xlabel "tools"
set key top left
set grid
set ylabel "seconds"
set title "time"
plot "$work/build.dat" using 1:4 with linespoints lw 2 title "go build (compile + link)", \
     "" using 1:2 with linespoints lw 2 title "generate", \
     20 with lines dt 2 lc rgb "gray" title "goal at 1,000 tools: build 20 s", \
     3 with lines dt 3 lc rgb "gray" title "goal at 1,000 tools: generate 3 s"
set ylabel "MiB"
set title "peak memory"
plot "$work/build.dat" using 1:5 with linespoints lw 2 title "go build, peak RSS", \
     "" using 1:3 with linespoints lw 2 title "generate, peak heap", \
     1430 with lines dt 2 lc rgb "gray" title "goal at 1,000 tools: build 1.5 GB"
unset multiplot
EOF
  log "wrote $build_plot"
fi
log "took $(($(date +%s) - started)) s"
