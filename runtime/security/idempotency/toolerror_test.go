package idempotency

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store/memstore"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mcpEndpoint serves an MCP server of the SDK behind Middleware, with a
// tool limited to one call a minute (a per-tool MCP-006, as the runtime
// answers it) that fails with MCP-015 for the symbol "BAD". Its error
// results carry the runtime's error body as their text, as the runtime's
// server sends them.
func mcpEndpoint(t *testing.T, clock *testClock) (url string, runs *atomic.Int64) {
	t.Helper()
	runs = new(atomic.Int64)
	limiter := memstore.NewLimiter(memstore.LimiterOptions{Now: clock.Now})
	srv := mcp.NewServer(&mcp.Implementation{Name: "quotes", Version: "1.0.0"}, nil)
	fail := func(err error) *mcp.CallToolResult {
		body := mcperr.AsError(err).MarshalBody(clock.Now())
		return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: string(body)}}}
	}
	srv.AddTool(&mcp.Tool{Name: "quote.get", InputSchema: json.RawMessage(`{"type":"object"}`)},
		func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if err := ratelimit.AllowTool(ctx, limiter, "desk-a", "quote.get", 1); err != nil {
				return fail(err), nil
			}
			runs.Add(1)
			var in struct{ Symbol string }
			json.Unmarshal(req.Params.Arguments, &in)
			if in.Symbol == "BAD" {
				return fail(mcperr.Errorf(mcperr.CodeInvalidSymbol, "unknown symbol")), nil
			}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: `{"price":"1.10"}`}}}, nil
		})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	hs := httptest.NewServer(Middleware(Config{})(h))
	t.Cleanup(hs.Close)
	return hs.URL, runs
}

type rpcReply struct {
	status   int
	header   http.Header
	replayed bool
	result   struct {
		IsError bool `json:"isError"`
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
	}
}

// code is the error code in an error result's text, "" for a success.
func (r rpcReply) code(t *testing.T) string {
	t.Helper()
	if !r.result.IsError {
		return ""
	}
	var b errorBody
	require.NoError(t, json.Unmarshal([]byte(r.result.Content[0].Text), &b))
	return b.Code
}

func (r rpcReply) message(t *testing.T) string {
	t.Helper()
	var b errorBody
	require.NoError(t, json.Unmarshal([]byte(r.result.Content[0].Text), &b))
	return b.Message
}

// rpc posts one JSON-RPC message and reads the response out of the JSON
// or SSE body.
func rpc(t *testing.T, url, session, key, msg string) rpcReply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(msg))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
	}
	if key != "" {
		req.Header.Set(HeaderKey, key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := rpcReply{status: resp.StatusCode, header: resp.Header, replayed: resp.Header.Get(HeaderReplayed) == "true"}
	data := raw
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		events := sseData(raw)
		require.NotEmpty(t, events, "%s", raw)
		data = events[len(events)-1]
	}
	if len(data) > 0 {
		var m struct {
			Result json.RawMessage `json:"result"`
		}
		require.NoError(t, json.Unmarshal(data, &m), "%s", raw)
		if m.Result != nil {
			require.NoError(t, json.Unmarshal(m.Result, &out.result))
		}
	}
	return out
}

