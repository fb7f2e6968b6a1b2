package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/server"
)

const (
	secureToken  = "tok_0123456789abcdefghijklmnopqrstuvwxyzABCD"
	secureSecret = "hmac-secret-0123456789abcdefghijklmnopqrstuvwxyz"
)

// secureServer is what a server's main gets from Main: the configuration
// read from env, the security stack built from it, served over real HTTP on
// a loopback port. It returns the endpoint's URL and a function reading the
// audit and security events written so far.
func secureServer(t *testing.T, env map[string]string, tools ...server.Tool) (string, func() []map[string]any) {
	t.Helper()
	auditLog := filepath.Join(t.TempDir(), "audit.jsonl")
	env["MCP_SERVER_MODE"] = "http"
	env["MCP_HTTP_STATELESS"] = "true" // requests stand alone, so the tests need no handshake
	env["MCP_AUDIT_LOG"] = auditLog
	cfg, err := server.LoadConfig(envOf(env))
	require.NoError(t, err)
	srv := server.New(&mcp.Implementation{Name: "desk", Version: "1.0.0"}, server.WithLogger(testLogger(t)))
	require.NoError(t, srv.AddTools(tools...))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeListener(ctx, ln, cfg) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		srv.Close()
	})
	events := func() []map[string]any {
		f, err := os.Open(auditLog)
		require.NoError(t, err)
		defer f.Close()
		var out []map[string]any
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var e map[string]any
			require.NoError(t, json.Unmarshal(sc.Bytes(), &e))
			out = append(out, e)
		}
		return out
	}
	return "http://" + ln.Addr().String() + "/mcp", events
}

// eventOf returns the last event of type typ, or nil.
func eventOf(events []map[string]any, typ string) map[string]any {
	for i := len(events) - 1; i >= 0; i-- {
		if events[i]["event_type"] == typ {
			return events[i]
		}
	}
	return nil
}

func callBody(tool string) []byte {
	return []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `","arguments":{}}}`)
}

// send posts one JSON-RPC message with header and returns the status and
// the body (the JSON-RPC response, or the runtime's error body).
func send(t *testing.T, url string, header http.Header, body []byte) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if i := bytes.Index(raw, []byte("data: ")); i >= 0 { // an SSE response: its one event
		raw = bytes.TrimSpace(raw[i+len("data: "):])
	}
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), "body: %s", raw)
	return resp.StatusCode, out
}

var okTool = server.Tool{
	Name:        "quote.get",
	InputSchema: json.RawMessage(`{"type":"object"}`),
	Call: func(context.Context, []byte) (server.Result, error) {
		return server.Result{Content: []mcp.Content{&mcp.TextContent{Text: "101.25"}}}, nil
	},
}

func TestSecureServerBearer(t *testing.T) {
	url, events := secureServer(t, map[string]string{"AUTH_MODE": "bearer", "AUTH_TOKEN": secureToken}, okTool)

	status, body := send(t, url, nil, callBody("quote.get"))
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "MCP-002", body["code"])
	e := eventOf(events(), "auth_failure")
	require.NotNil(t, e, "a refused request is an auth_failure event")
	assert.Equal(t, "auth_events", e["class"])
	assert.Equal(t, "high", e["severity"])

	status, body = send(t, url, http.Header{"Authorization": {"Bearer " + secureToken}}, callBody("quote.get"))
	require.Equal(t, http.StatusOK, status)
	result := body["result"].(map[string]any)
	assert.Nil(t, result["isError"])
	exec := eventOf(events(), "tool_execution")
	require.NotNil(t, exec)
	assert.Equal(t, "quote.get", exec["tool"])
	assert.Equal(t, "ok", exec["status"])
	assert.NotEmpty(t, exec["client_id"])

	for _, e := range events() {
		line, _ := json.Marshal(e)
		assert.NotContains(t, string(line), secureToken, "no event holds the token")
	}
}

// signed returns the HMAC v1 headers of a POST of body to url, at t.
func signed(t *testing.T, url string, body []byte, at time.Time) http.Header {
	t.Helper()
	h, _, err := auth.SignRequestHeaders(auth.Key{ID: auth.DefaultKeyID, Secret: secureSecret}, auth.SignParams{
		Method: http.MethodPost, URL: url, ContentType: "application/json", Body: body, Time: at,
	})
	require.NoError(t, err)
	return h
}

func TestSecureServerHMAC(t *testing.T) {
	url, events := secureServer(t, map[string]string{"AUTH_MODE": "hmac", "API_KEY_HMAC_SECRET": secureSecret}, okTool)
	body := callBody("quote.get")

	header := signed(t, url, body, time.Now())
	status, _ := send(t, url, header, body)
	require.Equal(t, http.StatusOK, status)

	status, resp := send(t, url, header, body)
	assert.Equal(t, http.StatusUnauthorized, status, "the same signed request again is a replay")
	assert.Equal(t, "MCP-002", resp["code"])
	e := eventOf(events(), "replay")
	require.NotNil(t, e, "a replay is recorded as one, not as an auth failure")
	assert.Equal(t, "security_events", e["class"])
	assert.Equal(t, "high", e["severity"])
	assert.EqualValues(t, 2555, e["retention_days"])

	status, _ = send(t, url, signed(t, url, body, time.Now().Add(-time.Hour)), body)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.NotNil(t, eventOf(events(), "stale_timestamp"))

	for _, e := range events() {
		line, _ := json.Marshal(e)
		assert.NotContains(t, string(line), secureSecret)
		assert.NotContains(t, string(line), header.Get("X-Signature"), "no event holds a signature")
	}
}

