package main

// The multi-replica tests (issue 8): three trading replicas, stateless
// Streamable HTTP, HMAC v1, their limits, nonces, idempotency records and
// shared state in one Redis, behind nginx as a round-robin balancer.
// scripts/scaleout.sh starts all of that and runs these tests with its
// settings (MCP_SCALEOUT_*); without MCP_SCALEOUT=1 they are skipped.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/idempotency"
)

// soProtocol is the revision the raw requests speak: stateless, so no
// initialize and no session; the header alone names it.
const soProtocol = "2025-11-25"

// soDeployment is the running deployment, from scripts/scaleout.sh.
type soDeployment struct {
	url         string   // the balancer's MCP endpoint
	host        string   // its host:port: the Host every request carries, through the balancer or not
	replicas    []string // the replicas' own endpoints
	keys        map[string]auth.Key
	limit       int           // MCP_CLIENT_RATE_LIMIT's N
	window      time.Duration // and its window
	dir, script string
}

var soSettings = []string{"MCP_SCALEOUT_URL", "MCP_SCALEOUT_REPLICAS", "MCP_SCALEOUT_KEYS_FILE",
	"MCP_SCALEOUT_CLIENT_LIMIT", "MCP_SCALEOUT_DIR", "MCP_SCALEOUT_CTL"}

// scaleOut returns the deployment, or skips the test: always without
// MCP_SCALEOUT=1; with it, when scripts/scaleout.sh's settings are missing,
// except in CI (CI=true), where that fails.
func scaleOut(t *testing.T) *soDeployment {
	t.Helper()
	if os.Getenv("MCP_SCALEOUT") != "1" {
		t.Skip("multi-replica test: needs Redis, three replicas and nginx; run scripts/scaleout.sh (or set MCP_SCALEOUT=1 with its settings)")
	}
	var missing []string
	for _, name := range soSettings {
		if os.Getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("MCP_SCALEOUT=1 but %s unset: run the test through scripts/scaleout.sh, which starts the deployment and sets them", strings.Join(missing, ", "))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	d := &soDeployment{
		url: os.Getenv("MCP_SCALEOUT_URL"), dir: os.Getenv("MCP_SCALEOUT_DIR"), script: os.Getenv("MCP_SCALEOUT_CTL"),
		replicas: strings.Split(os.Getenv("MCP_SCALEOUT_REPLICAS"), ","), keys: map[string]auth.Key{},
	}
	u, err := url.Parse(d.url)
	require.NoError(t, err)
	d.host = u.Host
	keys, err := auth.ReadKeysFile(os.Getenv("MCP_SCALEOUT_KEYS_FILE"))
	require.NoError(t, err)
	for _, k := range keys {
		d.keys[k.ID] = k
	}
	if limit := os.Getenv("MCP_SCALEOUT_CLIENT_LIMIT"); limit != "off" {
		n, w, ok := strings.Cut(limit, "/")
		require.True(t, ok, "MCP_SCALEOUT_CLIENT_LIMIT %q", limit)
		d.limit, err = strconv.Atoi(n)
		require.NoError(t, err)
		d.window, err = time.ParseDuration(w)
		require.NoError(t, err)
	}
	return d
}

func (d *soDeployment) key(t *testing.T, id string) auth.Key {
	k, ok := d.keys[id]
	require.True(t, ok, "no HMAC key %q in MCP_SCALEOUT_KEYS_FILE", id)
	return k
}

var soClient = &http.Client{
	Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
	Timeout:   15 * time.Second,
}

// soSign signs a tools request for the balancer's Host with HMAC v1, as
// auth.Signer does, and adds what a stateless Streamable HTTP request
// carries.
func (d *soDeployment) sign(t *testing.T, key auth.Key, body, idemKey string) http.Header {
	t.Helper()
	h, _, err := auth.SignRequestHeaders(key, auth.SignParams{Method: http.MethodPost, URL: d.url,
		ContentType: "application/json", Body: []byte(body), IdempotencyKey: idemKey})
	require.NoError(t, err)
	h.Set("Accept", "application/json, text/event-stream")
	h.Set("Mcp-Protocol-Version", soProtocol)
	return h
}

// soResponse is one HTTP response as a client sees it: a JSON-RPC message
// (from a JSON body or the SSE stream), or the runtime's error body.
type soResponse struct {
	status   int
	header   http.Header
	raw      []byte
	rpc      *soRPC
	err      mcperr.Body // the body of a refusal (status other than 200)
	upstream string      // the replica that answered (X-Mcpgen-Upstream, set by the balancer)
	elapsed  time.Duration
}

type soRPC struct {
	ID     json.RawMessage `json:"id"`
	Result *struct {
		IsError           bool            `json:"isError"`
		StructuredContent json.RawMessage `json:"structuredContent"`
		Content           []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	} `json:"result"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// send posts body with header h to target (the balancer's endpoint or a
// replica's), with the balancer's Host either way.
func (d *soDeployment) send(t *testing.T, target string, h http.Header, body string) *soResponse {
	t.Helper()
	r, err := d.trySend(target, h, body)
	require.NoError(t, err)
	return r
}

func (d *soDeployment) trySend(target string, h http.Header, body string) (*soResponse, error) {
	return d.sendHost(target, d.host, h, body)
}

func (d *soDeployment) sendHost(target, host string, h http.Header, body string) (*soResponse, error) {
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = h.Clone()
	req.Host = host
	start := time.Now()
	resp, err := soClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	r := &soResponse{status: resp.StatusCode, header: resp.Header, raw: raw,
		upstream: resp.Header.Get("X-Mcpgen-Upstream"), elapsed: time.Since(start)}
	if resp.StatusCode != http.StatusOK {
		if err := json.Unmarshal(raw, &r.err); err != nil {
			return nil, fmt.Errorf("status %d with a body that is not the error body: %q", resp.StatusCode, raw)
		}
		return r, nil
	}
	msg := raw
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		msg = nil
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data:"); ok && strings.Contains(data, `"id"`) {
				msg = []byte(strings.TrimSpace(data))
			}
		}
	}
	r.rpc = new(soRPC)
	if err := json.Unmarshal(msg, r.rpc); err != nil {
		return nil, fmt.Errorf("a 200 without a JSON-RPC response: %q", raw)
	}
	return r, nil
}

// call signs and sends one tools/call to target and returns the response.
func (d *soDeployment) call(t *testing.T, target string, key auth.Key, tool, args string) *soResponse {
	t.Helper()
	body := soCall(1, tool, args)
	return d.send(t, target, d.sign(t, key, body, ""), body)
}

func soCall(id int, tool, args string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":%s}}`, id, tool, args)
}

