package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/server"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connect returns a go-sdk client session, over in-memory transports, to a
// fresh conformance server. The client answers sampling and elicitation
// requests as the conformance suite's client does, and collects the log and
// progress notifications it is sent.
func connect(t *testing.T) (*mcp.ClientSession, *notes) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := newServer(ctx, server.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	require.NoError(t, err)
	n := &notes{}
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, &mcp.ClientOptions{
		CreateMessageHandler: func(_ context.Context, req *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			prompt := req.Params.Messages[0].Content.(*mcp.TextContent).Text
			return &mcp.CreateMessageResult{Role: "assistant", Model: "echo", Content: &mcp.TextContent{Text: "echo: " + prompt}}, nil
		},
		ElicitationHandler: func(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			n.mu.Lock()
			defer n.mu.Unlock()
			n.schema, _ = json.Marshal(req.Params.RequestedSchema)
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"username": "ada", "email": "ada@example.com", "tags": []any{"a", "b"}}}, nil
		},
		LoggingMessageHandler: func(_ context.Context, req *mcp.LoggingMessageRequest) {
			n.mu.Lock()
			defer n.mu.Unlock()
			n.logs = append(n.logs, req.Params.Data)
		},
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			n.mu.Lock()
			defer n.mu.Unlock()
			n.progress = append(n.progress, req.Params.Progress)
		},
	})
	st, ct := mcp.NewInMemoryTransports()
	_, err = srv.MCP().Connect(ctx, st, nil)
	require.NoError(t, err)
	// 2025-11-25, as the conformance suite speaks: from 2026-07-28 on, a
	// server may not send requests (sampling, elicitation) while it serves
	// one, and subscriptions work differently.
	cs, err := client.Connect(ctx, ct, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	require.NoError(t, err)
	t.Cleanup(func() { cs.Close() })
	return cs, n
}

// notes is what the client was sent besides responses. The client handles
// notifications on goroutines of their own, so some may still be arriving
// when the call that caused them has returned.
type notes struct {
	mu       sync.Mutex
	schema   json.RawMessage
	logs     []any
	progress []float64
}

func (n *notes) lastSchema() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return string(n.schema)
}

// eventually waits until got, read under the lock, equals want.
func eventually[T any](t *testing.T, n *notes, want T, got func() T) {
	t.Helper()
	var last T
	ok := assert.Eventually(t, func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		last = got()
		return assert.ObjectsAreEqual(want, last)
	}, 5*time.Second, 10*time.Millisecond)
	if !ok {
		assert.Equal(t, want, last)
	}
}

func call(t *testing.T, cs *mcp.ClientSession, tool string, args any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	require.NoError(t, err)
	return res
}

func structured(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	b, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	return string(b)
}

func TestGeneratedToolsTalkBackThroughTheSession(t *testing.T) {
	cs, n := connect(t)
	ctx := context.Background()

	res := call(t, cs, "test_sampling", map[string]any{"prompt": "hi"})
	require.False(t, res.IsError, structured(t, res))
	assert.JSONEq(t, `{"text":"LLM response: echo: hi","model":"echo"}`, structured(t, res))

	res = call(t, cs, "test_elicitation", map[string]any{"message": "who are you?"})
	require.False(t, res.IsError, structured(t, res))
	assert.JSONEq(t, `{"action":"accept","content":{"username":"ada","email":"ada@example.com","tags":["a","b"]}}`, structured(t, res))
	assert.Contains(t, n.lastSchema(), `"required":["username","email"]`)

	res = call(t, cs, "test_elicitation_sep1034_defaults", map[string]any{})
	require.False(t, res.IsError, structured(t, res))
	assert.Contains(t, n.lastSchema(), `"default":95.5`)

	require.NoError(t, cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "debug"}))
	res = call(t, cs, "test_tool_with_logging", map[string]any{})
	require.False(t, res.IsError, structured(t, res))
	eventually(t, n, []any{"Tool execution started", "Tool processing data", "Tool execution completed"}, func() []any { return n.logs })
}

// errorBody is the part of the runtime's error body the tests look at.
type errorBody struct {
	Code    string
	Message string
	Details struct {
		Violations []struct{ Pointer, Keyword string }
	}
}

