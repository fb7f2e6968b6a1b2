package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/server"
	"github.com/mcpgen/mcpgen/runtime/typed"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// connect returns a go-sdk client session to a fresh trading server over
// the named transport: "memory" or "http" (real Streamable HTTP on loopback).
func connect(t *testing.T, transport string) *mcp.ClientSession {
	t.Helper()
	restore := typed.SetClock(func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) })
	t.Cleanup(restore)
	srv, err := newServer(server.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	require.NoError(t, err)
	ctx := context.Background()
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	var ct mcp.Transport
	switch transport {
	case "memory":
		st, c := mcp.NewInMemoryTransports()
		_, err := srv.MCP().Connect(ctx, st, nil)
		require.NoError(t, err)
		ct = c
	case "http":
		h, err := srv.HTTPHandler(server.Config{HTTPPath: "/mcp"})
		require.NoError(t, err)
		ts := httptest.NewServer(h)
		t.Cleanup(func() { ts.Close(); srv.Close() })
		ct = &mcp.StreamableClientTransport{Endpoint: ts.URL + "/mcp"}
	}
	cs, err := client.Connect(ctx, ct, nil)
	require.NoError(t, err)
	t.Cleanup(func() { cs.Close() })
	return cs
}

func call(t *testing.T, cs *mcp.ClientSession, tool, args string) (*mcp.CallToolResult, map[string]any) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: json.RawMessage(args)})
	require.NoError(t, err)
	// Results carry structuredContent; errors of tools with an outputSchema
	// carry their body as text only.
	raw, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	if res.IsError {
		require.Nil(t, res.StructuredContent, "error results of tools with an outputSchema must not carry structuredContent")
		raw = []byte(res.Content[0].(*mcp.TextContent).Text)
	}
	var body map[string]any
	require.NoError(t, json.Unmarshal(raw, &body))
	return res, body
}

func TestTradingTools(t *testing.T) {
	for _, transport := range []string{"memory", "http"} {
		t.Run(transport, func(t *testing.T) {
			cs := connect(t, transport)

			list, err := cs.ListTools(context.Background(), nil)
			require.NoError(t, err)
			var names []string
			for _, tool := range list.Tools {
				names = append(names, tool.Name)
				schema, _ := json.Marshal(tool.InputSchema)
				assert.NotContains(t, string(schema), `"x-`, "published schema of %s keeps a private key", tool.Name)
			}
			assert.Equal(t, []string{"execution.sim_quote", "features.ohlcv_window", "risk.position_limits_check",
				"storage.shared_state.get", "storage.shared_state.set"}, names)

			res, out := call(t, cs, "features.ohlcv_window", `{"symbol":" eurusd ","interval":"1h","end":"2026-10-31T00:00:00Z","window":20}`)
			require.False(t, res.IsError, "%v", out)
			assert.Equal(t, "EURUSD", out["symbol"])
			assert.Equal(t, float64(20), out["candles"])
			assert.Equal(t, "2026-10-31T00:00:00Z", out["end"])
			assert.LessOrEqual(t, out["low"].(float64), out["vwap"].(float64))
			assert.LessOrEqual(t, out["vwap"].(float64), out["high"].(float64))

			res, out = call(t, cs, "risk.position_limits_check", `{"symbol":"EURUSD","side":"buy","quantity":1000000,"price":1.08}`)
			require.False(t, res.IsError, "%v", out)
			assert.Equal(t, true, out["allowed"])
			assert.Equal(t, float64(1080000), out["notional"])

			res, out = call(t, cs, "risk.position_limits_check", `{"symbol":"BTC/USD","side":"buy","quantity":300,"price":68000}`)
			require.False(t, res.IsError, "%v", out)
			assert.Equal(t, false, out["allowed"])
			assert.Equal(t, []any{"resulting position 300 exceeds the BTC/USD limit of 250 units", "resulting notional 20400000 USD exceeds the BTC/USD limit of 20000000 USD"}, out["reasons"])

			res, out = call(t, cs, "execution.sim_quote", `{"symbol":"SPY","side":"buy","quantity":25000}`)
			require.False(t, res.IsError, "%v", out)
			assert.Equal(t, float64(25000), out["filled"])
			assert.Len(t, out["levels"], 2)
			assert.Greater(t, out["slippageBps"].(float64), 0.0)

			res, out = call(t, cs, "execution.sim_quote", `{"symbol":"BTC/USD","side":"sell","quantity":1000}`)
			require.True(t, res.IsError)
			assert.Equal(t, "MCP-012", out["code"])
			assert.Equal(t, "order book too thin: 1000 BTC/USD requested, 110 available across 10 bid levels", out["message"])

			res, out = call(t, cs, "storage.shared_state.set", `{"key":"desk:limits","value":{"max":[1,2.50,"x"]},"ttlSeconds":60}`)
			require.False(t, res.IsError, "%v", out)
			assert.Equal(t, map[string]any{"key": "desk:limits", "version": float64(1), "bytes": float64(20)}, out)
			res, out = call(t, cs, "storage.shared_state.get", `{"key":"desk:limits"}`)
			require.False(t, res.IsError, "%v", out)
			assert.Equal(t, map[string]any{"max": []any{float64(1), 2.5, "x"}}, out["value"])
			assert.Equal(t, float64(1), out["version"])

			res, out = call(t, cs, "storage.shared_state.get", `{"key":"nope"}`)
			require.True(t, res.IsError)
			assert.Equal(t, "MCP-013", out["code"])
			assert.Equal(t, `no value stored under key "nope"`, out["message"])
		})
	}
}

