package server

import (
	"context"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/store"
)

// callKey is the context key of the call a handler runs in. It is private,
// so no other package can forge a call's values.
type callKey struct{}

// call is what a tool call carries in its context.
type call struct {
	req           *mcp.CallToolRequest
	correlationID string
	state         store.State

	mu      sync.Mutex
	content []mcp.Content // added by AddContent

	// result holds the call's result and its text block when it succeeds.
	result struct {
		res     mcp.CallToolResult
		text    mcp.TextContent
		content [1]mcp.Content
	}
}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

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

// Request returns the MCP request of the tool call ctx belongs to, or nil
// outside one. Through it a handler reaches the call's _meta
// (Params.Meta, with the progress token), its session (Session: logging to
// the client, sampling, elicitation, roots) and, over HTTP, the request's
// extras (Extra: headers, closing the SSE stream).
func Request(ctx context.Context) *mcp.CallToolRequest {
	if c := callFrom(ctx); c != nil {
		return c.req
	}
	return nil
}

// ClientID returns the ID of the client making the call: the one the
// authentication layer established, ClientAnonymous for HTTP calls without
// one, ClientStdio for stdio calls, and "" outside a tool call. Rate limits,
// idempotency records and audit events are keyed by it.
func ClientID(ctx context.Context) string { return principal.ClientID(ctx) }

// CorrelationID returns the random ID the server gave the current tool call,
// or "" outside one. It appears in the server's log lines, the audit events
// and the error body of the call, so they can be joined.
func CorrelationID(ctx context.Context) string {
	if c := callFrom(ctx); c != nil {
		return c.correlationID
	}
	return ""
}

// AddContent adds content blocks (images, audio, resource links, embedded
// resources, more text) to the result of the current tool call, after the
// text copy of its structured output. It is how a tool with an outputSchema
// returns content beside its typed output; a tool without one returns its
// content from the handler. Blocks added by a call that fails are dropped.
// Outside a tool call it does nothing.
func AddContent(ctx context.Context, blocks ...mcp.Content) {
	if c := callFrom(ctx); c != nil {
		c.mu.Lock()
		c.content = append(c.content, blocks...)
		c.mu.Unlock()
	}
}

// NotifyProgress tells the client how far the current tool call has got, as
// an MCP progress notification tied to the call's progress token. It does
// nothing (and returns nil) when the client asked for no progress, or
// outside a tool call. total is 0 when unknown.
func NotifyProgress(ctx context.Context, progress, total float64, message string) error {
	req := Request(ctx)
	if req == nil || req.Session == nil || req.Params == nil {
		return nil
	}
	token := req.Params.GetProgressToken()
	if token == nil {
		return nil
	}
	return req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{
		ProgressToken: token, Progress: progress, Total: total, Message: message,
	})
}
