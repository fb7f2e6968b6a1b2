package server

import (
	"bytes"
	"errors"
	"mime"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mcpgen/mcpgen/runtime/internal/reqbody"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/typed"
)

// The JSON-RPC error codes the envelope reader answers with.
const (
	codeParseError     = -32700
	codeInvalidRequest = -32600
	codeMethodNotFound = -32601
	codeInvalidParams  = -32602
)

// maxIDMagnitude bounds a numeric id: the SDK reads ids as float64, so a
// wider integer would be answered with a different id than the one sent.
const maxIDMagnitude = 1<<53 - 1

// legacyRevisions are the MCP revisions that have JSON-RPC batches; they
// were removed in 2025-06-18.
var legacyRevisions = map[string]bool{"2024-11-05": true, "2025-03-26": true}

// methodFlags describe a client-to-server method the SDK serves.
type methodFlags uint8

const (
	isNotification methodFlags = 1 << iota
	paramsOptional
)

// servedMethods are the client-to-server methods the SDK (v1.8.0) serves:
// its serverMethodInfos. A request for any other method is answered -32601
// here, and a notification of any other method is dropped, as JSON-RPC says.
var servedMethods = map[string]methodFlags{
	"completion/complete":              0,
	"server/discover":                  paramsOptional,
	"initialize":                       0,
	"ping":                             paramsOptional,
	"prompts/list":                     paramsOptional,
	"prompts/get":                      0,
	"tools/list":                       paramsOptional,
	"tools/call":                       0,
	"resources/list":                   paramsOptional,
	"resources/templates/list":         paramsOptional,
	"resources/read":                   0,
	"logging/setLevel":                 0,
	"resources/subscribe":              0,
	"subscriptions/listen":             0,
	"resources/unsubscribe":            0,
	"notifications/cancelled":          isNotification | paramsOptional,
	"notifications/initialized":        isNotification | paramsOptional,
	"notifications/roots/list_changed": isNotification | paramsOptional,
	"notifications/progress":           isNotification,
}

// rpcError is a refusal: a JSON-RPC error and the id it answers.
type rpcError struct {
	code    int
	message string
	id      []byte // the id as JSON; nil is null
}

func refusal(code int, id []byte, message string) *rpcError {
	return &rpcError{code: code, message: message, id: id}
}

// appendJSON appends the JSON-RPC error response.
func (e *rpcError) appendJSON(b []byte) []byte {
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	if e.id == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, e.id...)
	}
	b = append(b, `,"error":{"code":`...)
	b = strconv.AppendInt(b, int64(e.code), 10)
	b = append(b, `,"message":`...)
	b = typed.AppendString(b, e.message)
	return append(b, "}}"...)
}

// verdict is what becomes of a message once read.
type verdict uint8

const (
	forward verdict = iota // hand it to the SDK
	ignore                 // drop it: a notification nobody serves, or an error response without id
	refuse                 // answer it with the error
)

// envelope is what the strict reader found in one message or batch.
type envelope struct {
	verdict verdict
	err     *rpcError // when refused
	// data is what to hand the SDK: the message as sent, byte for byte,
	// except for a batch whose ignored elements were left out.
	data  []byte
	batch bool
	// method and id of a single request ("" and nil otherwise).
	method string
	id     []byte
	// ids of the requests in a batch, as idKey gives them.
	batchIDs []string
}