func initSession(t *testing.T, url string) string {
	t.Helper()
	init := rpc(t, url, "", "", `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	require.Equal(t, http.StatusOK, init.status)
	session := init.header.Get("Mcp-Session-Id")
	require.NotEmpty(t, session)
	require.Equal(t, http.StatusAccepted, rpc(t, url, session, "", `{"jsonrpc":"2.0","method":"notifications/initialized"}`).status)
	return session
}

func call(id int, symbol string) string {
	return `{"jsonrpc":"2.0","id":` + string(rune('0'+id)) + `,"method":"tools/call","params":{"name":"quote.get","arguments":{"symbol":"` + symbol + `"}}}`
}

// A per-tool rate limit is a tool error result with HTTP 200. It is
// delivered, but not kept: the retry under the same key, once the limit
// has freed up, runs the tool, and that result is what is kept.
func TestRetryableToolErrorIsNotReplayed(t *testing.T) {
	clock := &testClock{t: time.Unix(1_767_225_600, 0)}
	url, runs := mcpEndpoint(t, clock)
	session := initSession(t, url)

	first := rpc(t, url, session, "quote-1", call(1, "EURUSD"))
	require.Equal(t, http.StatusOK, first.status)
	require.Equal(t, "", first.code(t))

	limited := rpc(t, url, session, "quote-2", call(2, "EURUSD"))
	require.Equal(t, http.StatusOK, limited.status)
	assert.Equal(t, "MCP-006", limited.code(t))
	assert.Equal(t, `rate limit of tool "quote.get" exceeded: 1 calls per minute; retry in 61s`, limited.message(t))
	assert.Equal(t, int64(1), runs.Load(), "the gate refused the call before the tool ran")

	clock.Add(2 * time.Minute)
	retry := rpc(t, url, session, "quote-2", call(2, "EURUSD"))
	require.Equal(t, http.StatusOK, retry.status)
	assert.False(t, retry.replayed, "the rate-limit error was not stored")
	assert.Equal(t, "", retry.code(t), "%s", retry.result.Content)
	assert.Equal(t, int64(2), runs.Load())

	again := rpc(t, url, session, "quote-2", call(2, "EURUSD"))
	assert.True(t, again.replayed, "the success is stored")
	assert.Equal(t, "", again.code(t))
	assert.Equal(t, int64(2), runs.Load())
}

// A tool error about the request itself is kept like a success.
func TestOtherToolErrorIsReplayed(t *testing.T) {
	clock := &testClock{t: time.Unix(1_767_225_600, 0)}
	url, runs := mcpEndpoint(t, clock)
	session := initSession(t, url)

	first := rpc(t, url, session, "quote-1", call(1, "BAD"))
	require.Equal(t, http.StatusOK, first.status)
	assert.Equal(t, "MCP-015", first.code(t))
	clock.Add(2 * time.Minute)
	again := rpc(t, url, session, "quote-1", call(1, "BAD"))
	assert.True(t, again.replayed)
	assert.Equal(t, "MCP-015", again.code(t))
	assert.Equal(t, "unknown symbol", again.message(t))
	assert.Equal(t, int64(1), runs.Load())
}

// The detection reads application/json bodies and SSE streams, the text
// content and structuredContent, and only the configured codes.
func TestRetryableToolErrorDetection(t *testing.T) {
	errText := func(code string) string {
		b, _ := json.Marshal(map[string]any{"error": true, "code": code, "message": "m"})
		s, _ := json.Marshal(string(b))
		return string(s)
	}
	result := func(isError bool, code string) string {
		return `{"jsonrpc":"2.0","id":1,"result":{"isError":` + map[bool]string{true: "true", false: "false"}[isError] +
			`,"content":[{"type":"text","text":` + errText(code) + `}]}}`
	}
	tests := []struct {
		name, contentType, body string
		codes                   []mcperr.Code
		want                    bool
	}{
		{"json, MCP-006", "application/json", result(true, "MCP-006"), DefaultRetryableCodes, true},
		{"json with charset, MCP-999", "application/json; charset=utf-8", result(true, "MCP-999"), DefaultRetryableCodes, true},
		{"json, MCP-001", "application/json", result(true, "MCP-001"), DefaultRetryableCodes, false},
		{"not an error result", "application/json", result(false, "MCP-006"), DefaultRetryableCodes, false},
		{"codes turned off", "application/json", result(true, "MCP-006"), []mcperr.Code{}, false},
		{"structuredContent", "application/json", `{"jsonrpc":"2.0","id":1,"result":{"isError":true,"content":[],"structuredContent":{"error":true,"code":"MCP-004"}}}`, DefaultRetryableCodes, true},
		{"sse", "text/event-stream", "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\nevent: message\nid: 2\ndata: " + result(true, "MCP-003") + "\n\n", DefaultRetryableCodes, true},
		{"sse split over data lines, CRLF", "text/event-stream", "data: {\"jsonrpc\":\"2.0\",\"id\":1,\r\ndata: \"result\":{\"isError\":true,\"content\":[{\"type\":\"text\",\"text\":" + errText("MCP-006") + "}]}}\r\n\r\n", DefaultRetryableCodes, true},
		{"sse, MCP-001", "text/event-stream", "data: " + result(true, "MCP-001") + "\n\n", DefaultRetryableCodes, false},
		{"a JSON-RPC error", "application/json", `{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"unknown tool"}}`, DefaultRetryableCodes, false},
		{"not JSON", "application/json", `{"jsonrpc":`, DefaultRetryableCodes, false},
		{"other content type", "text/plain", result(true, "MCP-006"), DefaultRetryableCodes, false},
		{"isError with an escaped letter", "application/json", strings.Replace(result(true, "MCP-006"), "isError", `i\u0073Error`, 1), DefaultRetryableCodes, true},
		{"isError escaped, upper-case hex", "application/json", strings.Replace(result(true, "MCP-006"), "isError", `\u0069\u0073\u0045rr\u006Fr`, 1), DefaultRetryableCodes, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, retryableToolError(tt.contentType, []byte(tt.body), tt.codes))
		})
	}
}

// Only a body that may name isError, written out or with an escaped
// letter, is parsed; other escapes are not a reason to.
func TestMayHoldToolError(t *testing.T) {
	for _, tt := range []struct {
		body string
		want bool
	}{
		{`{"result":{"isError":true}}`, true},
		{`{"result":{"\u0069sError":true}}`, true},
		{`{"result":{"isErr\u006fr":true}}`, true},
		{`{"result":{"content":[{"type":"text","text":"a \u003c b \u0026 c"}]}}`, false},
		{`{"result":{"content":[{"type":"text","text":"\u00e9t\u00e9"}]}}`, false},
		{`{"result":{}} \u00`, false},
		{`{"result":{"structuredContent":{"ok":true}}}`, false},
	} {
		assert.Equal(t, tt.want, mayHoldToolError([]byte(tt.body)), tt.body)
	}
}

// Through the middleware, with application/json responses: an MCP-004
// result is not replayed, the success after it is.
func TestRetryableToolErrorJSONResponse(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	url, runs := counting(t, Config{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if fail.Swap(false) {
			w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{"isError":true,"content":[{"type":"text","text":"{\"error\":true,\"code\":\"MCP-004\",\"message\":\"the tool did not finish within 1s\"}"}]}}`))
			return
		}
		w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"{}"}]}}`))
	})
	first := post(t, url, "call-1", `{}`)
	assert.Equal(t, http.StatusOK, first.status)
	assert.Contains(t, first.body, `MCP-004`)
	second := post(t, url, "call-1", `{}`)
	assert.Empty(t, second.header.Get(HeaderReplayed))
	assert.NotContains(t, second.body, "MCP-004")
	third := post(t, url, "call-1", `{}`)
	assert.Equal(t, "true", third.header.Get(HeaderReplayed))
	assert.Equal(t, second.body, third.body)
	assert.Equal(t, int64(2), runs.Load())
}
