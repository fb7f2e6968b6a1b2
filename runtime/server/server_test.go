package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/server"
	"github.com/mcpgen/mcpgen/runtime/typed"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stdioServerEnv makes the test binary act as a stdio server (see TestMain).
const stdioServerEnv = "MCPGEN_RUNTIME_TEST_STDIO_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(stdioServerEnv) == "1" {
		os.Exit(stdioServerMain())
	}
	os.Exit(m.Run())
}

// stdioServerMain is the main of the stdio server the stdio tests start: the
// pattern a generated server's main follows.
func stdioServerMain() int {
	srv := server.New(&mcp.Implementation{Name: "runtime-test", Version: "v0.0.1"})
	if err := srv.AddTools(testTools(nil)...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Run(ctx, server.Config{Mode: server.ModeStdio}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

var objectSchema = json.RawMessage(`{"type":"object"}`)

func echo(_ context.Context, args []byte) (server.Result, error) {
	return server.Result{Structured: args}, nil
}

// testTools are the tools every transport is tested with. Calls of "hangs"
// ignore their context and return once release is closed.
func testTools(release <-chan struct{}) []server.Tool {
	return []server.Tool{
		{
			Name:         "echo",
			Title:        "Echo",
			Description:  "Returns its arguments.",
			InputSchema:  json.RawMessage(`{"type":"object","properties":{"a":{"type":"integer"}}}`),
			OutputSchema: objectSchema,
			Annotations:  json.RawMessage(`{"readOnlyHint":true,"title":"Echo tool"}`),
			Call:         echo,
		},
		{
			Name:        "insufficient",
			InputSchema: objectSchema,
			Call: func(context.Context, []byte) (server.Result, error) {
				return server.Result{}, mcperr.Errorf(mcperr.CodeInsufficientData, "need 20 bars, got 3")
			},
		},
		{
			Name:        "invalid",
			InputSchema: objectSchema,
			Call: func(context.Context, []byte) (server.Result, error) {
				var vs typed.Violations
				var root typed.Path
				qty := root.Field("qty")
				vs.Add(&qty, "minimum", "must be at least 1, got 0")
				return server.Result{}, vs.Err("arguments")
			},
		},
		{
			Name:        "leaky",
			InputSchema: objectSchema,
			Call: func(context.Context, []byte) (server.Result, error) {
				return server.Result{}, errors.New("dial 10.0.0.7:5432: password authentication failed for user trader")
			},
		},
		{
			Name:        "panics",
			InputSchema: objectSchema,
			Call:        func(context.Context, []byte) (server.Result, error) { panic("secret panic text") },
		},
		{
			Name:        "hangs",
			InputSchema: objectSchema,
			Policy:      server.Policy{Timeout: 50 * time.Millisecond},
			Call: func(context.Context, []byte) (server.Result, error) {
				<-release
				return server.Result{Structured: []byte(`{}`)}, nil
			},
		},
		{
			Name:        "waits",
			InputSchema: objectSchema,
			Policy:      server.Policy{Timeout: 50 * time.Millisecond},
			Call: func(ctx context.Context, _ []byte) (server.Result, error) {
				<-ctx.Done()
				return server.Result{}, ctx.Err()
			},
		},
		{
			Name:        "small",
			InputSchema: objectSchema,
			Policy:      server.Policy{MaxArgsBytes: 16},
			Call:        echo,
		},
		{
			Name:        "bad_output",
			InputSchema: objectSchema,
			Call: func(context.Context, []byte) (server.Result, error) {
				return server.Result{Structured: []byte(`{"unterminated":`)}, nil
			},
		},
		{
			Name:        "whoami",
			InputSchema: objectSchema,
			Call: func(ctx context.Context, _ []byte) (server.Result, error) {
				b, err := json.Marshal(map[string]any{
					"client":      server.ClientID(ctx),
					"correlation": server.CorrelationID(ctx),
					"session":     server.Request(ctx).Session != nil,
				})
				return server.Result{Structured: b}, err
			},
		},
	}
}

// testLogger sends a server's log to the test's output.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// newTestServer returns a server with testTools.
func newTestServer(t *testing.T, opts ...server.Option) *server.Server {
	t.Helper()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	opts = append([]server.Option{server.WithLogger(testLogger(t))}, opts...)
	srv := server.New(&mcp.Implementation{Name: "runtime-test", Version: "v0.0.1"}, opts...)
	require.NoError(t, srv.AddTools(testTools(release)...))
	return srv
}

func newClient() *mcp.Client {
	return mcp.NewClient(&mcp.Implementation{Name: "runtime-test-client", Version: "v0.0.1"}, nil)
}

// testContext is a safety net against a hung test, not a timing assertion.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func connectInMemory(t *testing.T, srv *server.Server) *mcp.ClientSession {
	t.Helper()
	ctx := testContext(t)
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	require.NoError(t, err)
	t.Cleanup(func() { ss.Close() })
	cs, err := newClient().Connect(ctx, ct, nil)
	require.NoError(t, err)
	t.Cleanup(func() { cs.Close() })
	return cs
}

func connectHTTP(t *testing.T, srv *server.Server) *mcp.ClientSession {
	t.Helper()
	ts := httptest.NewServer(httpHandler(t, srv, server.Config{}))
	t.Cleanup(ts.Close)
	cs, err := newClient().Connect(testContext(t), &mcp.StreamableClientTransport{Endpoint: ts.URL + "/mcp"}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { cs.Close() })
	return cs
}

// syncBuffer is a bytes.Buffer safe for a subprocess's output copier and the
// test reading it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startStdio runs the test binary as a stdio server (TestMain) and connects
// to it; stderr collects the server's log.
func startStdio(t *testing.T) (cs *mcp.ClientSession, cmd *exec.Cmd, stderr *syncBuffer) {
	t.Helper()
	cmd = exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), stdioServerEnv+"=1")
	stderr = new(syncBuffer)
	cmd.Stderr = stderr
	cs, err := newClient().Connect(testContext(t), &mcp.CommandTransport{Command: cmd}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { cs.Close() })
	return cs, cmd, stderr
}

