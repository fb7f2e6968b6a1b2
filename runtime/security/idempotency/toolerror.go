package idempotency

import (
	"bytes"
	"encoding/json"
	"mime"
	"slices"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

// DefaultRetryableCodes are the error codes of tool results that are not
// kept for a replay (Config.RetryableCodes): failures that say nothing
// about the request itself and may well not recur.
//
//   - MCP-006: a per-tool rate limit refused the call before it ran;
//   - MCP-003: a backend (or the rate-limit store) was unavailable;
//   - MCP-004: the tool did not finish within its deadline;
//   - MCP-999: the tool failed unexpectedly (a panic, an unclassified error).
//
// Such a result is delivered, but the key is released, so a retry under
// the same key runs again instead of getting the error back for a day.
// For MCP-004 and MCP-999 the first attempt may have taken effect (a call
// that times out keeps running), so the retry may repeat it: the same risk
// as retrying under a new key, which is what a client would otherwise have
// to do. Every other tool error (invalid arguments, unknown symbol, …) is
// about the request and is kept like a success.
var DefaultRetryableCodes = []mcperr.Code{
	mcperr.CodeBackendUnavailable,
	mcperr.CodeTimeout,
	mcperr.CodeRateLimitExceeded,
	mcperr.CodeInternal,
}

// retryableToolError reports whether body, a response of contentType, holds
// a JSON-RPC response whose result is a tool error (isError: true) with one
// of codes. The body is a JSON-RPC message (application/json) or an SSE
// stream whose data fields hold them (text/event-stream).
func retryableToolError(contentType string, body []byte, codes []mcperr.Code) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/json":
		return retryableMessage(body, codes)
	case "text/event-stream":
		for _, data := range sseData(body) {
			if retryableMessage(data, codes) {
				return true
			}
		}
	}
	return false
}

// sseData returns the data of each event in an SSE stream: its data lines'
// values joined by LF, as the EventSource specification assembles them.
func sseData(stream []byte) [][]byte {
	var events [][]byte
	var data []byte
	has := false
	stream = bytes.ReplaceAll(stream, []byte("\r\n"), []byte("\n"))
	stream = bytes.ReplaceAll(stream, []byte("\r"), []byte("\n"))
	for _, line := range bytes.Split(stream, []byte("\n")) {
		if len(line) == 0 { // end of an event
			if has {
				events = append(events, data)
			}
			data, has = nil, false
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		if string(field) != "data" {
			continue
		}
		value = bytes.TrimPrefix(value, []byte(" "))
		if has {
			data = append(data, '\n')
		}
		data, has = append(data, value...), true
	}
	if has { // a stream cut off before its final blank line
		events = append(events, data)
	}
	return events
}

// retryableMessage reports whether msg, a JSON-RPC message or batch,
// holds a tool error result with one of codes.
func retryableMessage(msg []byte, codes []mcperr.Code) bool {
	msg = bytes.TrimSpace(msg)
	if len(msg) > 0 && msg[0] == '[' {
		var batch []json.RawMessage
		if json.Unmarshal(msg, &batch) != nil {
			return false
		}
		return slices.ContainsFunc(batch, func(m json.RawMessage) bool { return retryableMessage(m, codes) })
	}
	var resp struct {
		Result *struct {
			IsError           bool            `json:"isError"`
			StructuredContent json.RawMessage `json:"structuredContent"`
			Content           []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"content"`
		} `json:"result"`
	}
	if json.Unmarshal(msg, &resp) != nil || resp.Result == nil || !resp.Result.IsError {
		return false
	}
	// The runtime's error body: in structuredContent, and always as the
	// text content (the only place for a tool with an outputSchema).
	bodies := [][]byte{resp.Result.StructuredContent}
	for _, c := range resp.Result.Content {
		if c.Type == "text" {
			bodies = append(bodies, []byte(c.Text))
		}
	}
	for _, b := range bodies {
		var e struct {
			Error bool        `json:"error"`
			Code  mcperr.Code `json:"code"`
		}
		if len(b) > 0 && json.Unmarshal(b, &e) == nil && e.Error && slices.Contains(codes, e.Code) {
			return true
		}
	}
	return false
}
