package server_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/server"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNotifyProgress: a handler reports progress through its context, tied
// to the progress token the client sent, and stays quiet when none was sent.
func TestNotifyProgress(t *testing.T) {
	srv := server.New(&mcp.Implementation{Name: "progress", Version: "1"}, server.WithLogger(testLogger(t)))
	require.NoError(t, srv.AddTools(server.Tool{
		Name:        "slow",
		InputSchema: json.RawMessage(`{"type":"object"}`),
		Call: func(ctx context.Context, _ []byte) (server.Result, error) {
			for i := 1; i <= 3; i++ {
				if err := server.NotifyProgress(ctx, float64(i), 3, "step"); err != nil {
					return server.Result{}, err
				}
			}
			return server.Result{Structured: []byte(`{}`)}, nil
		},
	}))
	got := make(chan *mcp.ProgressNotificationParams, 8)
	client := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) { got <- req.Params },
	})
	ctx := testContext(t)
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	require.NoError(t, err)
	defer ss.Close()
	cs, err := client.Connect(ctx, ct, nil)
	require.NoError(t, err)
	defer cs.Close()

	params := &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{}}
	params.SetProgressToken("tok-1")
	res, err := cs.CallTool(ctx, params)
	require.NoError(t, err)
	require.False(t, res.IsError)
	for i := 1; i <= 3; i++ {
		select {
		case p := <-got:
			assert.Equal(t, "tok-1", p.ProgressToken)
			assert.Equal(t, float64(i), p.Progress)
			assert.Equal(t, float64(3), p.Total)
			assert.Equal(t, "step", p.Message)
		case <-ctx.Done():
			t.Fatal("no progress notification")
		}
	}

	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{}})
	require.NoError(t, err)
	require.False(t, res.IsError, "without a token, NotifyProgress is a no-op")
	assert.Len(t, got, 0)
}