// readEnvelope reads one JSON-RPC message, or a batch when batches are
// allowed, strictly: valid UTF-8, one JSON value and nothing after it, no
// duplicate member anywhere, only the members JSON-RPC defines, spelt as it
// spells them, and within the reader's limits (nesting 64, number literals
// 100 characters, 100,000 values). It reuses the runtime's strict reader.
func readEnvelope(data []byte, allowBatch bool) envelope {
	if !utf8.Valid(data) {
		return refused(refusal(codeParseError, nil, "parse error: the message is not valid UTF-8"))
	}
	text := bytes.Trim(data, " \t\r\n")
	if len(text) == 0 {
		return refused(refusal(codeParseError, nil, "parse error: empty message"))
	}
	r := typed.GetReader(data)
	defer typed.PutReader(r)
	root := r.Root()
	// First pass: syntax, nesting and trailing data only. Skip records
	// nothing else, so its one violation says why the reading stopped.
	r.Skip(root)
	r.End()
	if r.Failed() {
		msg := "malformed JSON"
		if list := r.Violations.List(); len(list) > 0 {
			msg = list[0].Message
		}
		if strings.HasPrefix(msg, "nested deeper than") {
			return refused(refusal(codeInvalidRequest, nil, "invalid request: "+msg))
		}
		return refused(refusal(codeParseError, nil, "parse error: "+msg))
	}
	// Second pass: the values, with duplicate members and the limits on
	// numbers and values recorded as violations. A message is read for
	// its checks only, and the reading says whether anything follows it;
	// a batch is read whole, since what passes of it may be written again.
	if text[0] == '{' {
		r.Reset(data)
		m, ok, last := readMessage(data, &r.Violations)
		switch {
		case ok && !last, !ok && !onlyValue(r, data):
			return trailingData()
		case !ok:
			return tooManyValues()
		}
		env := checkMessage(&m, r.Violations.List())
		env.data = data
		return env
	}
	if !onlyValue(r, data) {
		return trailingData()
	}
	if text[0] != '[' {
		return refused(refusal(codeInvalidRequest, nil, "invalid request: a message must be a JSON object, got "+jsonKind(text[0])))
	}
	if !allowBatch {
		return refused(refusal(codeInvalidRequest, nil, "invalid request: JSON-RPC batches are not part of MCP 2025-06-18 and later; send one message at a time"))
	}
	r.Reset(data)
	v, _ := r.Value(r.Root())
	if r.Failed() {
		return tooManyValues()
	}
	return checkBatch(data, &v, r.Violations.List())
}

// onlyValue reports whether data, which the syntax pass read, holds
// nothing after its one value. End takes a value cut short after the
// message ({…}" or {…}{"a":) for the end of the input. Skipping one more
// value tells them apart: at the end of the input there is none to skip.
func onlyValue(r *typed.Reader, data []byte) bool {
	r.Reset(data)
	r.Skip(r.Root())
	r.Skip(r.Root())
	list := r.Violations.List()
	return len(list) == 1 && list[0].Message == "malformed JSON: expected a JSON value"
}

func trailingData() envelope {
	return refused(refusal(codeParseError, nil, "parse error: unexpected data after the JSON value"))
}

func tooManyValues() envelope {
	return refused(refusal(codeInvalidRequest, nil, "invalid request: the message holds more than "+strconv.Itoa(typed.MaxValueNodes)+" JSON values"))
}

func refused(e *rpcError) envelope { return envelope{verdict: refuse, err: e} }

func jsonKind(c byte) string {
	switch c {
	case 'n':
		return kindPhrase[typed.Null]
	case 't', 'f':
		return kindPhrase[typed.Bool]
	case '"':
		return kindPhrase[typed.String]
	}
	return kindPhrase[typed.Number]
}

var kindPhrase = map[typed.ValueKind]string{
	typed.Null: "null", typed.Bool: "a boolean", typed.Number: "a number",
	typed.String: "a string", typed.Array: "an array", typed.Object: "an object",
}

// member names of a message; anything else is refused.
var messageMembers = map[string]bool{"jsonrpc": true, "id": true, "method": true, "params": true, "result": true, "error": true}

