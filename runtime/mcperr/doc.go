// Package mcperr is the error model every part of an mcpgen server shares:
// the fixed table of error codes (MCP-001 … MCP-017, MCP-999), Error, the JSON
// error body sent to callers, and the Violation of a failed schema check.
//
// Handlers return an *Error to fail a tool call with a business code:
//
//	return out, mcperr.Errorf(mcperr.CodeInsufficientData, "only %d candles before %s", n, end)
//
// It is a leaf: it imports nothing from the MCP SDK or net/http, so generated
// code, the generator and every runtime package may import it.
package mcperr