// output returns a successful tool result's structuredContent, failing the
// test on anything else.
func (r *soResponse) output(t *testing.T) map[string]any {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	require.NotNil(t, r.rpc.Result, "%s", r.raw)
	require.False(t, r.rpc.Result.IsError, "%s", r.raw)
	var out map[string]any
	require.NoError(t, json.Unmarshal(r.rpc.Result.StructuredContent, &out), "%s", r.raw)
	return out
}

// toolError returns the error body of a tool result with isError.
func (r *soResponse) toolError(t *testing.T) mcperr.Body {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	require.NotNil(t, r.rpc.Result, "%s", r.raw)
	require.True(t, r.rpc.Result.IsError, "%s", r.raw)
	require.NotEmpty(t, r.rpc.Result.Content, "%s", r.raw)
	var body mcperr.Body
	require.NoError(t, json.Unmarshal([]byte(r.rpc.Result.Content[0].Text), &body), "%s", r.raw)
	return body
}

func soRandom(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

const soRiskArgs = `{"symbol":"EURUSD","side":"buy","quantity":1000,"price":1.1}`

func soVersion(t *testing.T, out map[string]any) int64 {
	t.Helper()
	v, ok := out["version"].(float64)
	require.True(t, ok, "version in %v", out)
	return int64(v)
}

// ctl runs a subcommand of scripts/scaleout.sh on the deployment.
func (d *soDeployment) ctl(t *testing.T, cmd string) {
	t.Helper()
	out, err := exec.Command(d.script, cmd, d.dir).CombinedOutput()
	require.NoError(t, err, "scaleout.sh %s: %s", cmd, out)
}

// pids returns the replicas' process IDs, from scripts/scaleout.sh's pid files.
func (d *soDeployment) pids(t *testing.T) []int {
	t.Helper()
	var pids []int
	for i := range d.replicas {
		raw, err := os.ReadFile(fmt.Sprintf("%s/replica-%d.pid", d.dir, i+1))
		require.NoError(t, err)
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		require.NoError(t, err)
		pids = append(pids, pid)
	}
	return pids
}

// probe answers GET path (/healthz or /readyz) of the replica at endpoint.
func soProbe(endpoint, path string) int {
	u, _ := url.Parse(endpoint)
	resp, err := soClient.Get("http://" + u.Host + path)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// soAlive reports whether process pid runs. A zombie does not: replicas
// started by scaleout.sh restart are orphans, reaped by PID 1 in its time.
func soAlive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := bytes.Cut(stat, []byte(") "))
	return !bytes.HasPrefix(rest, []byte("Z"))
}

// TestScaleOut runs the multi-replica checks in order; they share the
// deployment, each with an HMAC key (a client) of its own, and the last one
// stops and restarts Redis.
func TestScaleOut(t *testing.T) {
	d := scaleOut(t)
	for i, r := range d.replicas {
		require.Equal(t, http.StatusOK, soProbe(r, "/readyz"), "replica %d (%s) ready", i+1, r)
	}
	t.Run("ClientRateLimitAcrossReplicas", func(t *testing.T) { soRateLimit(t, d) })
	t.Run("ToolRateLimitAcrossReplicas", func(t *testing.T) { soToolLimit(t, d) })
	t.Run("ReplayOnAnotherReplica", func(t *testing.T) { soReplay(t, d) })
	t.Run("IdempotentRetryOnAnotherReplica", func(t *testing.T) { soIdempotentRetry(t, d) })
	t.Run("ConcurrentIdenticalRequests", func(t *testing.T) { soConcurrent(t, d) })
	t.Run("SharedStateAcrossReplicasAndRestarts", func(t *testing.T) { soSharedState(t, d) })
	t.Run("NoStreamNoSession", func(t *testing.T) { soStateless(t, d) })
	t.Run("RedisRoundTripsPerCall", func(t *testing.T) { soRoundTrips(t, d) })
	t.Run("RedisOutage", func(t *testing.T) { soOutage(t, d) })
}

// A per-client limit of N per window admits at most N+1 across the
// replicas under concurrent load: 2N calls from one client, 16 at a time,
// round-robin over three replicas. Each replica alone would admit N.
func soRateLimit(t *testing.T, d *soDeployment) {
	require.NotZero(t, d.limit, "the replicas need a client rate limit")
	key := d.key(t, "ratelimit")
	total := 2 * d.limit
	var (
		mu        sync.Mutex
		admitted  = map[string]int{}
		refused   = map[string]int{}
		next      atomic.Int64
		wg        sync.WaitGroup
		problems  []string
		retryMsg  = regexp.MustCompile(fmt.Sprintf(`^rate limit of %d requests per %s exceeded; retry after (\d+) s$`, d.limit, regexp.QuoteMeta(d.window.String())))
		sawRefuse *soResponse
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(total) {
				body := soCall(1, "risk.position_limits_check", soRiskArgs)
				r, err := d.trySend(d.url, d.sign(t, key, body, ""), body)
				mu.Lock()
				switch {
				case err != nil:
					problems = append(problems, err.Error())
				case r.status == http.StatusOK && r.rpc.Result != nil && !r.rpc.Result.IsError:
					admitted[r.upstream]++
				case r.status == http.StatusTooManyRequests:
					refused[r.upstream]++
					m := retryMsg.FindStringSubmatch(r.err.Message)
					if r.err.Code != mcperr.Code("MCP-006") || m == nil || r.header.Get("Retry-After") != m[1] ||
						r.header.Get("X-RateLimit-Limit") != strconv.Itoa(d.limit) || r.header.Get("X-RateLimit-Remaining") != "0" {
						problems = append(problems, fmt.Sprintf("429 with Retry-After %q, X-RateLimit-Limit %q, X-RateLimit-Remaining %q: %s",
							r.header.Get("Retry-After"), r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Remaining"), r.raw))
					}
					sawRefuse = r
				default:
					problems = append(problems, fmt.Sprintf("status %d: %s", r.status, r.raw))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Empty(t, problems, "every call is admitted (200, a tool result) or refused (429, MCP-006)")
	sum := func(m map[string]int) (n int) {
		for _, v := range m {
			n += v
		}
		return n
	}
	in, out := sum(admitted), sum(refused)
	t.Logf("limit %d/%s, %d calls: %d admitted %v, %d refused %v", d.limit, d.window, total, in, admitted, out, refused)
	assert.Equal(t, total, in+out)
	assert.LessOrEqual(t, in, d.limit+1, "at most N+1 admitted across the replicas")
	assert.GreaterOrEqual(t, in, d.limit, "and no fewer than N: the replicas share one count, they do not split it")
	assert.Len(t, admitted, len(d.replicas), "every replica admitted some: %v", admitted)
	assert.Len(t, refused, len(d.replicas), "and refused some: %v", refused)
	require.NotNil(t, sawRefuse)
	assert.Equal(t, map[string]any{"limit": float64(d.limit), "window_seconds": d.window.Seconds(),
		"retry_after_seconds": sawRefuse.err.Details["retry_after_seconds"]}, sawRefuse.err.Details)
	assert.True(t, sawRefuse.err.SecurityEvent)
}

// A tool's x-rate-limit is one count across the replicas too:
// execution.sim_quote allows 200 calls a minute, and 240 calls from one
// client, 8 at a time over three replicas, get 200 (at most 201) results
// and tool errors with MCP-006 for the rest.
func soToolLimit(t *testing.T, d *soDeployment) {
	key := d.key(t, "toollimit")
	const perMinute, total = 200, 240
	require.Less(t, total, d.limit, "under the client limit, so that only the tool limit refuses")
	retryMsg := regexp.MustCompile(`^rate limit of tool "execution.sim_quote" exceeded: 200 calls per minute; retry in (\d+)s$`)
	var (
		mu       sync.Mutex
		admitted = map[string]int{}
		refused  = map[string]int{}
		problems []string
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= total {
				body := soCall(1, "execution.sim_quote", `{"symbol":"SPY","side":"buy","quantity":100}`)
				r, err := d.trySend(d.url, d.sign(t, key, body, ""), body)
				mu.Lock()
				switch {
				case err != nil:
					problems = append(problems, err.Error())
				case r.status != http.StatusOK || r.rpc.Result == nil:
					problems = append(problems, fmt.Sprintf("status %d: %s", r.status, r.raw))
				case !r.rpc.Result.IsError:
					admitted[r.upstream]++
				default:
					var body mcperr.Body
					if len(r.rpc.Result.Content) == 0 || json.Unmarshal([]byte(r.rpc.Result.Content[0].Text), &body) != nil ||
						body.Code != "MCP-006" || !retryMsg.MatchString(body.Message) || body.Details["limit"] != float64(perMinute) {
						problems = append(problems, fmt.Sprintf("a tool error that is not the tool's rate limit: %s", r.raw))
					}
					refused[r.upstream]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Empty(t, problems)
	in, out := 0, 0
	for _, n := range admitted {
		in += n
	}
	for _, n := range refused {
		out += n
	}
	t.Logf("x-rate-limit %d/min, %d calls: %d admitted %v, %d refused %v", perMinute, total, in, admitted, out, refused)
	assert.GreaterOrEqual(t, in, perMinute)
	assert.LessOrEqual(t, in, perMinute+1)
	assert.Len(t, admitted, len(d.replicas))
	assert.Len(t, refused, len(d.replicas))
}

// A signed tools/call of a tool with an x-rate-limit costs the replica two
// Redis round trips: one script decides the client limit, the nonce and
// the tool limit and claims the idempotency record (every signed request
// carries an Idempotency-Key), and one stores the response. Counted by
// Redis itself (INFO commandstats), on one Redis server.
func soRoundTrips(t *testing.T, d *soDeployment) {
	if os.Getenv("MCP_SCALEOUT_STORES") != "redis" {
		t.Skip("counted on one Redis server")
	}
	opts, err := redis.ParseURL(os.Getenv("MCP_SCALEOUT_REDIS_URL"))
	require.NoError(t, err)
	rc := redis.NewClient(opts)
	defer rc.Close()
	ctx := context.Background()
	// scripts is how many scripts Redis has run: every request the store
	// makes is one (INFO commandstats counts the commands scripts call as
	// well, so only the scripts tell the round trips).
	scripts := func() int64 {
		t.Helper()
		info, err := rc.Info(ctx, "commandstats").Result()
		require.NoError(t, err)
		var total int64
		for line := range strings.SplitSeq(info, "\n") {
			name, stats, ok := strings.Cut(strings.TrimSpace(line), ":")
			switch name {
			case "cmdstat_evalsha", "cmdstat_eval", "cmdstat_evalsha_ro", "cmdstat_eval_ro":
			default:
				continue
			}
			require.True(t, ok, line)
			calls, _, _ := strings.Cut(strings.TrimPrefix(stats, "calls="), ",")
			n, err := strconv.ParseInt(calls, 10, 64)
			require.NoError(t, err, line)
			total += n
		}
		return total
	}
	key := d.key(t, "roundtrips")
	body := soCall(1, "execution.sim_quote", `{"symbol":"SPY","side":"buy","quantity":100}`)
	const calls = 30
	before := scripts()
	for range calls {
		r := d.send(t, d.url, d.sign(t, key, body, ""), body)
		require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
		require.False(t, r.rpc.Result.IsError, "%s", r.raw)
	}
	perCall := float64(scripts()-before) / calls
	t.Logf("Redis round trips per signed tools/call: %.2f", perCall)
	assert.Equal(t, 2.0, perCall, "one for the checks and the claim, one for the stored response")
}

// A signed request replayed as it is (same headers, same body) to another
// replica is refused: the nonce is in Redis, not in the replica that saw it.
func soReplay(t *testing.T, d *soDeployment) {
	key := d.key(t, "replay")
	body := soCall(1, "risk.position_limits_check", soRiskArgs)
	h := d.sign(t, key, body, "")

	first := d.send(t, d.replicas[0], h, body)
	assert.Equal(t, true, first.output(t)["allowed"])

	replayed := func(r *soResponse) {
		t.Helper()
		assert.Equal(t, http.StatusUnauthorized, r.status, "%s", r.raw)
		assert.Equal(t, `MCP-HMAC-SHA256-V1 realm="mcp"`, r.header.Get("WWW-Authenticate"))
		assert.Equal(t, mcperr.Code("MCP-002"), r.err.Code)
		assert.Equal(t, "X-Nonce was already used; sign every request with a new nonce", r.err.Message)
		assert.True(t, r.err.SecurityEvent)
	}
	// Straight to the other replicas' ports, with the Host it was signed for.
	for _, replica := range d.replicas[1:] {
		replayed(d.send(t, replica, h, body))
	}
	// Straight to a replica with that replica's own Host: the signature
	// covers the Host, so it does not even verify.
	u, _ := url.Parse(d.replicas[1])
	r, err := d.sendHost(d.replicas[1], u.Host, h, body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, mcperr.Code("MCP-002"), r.err.Code)
	assert.True(t, strings.HasPrefix(r.err.Message, "X-Signature does not match the request, or X-Key-Id names no key of this server"), r.err.Message)
	// Through the balancer, once per replica.
	seen := map[string]bool{}
	for range len(d.replicas) {
		r := d.send(t, d.url, h, body)
		replayed(r)
		seen[r.upstream] = true
	}
	assert.Len(t, seen, len(d.replicas), "the balancer spread the replays over every replica: %v", seen)

	// Each refusal is a replay event in the audit log of the replica that refused it.
	replays := 0
	for i := range d.replicas {
		for _, e := range soAudit(t, d, i) {
			if e["event_type"] == "replay" && e["client_id"] == "replay" {
				replays++
			}
		}
	}
	assert.Equal(t, 2+len(d.replicas), replays, "replay events across the audit logs")
}

// soAudit reads replica i's audit log.
func soAudit(t *testing.T, d *soDeployment, i int) []map[string]any {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("%s/audit-%d.jsonl", d.dir, i+1))
	require.NoError(t, err)
	var events []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(string(raw)), "\n") {
		if line == "" {
			continue
		}
		var e map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &e), line)
		events = append(events, e)
	}
	return events
}

// soStateProbe writes the probe key of a test and returns its version.
// State versions come from one counter in Redis, shared by every key and
// every replica, so the versions of two probe writes bracket the writes
// made between them: a storage.shared_state.set handler that ran once
// between them leaves them exactly 2 apart.
func (d *soDeployment) stateProbe(t *testing.T, key auth.Key, probeKey string) int64 {
	t.Helper()
	return soVersion(t, d.call(t, d.url, key, "storage.shared_state.set", fmt.Sprintf(`{"key":%q,"value":"probe"}`, probeKey)).output(t))
}

// An idempotent retry (same Idempotency-Key and body, signed again) that
// lands on another replica gets the stored result, and the handler ran once.
func soIdempotentRetry(t *testing.T, d *soDeployment) {
	key := d.key(t, "idempotency")
	stateKey, probe, idemKey := soRandom("so-idem"), soRandom("so-idem-probe"), soRandom("retry")
	body := soCall(7, "storage.shared_state.set", fmt.Sprintf(`{"key":%q,"value":{"qty":"1000.00","side":"buy"}}`, stateKey))

	before := d.stateProbe(t, key, probe)
	first := d.send(t, d.replicas[0], d.sign(t, key, body, idemKey), body)
	out := first.output(t)
	assert.Empty(t, first.header.Get(idempotency.HeaderReplayed))
	version := soVersion(t, out)
	assert.Equal(t, before+1, version)
	assert.Equal(t, map[string]any{"key": stateKey, "version": float64(version), "bytes": float64(len(`{"qty":"1000.00","side":"buy"}`))}, out)

	retried := func(r *soResponse) {
		t.Helper()
		assert.Equal(t, "true", r.header.Get(idempotency.HeaderReplayed), "%s", r.raw)
		assert.Equal(t, out, r.output(t))
		assert.Equal(t, `7`, string(r.rpc.ID))
		assert.Equal(t, first.raw, r.raw, "the stored response, byte for byte")
	}
	for _, replica := range d.replicas[1:] {
		retried(d.send(t, replica, d.sign(t, key, body, idemKey), body))
	}
	seen := map[string]bool{}
	for range len(d.replicas) {
		r := d.send(t, d.url, d.sign(t, key, body, idemKey), body)
		retried(r)
		seen[r.upstream] = true
	}
	assert.Len(t, seen, len(d.replicas))

	// Read on every replica: the version of the one write.
	for _, replica := range d.replicas {
		got := d.call(t, replica, key, "storage.shared_state.get", fmt.Sprintf(`{"key":%q}`, stateKey)).output(t)
		assert.Equal(t, float64(version), got["version"])
		assert.Equal(t, map[string]any{"qty": "1000.00", "side": "buy"}, got["value"])
	}
	assert.Equal(t, version+1, d.stateProbe(t, key, probe), "the handler ran once: one write between the probes")

	// Another request under the used key is refused on every replica.
	other := soCall(8, "storage.shared_state.set", fmt.Sprintf(`{"key":%q,"value":2}`, stateKey))
	for _, replica := range d.replicas {
		r := d.send(t, replica, d.sign(t, key, other, idemKey), other)
		assert.Equal(t, http.StatusUnprocessableEntity, r.status, "%s", r.raw)
		assert.Equal(t, mcperr.Code("MCP-005"), r.err.Code)
		assert.Equal(t, "this Idempotency-Key was already used for a different request; use a new key for a new request", r.err.Message)
	}
}

// 32 identical signed requests at once (same Idempotency-Key and body,
// each signed afresh), spread over the replicas by the balancer: the
// handler runs exactly once. Each request gets one of:
//   - 200 with the tool's result and no Idempotent-Replayed: the one that ran;
//   - 200 with the same body and Idempotent-Replayed: true: it came after
//     the first completed;
//   - 409, MCP-005, Retry-After: 1: it came while the first was running.
//
// Nothing else: no 422 (the requests are identical), no second run.
func soConcurrent(t *testing.T, d *soDeployment) {
	key := d.key(t, "concurrent")
	stateKey, probe, idemKey := soRandom("so-conc"), soRandom("so-conc-probe"), soRandom("burst")
	body := soCall(3, "storage.shared_state.set", fmt.Sprintf(`{"key":%q,"value":{"order":"o-1"}}`, stateKey))
	before := d.stateProbe(t, key, probe)

	const n = 32
	headers := make([]http.Header, n)
	for i := range headers {
		headers[i] = d.sign(t, key, body, idemKey)
	}
	responses := make([]*soResponse, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			responses[i], errs[i] = d.trySend(d.url, headers[i], body)
		}()
	}
	close(start)
	wg.Wait()

	var ran, replayed, inFlight []*soResponse
	upstreams := map[string]int{}
	for i, r := range responses {
		require.NoError(t, errs[i])
		upstreams[r.upstream]++
		switch {
		case r.status == http.StatusOK && r.header.Get(idempotency.HeaderReplayed) == "":
			ran = append(ran, r)
		case r.status == http.StatusOK && r.header.Get(idempotency.HeaderReplayed) == "true":
			replayed = append(replayed, r)
		case r.status == http.StatusConflict:
			inFlight = append(inFlight, r)
			assert.Equal(t, mcperr.Code("MCP-005"), r.err.Code)
			assert.Equal(t, "a request with this Idempotency-Key is still in progress; retry once it has completed", r.err.Message)
			assert.Equal(t, "1", r.header.Get("Retry-After"))
		default:
			t.Errorf("request %d: status %d: %s", i, r.status, r.raw)
		}
	}
	t.Logf("%d requests over %v: %d ran, %d replayed, %d in flight (409)", n, upstreams, len(ran), len(replayed), len(inFlight))
	assert.Len(t, upstreams, len(d.replicas), "spread over every replica")
	require.Len(t, ran, 1, "exactly one request ran the handler")
	out := ran[0].output(t)
	assert.Equal(t, before+1, soVersion(t, out))
	for _, r := range replayed {
		assert.Equal(t, out, r.output(t))
		assert.Equal(t, ran[0].raw, r.raw)
	}
	// Those that were told to retry get the stored result when they do.
	for range inFlight {
		r := d.send(t, d.url, d.sign(t, key, body, idemKey), body)
		assert.Equal(t, "true", r.header.Get(idempotency.HeaderReplayed))
		assert.Equal(t, out, r.output(t))
	}
	got := d.call(t, d.url, key, "storage.shared_state.get", fmt.Sprintf(`{"key":%q}`, stateKey)).output(t)
	assert.Equal(t, out["version"], got["version"])
	assert.Equal(t, before+2, d.stateProbe(t, key, probe), "one handler run between the probes")
}

// storage.shared_state.set on one replica is read by get on another, and
// the values outlive every replica: they are in Redis. A Go SDK client
// (auth.Signer in its transport) reads them through the balancer after
// the restart.
func soSharedState(t *testing.T, d *soDeployment) {
	key := d.key(t, "state")
	k := soRandom("so-state")
	v1 := soVersion(t, d.call(t, d.replicas[0], key, "storage.shared_state.set", fmt.Sprintf(`{"key":%q,"value":{"limit":"250.5"}}`, k)).output(t))
	for _, replica := range d.replicas[1:] {
		got := d.call(t, replica, key, "storage.shared_state.get", fmt.Sprintf(`{"key":%q}`, k)).output(t)
		assert.Equal(t, map[string]any{"key": k, "value": map[string]any{"limit": "250.5"}, "version": float64(v1)}, got)
	}
	// A conditional write on another replica sees the version written here.
	v2 := soVersion(t, d.call(t, d.replicas[2], key, "storage.shared_state.set", fmt.Sprintf(`{"key":%q,"value":[1,2],"ifVersion":%d}`, k, v1)).output(t))
	assert.Greater(t, v2, v1)
	stale := d.call(t, d.replicas[1], key, "storage.shared_state.set", fmt.Sprintf(`{"key":%q,"value":[3],"ifVersion":%d}`, k, v1)).toolError(t)
	assert.Equal(t, mcperr.Code("MCP-005"), stale.Code)
	assert.Equal(t, fmt.Sprintf("version conflict on key %q: ifVersion is %d but the stored version is %d", k, v1, v2), stale.Message)

	pids := d.pids(t)
	d.ctl(t, "restart")
	after := d.pids(t)
	for i := range pids {
		assert.NotEqual(t, pids[i], after[i], "replica %d restarted", i+1)
		assert.False(t, soAlive(pids[i]), "the old replica %d is gone", i+1)
	}

	seen := map[string]bool{}
	for range len(d.replicas) {
		r := d.call(t, d.url, key, "storage.shared_state.get", fmt.Sprintf(`{"key":%q}`, k))
		assert.Equal(t, map[string]any{"key": k, "value": []any{float64(1), float64(2)}, "version": float64(v2)}, r.output(t))
		seen[r.upstream] = true
	}
	assert.Len(t, seen, len(d.replicas), "read back on every restarted replica")

	// The go-sdk client, through the balancer: it negotiates 2026-07-28
	// (server/discover, no session) with the stateless servers.
	var methods soMethods
	client := mcp.NewClient(&mcp.Implementation{Name: "scaleout", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: d.url,
		HTTPClient: &http.Client{Transport: &auth.Signer{Key: key, Base: &methods}}}, nil)
	require.NoError(t, err)
	defer cs.Close()
	assert.Equal(t, "2026-07-28", cs.InitializeResult().ProtocolVersion)
	assert.Empty(t, cs.ID(), "no session")
	assert.Equal(t, []string{"server/discover"}, methods.list(), "no initialize")
	list, err := cs.ListTools(context.Background(), nil)
	require.NoError(t, err)
	var names []string
	for _, tool := range list.Tools {
		names = append(names, tool.Name)
	}
	assert.Equal(t, []string{"execution.sim_quote", "features.ohlcv_window", "risk.position_limits_check",
		"storage.shared_state.get", "storage.shared_state.set"}, names)
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "storage.shared_state.get", Arguments: map[string]any{"key": k}})
	require.NoError(t, err)
	require.False(t, res.IsError)
	assert.Equal(t, map[string]any{"key": k, "value": []any{float64(1), float64(2)}, "version": float64(v2)}, res.StructuredContent)
}

// A stateless server has no standalone SSE stream to open (GET) and no
// session to end (DELETE): a signed GET or DELETE gets 405 with Allow: POST.
func soStateless(t *testing.T, d *soDeployment) {
	key := d.key(t, "state")
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		h, _, err := auth.SignRequestHeaders(key, auth.SignParams{Method: method, URL: d.url})
		require.NoError(t, err)
		h.Set("Accept", "text/event-stream")
		h.Set("Mcp-Protocol-Version", soProtocol)
		req, err := http.NewRequest(method, d.url, nil)
		require.NoError(t, err)
		req.Header = h
		resp, err := soClient.Do(req)
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, method)
		assert.Equal(t, "POST", resp.Header.Get("Allow"), method)
		assert.Empty(t, resp.Header.Get("Mcp-Session-Id"))
	}
}