// transports are the ways a client reaches a server in these tests, with the
// client ID a tool sees on each.
var transports = []struct {
	name     string
	clientID string
	connect  func(t *testing.T) *mcp.ClientSession
}{
	{"in-memory", server.ClientStdio, func(t *testing.T) *mcp.ClientSession { return connectInMemory(t, newTestServer(t)) }},
	{"streamable-http", "ip:127.0.0.1", func(t *testing.T) *mcp.ClientSession { return connectHTTP(t, newTestServer(t)) }},
	{"stdio", server.ClientStdio, func(t *testing.T) *mcp.ClientSession { cs, _, _ := startStdio(t); return cs }},
}

// callTool calls a tool with raw argument bytes (nil: no arguments).
func callTool(t *testing.T, cs *mcp.ClientSession, name string, args json.RawMessage) *mcp.CallToolResult {
	t.Helper()
	params := &mcp.CallToolParams{Name: name}
	if args != nil {
		params.Arguments = args
	}
	res, err := cs.CallTool(testContext(t), params)
	require.NoError(t, err)
	return res
}

// resultJSON returns a result's structured content as JSON, after checking
// that its text content is a copy of it.
func resultJSON(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	structured, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	require.Len(t, res.Content, 1)
	text, ok := res.Content[0].(*mcp.TextContent)
	require.True(t, ok, "content is %T, want text", res.Content[0])
	require.JSONEq(t, string(structured), text.Text, "text content is not a copy of the structured content")
	return string(structured)
}

// errorBody returns the error body of a failed call: its text content,
// equal to the structured content when the tool has no outputSchema.
func errorBody(t *testing.T, res *mcp.CallToolResult) mcperr.Body {
	t.Helper()
	if !res.IsError {
		t.Fatalf("call succeeded with %s", resultJSON(t, res))
	}
	require.Len(t, res.Content, 1)
	text, ok := res.Content[0].(*mcp.TextContent)
	require.True(t, ok, "content is %T, want text", res.Content[0])
	if structured, _ := json.Marshal(res.StructuredContent); string(structured) != "null" {
		require.JSONEq(t, string(structured), text.Text, "text content is not a copy of the structured content")
	}
	var body mcperr.Body
	require.NoError(t, json.Unmarshal([]byte(text.Text), &body))
	ts, err := time.Parse(time.RFC3339Nano, body.Timestamp)
	require.NoError(t, err, "timestamp")
	assert.Equal(t, time.UTC, ts.Location(), "timestamp is not UTC")
	return body
}

