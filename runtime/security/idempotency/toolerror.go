package idempotency

import (
	"bytes"
	"encoding/json"
	"mime"
	"slices"
	"strings"

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
//
// Only a body that names isError is parsed: every successful result goes
// through untouched. (A member name written with escapes, \u0069sError,
// is caught by the second look, for an escape of one of its letters.)
func retryableToolError(contentType string, body []byte, codes []mcperr.Code) bool {
	if len(codes) == 0 || !mayHoldToolError(body) {
		return false
	}
	switch mediaType(contentType) {
	case "application/json":
		return retryableMessage(body, codes)
	case "text/event-stream":
		found := false
		sseEvents(body, func(data []byte) bool {
			found = mayHoldToolError(data) && retryableMessage(data, codes)
			return !found
		})
		return found
	}
	return false
}

// mayHoldToolError reports whether b may hold the member name isError:
// written out, or with some of its letters escaped. Other escapes, such as
// the \u003c that JSON encoders write for <, do not make a body parsed.
func mayHoldToolError(b []byte) bool {
	if bytes.Contains(b, []byte("isError")) {
		return true
	}
	for {
		i := bytes.Index(b, []byte(`\u`))
		if i < 0 || len(b) < i+6 {
			return false
		}
		if r, ok := hex4(b[i+2 : i+6]); ok && strings.ContainsRune("isEro", r) {
			return true
		}
		b = b[i+2:]
	}
}

// hex4 decodes the four hex digits of a \u escape.
func hex4(h []byte) (rune, bool) {
	var r rune
	for _, c := range h {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// mediaType returns the media type of a Content-Type value in lower case,
// without its parameters; mime.ParseMediaType's answer for the values a
// server writes, without its allocations.
func mediaType(contentType string) string {
	if i := strings.IndexByte(contentType, ';'); i >= 0 {
		contentType = contentType[:i]
	}
	contentType = strings.TrimSpace(contentType)
	for _, known := range [...]string{"application/json", "text/event-stream"} {
		if strings.EqualFold(contentType, known) {
			return known
		}
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt
}

// sseData returns the data of each event in an SSE stream, as sseEvents
// finds them.
func sseData(stream []byte) [][]byte {
	var events [][]byte
	sseEvents(stream, func(data []byte) bool {
		events = append(events, bytes.Clone(data))
		return true
	})
	return events
}

// sseEvents calls yield with the data of each event in an SSE stream: its
// data lines' values joined by LF, as the EventSource specification
// assembles them, until yield returns false. Lines end in CRLF, LF or CR.
// The data of an event with one data line is a slice of stream; it is
// valid only during the call.
func sseEvents(stream []byte, yield func(data []byte) bool) {
	var data, joined []byte
	lines, has := 0, false
	flush := func() bool {
		if !has {
			return true
		}
		d := data
		if lines > 1 {
			d = joined
		}
		data, joined, lines, has = nil, joined[:0], 0, false
		return yield(d)
	}
	for len(stream) > 0 {
		end := bytes.IndexAny(stream, "\r\n")
		var line []byte
		if end < 0 {
			line, stream = stream, nil
		} else {
			line = stream[:end]
			if stream[end] == '\r' && end+1 < len(stream) && stream[end+1] == '\n' {
				end++
			}
			stream = stream[end+1:]
		}
		if len(line) == 0 { // end of an event
			if !flush() {
				return
			}
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		if string(field) != "data" {
			continue
		}
		value = bytes.TrimPrefix(value, []byte(" "))
		switch lines++; lines {
		case 1:
			data = value
		case 2:
			joined = append(append(append(joined[:0], data...), '\n'), value...)
		default:
			joined = append(append(joined, '\n'), value...)
		}
		has = true
	}
	flush() // a stream cut off before its final blank line
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