// checkMessage checks the shape of one message, read into m, whose reading
// recorded violations (pointers relative to the message).
func checkMessage(m *message, violations []mcperr.Violation) envelope {
	id, idOK, idProblem := readID(m, violations)
	echo := id
	if !idOK {
		echo = nil
	}
	bad := func(format string) envelope {
		return refused(refusal(codeInvalidRequest, echo, "invalid request: "+format))
	}

	if m.hasUnknown {
		hint := ""
		for known := range messageMembers {
			if strings.EqualFold(m.unknown, known) {
				hint = " (member names are case-sensitive)"
			}
		}
		return bad("unknown member " + quote(m.unknown) + hint)
	}
	for _, vi := range violations {
		if vi.Pointer == "/id" && vi.Message == "duplicate key" {
			return bad(`duplicate member "id"`)
		}
	}
	if idProblem != "" {
		return bad(idProblem)
	}
	if len(violations) > 0 {
		return bad(violations[0].Pointer + ": " + violations[0].Message)
	}
	if jv := m.jsonrpc; !jv.has {
		return bad(`missing member "jsonrpc"`)
	} else if jv.kind != typed.String || jv.text != "2.0" {
		return bad(`jsonrpc must be "2.0"`)
	}
	idValue, hasID := m.id, m.id.has
	params, hasParams := m.params, m.params.has
	result, hasResult := m.result, m.result.has
	errv, hasError := m.err, m.err.has
	mv, hasMethod := m.method, m.method.has

	if !hasMethod {
		if !hasResult && !hasError {
			return bad(`missing member "method"`)
		}
		// A response to a request the server sent.
		switch {
		case hasParams:
			return bad(`a response has no "params"`)
		case hasResult && hasError:
			return bad(`a response has "result" or "error", not both`)
		case !hasID:
			return bad("a response needs an id")
		case hasResult && result.kind != typed.Object:
			return bad("result must be an object")
		case hasResult && idValue.kind == typed.Null:
			return bad("a result needs an id that is not null")
		}
		if hasError {
			if errv.problem != "" {
				return bad(errv.problem)
			}
			if idValue.kind == typed.Null {
				return envelope{verdict: ignore} // answers nothing the server can match
			}
		}
		return envelope{verdict: forward}
	}

	if mv.kind != typed.String {
		return bad("method must be a string")
	}
	method := mv.text
	switch {
	case hasResult || hasError:
		return bad(`a request has no "result" or "error"`)
	case hasParams && params.kind != typed.Object:
		return bad("params must be an object")
	case hasParams && params.problem != "":
		return bad(params.problem)
	case hasID && idValue.kind == typed.Null:
		return bad("the id of a request must not be null")
	}
	flags, served := servedMethods[method]
	if hasID {
		switch {
		case !served:
			return refused(refusal(codeMethodNotFound, id, "method not found: "+quote(method)))
		case flags&isNotification != 0:
			return bad(method + " is a notification and has no id")
		case flags&paramsOptional == 0 && !hasParams:
			return refused(refusal(codeInvalidParams, id, "invalid params: "+method+" needs params"))
		}
		return envelope{verdict: forward, method: method, id: id}
	}
	switch {
	case !served:
		return envelope{verdict: ignore}
	case flags&isNotification == 0:
		return bad(method + " is a request and needs an id")
	case flags&paramsOptional == 0 && !hasParams:
		return refused(refusal(codeInvalidParams, nil, "invalid params: "+method+" needs params"))
	}
	return envelope{verdict: forward, method: method}
}