func TestToolCalls(t *testing.T) {
	violations := []any{map[string]any{"pointer": "/qty", "keyword": "minimum", "message": "must be at least 1, got 0"}}
	cases := []struct {
		name    string
		tool    string
		args    json.RawMessage // nil: no arguments
		wantOut string          // JSON of a successful call's output
		// a failed call's body
		wantCode     mcperr.Code
		wantMessage  string
		wantDetails  map[string]any
		wantSecurity bool
	}{
		{name: "output is structured and text content", tool: "echo", args: json.RawMessage(`{"a":1}`), wantOut: `{"a":1}`},
		{name: "no arguments", tool: "echo", wantOut: `{}`},
		{name: "null arguments are an empty object", tool: "echo", args: json.RawMessage(`null`), wantOut: `{}`},
		{
			name: "business error keeps its code and message", tool: "insufficient",
			wantCode: mcperr.CodeInsufficientData, wantMessage: "need 20 bars, got 3", wantDetails: map[string]any{},
		},
		{
			name: "validation failure lists the violations", tool: "invalid",
			wantCode: mcperr.CodeInvalidArgs, wantMessage: "arguments: 1 violation",
			wantDetails: map[string]any{"violations": violations}, wantSecurity: true,
		},
		{
			name: "plain error is internal and its text stays in the server", tool: "leaky",
			wantCode: mcperr.CodeInternal, wantMessage: "internal error", wantDetails: map[string]any{},
		},
		{
			name: "panic is internal and its text stays in the server", tool: "panics",
			wantCode: mcperr.CodeInternal, wantMessage: "internal error", wantDetails: map[string]any{},
		},
		{
			name: "invalid output JSON is internal", tool: "bad_output",
			wantCode: mcperr.CodeInternal, wantMessage: "internal error", wantDetails: map[string]any{},
		},
		{
			name: "deadline passes while the tool ignores it", tool: "hangs",
			wantCode: mcperr.CodeTimeout, wantMessage: "the tool did not finish within 50ms",
			wantDetails: map[string]any{"timeout": "50ms"},
		},
		{
			name: "deadline passes and the tool returns its context's error", tool: "waits",
			wantCode: mcperr.CodeTimeout, wantMessage: "the tool did not finish within 50ms",
			wantDetails: map[string]any{"timeout": "50ms"},
		},
		{
			name: "arguments at the tool's cap pass", tool: "small", args: json.RawMessage(`{"s":"12345678"}`),
			wantOut: `{"s":"12345678"}`,
		},
		{
			name: "arguments over the tool's cap", tool: "small", args: json.RawMessage(`{"s":"123456789"}`),
			wantCode: mcperr.CodePayloadTooLarge, wantMessage: "arguments are 17 bytes, more than the 16 this tool accepts",
			wantDetails: map[string]any{"limit_bytes": float64(16)}, wantSecurity: true,
		},
		{
			name: "arguments over the default cap", tool: "echo",
			args:     json.RawMessage(`{"s":"` + strings.Repeat("x", server.DefaultMaxArgsBytes) + `"}`),
			wantCode: mcperr.CodePayloadTooLarge, wantMessage: "arguments are 1048584 bytes, more than the 1048576 this tool accepts",
			wantDetails: map[string]any{"limit_bytes": float64(server.DefaultMaxArgsBytes)}, wantSecurity: true,
		},
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			cs := tr.connect(t)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					res := callTool(t, cs, tc.tool, tc.args)
					if tc.wantCode == "" {
						require.False(t, res.IsError, "call failed with %s", resultJSON(t, res))
						assert.JSONEq(t, tc.wantOut, resultJSON(t, res))
						return
					}
					body := errorBody(t, res)
					assert.True(t, body.Error)
					assert.Equal(t, tc.wantCode, body.Code)
					assert.Equal(t, tc.wantMessage, body.Message)
					assert.Equal(t, tc.wantDetails, body.Details)
					assert.Equal(t, tc.wantSecurity, body.SecurityEvent)
					text := res.Content[0].(*mcp.TextContent).Text
					assert.NotContains(t, text, "password")
					assert.NotContains(t, text, "secret")
				})
			}
		})
	}
}

func TestPanicKeepsServing(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			cs := tr.connect(t)
			for range 2 {
				assert.Equal(t, mcperr.CodeInternal, errorBody(t, callTool(t, cs, "panics", nil)).Code)
				res := callTool(t, cs, "echo", json.RawMessage(`{"a":2}`))
				require.False(t, res.IsError)
				assert.JSONEq(t, `{"a":2}`, resultJSON(t, res))
			}
		})
	}
}

