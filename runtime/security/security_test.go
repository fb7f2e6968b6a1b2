package security_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/memstore"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/security"
	"github.com/mcpgen/mcpgen/runtime/security/audit"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
)

var (
	hmacConfig   = security.Config{Auth: auth.Config{Mode: auth.ModeHMAC, Keys: []auth.Key{keyA, keyB}}}
	bearerConfig = security.Config{Auth: auth.Config{Mode: auth.ModeBearer, Tokens: []auth.Token{tokenA}}}
)

// For each kind of refusal: what the client gets, and the security event
// written for it, with the seed's field names.
func TestRefusalsAreSecurityEvents(t *testing.T) {
	bearer := func(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }
	tests := []struct {
		name    string
		cfg     security.Config
		opts    security.Options
		refused func(t *testing.T, f *fixture) response // sends what it takes, returns the refused response
		status  int
		code    string
		event   map[string]any // fields the event must have
	}{
		{"a wrong bearer token", bearerConfig, security.Options{},
			func(t *testing.T, f *fixture) response {
				return post(t, f.url, rpcBody, bearer(strings.Repeat("x", 40)))
			},
			401, "MCP-002",
			map[string]any{"event_type": "auth_failure", "class": "auth_events", "retention_days": 365.0, "severity": "high",
				"code": "MCP-002", "client_ip": "127.0.0.1", "reason": "the token is not valid"}},
		{"no credentials", bearerConfig, security.Options{},
			func(t *testing.T, f *fixture) response { return post(t, f.url, rpcBody, nil) },
			401, "MCP-002",
			map[string]any{"event_type": "auth_failure", "class": "auth_events", "severity": "high"}},
		{"a forged signature", hmacConfig, security.Options{},
			func(t *testing.T, f *fixture) response {
				req := signed(t, keyA, f.clock, f.url, rpcBody, nil)
				req.Header.Set("X-Signature", strings.Repeat("0", 64))
				return do(t, req)
			},
			401, "MCP-002",
			map[string]any{"event_type": "auth_failure", "class": "auth_events", "severity": "high"}},
		{"a replayed signed request", hmacConfig, security.Options{},
			func(t *testing.T, f *fixture) response {
				req := signed(t, keyA, f.clock, f.url, rpcBody, nil)
				require.Equal(t, 200, do(t, req).status)
				return do(t, again(req, rpcBody))
			},
			401, "MCP-002",
			map[string]any{"event_type": "replay", "class": "security_events", "retention_days": 2555.0, "severity": "high",
				"code": "MCP-002", "client_id": "desk-a", "reason": "X-Nonce was already used; sign every request with a new nonce"}},
		{"a timestamp outside the window", hmacConfig, security.Options{},
			func(t *testing.T, f *fixture) response {
				return do(t, signed(t, keyA, f.clock, f.url, rpcBody, func(p *auth.SignParams) { p.Time = p.Time.Add(-301 * time.Second) }))
			},
			401, "MCP-002",
			map[string]any{"event_type": "stale_timestamp", "class": "security_events", "retention_days": 2555.0, "severity": "high", "code": "MCP-002"}},
		{"a client over its rate limit", security.Config{Auth: hmacConfig.Auth, ClientRateLimit: ratelimit.Rule{Limit: 1, Window: time.Minute}}, security.Options{},
			func(t *testing.T, f *fixture) response {
				require.Equal(t, 200, do(t, signed(t, keyA, f.clock, f.url, rpcBody, nil)).status)
				return do(t, signed(t, keyA, f.clock, f.url, rpcBody, nil))
			},
			429, "MCP-006",
			map[string]any{"event_type": "rate_limit", "class": "security_events", "severity": "medium", "code": "MCP-006", "client_id": "desk-a",
				"reason": "rate limit of 1 requests per 1m0s exceeded; retry after 61 s"}},
		{"a client at its nonce quota", hmacConfig,
			security.Options{Nonces: memstore.NewNonces(memstore.NonceOptions{MaxPerClient: 1})},
			func(t *testing.T, f *fixture) response {
				require.Equal(t, 200, do(t, signed(t, keyA, f.clock, f.url, rpcBody, nil)).status)
				return do(t, signed(t, keyA, f.clock, f.url, rpcBody, nil))
			},
			429, "MCP-006",
			map[string]any{"event_type": "rate_limit", "class": "security_events", "severity": "medium", "client_id": "desk-a"}},
		{"an Idempotency-Key used for another request", hmacConfig, security.Options{},
			func(t *testing.T, f *fixture) response {
				key := func(p *auth.SignParams) { p.IdempotencyKey = "order-1" }
				require.Equal(t, 200, do(t, signed(t, keyA, f.clock, f.url, `{"qty":1}`, key)).status)
				return do(t, signed(t, keyA, f.clock, f.url, `{"qty":2}`, key))
			},
			422, "MCP-005",
			map[string]any{"event_type": "idempotency_conflict", "class": "security_events", "severity": "medium", "code": "MCP-005", "client_id": "desk-a"}},
		{"a signed body over the cap", security.Config{Auth: auth.Config{Mode: auth.ModeHMAC, Keys: []auth.Key{keyA}, MaxBodyBytes: 64}}, security.Options{},
			func(t *testing.T, f *fixture) response {
				return do(t, signed(t, keyA, f.clock, f.url, strings.Repeat("x", 65), nil))
			},
			413, "MCP-017",
			map[string]any{"event_type": "payload_too_large", "class": "security_events", "severity": "medium", "code": "MCP-017",
				"reason": "request body is larger than 64 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := serve(t, tt.cfg, tt.opts)
			resp := tt.refused(t, f)
			assert.Equal(t, tt.status, resp.status, "%s", resp.body)
			assert.Equal(t, tt.code, resp.error(t).Code)
			e := f.events.last(t)
			for k, want := range tt.event {
				assert.Equal(t, want, e[k], "event field %s: %v", k, e)
			}
			assert.Equal(t, "2026-01-01T00:00:00.000Z", e["time"])
			assert.Equal(t, map[string]any{"status": float64(tt.status), "method": "POST", "path": "/mcp"}, e["details"])
			assert.Len(t, f.events.all(t), 1, "one event per refusal, none for what passed")
		})
	}
}

