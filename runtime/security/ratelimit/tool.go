package ratelimit

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store"
)

// ToolKey is the key a client's calls of a tool are counted under in the
// store for a limit per window: the client ID and the tool name (and the
// window, unless it is a minute, the window of x-rate-limit), apart from
// the keys of the HTTP layer (a client ID or "ip:" and an address), so
// one store holds both.
func ToolKey(clientID, tool string, window time.Duration) string {
	key := "tool\x00" + clientID + "\x00" + tool
	if window != time.Minute {
		key += "\x00" + window.String()
	}
	return key
}

// AllowTool enforces a tool's x-rate-limit of perMinute calls per minute
// for the client clientID, counted by l; perMinute 0 (or less) is no
// limit. A refused call fails with MCP-006, whose details say when to
// retry, over HTTP and stdio alike; a store that fails refuses it with
// MCP-003.
func AllowTool(ctx context.Context, l store.Limiter, clientID, tool string, perMinute int) error {
	if perMinute <= 0 {
		return nil
	}
	d, err := l.Allow(ctx, ToolKey(clientID, tool, time.Minute), perMinute, time.Minute)
	if err != nil {
		return mcperr.Errorf(mcperr.CodeBackendUnavailable, "rate limit store unavailable")
	}
	if d.Allowed {
		return nil
	}
	retry := int64(math.Ceil(d.RetryAfter.Seconds()))
	return &mcperr.Error{
		Code:    mcperr.CodeRateLimitExceeded,
		Message: "rate limit of tool " + strconv.Quote(tool) + " exceeded: " + strconv.Itoa(perMinute) + " calls per minute; retry in " + strconv.FormatInt(retry, 10) + "s",
		Details: map[string]any{
			"limit":               d.Limit,
			"remaining":           d.Remaining,
			"reset":               d.ResetAt.Unix(),
			"retry_after_seconds": retry,
		},
	}
}