func TestUnknownToolIsInvalidParams(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			cs := tr.connect(t)
			_, err := cs.CallTool(testContext(t), &mcp.CallToolParams{Name: "no_such_tool"})
			var rpcErr *jsonrpc.Error
			require.ErrorAs(t, err, &rpcErr)
			assert.Equal(t, int64(jsonrpc.CodeInvalidParams), rpcErr.Code)
			assert.Equal(t, `unknown tool "no_such_tool"`, rpcErr.Message)
		})
	}
}

func TestCallContext(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			cs := tr.connect(t)
			var first, second map[string]any
			require.NoError(t, json.Unmarshal([]byte(resultJSON(t, callTool(t, cs, "whoami", nil))), &first))
			require.NoError(t, json.Unmarshal([]byte(resultJSON(t, callTool(t, cs, "whoami", nil))), &second))
			assert.Equal(t, tr.clientID, first["client"])
			assert.Equal(t, true, first["session"])
			assert.NotEmpty(t, first["correlation"])
			assert.NotEqual(t, first["correlation"], second["correlation"], "correlation IDs must differ per call")
		})
	}
}

func TestToolsArePublishedAsDefined(t *testing.T) {
	cs := connectInMemory(t, newTestServer(t))
	list, err := cs.ListTools(testContext(t), nil)
	require.NoError(t, err)
	tools := make(map[string]*mcp.Tool)
	for _, tool := range list.Tools {
		tools[tool.Name] = tool
	}
	require.Len(t, tools, len(testTools(nil)))

	echo := tools["echo"]
	require.NotNil(t, echo)
	assert.Equal(t, "Echo", echo.Title)
	assert.Equal(t, "Returns its arguments.", echo.Description)
	schema, err := json.Marshal(echo.InputSchema)
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"object","properties":{"a":{"type":"integer"}}}`, string(schema))
	out, err := json.Marshal(echo.OutputSchema)
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"object"}`, string(out))
	require.NotNil(t, echo.Annotations)
	assert.True(t, echo.Annotations.ReadOnlyHint)
	assert.Equal(t, "Echo tool", echo.Annotations.Title)

	assert.Nil(t, tools["leaky"].OutputSchema, "a tool without an output schema must publish none")
	assert.Nil(t, tools["leaky"].Annotations)
}

func TestArgumentsReachCallUntouched(t *testing.T) {
	// Key order and spacing survive: nothing decodes and re-encodes them.
	const args = `{"b":1, "a":[2,1], "c":{"z":null,"y":"\u00e9"}}`
	got := make(chan string, 1)
	srv := server.New(&mcp.Implementation{Name: "t", Version: "v0"}, server.WithLogger(testLogger(t)))
	require.NoError(t, srv.AddTools(server.Tool{
		Name:        "record",
		InputSchema: objectSchema,
		Call: func(_ context.Context, b []byte) (server.Result, error) {
			got <- string(b)
			return server.Result{Structured: []byte(`{}`)}, nil
		},
	}))
	cs := connectInMemory(t, srv)
	require.False(t, callTool(t, cs, "record", json.RawMessage(args)).IsError)
	// encoding/json on the client side drops insignificant spaces only.
	assert.Equal(t, `{"b":1,"a":[2,1],"c":{"z":null,"y":"\u00e9"}}`, <-got)
}

