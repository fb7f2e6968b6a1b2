package server

import (
	"context"
	"encoding/json"
	"time"
)

// DefaultMaxArgsBytes is the tool-argument size cap when a tool sets none.
const DefaultMaxArgsBytes = 1 << 20

// Tool is one tool as generated code hands it to a server: its published
// description, its policies and the function that runs a call.
type Tool struct {
	Name         string
	Title        string
	Description  string
	InputSchema  json.RawMessage // published: the author's schema without private policy keys
	OutputSchema json.RawMessage // nil when the tool declares none
	Annotations  json.RawMessage // the MCP ToolAnnotations object, or nil
	Policy       Policy

	// Call decodes and validates args, runs the handler and validates what it
	// returns. It returns the output as a JSON object, or an error that
	// AsError maps to the wire (validation failures are *Error with
	// Violations).
	Call func(ctx context.Context, args []byte) ([]byte, error)
}

// Policy holds a tool's limits and audit settings, from its extension keys.
type Policy struct {
	RateLimitPerMinute int           // x-rate-limit; 0 means no per-tool limit
	MaxArgsBytes       int           // x-max-args-bytes; 0 means DefaultMaxArgsBytes
	Timeout            time.Duration // x-timeout; 0 means no deadline
	AuditClass         string        // x-audit; "" means "tool_execution"
	Sensitive          []string      // JSON pointers of x-sensitive input fields
}