func errorOf(t *testing.T, res *mcp.CallToolResult) errorBody {
	t.Helper()
	require.True(t, res.IsError, "call succeeded")
	// Tools with an outputSchema carry the error body as text only.
	var b errorBody
	require.NoError(t, json.Unmarshal([]byte(res.Content[0].(*mcp.TextContent).Text), &b))
	return b
}

func TestGeneratedToolsValidateTheirArguments(t *testing.T) {
	cs, _ := connect(t)
	for _, tc := range []struct {
		tool, args       string
		pointer, keyword string
	}{
		{"test_sampling", `{}`, "/prompt", "required"},
		{"test_sampling", `{"prompt":""}`, "/prompt", "minLength"},
		{"test_simple_text", `{"unexpected":1}`, "/unexpected", "additionalProperties"},
		{"json_schema_2020_12_tool", `{"contactMethod":"phone","email":"a@b.c"}`, "", "required"},
	} {
		b := errorOf(t, call(t, cs, tc.tool, json.RawMessage(tc.args)))
		assert.Equal(t, "MCP-001", b.Code, "%s %s", tc.tool, tc.args)
		require.NotEmpty(t, b.Details.Violations, "%s %s", tc.tool, tc.args)
		assert.Equal(t, tc.pointer, b.Details.Violations[0].Pointer, "%s %s", tc.tool, tc.args)
		assert.Equal(t, tc.keyword, b.Details.Violations[0].Keyword, "%s %s", tc.tool, tc.args)
	}
	res := call(t, cs, "json_schema_2020_12_tool", map[string]any{"name": "Ada", "contactMethod": "phone", "phone": "555"})
	require.False(t, res.IsError, structured(t, res))
	assert.JSONEq(t, `{"name":"Ada","contact":"555"}`, structured(t, res))
}

func TestToolErrorIsAResultWithTheErrorBody(t *testing.T) {
	cs, _ := connect(t)
	b := errorOf(t, call(t, cs, "test_error_handling", map[string]any{}))
	assert.Equal(t, "MCP-999", b.Code)
	assert.Equal(t, "this tool intentionally returns an error for testing", b.Message)
}

func TestSDKToolsReturnMediaAndProgress(t *testing.T) {
	cs, n := connect(t)
	res := call(t, cs, "test_multiple_content_types", map[string]any{})
	require.Len(t, res.Content, 3)
	assert.IsType(t, &mcp.TextContent{}, res.Content[0])
	assert.Equal(t, "image/png", res.Content[1].(*mcp.ImageContent).MIMEType)
	assert.Equal(t, "test://mixed-content-resource", res.Content[2].(*mcp.EmbeddedResource).Resource.URI)

	params := &mcp.CallToolParams{Name: "test_tool_with_progress", Arguments: map[string]any{}}
	params.SetProgressToken("p-1")
	_, err := cs.CallTool(context.Background(), params)
	require.NoError(t, err)
	eventually(t, n, []float64{0, 50, 100}, func() []float64 { return n.progress })
}

func TestResourcesPromptsAndCompletions(t *testing.T) {
	cs, _ := connect(t)
	ctx := context.Background()
	r, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "test://template/123/data"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"123","templateTest":true,"data":"Data for ID: 123"}`, r.Contents[0].Text)
	require.NoError(t, cs.Subscribe(ctx, &mcp.SubscribeParams{URI: watchedURI}))
	assert.Error(t, cs.Subscribe(ctx, &mcp.SubscribeParams{URI: "test://static-text"}), "only the watched resource changes")

	p, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "test_prompt_with_arguments", Arguments: map[string]string{"arg1": "a", "arg2": "b"}})
	require.NoError(t, err)
	assert.Equal(t, "Prompt with arguments: arg1='a', arg2='b'", p.Messages[0].Content.(*mcp.TextContent).Text)

	c, err := cs.Complete(ctx, &mcp.CompleteParams{
		Ref:      &mcp.CompleteReference{Type: "ref/prompt", Name: "test_prompt_with_arguments"},
		Argument: mcp.CompleteParamsArgument{Name: "arg1", Value: "par"},
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"paris", "park", "party"}, c.Completion.Values)
}