func TestAbsentArgumentsAreAnEmptyObject(t *testing.T) {
	// The SDK client always sends arguments, so this speaks JSON-RPC itself.
	ctx := testContext(t)
	st, ct := mcp.NewInMemoryTransports()
	ss, err := newTestServer(t).MCP().Connect(ctx, st, nil)
	require.NoError(t, err)
	t.Cleanup(func() { ss.Close() })
	conn, err := ct.Connect(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	call := func(id int64, method, params string) json.RawMessage {
		t.Helper()
		req := &jsonrpc.Request{Method: method, Params: json.RawMessage(params)}
		if id != 0 {
			req.ID, err = jsonrpc.MakeID(float64(id))
			require.NoError(t, err)
		}
		require.NoError(t, conn.Write(ctx, req))
		if id == 0 {
			return nil
		}
		msg, err := conn.Read(ctx)
		require.NoError(t, err)
		resp, ok := msg.(*jsonrpc.Response)
		require.True(t, ok, "got %T, want a response", msg)
		require.NoError(t, resp.Error)
		return resp.Result
	}
	call(1, "initialize", `{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}`)
	call(0, "notifications/initialized", `{}`)
	result := call(2, "tools/call", `{"name":"echo"}`)
	var res struct {
		IsError           bool            `json:"isError"`
		StructuredContent json.RawMessage `json:"structuredContent"`
	}
	require.NoError(t, json.Unmarshal(result, &res))
	assert.False(t, res.IsError)
	assert.JSONEq(t, `{}`, string(res.StructuredContent))
}

func TestPanicIsLoggedWithStack(t *testing.T) {
	var log syncBuffer
	srv := newTestServer(t, server.WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	cs := connectInMemory(t, srv)
	callTool(t, cs, "panics", nil)
	callTool(t, cs, "leaky", nil)
	assert.Contains(t, log.String(), `msg="tool panicked" tool=panics`)
	assert.Contains(t, log.String(), `panic="secret panic text"`)
	assert.Contains(t, log.String(), "runtime/debug.Stack")
	assert.Contains(t, log.String(), `msg="tool call failed" tool=leaky`)
	assert.Contains(t, log.String(), "password authentication failed")
}

func TestToolGate(t *testing.T) {
	var gated []string
	called := false
	gate := func(ctx context.Context, tool *server.Tool) error {
		gated = append(gated, tool.Name)
		if server.CorrelationID(ctx) == "" || server.ClientID(ctx) == "" {
			return errors.New("gate ran without the call's context")
		}
		if tool.Name == "limited" {
			return &mcperr.Error{
				Code:    mcperr.CodeRateLimitExceeded,
				Message: "rate limit of 1 call per minute exceeded",
				Details: map[string]any{"retry_after_seconds": 42},
			}
		}
		return nil
	}
	srv := server.New(&mcp.Implementation{Name: "t", Version: "v0"},
		server.WithLogger(testLogger(t)), server.WithToolGate(gate))
	require.NoError(t, srv.AddTools(
		server.Tool{Name: "open", InputSchema: objectSchema, Call: echo},
		server.Tool{
			Name: "limited", InputSchema: objectSchema, Policy: server.Policy{MaxArgsBytes: 8},
			Call: func(context.Context, []byte) (server.Result, error) {
				called = true
				return server.Result{Structured: []byte(`{}`)}, nil
			},
		},
	))
	cs := connectInMemory(t, srv)

	assert.False(t, callTool(t, cs, "open", nil).IsError)

	body := errorBody(t, callTool(t, cs, "limited", nil))
	assert.Equal(t, mcperr.CodeRateLimitExceeded, body.Code)
	assert.Equal(t, "rate limit of 1 call per minute exceeded", body.Message)
	assert.Equal(t, map[string]any{"retry_after_seconds": float64(42)}, body.Details)
	assert.False(t, called, "Call ran although the gate refused")

	// The size cap comes first: an oversized call never reaches the gate.
	body = errorBody(t, callTool(t, cs, "limited", json.RawMessage(`{"x":"123456"}`)))
	assert.Equal(t, mcperr.CodePayloadTooLarge, body.Code)
	assert.Equal(t, []string{"open", "limited"}, gated)
}

func TestObserver(t *testing.T) {
	var (
		mu    sync.Mutex
		calls []server.CallInfo
	)
	observe := func(ctx context.Context, c server.CallInfo) {
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, server.CorrelationID(ctx), c.CorrelationID)
		calls = append(calls, c)
	}
	cs := connectInMemory(t, newTestServer(t, server.WithObserver(observe)))

	callTool(t, cs, "echo", json.RawMessage(`{"a":1}`))
	callTool(t, cs, "invalid", json.RawMessage(`{"qty":0}`))
	callTool(t, cs, "small", json.RawMessage(`{"s":"123456789"}`))
	whoJSON := resultJSON(t, callTool(t, cs, "whoami", nil))
	var who map[string]any
	require.NoError(t, json.Unmarshal([]byte(whoJSON), &who))

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, calls, 4)
	type summary struct {
		Tool, Status           string
		ArgsBytes, OutputBytes int
	}
	var got []summary
	for _, c := range calls {
		got = append(got, summary{c.Tool.Name, c.Status(), c.ArgsBytes, c.OutputBytes})
	}
	assert.Equal(t, []summary{
		{"echo", "ok", 7, 7},
		{"invalid", "MCP-001", 9, 0},
		{"small", "MCP-017", 17, 0},
		{"whoami", "ok", 2, len(whoJSON)}, // the SDK client sends {} for no arguments
	}, got)
	assert.Nil(t, calls[0].Err)
	require.NotNil(t, calls[1].Err)
	assert.Len(t, calls[1].Err.Violations, 1)
	assert.Equal(t, who["correlation"], calls[3].CorrelationID, "the observer sees the call's correlation ID")
}