// The server's own refusals, made before the stack, are events too.
func TestRefused(t *testing.T) {
	f := serve(t, hmacConfig, security.Options{})
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	r.RemoteAddr = "203.0.113.7:4711"
	f.stack.Refused(r, 413, mcperr.Errorf(mcperr.CodePayloadTooLarge, "request body is larger than 10485760 bytes"), "payload_too_large")
	f.stack.Refused(r, 403, mcperr.Errorf(mcperr.CodeUnauthorized, "Host evil.example is not allowed"), "auth_failure")
	f.stack.Refused(r, 503, mcperr.Errorf(mcperr.CodeBackendUnavailable, "the rate limiter is unavailable; retry shortly"), "")
	got := f.events.all(t)
	require.Len(t, got, 2, "a refusal with no event type is logged, not an event")
	assert.Equal(t, "payload_too_large", got[0]["event_type"])
	assert.Equal(t, "203.0.113.7", got[0]["client_ip"])
	assert.Equal(t, "security_events", got[0]["class"])
	assert.Equal(t, "auth_failure", got[1]["event_type"])
	assert.Equal(t, "auth_events", got[1]["class"])
	assert.Contains(t, f.log.String(), `"msg":"request refused","status":503,"code":"MCP-003"`)
}

// countingLimiter records the keys it is asked about.
type countingLimiter struct {
	store.Limiter
	mu   sync.Mutex
	keys []string
}