// soMethods is an http.RoundTripper that records the JSON-RPC method of
// every request it sends.
type soMethods struct {
	mu      sync.Mutex
	methods []string
}

func (m *soMethods) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.GetBody != nil {
		body, err := r.GetBody()
		if err == nil {
			var msg struct {
				Method string `json:"method"`
			}
			raw, _ := io.ReadAll(body)
			if json.Unmarshal(raw, &msg) == nil && msg.Method != "" {
				m.mu.Lock()
				m.methods = append(m.methods, msg.Method)
				m.mu.Unlock()
			}
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (m *soMethods) list() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.methods)
}

// soLoad keeps calling risk.position_limits_check through the balancer
// from three callers, each at most once per 50 ms (about 60 calls a
// second, well inside the client's limit over the whole test), and keeps
// every response with the time it came.
type soLoad struct {
	mu      sync.Mutex
	samples []soSample
	stop    chan struct{}
	wg      sync.WaitGroup
}

type soSample struct {
	r *soResponse
	e error
}

func (d *soDeployment) load(t *testing.T, key auth.Key) *soLoad {
	l := &soLoad{stop: make(chan struct{})}
	for range 3 {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-l.stop:
					return
				case <-tick.C:
				}
				body := soCall(1, "risk.position_limits_check", soRiskArgs)
				r, err := d.trySend(d.url, d.sign(t, key, body, ""), body)
				l.mu.Lock()
				l.samples = append(l.samples, soSample{r, err})
				l.mu.Unlock()
			}
		}()
	}
	t.Cleanup(l.end)
	return l
}