// foldCase maps each rune to the least rune of its Unicode simple case
// folding orbit, so that foldCase(a) == foldCase(b) exactly when
// strings.EqualFold(a, b).
func foldCase(s string) string {
	var b strings.Builder
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// escapePointer escapes a member name as a JSON pointer segment, cut to
// 64 bytes.
func escapePointer(s string) string {
	if len(s) > 64 {
		cut := 64
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// readID returns the message's id as JSON, whether it may be echoed, and
// what is wrong with it ("" if nothing). Ids are strings, integers of at
// most 2^53-1 in magnitude written as such (no fraction, exponent or -0),
// or null.
func readID(m *message, violations []mcperr.Violation) (id []byte, ok bool, problem string) {
	const shape = "id must be a string, an integer between -9007199254740991 and 9007199254740991, or null"
	for _, vi := range violations {
		if vi.Pointer == "/id" || strings.HasPrefix(vi.Pointer, "/id/") {
			if vi.Pointer == "/id" && vi.Message == "duplicate key" {
				return nil, false, "" // reported as a duplicate member
			}
			return nil, false, shape
		}
	}
	switch {
	case !m.id.has:
		return nil, false, ""
	case !m.idOK:
		return nil, false, shape
	}
	return m.idJSON, true, ""
}

// plainInteger reports whether lit is an integer literal without fraction or
// exponent, other than -0, of magnitude at most max.
func plainInteger(lit string, max uint64) bool {
	digits := strings.TrimPrefix(lit, "-")
	if digits == "" || len(digits) > 19 || digits == "0" && len(lit) > 1 {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	return err == nil && n <= max
}

// checkBatch checks each element of a batch as a message. A batch with a
// refused element is refused whole, with that element's error; notifications
// nobody serves are left out; the rest goes to the SDK as sent.
func checkBatch(data []byte, v *typed.Value, violations []mcperr.Violation) envelope {
	if len(v.Items) == 0 {
		return refused(refusal(codeInvalidRequest, nil, "invalid request: empty batch"))
	}
	b := envelope{verdict: forward, batch: true, data: data}
	seen := make(map[string]int)
	var kept []int
	for i := range v.Items {
		item := &v.Items[i]
		prefix := "/" + strconv.Itoa(i)
		var own []mcperr.Violation
		for _, vi := range violations {
			if vi.Pointer == prefix || strings.HasPrefix(vi.Pointer, prefix+"/") {
				vi.Pointer = vi.Pointer[len(prefix):]
				own = append(own, vi)
			}
		}
		element := "batch element " + strconv.Itoa(i) + ": "
		var m envelope
		if item.Kind != typed.Object {
			m = refused(refusal(codeInvalidRequest, nil, "invalid request: a message must be a JSON object, got "+kindPhrase[item.Kind]))
		} else {
			msg := messageOf(item)
			m = checkMessage(&msg, own)
		}
		switch m.verdict {
		case refuse:
			return refused(refusal(m.err.code, nil, element+m.err.message))
		case ignore:
			continue
		}
		kept = append(kept, i)
		if m.id == nil {
			continue
		}
		key := idKey(item)
		if j, dup := seen[key]; dup {
			return refused(refusal(codeInvalidRequest, nil, "invalid request: batch elements "+strconv.Itoa(j)+" and "+strconv.Itoa(i)+" have the same id"))
		}
		seen[key] = i
		b.batchIDs = append(b.batchIDs, key)
	}
	switch {
	case len(kept) == 0:
		return envelope{verdict: ignore}
	case len(kept) < len(v.Items):
		// Re-encoded from the values read: the same members in the same
		// order, numbers as sent.
		out := []byte{'['}
		for n, i := range kept {
			if n > 0 {
				out = append(out, ',')
			}
			out = v.Items[i].AppendJSON(out)
		}
		b.data = append(out, ']')
	}
	return b
}

// idKey identifies the id of a message read into v, by value: "s" and the
// string, or "n" and the integer literal; "" when it has none.
func idKey(v *typed.Value) string {
	iv, ok := v.Get("id")
	if !ok {
		return ""
	}
	switch iv.Kind {
	case typed.String:
		return "s" + iv.Text
	case typed.Number:
		return "n" + iv.Text
	}
	return ""
}

// quote quotes a name from the message for an error, cut to 64 bytes.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

// strictEnvelope reads the body of each POST strictly before the SDK does
// (readEnvelope), and answers what it refuses itself: HTTP 400 with the
// JSON-RPC error as the body (-32700 or -32600), or 200 for -32601, so that
// a client does not mistake an unknown method for a lost session (404).
// A notification nobody serves is accepted with 202 and dropped. A POST
// whose Content-Type is not application/json (charset, if given, utf-8), or
// that has a Content-Encoding, is refused with 415. What passes reaches the
// SDK byte for byte. Batches pass only when the request's
// MCP-Protocol-Version names a revision that has them (2025-03-26 or
// 2024-11-05). GET and DELETE pass through.
func strictEnvelope(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		if problem := contentTypeProblem(r.Header); problem != "" {
			writeRPCError(w, http.StatusUnsupportedMediaType, refusal(codeInvalidRequest, nil, "invalid request: "+problem))
			return
		}
		body, err := readBody(r)
		if err != nil {
			var status int
			var e *rpcError
			switch {
			case errors.Is(err, errBodyTooLarge):
				status, e = http.StatusRequestEntityTooLarge, refusal(codeInvalidRequest, nil, "invalid request: the body is larger than "+strconv.Itoa(MaxBodyBytes)+" bytes")
			case isTimeout(err):
				status, e = http.StatusRequestTimeout, refusal(codeInvalidRequest, nil, "invalid request: the body did not arrive in time (MCP_HTTP_BODY_TIMEOUT)")
				w.Header().Set("Connection", "close")
			default:
				status, e = http.StatusBadRequest, refusal(codeParseError, nil, "parse error: the body could not be read")
			}
			writeRPCError(w, status, e)
			return
		}
		env := readEnvelope(body, legacyRevisions[r.Header.Get("Mcp-Protocol-Version")])
		switch env.verdict {
		case refuse:
			status := http.StatusBadRequest
			if env.err.code == codeMethodNotFound {
				status = http.StatusOK
			}
			writeRPCError(w, status, env.err)
			return
		case ignore:
			w.WriteHeader(http.StatusAccepted)
			return
		}
		f := new(forwarded)
		f.req = *r
		f.body.Reset(env.data)
		f.req.Body = &f.body
		f.req.ContentLength = int64(len(env.data))
		f.req.GetBody = nil
		next.ServeHTTP(w, &f.req)
	})
}

// forwarded is the request the strict reader hands on with the body it
// read, in one allocation.
type forwarded struct {
	req  http.Request
	body bytesBody
}

// bytesBody is a request body read into memory.
type bytesBody struct{ bytes.Reader }

func (*bytesBody) Close() error { return nil }

// contentTypeProblem says what is wrong with a POST's content headers.
func contentTypeProblem(h http.Header) string {
	types := h.Values("Content-Type")
	if len(types) != 1 {
		if len(types) == 0 {
			return "Content-Type must be application/json, got none"
		}
		return "Content-Type must be given once"
	}
	if types[0] != "application/json" { // what clients send, without parsing
		mt, params, err := mime.ParseMediaType(types[0])
		if err != nil || mt != "application/json" {
			return "Content-Type must be application/json, got " + quote(types[0])
		}
		for k, v := range params {
			if k != "charset" || !strings.EqualFold(v, "utf-8") {
				return "Content-Type must be application/json, got " + quote(types[0])
			}
		}
	}
	if enc := h.Values("Content-Encoding"); len(enc) > 0 && !(len(enc) == 1 && strings.EqualFold(enc[0], "identity")) {
		return "Content-Encoding is not supported, got " + quote(strings.Join(enc, ", "))
	}
	return ""
}

var errBodyTooLarge = errors.New("body too large")

// readBody reads a request body to its end, at most MaxBodyBytes of it,
// into a buffer of the declared Content-Length (and the byte that finds the
// end), so that a body whose length is declared is read with one
// allocation of its size. A body a security layer already holds in memory
// (the signature check's) is taken as it is, not copied.
func readBody(r *http.Request) ([]byte, error) {
	if body, ok := reqbody.Held(r.Body); ok {
		return body, nil // read behind limitBody, so within MaxBodyBytes
	}
	buf, err := reqbody.ReadAtMost(r.Body, r.ContentLength, MaxBodyBytes+1)
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return nil, errBodyTooLarge
	}
	if err != nil {
		return nil, err
	}
	if len(buf) > MaxBodyBytes {
		return nil, errBodyTooLarge
	}
	return buf, nil
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

// writeRPCError answers an HTTP request with a JSON-RPC error.
func writeRPCError(w http.ResponseWriter, status int, e *rpcError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(e.appendJSON(nil))
}
