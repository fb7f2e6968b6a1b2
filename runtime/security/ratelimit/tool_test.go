package ratelimit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/memstore"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
)

func TestAllowToolLimitsEachClientAndTool(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	l := memstore.NewLimiter(memstore.LimiterOptions{Now: func() time.Time { return now }})
	ctx := context.Background()
	quote := func(client string) error { return ratelimit.AllowTool(ctx, l, client, "execution.sim_quote", 2) }

	require.NoError(t, quote("alice"))
	require.NoError(t, quote("alice"))
	err := quote("alice")
	var e *mcperr.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, mcperr.CodeRateLimitExceeded, e.Code)
	assert.Equal(t, `rate limit of tool "execution.sim_quote" exceeded: 2 calls per minute; retry in 61s`, e.Message)
	assert.Equal(t, map[string]any{"limit": 2, "remaining": 0, "reset": now.Add(2 * time.Minute).Unix(), "retry_after_seconds": int64(61)}, e.Details)

	assert.NoError(t, quote("bob"), "another client has its own count")
	assert.NoError(t, ratelimit.AllowTool(ctx, l, "alice", "execution.other", 2), "another tool has its own count")
	for range 10 {
		assert.NoError(t, ratelimit.AllowTool(ctx, l, "alice", "storage.shared_state.get", 0), "a tool without x-rate-limit is not limited")
	}
	now = now.Add(2 * time.Minute)
	assert.NoError(t, quote("alice"), "the window moves on")
}

type brokenLimiter struct{}

func (brokenLimiter) Allow(context.Context, string, int, time.Duration) (store.Decision, error) {
	return store.Decision{}, errors.New("redis: connection refused")
}

func TestAllowToolFailsClosed(t *testing.T) {
	err := ratelimit.AllowTool(context.Background(), brokenLimiter{}, "alice", "quote.get", 5)
	assert.Equal(t, mcperr.Errorf(mcperr.CodeBackendUnavailable, "rate limit store unavailable"), err)
}