// mark returns how many responses have come so far.
func (l *soLoad) mark() int { l.mu.Lock(); defer l.mu.Unlock(); return len(l.samples) }

// since returns the responses that came after mark m, or between m and
// the end of the load.
func (l *soLoad) since(m int) []soSample {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.samples[m:])
}

func (l *soLoad) end() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
}

// allReady reports whether every replica's /readyz answers want, probing
// them at once (a probe of a frozen Redis takes its timeout).
func (d *soDeployment) allReady(want int) bool {
	got := make([]int, len(d.replicas))
	var wg sync.WaitGroup
	for i, r := range d.replicas {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = soProbe(r, "/readyz") }()
	}
	wg.Wait()
	return !slices.ContainsFunc(got, func(s int) bool { return s != want })
}

// soHealthy checks that every sample is a successful call, and that every
// replica answered some.
func soHealthy(t *testing.T, d *soDeployment, samples []soSample) {
	t.Helper()
	require.NotEmpty(t, samples)
	upstreams := map[string]bool{}
	for _, s := range samples {
		require.NoError(t, s.e)
		assert.Equal(t, true, s.r.output(t)["allowed"])
		upstreams[s.r.upstream] = true
	}
	assert.Len(t, upstreams, len(d.replicas), "every replica served calls")
}

