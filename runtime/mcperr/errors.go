package mcperr

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Code is one entry of the fixed error-code table, such as "MCP-001".
type Code string

// The error-code table. The codes and names are part of the wire contract and
// never change meaning.
const (
	CodeInvalidArgs           Code = "MCP-001"
	CodeUnauthorized          Code = "MCP-002"
	CodeBackendUnavailable    Code = "MCP-003"
	CodeTimeout               Code = "MCP-004"
	CodeIdempotencyConflict   Code = "MCP-005"
	CodeRateLimitExceeded     Code = "MCP-006"
	CodeUnknownTool           Code = "MCP-007"
	CodeNoHandler             Code = "MCP-008"
	CodeOutputSchemaViolation Code = "MCP-009"
	CodeInsufficientData      Code = "MCP-010"
	CodeMissingConfiguration  Code = "MCP-011"
	CodeInsufficientLiquidity Code = "MCP-012"
	CodeKeyNotFound           Code = "MCP-013"
	CodeStorageQuotaExceeded  Code = "MCP-014"
	CodeInvalidSymbol         Code = "MCP-015"
	CodeSSRFBlocked           Code = "MCP-016"
	CodePayloadTooLarge       Code = "MCP-017"
	CodeInternal              Code = "MCP-999"
)

type codeInfo struct {
	name     string
	security bool // whether a failure with this code is a security event
}

var codeTable = map[Code]codeInfo{
	CodeInvalidArgs:           {"INVALID_ARGS", true},
	CodeUnauthorized:          {"UNAUTHORIZED", true},
	CodeBackendUnavailable:    {"BACKEND_UNAVAILABLE", false},
	CodeTimeout:               {"TIMEOUT", false},
	CodeIdempotencyConflict:   {"IDEMPOTENCY_CONFLICT", true},
	CodeRateLimitExceeded:     {"RATE_LIMIT_EXCEEDED", true},
	CodeUnknownTool:           {"UNKNOWN_TOOL", false},
	CodeNoHandler:             {"NO_HANDLER", false},
	CodeOutputSchemaViolation: {"OUTPUT_SCHEMA_VIOLATION", false},
	CodeInsufficientData:      {"INSUFFICIENT_DATA", false},
	CodeMissingConfiguration:  {"MISSING_CONFIGURATION", false},
	CodeInsufficientLiquidity: {"INSUFFICIENT_LIQUIDITY", false},
	CodeKeyNotFound:           {"KEY_NOT_FOUND", false},
	CodeStorageQuotaExceeded:  {"STORAGE_QUOTA_EXCEEDED", false},
	CodeInvalidSymbol:         {"INVALID_SYMBOL", true},
	CodeSSRFBlocked:           {"SSRF_BLOCKED", true},
	CodePayloadTooLarge:       {"PAYLOAD_TOO_LARGE", true},
	CodeInternal:              {"INTERNAL_ERROR", false},
}

// Name returns the code's symbolic name, such as "INVALID_ARGS", or "" for a
// code outside the table.
func (c Code) Name() string { return codeTable[c].name }

// SecurityEvent reports whether a failure with this code is a security event.
func (c Code) SecurityEvent() bool { return codeTable[c].security }

// Error is a failure with a code from the table. Handlers return it to fail a
// tool call with a business code (MCP-010, MCP-012…); any other error a
// handler returns is reported as MCP-999 without its text.
type Error struct {
	Code       Code
	Message    string
	Details    map[string]any // safe to show to the caller; never secrets
	Violations []Violation    // for validation failures, in document order
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	if len(e.Violations) == 0 {
		return string(e.Code) + " " + e.Code.Name() + ": " + e.Message
	}
	return fmt.Sprintf("%s %s: %s: %s", e.Code, e.Code.Name(), e.Message, e.Violations[0])
}

// AsError returns err as an *Error: itself when it is one (or wraps one), and
// otherwise MCP-999 with a fixed message, so internal error text never reaches
// a caller.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: "internal error"}
}

// Body is the JSON error body sent to callers, in tool results and in HTTP
// responses that fail before the protocol layer.
type Body struct {
	Error         bool           `json:"error"`
	Code          Code           `json:"code"`
	Message       string         `json:"message"`
	Details       map[string]any `json:"details"`
	Timestamp     string         `json:"timestamp"`
	SecurityEvent bool           `json:"security_event"`
	// CorrelationID names the tool call in the server's logs and audit
	// events; empty for refusals before a call exists.
	CorrelationID string `json:"correlation_id,omitempty"`
}

// Body returns the error's wire body stamped with now (in UTC, RFC 3339).
func (e *Error) Body(now time.Time) Body {
	details := make(map[string]any, len(e.Details)+1)
	for k, v := range e.Details {
		details[k] = v
	}
	if len(e.Violations) > 0 {
		details["violations"] = e.Violations
	}
	return Body{
		Error:         true,
		Code:          e.Code,
		Message:       e.Message,
		Details:       details,
		Timestamp:     now.UTC().Format(time.RFC3339Nano),
		SecurityEvent: e.Code.SecurityEvent(),
	}
}

// MarshalBody returns the JSON encoding of e.Body(now).
func (e *Error) MarshalBody(now time.Time) []byte {
	b, err := json.Marshal(e.Body(now))
	if err != nil { // only reachable through an unencodable Details value
		b, _ = json.Marshal((&Error{Code: CodeInternal, Message: "internal error"}).Body(now))
	}
	return b
}
