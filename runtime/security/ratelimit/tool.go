package ratelimit

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store"
)

// toolKey is the key a client's calls of a tool are counted under in the
// store: the client ID and the tool name, apart from the keys of the HTTP
// layer (a client ID or "ip:" and an address), so one store holds both.
func toolKey(clientID, tool string) string { return "tool\x00" + clientID + "\x00" + tool }

// AllowTool enforces a tool's x-rate-limit of perMinute calls per minute
// for the client clientID, counted by l; perMinute 0 (or less) is no
// limit. A refused call fails with MCP-006, whose details say when to
// retry, over HTTP and stdio alike; a store that fails refuses it with
// MCP-003.
func AllowTool(ctx context.Context, l store.Limiter, clientID, tool string, perMinute int) error {
	if perMinute <= 0 {
		return nil
	}
	d, err := l.Allow(ctx, toolKey(clientID, tool), perMinute, time.Minute)
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