func (c *countingLimiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (store.Decision, error) {
	c.mu.Lock()
	c.keys = append(c.keys, key)
	c.mu.Unlock()
	return c.Limiter.Allow(ctx, key, limit, window)
}

// One limiter counts both the client's HTTP requests and its tool calls;
// a tool call over its limit is MCP-006 and, once recorded, a rate_limit
// event naming the tool and the client.
func TestClientAndToolLimitsShareOneLimiter(t *testing.T) {
	clock := newFakeClock()
	limiter := &countingLimiter{Limiter: memstore.NewLimiter(memstore.LimiterOptions{Now: clock.Now})}
	sink := &events{}
	stack, err := security.New(security.Config{Auth: hmacConfig.Auth, ClientRateLimit: ratelimit.Rule{Limit: 10, Window: time.Minute}},
		security.Options{Limiter: limiter, Now: clock.Now, AuditSink: sink})
	require.NoError(t, err)
	var toolErrs []error
	srv := httptest.NewServer(stack.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// What the server does for a call of a tool with x-rate-limit 1.
		err := stack.ToolLimit(r.Context(), "execution.sim_quote", 1)
		toolErrs = append(toolErrs, err)
		call := audit.Call{Tool: "execution.sim_quote", CorrelationID: "c1"}
		if err != nil {
			call.Err = mcperr.AsError(err)
		}
		stack.Record(r.Context(), call)
	})))
	defer srv.Close()
	for range 2 {
		require.Equal(t, 200, do(t, signed(t, keyA, clock, srv.URL, rpcBody, nil)).status)
	}
	assert.Equal(t, []string{"desk-a", "tool\x00desk-a\x00execution.sim_quote", "desk-a", "tool\x00desk-a\x00execution.sim_quote"}, limiter.keys)

	require.Len(t, toolErrs, 2)
	assert.NoError(t, toolErrs[0])
	e := mcperr.AsError(toolErrs[1])
	assert.Equal(t, mcperr.CodeRateLimitExceeded, e.Code)
	assert.Equal(t, `rate limit of tool "execution.sim_quote" exceeded: 1 calls per minute; retry in 61s`, e.Message)
	assert.Equal(t, 61, int(e.Details["retry_after_seconds"].(int64)))

	got := sink.all(t)
	require.Len(t, got, 3, "two tool_execution records and one security event")
	assert.Equal(t, "tool_execution", got[0]["event_type"])
	assert.Equal(t, "ok", got[0]["status"])
	assert.Equal(t, "MCP-006", got[1]["status"])
	assert.Equal(t, map[string]any{"time": "2026-01-01T00:00:00.000Z", "class": "security_events", "retention_days": 2555.0,
		"event_type": "rate_limit", "severity": "medium", "corr_id": "c1", "client_id": "desk-a", "tool": "execution.sim_quote",
		"code": "MCP-006", "reason": e.Message}, got[2])
}

// With the default stores the two limits still share one limiter: the
// client limit counts HTTP requests, and tool calls are counted apart.
func TestToolLimitWithDefaults(t *testing.T) {
	stack, err := security.New(security.Config{}, security.Options{AuditSink: &events{}})
	require.NoError(t, err)
	ctx := principal.WithClientID(context.Background(), "desk-a")
	require.NoError(t, stack.ToolLimit(ctx, "quote.get", 2))
	require.NoError(t, stack.ToolLimit(ctx, "quote.get", 2))
	assert.Equal(t, mcperr.CodeRateLimitExceeded, mcperr.AsError(stack.ToolLimit(ctx, "quote.get", 2)).Code)
	assert.NoError(t, stack.ToolLimit(principal.WithClientID(ctx, "desk-b"), "quote.get", 2), "another client")
	for range 5 {
		assert.NoError(t, stack.ToolLimit(ctx, "state.get", 0), "no x-rate-limit, no limit")
	}
}