func TestSecureServerLimitsShareOneCount(t *testing.T) {
	limited := okTool
	limited.Name = "quote.limited"
	limited.Policy.RateLimitPerMinute = 2
	url, events := secureServer(t, map[string]string{"MCP_CLIENT_RATE_LIMIT": "5/1m"}, okTool, limited)

	for i := 0; i < 2; i++ {
		status, body := send(t, url, nil, callBody("quote.limited"))
		require.Equal(t, http.StatusOK, status)
		require.Nil(t, body["result"].(map[string]any)["isError"])
	}
	status, body := send(t, url, nil, callBody("quote.limited"))
	require.Equal(t, http.StatusOK, status)
	result := body["result"].(map[string]any)
	assert.Equal(t, true, result["isError"], "the tool's limit of 2 a minute")
	assert.Contains(t, result["structuredContent"].(map[string]any)["code"], "MCP-006")
	e := eventOf(events(), "rate_limit")
	require.NotNil(t, e)
	assert.Equal(t, "quote.limited", e["tool"])

	// Three requests so far; the client's limit of 5 admits two more of
	// any tool, then refuses at the HTTP layer.
	for i := 0; i < 2; i++ {
		status, _ = send(t, url, nil, callBody("quote.get"))
		require.Equal(t, http.StatusOK, status)
	}
	status, body = send(t, url, nil, callBody("quote.get"))
	assert.Equal(t, http.StatusTooManyRequests, status, "the client limit counts the tool calls too")
	assert.Equal(t, "MCP-006", body["code"])
}

func TestSecureServerRefusalsBeforeAuthentication(t *testing.T) {
	url, events := secureServer(t, map[string]string{"AUTH_MODE": "bearer", "AUTH_TOKEN": secureToken}, okTool)

	big := append(append([]byte(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"`), bytes.Repeat([]byte("x"), server.MaxBodyBytes)...), `"}}`...)
	status, body := send(t, url, nil, big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	assert.Equal(t, "MCP-017", body["code"])
	assert.NotNil(t, eventOf(events(), "payload_too_large"))

	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(callBody("quote.get")))
	require.NoError(t, err)
	req.Host = "rebound.attacker.example"
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	e := eventOf(events(), "auth_failure")
	require.NotNil(t, e)
	assert.Contains(t, e["reason"], "MCP_ALLOWED_HOSTS")
}

func TestSecureServerAuditsHandWrittenAndImageTools(t *testing.T) {
	image := server.Tool{
		Name:        "chart.render",
		InputSchema: json.RawMessage(`{"type":"object"}`),
		Policy:      server.Policy{AuditClass: "data_access"},
		Call: func(context.Context, []byte) (server.Result, error) {
			return server.Result{Content: []mcp.Content{&mcp.ImageContent{Data: []byte{0x89, 'P', 'N', 'G'}, MIMEType: "image/png"}}}, nil
		},
	}
	url, events := secureServer(t, map[string]string{}, okTool, image)
	for _, tool := range []string{"quote.get", "chart.render"} {
		status, body := send(t, url, nil, callBody(tool))
		require.Equal(t, http.StatusOK, status)
		result := body["result"].(map[string]any)
		require.Nil(t, result["isError"], tool)
		if tool == "chart.render" {
			block := result["content"].([]any)[0].(map[string]any)
			assert.Equal(t, "image", block["type"])
			assert.Equal(t, "image/png", block["mimeType"])
		}
	}
	var got []string
	for _, e := range events() {
		if e["event_type"] == "tool_execution" {
			got = append(got, e["tool"].(string)+" "+e["class"].(string)+" "+e["status"].(string))
		}
	}
	assert.Equal(t, []string{"quote.get tool_execution ok", "chart.render data_access ok"}, got)
}

func TestMainRefusesUnauthenticatedHTTPBeyondLoopback(t *testing.T) {
	srv := server.New(&mcp.Implementation{Name: "desk", Version: "1.0.0"}, server.WithLogger(testLogger(t)))
	var stderr bytes.Buffer
	code := srv.Command(nil, envOf(map[string]string{"MCP_SERVER_MODE": "http", "MCP_HTTP_ADDR": "0.0.0.0:0", "MCP_ALLOWED_HOSTS": "*"}), &stderr)
	assert.Equal(t, 2, code)
	assert.Equal(t, "desk: MCP-011 MISSING_CONFIGURATION: HTTP on 0.0.0.0:0 without authentication: set AUTH_MODE=bearer or hmac with its secret, listen on a loopback address, or set MCP_ALLOW_UNAUTHENTICATED=true if a gateway in front authenticates\n", stderr.String())
}

func TestMainHelpListsEverySetting(t *testing.T) {
	srv := server.New(&mcp.Implementation{Name: "desk", Version: "1.0.0"})
	var stderr bytes.Buffer
	assert.Equal(t, 0, srv.Command([]string{"-h"}, envOf(nil), &stderr))
	for _, name := range []string{"-mode", "-http-addr", "-http-stateless", "AUTH_MODE", "AUTH_TOKEN", "API_KEY_HMAC_SECRET", "MCP_CLIENT_RATE_LIMIT", "MCP_AUDIT_LOG", "MCP_ALLOW_UNAUTHENTICATED"} {
		assert.True(t, strings.Contains(stderr.String(), name), "-h names %s", name)
	}
}

func TestMainWithUnreachableRedisFailsClearly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	srv := server.New(&mcp.Implementation{Name: "desk", Version: "1.0.0"}, server.WithLogger(testLogger(t)))
	var stderr bytes.Buffer
	code := srv.Command(nil, envOf(map[string]string{"MCP_REDIS_URL": "redis://trader:hunter2-secret@" + addr + "/0"}), &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "MCP_REDIS_URL")
	assert.Contains(t, stderr.String(), addr, "it names where it tried")
	assert.NotContains(t, stderr.String(), "hunter2-secret", "never the password")
}
