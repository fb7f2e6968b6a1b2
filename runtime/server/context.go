package server

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
)

// The values a tool call carries in its context. Each has one setter and one
// getter, so the keys stay private and no other package can forge them.
type (
	sessionKey       struct{}
	correlationKey   struct{}
	progressTokenKey struct{}
)

// Client IDs of calls that no authentication layer vouched for.
const (
	// ClientStdio is the client ID of calls over stdio and other in-process
	// transports, which have no authentication (the peer is the process that
	// started the server).
	ClientStdio = "stdio"
	// ClientAnonymous is the client ID of HTTP calls that no authentication
	// layer identified.
	ClientAnonymous = "anonymous"
)

// SessionFrom returns the MCP session of the call ctx belongs to, through
// which a handler sends progress notifications or log messages to the client;
// nil outside a tool call.
func SessionFrom(ctx context.Context) *mcp.ServerSession {
	ss, _ := ctx.Value(sessionKey{}).(*mcp.ServerSession)
	return ss
}

// ClientID returns the ID of the client making the call: the one the
// authentication layer set, ClientAnonymous for HTTP calls without one,
// ClientStdio for stdio calls, and "" outside a tool call. Rate limits and
// audit events are keyed by it.
func ClientID(ctx context.Context) string { return principal.ClientID(ctx) }

// CorrelationID returns the random ID the server gave the current tool call,
// or "" outside one. It appears in the server's log lines and audit events of
// the call, so they can be joined.
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}

// NotifyProgress tells the client how far the current tool call has got, as
// an MCP progress notification tied to the call's progress token. It does
// nothing (and returns nil) when the client asked for no progress, or
// outside a tool call. total is 0 when unknown.
func NotifyProgress(ctx context.Context, progress, total float64, message string) error {
	ss := SessionFrom(ctx)
	token := ctx.Value(progressTokenKey{})
	if ss == nil || token == nil {
		return nil
	}
	return ss.NotifyProgress(ctx, &mcp.ProgressNotificationParams{
		ProgressToken: token, Progress: progress, Total: total, Message: message,
	})
}
