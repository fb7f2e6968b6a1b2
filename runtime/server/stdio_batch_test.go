package server_test

import (
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/server"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connectStdioPeer serves the hostile tools, and "block", which returns once
// release is closed, over the stdio transport through pipes.
func connectStdioPeer(t *testing.T, release <-chan struct{}) *stdioPeer {
	t.Helper()
	srv := newHostileServer(t)
	require.NoError(t, srv.AddTools(server.Tool{
		Name:         "block",
		InputSchema:  objectSchema,
		OutputSchema: objectSchema,
		Call: func(ctx context.Context, _ []byte) (server.Result, error) {
			<-release
			return server.Result{Structured: []byte(`{"released":true}`)}, nil
		},
	}))
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ss, err := srv.ConnectStdio(context.Background(), inR, outW)
	require.NoError(t, err)
	t.Cleanup(func() {
		inW.Close()
		ss.Wait()
		outW.Close()
	})
	return &stdioPeer{t: t, in: inW, lines: readLines(outR)}
}

func rpcError(t *testing.T, m map[string]json.RawMessage) (code int, message string) {
	t.Helper()
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	require.NoError(t, json.Unmarshal(m["error"], &e), "an error answer: %v", m)
	return e.Code, e.Message
}

const batchRefused = "invalid request: JSON-RPC batches are not part of MCP 2025-06-18 and later; send one message at a time"

// TestStdioBatchesFollowTheNegotiatedRevision: a batch is refused before
// initialization and in a session of 2025-06-18 or later, and served in one
// of 2025-03-26, where a batch that reuses the id of a batched request not
// yet answered is refused (the SDK would end the session on it).
func TestStdioBatchesFollowTheNegotiatedRevision(t *testing.T) {
	release := make(chan struct{})
	p := connectStdioPeer(t, release)
	twoPings := []byte(`[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]`)

	p.send(twoPings)
	code, msg := rpcError(t, p.next())
	assert.Equal(t, -32600, code)
	assert.Equal(t, batchRefused, msg, "no batch before initialization")

	p.send([]byte(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
	init := p.next()
	require.Contains(t, string(init["result"]), `"protocolVersion":"2025-03-26"`)
	p.send([]byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`))

	p.send(twoPings)
	m := p.next()
	var answers []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(m["batch"], &answers), "one line with the batch's answers: %v", m)
	require.Len(t, answers, 2)
	ids := []string{string(answers[0]["id"]), string(answers[1]["id"])}
	assert.ElementsMatch(t, []string{"1", "2"}, ids)

	// A notification nobody serves is left out of the batch.
	p.send([]byte(`[{"jsonrpc":"2.0","method":"notifications/nope"},{"jsonrpc":"2.0","id":3,"method":"ping"}]`))
	require.NoError(t, json.Unmarshal(p.next()["batch"], &answers))
	require.Len(t, answers, 1)
	assert.JSONEq(t, `3`, string(answers[0]["id"]))

	p.send([]byte(`[{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"block","arguments":{}}}]`))
	p.send([]byte(`[{"jsonrpc":"2.0","id":5,"method":"ping"}]`))
	code, msg = rpcError(t, p.next())
	assert.Equal(t, -32600, code)
	assert.Equal(t, "invalid request: the batch reuses the id of a batched request not yet answered", msg)
	p.send([]byte(`{"jsonrpc":"2.0","id":6,"method":"ping"}`))
	assert.JSONEq(t, `6`, string(p.next()["id"]), "the session lives on")

	close(release)
	require.NoError(t, json.Unmarshal(p.next()["batch"], &answers))
	require.Len(t, answers, 1)
	assert.JSONEq(t, `5`, string(answers[0]["id"]))
	assert.Contains(t, string(answers[0]["result"]), `"released":true`)
	p.send([]byte(`[{"jsonrpc":"2.0","id":5,"method":"ping"}]`))
	require.NoError(t, json.Unmarshal(p.next()["batch"], &answers))
	assert.JSONEq(t, `5`, string(answers[0]["id"]), "once answered, the id may be used again")
}

// TestStdioRefusesBatchesUnder20251125 is the other side: a session of a
// revision without batches refuses them and lives on.
func TestStdioRefusesBatchesUnder20251125(t *testing.T) {
	p := connectStdioPeer(t, nil)
	p.send([]byte(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
	require.Contains(t, string(p.next()["result"]), `"protocolVersion":"2025-06-18"`)
	p.send([]byte(`[{"jsonrpc":"2.0","id":1,"method":"ping"}]`))
	code, msg := rpcError(t, p.next())
	assert.Equal(t, -32600, code)
	assert.Equal(t, batchRefused, msg)
	p.send([]byte(`{"jsonrpc":"2.0","id":2,"method":"ping"}`))
	assert.JSONEq(t, `2`, string(p.next()["id"]))
}
