package ratelimit

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/server"
)

// ToolGate returns a server.ToolGate that enforces each tool's
// x-rate-limit (Policy.RateLimitPerMinute) per client: the client ID from
// the call's context (principal.ClientID) and the tool name make the key.
// Tools without a limit pass. A refused call fails with MCP-006, and its
// details say when to retry, over HTTP and stdio alike.
func ToolGate(l Limiter) server.ToolGate {
	return func(ctx context.Context, tool *server.Tool) error {
		limit := tool.Policy.RateLimitPerMinute
		if limit <= 0 {
			return nil
		}
		d, err := l.Allow(ctx, "tool\x00"+principal.ClientID(ctx)+"\x00"+tool.Name, limit, time.Minute)
		if err != nil {
			return mcperr.Errorf(mcperr.CodeBackendUnavailable, "rate limit store unavailable")
		}
		if d.Allowed {
			return nil
		}
		retry := int64(math.Ceil(d.RetryAfter.Seconds()))
		return &mcperr.Error{
			Code:    mcperr.CodeRateLimitExceeded,
			Message: "rate limit of tool " + strconv.Quote(tool.Name) + " exceeded: " + strconv.Itoa(limit) + " calls per minute; retry in " + strconv.FormatInt(retry, 10) + "s",
			Details: map[string]any{
				"limit":               d.Limit,
				"remaining":           d.Remaining,
				"reset":               d.ResetAt.Unix(),
				"retry_after_seconds": retry,
			},
		}
	}
}
