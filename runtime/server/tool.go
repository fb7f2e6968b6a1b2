package server

import (
	"context"
	"encoding/json"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

// DefaultMaxArgsBytes is the tool-argument size cap when a tool sets none.
const DefaultMaxArgsBytes = 1 << 20

// Tool is one tool as a server publishes and runs it: its description as
// tools/list shows it, its policies, and the function that runs a call.
// Generated Tools functions return them; a hand-written tool is one literal,
// and passes the same gates as a generated one.
type Tool struct {
	Name         string
	Title        string
	Description  string
	InputSchema  json.RawMessage // published: the author's schema without private policy keys
	OutputSchema json.RawMessage // nil when the tool declares none
	Annotations  json.RawMessage // the MCP ToolAnnotations object, or nil
	Icons        json.RawMessage // a JSON array of MCP Icon objects, or nil
	Meta         json.RawMessage // the tool's _meta object, or nil
	Execution    json.RawMessage // the execution object (2025-11-25: taskSupport), or nil
	Policy       Policy

	// Call runs one call with the arguments as received (a JSON object).
	// It returns the result, or an error that reaches the client as an
	// error result: an *mcperr.Error with its code, message and
	// violations, and any other error as MCP-999 without its text.
	Call func(ctx context.Context, args []byte) (Result, error)
}

// Result is what a tool call produced.
type Result struct {
	// Structured is the output as a JSON object, for a tool with an
	// outputSchema; nil for one without.
	Structured []byte
	// Content holds the result's content blocks: text, image, audio,
	// resource links and embedded resources. The client is sent a text
	// copy of Structured first, as the MCP specification advises, then
	// these.
	Content []mcp.Content
}

// Policy holds a tool's limits and audit settings, from its extension keys.
type Policy struct {
	RateLimitPerMinute int           // x-rate-limit; 0 means no per-tool limit
	MaxArgsBytes       int           // x-max-args-bytes; 0 means DefaultMaxArgsBytes
	Timeout            time.Duration // x-timeout; 0 means no deadline
	AuditClass         string        // x-audit; "" means "tool_execution"
	Sensitive          []string      // JSON pointers of x-sensitive input fields
	Scopes             []string      // x-scopes: the OAuth scopes a call needs (AUTH_MODE=oauth)
	// DataAccess is what a call reads or writes, from the object form of
	// x-audit: its data_access record names the resource and the action.
	// Nil for a tool whose x-audit is the string "data_access": its
	// records name the tool as the resource, and the action read when
	// its annotations say readOnlyHint, write otherwise.
	DataAccess *DataAccess
}

// DataAccess describes what a call of a data-access tool touches
// ("x-audit": {"class": "data_access", "action": "read", "resource":
// "/key", "store": "shared_state"}), for the call's data_access record.
type DataAccess struct {
	// Action is "read", "write" or "delete".
	Action string
	// Resource is the JSON pointer of the argument whose value names the
	// resource, such as "/key"; "" when no argument does. It is never an
	// x-sensitive field (the generator refuses one, and the server writes
	// such a value as [REDACTED]).
	Resource string
	// Store names what holds the resource, such as "shared_state"; the
	// record's resource is store/value ("shared_state/portfolio"). The
	// tool's name when empty.
	Store string
}

// Bind returns the Call of a generated tool with an outputSchema: decode
// reads and validates the arguments, handle is the handler method, check
// validates its output against the outputSchema (nil when the schema checks
// nothing) and encode writes the output as JSON. An output that fails check
// is MCP-009: the handler broke the tool's contract, which is the server's
// fault, not the caller's.
func Bind[In, Out any](
	decode func([]byte) (In, error),
	handle func(context.Context, In) (Out, error),
	check func(*Out) error,
	encode func(*Out, []byte) []byte,
) func(context.Context, []byte) (Result, error) {
	return func(ctx context.Context, args []byte) (Result, error) {
		in, err := decode(args)
		if err != nil {
			return Result{}, err
		}
		out, err := handle(ctx, in)
		if err != nil {
			return Result{}, err
		}
		if check != nil {
			if err := check(&out); err != nil {
				return Result{}, outputInvalid(err)
			}
		}
		return Result{Structured: encode(&out, nil)}, nil
	}
}

// BindContent returns the Call of a generated tool without an outputSchema,
// whose handler returns content blocks.
func BindContent[In any](
	decode func([]byte) (In, error),
	handle func(context.Context, In) ([]mcp.Content, error),
) func(context.Context, []byte) (Result, error) {
	return func(ctx context.Context, args []byte) (Result, error) {
		in, err := decode(args)
		if err != nil {
			return Result{}, err
		}
		content, err := handle(ctx, in)
		if err != nil {
			return Result{}, err
		}
		return Result{Content: content}, nil
	}
}

// outputInvalid turns the validation error of a handler's output into
// MCP-009, keeping its violations.
func outputInvalid(err error) error {
	return &mcperr.Error{
		Code:       mcperr.CodeOutputSchemaViolation,
		Message:    "tool output does not match its outputSchema",
		Violations: mcperr.AsError(err).Violations,
	}
}