// soRefused checks that every sample is the refusal of a call that needs
// an unreachable Redis, as a client sees it: 503, Retry-After: 1, MCP-003
// from the first store on the path (the client limit), in less than
// bound; and that every replica refused some. It returns the slowest.
func soRefused(t *testing.T, d *soDeployment, samples []soSample, bound time.Duration) time.Duration {
	t.Helper()
	require.NotEmpty(t, samples)
	upstreams := map[string]bool{}
	var slowest time.Duration
	for _, s := range samples {
		require.NoError(t, s.e)
		r := s.r
		upstreams[r.upstream] = true
		slowest = max(slowest, r.elapsed)
		assert.Equal(t, http.StatusServiceUnavailable, r.status, "%s", r.raw)
		assert.Equal(t, "1", r.header.Get("Retry-After"))
		assert.Equal(t, mcperr.Code("MCP-003"), r.err.Code)
		assert.Equal(t, "the rate limiter is unavailable; retry shortly", r.err.Message)
		assert.False(t, r.err.SecurityEvent)
	}
	assert.Len(t, upstreams, len(d.replicas), "every replica refused calls")
	assert.Less(t, slowest, bound, "refused within a bounded time")
	return slowest
}

// Redis frozen, then stopped, under load: calls are refused with 503,
// MCP-003 and Retry-After within a bounded time, /readyz answers 503, no
// replica dies; Redis back (thawed; started again, empty): calls succeed
// without restarting anything.
func soOutage(t *testing.T, d *soDeployment) {
	if stores := os.Getenv("MCP_SCALEOUT_STORES"); stores != "redis" {
		t.Skipf("the outage test stops the replicas' standalone Redis; these use MCP_SCALEOUT_STORES=%s", stores)
	}
	key := d.key(t, "outage")
	pids := d.pids(t)
	t.Cleanup(func() { // never leave the deployment without its Redis
		exec.Command(d.script, "redis-resume", d.dir).Run()
		if !d.allReady(http.StatusOK) {
			exec.Command(d.script, "redis-start", d.dir).Run()
		}
	})
	l := d.load(t, key)
	time.Sleep(500 * time.Millisecond)
	soHealthy(t, d, l.since(0))

	// outage runs one outage: cut makes Redis unreachable, mend brings it
	// back. Calls in steady outage must be refused within bound.
	outage := func(name, cut, mend string, bound time.Duration) {
		t.Helper()
		start := l.mark()
		d.ctl(t, cut)
		cutAt := time.Now()
		require.Eventually(t, func() bool { return d.allReady(http.StatusServiceUnavailable) }, 10*time.Second, 50*time.Millisecond,
			"%s: /readyz answers 503 on every replica", name)
		t.Logf("%s: every /readyz 503 %s after", name, time.Since(cutAt).Round(time.Millisecond))
		steady := l.mark()
		time.Sleep(1500 * time.Millisecond)
		refusedTo := l.mark()
		slowest := soRefused(t, d, l.since(steady)[:refusedTo-steady], bound)
		t.Logf("%s: %d calls refused, the slowest in %s", name, refusedTo-steady, slowest.Round(time.Millisecond))
		// In the moment Redis went away a call may have passed the first
		// store and failed at a later one.
		for _, s := range l.since(start)[:steady-start] {
			require.NoError(t, s.e)
			soTransition(t, s.r)
		}
		for i, pid := range pids {
			assert.True(t, soAlive(pid), "%s: replica %d (pid %d) still runs", name, i+1, pid)
			assert.Equal(t, http.StatusOK, soProbe(d.replicas[i], "/healthz"), "%s: replica %d live", name, i+1)
		}

		d.ctl(t, mend)
		mendAt := time.Now()
		back := l.mark()
		require.Eventually(t, func() bool { return d.allReady(http.StatusOK) }, 10*time.Second, 50*time.Millisecond,
			"%s: /readyz answers 200 again on every replica", name)
		body := soCall(1, "risk.position_limits_check", soRiskArgs)
		require.Eventually(t, func() bool {
			r, err := d.trySend(d.url, d.sign(t, key, body, ""), body)
			return err == nil && r.status == http.StatusOK && r.rpc.Result != nil && !r.rpc.Result.IsError
		}, 10*time.Second, 50*time.Millisecond, "%s: calls succeed again", name)
		t.Logf("%s: calls succeed %s after Redis came back", name, time.Since(mendAt).Round(time.Millisecond))
		recovered := l.mark()
		time.Sleep(time.Second)
		for _, s := range l.since(back)[:recovered-back] {
			require.NoError(t, s.e)
			soTransition(t, s.r)
		}
		soHealthy(t, d, l.since(recovered))
	}
	// Frozen: connections open, nothing answers; each call waits out the
	// store's timeout (redisstore.DefaultTimeout, 1 s), no longer.
	outage("frozen", "redis-pause", "redis-resume", 2*time.Second)
	// Stopped: connections refused; calls are refused at once.
	outage("stopped", "redis-stop", "redis-start", 500*time.Millisecond)
	l.end()

	assert.Equal(t, pids, d.pids(t), "no replica was restarted")
	for i, pid := range pids {
		assert.True(t, soAlive(pid), "replica %d still runs", i+1)
	}
}

