package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/server"
	"github.com/mcpgen/mcpgen/runtime/typed"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/security/auth"
)

const (
	testToken  = "tok_0123456789abcdefghijklmnopqrstuvwxyzABCD"
	testSecret = "hmac-secret-0123456789abcdefghijklmnopqrstuvwxyz"
)

// securedServer starts the trading server over real HTTP on loopback with
// the security layers the environment env selects, as main wires them.
func securedServer(t *testing.T, env map[string]string) (*httptest.Server, string) {
	t.Helper()
	restore := typed.SetClock(func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) })
	t.Cleanup(restore)
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	env["MCP_SERVER_MODE"] = "http"
	env["MCP_AUDIT_LOG"] = auditPath
	getenv := func(k string) string { return env[k] }
	cfg, err := server.LoadConfig(getenv)
	require.NoError(t, err)
	srv, err := newServer(server.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	require.NoError(t, err)
	h, err := srv.HTTPHandler(cfg)
	require.NoError(t, err)
	ts := httptest.NewServer(h)
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return ts, auditPath
}

func post(t *testing.T, url string, header http.Header) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	require.NoError(t, err)
	req.Header = header
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp, body
}

func sdkClient(t *testing.T, url string, rt http.RoundTripper) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: &http.Client{Transport: rt}}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { cs.Close() })
	return cs
}

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func TestBearerMode(t *testing.T) {
	ts, auditPath := securedServer(t, map[string]string{"AUTH_MODE": "bearer", "AUTH_TOKEN": testToken})
	url := ts.URL + "/mcp"

	resp, body := post(t, url, http.Header{})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
	assert.Equal(t, "MCP-002", body["code"])

	resp, body = post(t, url, http.Header{"Authorization": {"Bearer wrong-token-0123456789abcdefghijklmnop"}})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "MCP-002", body["code"])
	assert.NotContains(t, body["message"], "wrong-token")

	cs := sdkClient(t, url, bearer{testToken})
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "risk.position_limits_check",
		Arguments: json.RawMessage(`{"symbol":"EURUSD","side":"buy","quantity":10}`)})
	require.NoError(t, err)
	assert.False(t, res.IsError)

	events := readAudit(t, auditPath)
	assert.True(t, hasEvent(events, "auth_failure"), "auth failures are security events: %v", events)
	for _, e := range events {
		line, _ := json.Marshal(e)
		assert.NotContains(t, string(line), testToken, "no token in an audit event")
	}
	var sawCall bool
	for _, e := range events {
		if e["tool"] == "risk.position_limits_check" && e["status"] == "ok" {
			sawCall = true
			assert.Equal(t, "tool_execution", e["class"])
			assert.Equal(t, float64(90), e["retention_days"])
		}
	}
	assert.True(t, sawCall, "tool call audited: %v", events)
}

func TestHMACMode(t *testing.T) {
	ts, _ := securedServer(t, map[string]string{"AUTH_MODE": "hmac", "API_KEY_HMAC_SECRET": testSecret})
	url := ts.URL + "/mcp"

	resp, body := post(t, url, http.Header{})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "MCP-002", body["code"])

	cs := sdkClient(t, url, &auth.Signer{Key: auth.Key{ID: auth.DefaultKeyID, Secret: testSecret}})
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "storage.shared_state.set",
		Arguments: json.RawMessage(`{"key":"signed","value":[1,2,3]}`)})
	require.NoError(t, err)
	assert.False(t, res.IsError)

	// A client signing with the wrong secret never gets a session.
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	_, err = client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url,
		HTTPClient: &http.Client{Transport: &auth.Signer{Key: auth.Key{ID: auth.DefaultKeyID, Secret: strings.Repeat("x", 48)}}}}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Unauthorized")
}

func TestPerToolRateLimit(t *testing.T) {
	ts, _ := securedServer(t, map[string]string{"AUTH_MODE": "bearer", "AUTH_TOKEN": testToken})
	cs := sdkClient(t, ts.URL+"/mcp", bearer{testToken})
	args := json.RawMessage(`{"symbol":"EURUSD","interval":"1h","end":"2026-10-31T00:00:00Z","window":5}`)
	for i := range 100 { // x-rate-limit of features.ohlcv_window: 100 per minute
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "features.ohlcv_window", Arguments: args})
		require.NoError(t, err)
		require.False(t, res.IsError, "call %d", i+1)
	}
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "features.ohlcv_window", Arguments: args})
	require.NoError(t, err)
	require.True(t, res.IsError)
	var body mcperr.Body
	require.NoError(t, json.Unmarshal([]byte(res.Content[0].(*mcp.TextContent).Text), &body))
	assert.Equal(t, mcperr.CodeRateLimitExceeded, body.Code)
	assert.True(t, strings.HasPrefix(body.Message, `rate limit of tool "features.ohlcv_window" exceeded: 100 calls per minute; retry in `), body.Message)
	assert.Equal(t, float64(100), body.Details["limit"])
}

func TestUnauthenticatedHTTPBeyondLoopbackRefusesToStart(t *testing.T) {
	bin := buildTrading(t)
	code, stderr := runTrading(t, bin, "MCP_SERVER_MODE=http", "MCP_HTTP_ADDR=0.0.0.0:8080", "MCP_ALLOWED_HOSTS=mcp.example.com")
	assert.Equal(t, 2, code)
	assert.Equal(t, "trading: MCP-011 MISSING_CONFIGURATION: HTTP on 0.0.0.0:8080 without authentication: set AUTH_MODE=bearer or hmac with its secret, listen on a loopback address, or set MCP_ALLOW_UNAUTHENTICATED=true if a gateway in front authenticates\n", stderr)

	code, stderr = runTrading(t, bin, "AUTH_MODE=bearer")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "MCP-011")
	assert.Contains(t, stderr, "AUTH_TOKEN")
}

// buildTrading compiles the example's main, as a user runs it.
func buildTrading(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "trading")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// runTrading runs bin with only env in its environment (and PATH), and
// returns its exit status and standard error.
func runTrading(t *testing.T, bin string, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(env, "PATH="+os.Getenv("PATH"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

func readAudit(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), sc.Text())
		out = append(out, e)
	}
	return out
}

func hasEvent(events []map[string]any, typ string) bool {
	for _, e := range events {
		if e["event_type"] == typ {
			return true
		}
	}
	return false
}