// Without authentication, clients are told apart by address: rate limits,
// records and events are the address's.
func TestModeNoneKeysByAddress(t *testing.T) {
	f := serve(t, security.Config{ClientRateLimit: ratelimit.Rule{Limit: 1, Window: time.Minute}}, security.Options{})
	assert.Equal(t, auth.ModeNone, f.stack.Mode())
	resp := post(t, f.url, `{}`, nil)
	require.Equal(t, 200, resp.status)
	assert.JSONEq(t, `{"client":"ip:127.0.0.1"}`, string(resp.body))
	assert.Equal(t, 429, post(t, f.url, `{}`, nil).status)
	assert.Equal(t, "ip:127.0.0.1", f.events.last(t)["client_id"])
}

// No secret reaches a response, a log line or an event, whatever a client
// sends.
func TestNoSecretInLogsOrEvents(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  security.Config
		send func(t *testing.T, f *fixture) []string // returns the credentials it sent
	}{
		{"bearer", bearerConfig, func(t *testing.T, f *fixture) []string {
			wrong := tokenA.Token[:30] + "0123456789"
			for _, h := range []string{"Bearer " + tokenA.Token, "Bearer " + wrong, "Basic " + tokenA.Token, "Bearer " + tokenA.Token + " x"} {
				resp := post(t, f.url, rpcBody, http.Header{"Authorization": {h}})
				assert.NotContains(t, string(resp.body), tokenA.Token[:20])
			}
			return []string{tokenA.Token, wrong}
		}},
		{"hmac", hmacConfig, func(t *testing.T, f *fixture) []string {
			var sent []string
			good := signed(t, keyA, f.clock, f.url, rpcBody, nil)
			forged := signed(t, keyA, f.clock, f.url, rpcBody, nil)
			forged.Header.Set("X-Signature", strings.Repeat("a", 64))
			other := signed(t, auth.Key{ID: keyA.ID, Secret: keyB.Secret}, f.clock, f.url, rpcBody, nil)
			stale := signed(t, keyA, f.clock, f.url, rpcBody, func(p *auth.SignParams) { p.Time = p.Time.Add(time.Hour) })
			for _, req := range []*http.Request{good, again(good, rpcBody), forged, other, stale} {
				sent = append(sent, req.Header.Get("X-Signature"))
				resp := do(t, req)
				assert.NotContains(t, string(resp.body), keyA.Secret)
			}
			return append(sent, keyA.Secret, keyB.Secret)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := serve(t, tt.cfg, security.Options{})
			sent := tt.send(t, f)
			f.stack.Logger().Info("configured", "auth_token", tokenA.Token, "detail", "Authorization: Bearer "+tokenA.Token)
			require.NotEmpty(t, f.events.all(t))
			for _, secret := range sent {
				assert.NotContains(t, f.events.String(), secret)
				assert.NotContains(t, f.log.String(), secret)
			}
		})
	}
}

func TestLoggerRedactsSensitiveFields(t *testing.T) {
	var log strings.Builder
	stack, err := security.New(security.Config{}, security.Options{Stderr: &log, SensitiveKeys: []string{"/account/iban"}})
	require.NoError(t, err)
	stack.Logger().Info("order", "iban", "DE89370400440532013000", "symbol", "EURUSD", "api_key", "k-123")
	assert.Contains(t, log.String(), `"iban":"[REDACTED]","symbol":"EURUSD","api_key":"[REDACTED]"`)
}

// A failing store is what Ready reports; the memory stores always answer.
func TestReady(t *testing.T) {
	stack, err := security.New(security.Config{}, security.Options{AuditSink: &events{}})
	require.NoError(t, err)
	assert.NoError(t, stack.Ready(context.Background()))

	stack, err = security.New(security.Config{}, security.Options{AuditSink: &events{}, Idempotency: downStore{memstore.NewIdempotency(memstore.IdempotencyOptions{})}})
	require.NoError(t, err)
	err = stack.Ready(context.Background())
	assert.EqualError(t, err, "security: the idempotency store does not answer: dial tcp 10.0.0.9:6379: connection refused")
	assert.ErrorIs(t, err, errDown)
}

var errDown = errors.New("dial tcp 10.0.0.9:6379: connection refused")

type downStore struct{ store.Idempotency }

func (downStore) Ping(context.Context) error { return errDown }

func TestAuditLogFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	stack, err := security.New(security.Config{Auth: bearerConfig.Auth, AuditLog: path}, security.Options{Stderr: &strings.Builder{}})
	require.NoError(t, err)
	srv := httptest.NewServer(stack.HTTP(&downstream{}))
	defer srv.Close()
	post(t, srv.URL, `{}`, nil)
	require.NoError(t, stack.Close())
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"event_type":"auth_failure"`)
	assert.NoError(t, stack.Close(), "closing twice is harmless")
}

// Every problem of a configuration at once, in one MCP-011.
func TestNewProblems(t *testing.T) {
	_, err := security.New(security.Config{
		Auth:            auth.Config{Mode: auth.ModeHMAC},
		ClientRateLimit: ratelimit.Rule{Limit: 5},
		AuditLog:        "/nonexistent/dir/audit.jsonl",
	}, security.Options{})
	require.Error(t, err)
	e := mcperr.AsError(err)
	assert.Equal(t, mcperr.CodeMissingConfiguration, e.Code)
	assert.Equal(t, "security: MCP_AUDIT_LOG /nonexistent/dir/audit.jsonl cannot be opened: no such file or directory; auth: no keys; "+
		"the client rate limit must have a positive limit and window, got 5 per 0s", e.Message)

	_, err = security.New(security.Config{Auth: auth.Config{Mode: "kerberos"}}, security.Options{})
	assert.Equal(t, `security: auth: mode must be "none", "bearer", "hmac" or "oauth", got "kerberos"`, mcperr.AsError(err).Message)
}

func TestCheckListenAddr(t *testing.T) {
	none, err := security.New(security.Config{}, security.Options{AuditSink: &events{}})
	require.NoError(t, err)
	allowed, err := security.New(security.Config{AllowUnauthenticated: true}, security.Options{AuditSink: &events{}})
	require.NoError(t, err)
	bearer, err := security.New(bearerConfig, security.Options{AuditSink: &events{}})
	require.NoError(t, err)
	for _, tt := range []struct {
		name  string
		stack *security.Stack
		addr  string
		ok    bool
	}{
		{"none on loopback", none, "127.0.0.1:8080", true},
		{"none on IPv6 loopback", none, "[::1]:8080", true},
		{"none on localhost", none, "localhost:8080", true},
		{"none on every address", none, "0.0.0.0:8080", false},
		{"none on every address, port only", none, ":8080", false},
		{"none on a LAN address", none, "192.168.1.5:8080", false},
		{"none allowed behind a gateway", allowed, "0.0.0.0:8080", true},
		{"bearer anywhere", bearer, "0.0.0.0:8080", true},
	} {
		err := tt.stack.CheckListenAddr(tt.addr)
		if tt.ok {
			assert.NoError(t, err, tt.name)
			continue
		}
		require.Error(t, err, tt.name)
		assert.Equal(t, mcperr.CodeMissingConfiguration, mcperr.AsError(err).Code, tt.name)
		assert.Equal(t, "HTTP on "+tt.addr+" without authentication: set AUTH_MODE=bearer or hmac with its secret, listen on a loopback address, or set MCP_ALLOW_UNAUTHENTICATED=true if a gateway in front authenticates",
			mcperr.AsError(err).Message, tt.name)
	}
}

func TestNonceQuotaFollowsTheClientLimit(t *testing.T) {
	for _, tc := range []struct {
		rule ratelimit.Rule
		want int
	}{
		{ratelimit.Rule{}, 32768},                                   // 1000/1m: 20,000 over 10 min, below the default share
		{ratelimit.Rule{Limit: 100, Window: time.Second}, 120000},   // 100/s: twice 60,000
		{ratelimit.Rule{Limit: 10000, Window: time.Second}, 262144}, // capped by the store
		{ratelimit.Rule{Limit: -1}, 262144},                         // off: only the store's total
	} {
		assert.Equal(t, tc.want, security.NonceQuota(tc.rule), "%v", tc.rule)
	}
}