func TestAddToolsRejects(t *testing.T) {
	valid := server.Tool{Name: "valid", InputSchema: objectSchema, Call: echo}
	with := func(change func(*server.Tool)) server.Tool {
		tool := server.Tool{Name: "t", InputSchema: objectSchema, Call: echo}
		change(&tool)
		return tool
	}
	cases := []struct {
		name  string
		tools []server.Tool
		want  string
	}{
		{"duplicate in one call", []server.Tool{valid, valid}, `runtime: tool "valid" is added twice; tool names must be unique`},
		{"name with a space", []server.Tool{with(func(t *server.Tool) { t.Name = "get quote" })}, `runtime: tool "get quote": name must be 1 to 128 characters of [A-Za-z0-9_.-]`},
		{"empty name", []server.Tool{with(func(t *server.Tool) { t.Name = "" })}, `runtime: tool "": name must be 1 to 128 characters of [A-Za-z0-9_.-]`},
		{"name over 128 characters", []server.Tool{with(func(t *server.Tool) { t.Name = strings.Repeat("n", 129) })}, `runtime: tool "` + strings.Repeat("n", 129) + `": name must be 1 to 128 characters of [A-Za-z0-9_.-]`},
		{"no Call", []server.Tool{with(func(t *server.Tool) { t.Call = nil })}, `runtime: tool "t": the Call function is nil`},
		{"no input schema", []server.Tool{with(func(t *server.Tool) { t.InputSchema = nil })}, `runtime: tool "t": input schema must be a JSON object: unexpected end of JSON input`},
		{"input schema not an object type", []server.Tool{with(func(t *server.Tool) { t.InputSchema = json.RawMessage(`{"type":"array"}`) })}, `runtime: tool "t": input schema must have "type": "object", got array`},
		{"output schema not JSON", []server.Tool{with(func(t *server.Tool) { t.OutputSchema = json.RawMessage(`{`) })}, `runtime: tool "t": output schema is not valid JSON`},
		{"annotations of the wrong shape", []server.Tool{with(func(t *server.Tool) { t.Annotations = json.RawMessage(`{"readOnlyHint":"yes"}`) })}, `runtime: tool "t": annotations must be an MCP ToolAnnotations object: json: cannot unmarshal string into Go struct field ToolAnnotations.readOnlyHint of type bool`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := server.New(&mcp.Implementation{Name: "t", Version: "v0"}, server.WithLogger(testLogger(t)))
			// valid first: a failing batch must add none of its tools.
			err := srv.AddTools(append([]server.Tool{with(func(t *server.Tool) { t.Name = "first" })}, tc.tools...)...)
			require.EqualError(t, err, tc.want)
			require.NoError(t, srv.AddTools(with(func(t *server.Tool) { t.Name = "first" })), "the failed batch added a tool")
		})
	}

	t.Run("name already served", func(t *testing.T) {
		srv := server.New(&mcp.Implementation{Name: "t", Version: "v0"}, server.WithLogger(testLogger(t)))
		require.NoError(t, srv.AddTools(valid))
		require.EqualError(t, srv.AddTools(valid), `runtime: tool "valid" is added twice; tool names must be unique`)
	})
}

func TestStdioServer(t *testing.T) {
	cs, cmd, stderr := startStdio(t)
	errorBody(t, callTool(t, cs, "panics", nil))
	// The panic's log went to stderr: stdout carries only the protocol,
	// which the following call proves intact.
	assert.False(t, callTool(t, cs, "echo", nil).IsError)
	require.NoError(t, cs.Close())
	assert.Equal(t, 0, cmd.ProcessState.ExitCode(), "closing stdin must end the server cleanly; stderr:\n%s", stderr.String())
	assert.Contains(t, stderr.String(), `"panic":"secret panic text"`)
}

func TestStdioServerStopsOnSIGTERM(t *testing.T) {
	cs, cmd, stderr := startStdio(t)
	require.False(t, callTool(t, cs, "echo", nil).IsError)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	cs.Wait() // the server ends the session by exiting
	cs.Close()
	assert.Equal(t, 0, cmd.ProcessState.ExitCode(), "SIGTERM must end the server cleanly; stderr:\n%s", stderr.String())
}

// httpHandler returns srv's HTTP endpoint for cfg, failing the test when the
// server cannot build it.
func httpHandler(t *testing.T, srv *server.Server, cfg server.Config) http.Handler {
	t.Helper()
	h, err := srv.HTTPHandler(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	return h
}