// soTransition accepts what a call may get while Redis goes away or comes
// back: success, or MCP-003 from any store on its path.
func soTransition(t *testing.T, r *soResponse) {
	t.Helper()
	switch r.status {
	case http.StatusOK:
		require.NotNil(t, r.rpc.Result, "%s", r.raw)
		if r.rpc.Result.IsError {
			assert.Equal(t, mcperr.Code("MCP-003"), r.toolError(t).Code, "%s", r.raw)
		}
	case http.StatusServiceUnavailable:
		assert.Equal(t, mcperr.Code("MCP-003"), r.err.Code)
		assert.Equal(t, "1", r.header.Get("Retry-After"))
		assert.Contains(t, []string{
			"the rate limiter is unavailable; retry shortly",
			"the replay-protection store cannot take the request now; retry shortly",
			"the idempotency store cannot take the request now; retry shortly",
		}, r.err.Message)
	default:
		t.Errorf("status %d: %s", r.status, r.raw)
	}
}

// TestScaleOutThroughput measures tools/call throughput through the
// balancer for scripts/scaleout.sh bench (not a timed test: it only
// reports). Every call is signed, with a fresh nonce and Idempotency-Key,
// spread over 128 clients so that no per-tool limit is reached.
func TestScaleOutThroughput(t *testing.T) {
	if os.Getenv("MCP_SCALEOUT_BENCH") != "1" {
		t.Skip("throughput report: run scripts/scaleout.sh bench")
	}
	d := scaleOut(t)
	seconds, err := strconv.Atoi(os.Getenv("MCP_SCALEOUT_BENCH_SECONDS"))
	require.NoError(t, err)
	var keys []auth.Key
	for id, k := range d.keys {
		if strings.HasPrefix(id, "bench-") {
			keys = append(keys, k)
		}
	}
	require.NotEmpty(t, keys)
	run := func(dur time.Duration) (ok, failed int64) {
		var wg sync.WaitGroup
		deadline := time.Now().Add(dur)
		var okN, badN atomic.Int64
		var turn atomic.Int64
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					k := keys[int(turn.Add(1))%len(keys)]
					body := soCall(1, "risk.position_limits_check", soRiskArgs)
					r, err := d.trySend(d.url, d.sign(t, k, body, ""), body)
					if err == nil && r.status == http.StatusOK && r.rpc.Result != nil && !r.rpc.Result.IsError {
						okN.Add(1)
					} else {
						badN.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		return okN.Load(), badN.Load()
	}
	run(time.Second) // warm up: connections, caches
	start := time.Now()
	ok, failed := run(time.Duration(seconds) * time.Second)
	rate := float64(ok) / time.Since(start).Seconds()
	t.Logf("throughput: %.0f tools/call per second (%d calls, %d failed, %d replica(s), 16 callers)", rate, ok, failed, len(d.replicas))
	assert.Zero(t, failed)
	if out := os.Getenv("MCP_SCALEOUT_BENCH_OUT"); out != "" {
		require.NoError(t, os.WriteFile(out, []byte(fmt.Sprintf("%.1f\n", rate)), 0o644))
	}
}