func TestTradingInvalidArguments(t *testing.T) {
	cs := connect(t, "memory")
	tests := []struct {
		name, tool, args string
		code, message    string
		violations       []any
	}{
		{
			// x-normalize upper maps ASCII only: U+017F (long s) does not
			// become S, so the look-alike is refused, not served as SPY.
			name: "look-alike of an allowed symbol", tool: "risk.position_limits_check",
			args: "{\"symbol\":\"\u017fpy\",\"side\":\"buy\",\"quantity\":1}",
			code: "MCP-015", message: `invalid arguments for tool "risk.position_limits_check": 2 violations`,
			violations: []any{map[string]any{"pointer": "/symbol", "keyword": "pattern", "message": "must match the pattern ^[A-Z]{3,6}(/[A-Z]{3,6})?$"}, map[string]any{"pointer": "/symbol", "keyword": "x-allowlist", "message": `must be one of the allowed symbols: AUDUSD, BTC/USD, ETH/USD, EURUSD, GBPUSD, IWM, QQQ, SPY, USDCAD, USDJPY`}},
		},
		{
			name: "symbol outside the allowlist", tool: "risk.position_limits_check",
			args: `{"symbol":"XAUUSD","side":"buy","quantity":1}`,
			code: "MCP-015", message: `invalid arguments for tool "risk.position_limits_check": 1 violation`,
			violations: []any{map[string]any{"pointer": "/symbol", "keyword": "x-allowlist", "message": `must be one of the allowed symbols: AUDUSD, BTC/USD, ETH/USD, EURUSD, GBPUSD, IWM, QQQ, SPY, USDCAD, USDJPY`}},
		},
		{
			name: "too precise, negative quantity and unknown side", tool: "risk.position_limits_check",
			args: `{"symbol":"EURUSD","side":"hold","quantity":-1.123456789}`,
			code: "MCP-001", message: `invalid arguments for tool "risk.position_limits_check": 3 violations`,
			violations: []any{
				map[string]any{"pointer": "/side", "keyword": "enum", "message": `must be one of "buy", "sell", "long", "short"`},
				map[string]any{"pointer": "/quantity", "keyword": "x-decimal", "message": "must have at most 8 decimal places"},
				map[string]any{"pointer": "/quantity", "keyword": "exclusiveMinimum", "message": "must be > 0"},
			},
		},
		{
			name: "date outside the window", tool: "features.ohlcv_window",
			args: `{"symbol":"EURUSD","interval":"1h","end":"2020-01-01T00:00:00Z"}`,
			code: "MCP-001", message: `invalid arguments for tool "features.ohlcv_window": 1 violation`,
			violations: []any{map[string]any{"pointer": "/end", "keyword": "x-datetime", "message": "must not be before 2024-11-01T12:00:00Z (now-730d)"}},
		},
		{
			name: "window longer than the history", tool: "features.ohlcv_window",
			args: `{"symbol":"EURUSD","interval":"1d","end":"2026-10-31T00:00:00Z","window":600}`,
			code: "MCP-010", message: "window of 600 candles needs data back to 2025-03-10T00:00:00Z; only 499 available for EURUSD 1d (history starts 2025-06-19T00:00:00Z)",
		},
		{
			name: "limit order without a price", tool: "execution.sim_quote",
			args: `{"symbol":"SPY","side":"buy","quantity":1,"orderType":"limit"}`,
			code: "MCP-001", message: "limit and stop orders need limitPrice",
			violations: []any{map[string]any{"pointer": "/limitPrice", "keyword": "required", "message": "required for limit orders"}},
		},
		{
			name: "arguments over the tool's cap", tool: "storage.shared_state.set",
			args: `{"key":"big","value":"` + strings.Repeat("x", 140000) + `"}`,
			code: "MCP-017",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, out := call(t, cs, tt.tool, tt.args)
			require.True(t, res.IsError, "%v", out)
			assert.Equal(t, tt.code, out["code"])
			if tt.message != "" {
				assert.Equal(t, tt.message, out["message"])
			}
			if tt.violations != nil {
				assert.Equal(t, tt.violations, out["details"].(map[string]any)["violations"])
			}
		})
	}
}
