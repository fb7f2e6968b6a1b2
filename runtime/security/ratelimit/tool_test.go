package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/server"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
)

func TestToolGateLimitsEachClientAndTool(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	gate := ratelimit.ToolGate(ratelimit.NewMemory(ratelimit.MemoryOptions{Now: func() time.Time { return now }}))
	quote := &server.Tool{Name: "execution.sim_quote", Policy: server.Policy{RateLimitPerMinute: 2}}
	free := &server.Tool{Name: "storage.shared_state.get"}
	alice := principal.WithClientID(context.Background(), "alice")
	bob := principal.WithClientID(context.Background(), "bob")

	require.NoError(t, gate(alice, quote))
	require.NoError(t, gate(alice, quote))
	err := gate(alice, quote)
	var e *mcperr.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, mcperr.CodeRateLimitExceeded, e.Code)
	assert.Equal(t, `rate limit of tool "execution.sim_quote" exceeded: 2 calls per minute; retry in 61s`, e.Message)
	assert.Equal(t, 2, e.Details["limit"])
	assert.Equal(t, 0, e.Details["remaining"])

	assert.NoError(t, gate(bob, quote), "another client has its own count")
	for range 10 {
		assert.NoError(t, gate(alice, free), "a tool without x-rate-limit is not limited")
	}
	now = now.Add(2 * time.Minute)
	assert.NoError(t, gate(alice, quote), "the window moves on")
}
