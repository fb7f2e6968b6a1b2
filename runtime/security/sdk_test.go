package security_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/security"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
)

var deskKey = auth.Key{ID: "desk-a-2026", Client: "desk-a", Secret: "sdk-test-secret-0123456789abcdef0123"}

// mcpServer serves an MCP server of the SDK with one counting tool behind
// the stack's layers.
func mcpServer(t *testing.T) (endpoint string, runs *atomic.Int64) {
	t.Helper()
	runs = new(atomic.Int64)
	stack, err := security.New(security.Config{Auth: auth.Config{Mode: auth.ModeHMAC, Keys: []auth.Key{deskKey}}},
		security.Options{AuditSink: &events{}})
	require.NoError(t, err)
	srv := mcp.NewServer(&mcp.Implementation{Name: "orders", Version: "1.0.0"}, nil)
	srv.AddTool(&mcp.Tool{Name: "order.place", Description: "Places an order.", InputSchema: json.RawMessage(`{"type":"object"}`)},
		func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			runs.Add(1)
			client := req.Extra.Header.Get("X-Test-Client")
			return &mcp.CallToolResult{StructuredContent: map[string]string{"client": client},
				Content: []mcp.Content{&mcp.TextContent{Text: `{"client":"` + client + `"}`}}}, nil
		})
	sdk := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	// The tool reads the client ID from a header, as the runtime's server
	// bridges it, since a session's context is the first request's.
	bridge := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("X-Test-Client", principal.ClientID(r.Context()))
		sdk.ServeHTTP(w, r)
	})
	hs := httptest.NewServer(stack.HTTP(bridge))
	t.Cleanup(hs.Close)
	return hs.URL + "/mcp", runs
}

func TestSignerWithTheSDKClient(t *testing.T) {
	endpoint, runs := mcpServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := mcp.NewClient(&mcp.Implementation{Name: "desk", Version: "1.0.0"}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:   endpoint,
		HTTPClient: &http.Client{Transport: &auth.Signer{Key: deskKey}},
	}, nil)
	require.NoError(t, err)
	defer session.Close()

	res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "order.place", Arguments: map[string]any{"qty": 1}})
	require.NoError(t, err)
	require.False(t, res.IsError)
	assert.Equal(t, map[string]any{"client": "desk-a"}, res.StructuredContent, "the tool sees the key's client")

	// A new JSON-RPC request under a used Idempotency-Key is a different
	// request: refused, and the tool does not run.
	keyed := auth.WithIdempotencyKey(ctx, "order-1")
	_, err = session.CallTool(keyed, &mcp.CallToolParams{Name: "order.place", Arguments: map[string]any{"qty": 1}})
	require.NoError(t, err)
	_, err = session.CallTool(keyed, &mcp.CallToolParams{Name: "order.place", Arguments: map[string]any{"qty": 1}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Unprocessable Entity") // 422
	assert.Equal(t, int64(2), runs.Load())
}

// TestRetryOverStreamableHTTP retries a tools/call (the same JSON-RPC
// message, signed afresh) and gets the first SSE response back without the
// tool running again.
func TestRetryOverStreamableHTTP(t *testing.T) {
	endpoint, runs := mcpServer(t)
	client := &http.Client{Transport: &auth.Signer{Key: deskKey}}
	session := ""
	post := func(idemKey, body string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Idempotency-Key", idemKey)
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
			req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(raw)
	}

	resp, _ := post("init-1", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	session = resp.Header.Get("Mcp-Session-Id")
	require.NotEmpty(t, session)
	resp, _ = post("init-2", `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)

	call := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"order.place","arguments":{"qty":1}}}`
	first, firstBody := post("order-1", call)
	again, againBody := post("order-1", call)
	require.Equal(t, http.StatusOK, first.StatusCode, firstBody)
	require.Equal(t, http.StatusOK, again.StatusCode, againBody)
	assert.Equal(t, "text/event-stream", first.Header.Get("Content-Type"))
	assert.Equal(t, "text/event-stream", again.Header.Get("Content-Type"))
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, firstBody, againBody)
	assert.Contains(t, firstBody, `"client":"desk-a"`)
	assert.Equal(t, int64(1), runs.Load())
}
