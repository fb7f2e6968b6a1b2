// Package audit writes security and audit events as JSON lines, one object
// per event, each stamped with its class and the number of days the class is
// kept.
//
// Events are typed: their fields are identifiers, names, codes, sizes and
// durations, never a request or response body, a credential or a signature.
// The few free-form fields (reasons, details, configuration values, URLs)
// pass through a Redactor (a *redact.Redactor) before they are written.
//
// Who imports it: runtime/security, which writes an event for every
// refused request and every finished tool call (Logger.Record); a server's
// main names it only to pass its own Sink. Events carry the seed's field
// names: event_type, severity, client_id, tool.
package audit

import (
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

// Class is an audit class; it decides how long events are kept.
type Class string

// The audit classes and, in RetentionDays, their retention from the seed's
// policy table.
const (
	ClassToolExecution  Class = "tool_execution"  // 90 days
	ClassDataAccess     Class = "data_access"     // 365 days
	ClassSecurityEvents Class = "security_events" // 2555 days (7 years)
	ClassConfigChanges  Class = "config_changes"  // 2555 days (7 years)
	ClassAuthEvents     Class = "auth_events"     // 365 days
)

var retention = map[Class]int{
	ClassToolExecution:  90,
	ClassDataAccess:     365,
	ClassSecurityEvents: 2555,
	ClassConfigChanges:  2555,
	ClassAuthEvents:     365,
}

// RetentionDays returns how many days events of class c are kept, or 0 for a
// class outside the table.
func (c Class) RetentionDays() int { return retention[c] }

// SecurityType names a kind of security event.
type SecurityType string

// The security event types. AuthFailure and InsufficientScope events
// belong to ClassAuthEvents, the others to ClassSecurityEvents.
// They are the event names the refusing layers pass to their OnReject
// hooks (runtime/security/internal/event holds them for those layers).
const (
	AuthFailure         SecurityType = "auth_failure"         // missing, malformed or wrong credentials
	StaleTimestamp      SecurityType = "stale_timestamp"      // a signed request outside the ±300 s window
	Replay              SecurityType = "replay"               // a nonce used before
	RateLimit           SecurityType = "rate_limit"           // a client or a tool call over its limit
	SSRFBlocked         SecurityType = "ssrf_blocked"         // an outbound URL or address refused
	InputValidation     SecurityType = "input_validation"     // malformed arguments or headers
	PayloadTooLarge     SecurityType = "payload_too_large"    // a body or arguments over the cap
	IdempotencyConflict SecurityType = "idempotency_conflict" // an Idempotency-Key reused, or still running
	InsufficientScope   SecurityType = "insufficient_scope"   // an OAuth access token without a scope the call needs
)

// Severity returns the event type's severity, as the seed grades them:
// blocked SSRF is "critical"; failed authentication, replays and stale
// timestamps (a replay from outside the window) "high"; the rest
// "medium".
func (t SecurityType) Severity() string {
	switch t {
	case SSRFBlocked:
		return "critical"
	case AuthFailure, Replay, StaleTimestamp:
		return "high"
	}
	return "medium"
}

// Class returns the audit class of the event type's events:
// ClassAuthEvents for AuthFailure and InsufficientScope,
// ClassSecurityEvents for the others.
func (t SecurityType) Class() Class {
	if t == AuthFailure || t == InsufficientScope {
		return ClassAuthEvents
	}
	return ClassSecurityEvents
}

// Sink receives events, each as one JSON object followed by a newline. It
// must be safe for concurrent use.
type Sink interface {
	WriteEvent(line []byte) error
}

// NewWriterSink returns a Sink that writes each event to w with a single
// Write call, one at a time, so lines from concurrent events never
// interleave.
func NewWriterSink(w io.Writer) Sink { return &writerSink{w: w} }

type writerSink struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *writerSink) WriteEvent(line []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.w.Write(line)
	return err
}

// Redactor redacts the free-form fields of events. A *redact.Redactor is
// one, and runtime/security passes one that knows every tool's x-sensitive
// fields.
type Redactor interface {
	// String returns s with the secrets inside it replaced.
	String(s string) string
	// Any returns a copy of v (maps, slices, strings) with secrets
	// replaced, by key and by pattern.
	Any(v any) any
	// SensitiveKey reports whether a value under key is a secret.
	SensitiveKey(key string) bool
}

// Options configures a Logger.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Redactor redacts reasons, URLs, details and configuration values.
	// When nil, every such field is written as "[REDACTED]": an event
	// loses its free text rather than risk a secret.
	Redactor Redactor
	// OnError is told when Record cannot write an event; nil logs the
	// failure with slog.Default. (The other methods return the error.)
	OnError func(error)
}

// Logger writes audit and security events to a Sink. It is safe for
// concurrent use.
type Logger struct {
	sink    Sink
	now     func() time.Time
	redact  Redactor
	onError func(error)
}

// New returns a Logger writing to sink.
func New(sink Sink, opts Options) *Logger {
	l := &Logger{sink: sink, now: opts.Now, redact: opts.Redactor, onError: opts.OnError}
	if l.redact == nil {
		l.redact = redactAll{}
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.onError == nil {
		l.onError = func(err error) { slog.Default().Error("audit event not written", "err", err) }
	}
	return l
}

// redactAll is the Redactor of a Logger given none: every free-form value
// is a secret.
type redactAll struct{}

func (redactAll) String(s string) string {
	if s == "" {
		return ""
	}
	return placeholder
}

func (redactAll) Any(v any) any {
	if m, ok := v.(map[string]any); ok {
		out := make(map[string]any, len(m))
		for k := range m {
			out[k] = placeholder
		}
		return out
	}
	return placeholder
}

func (redactAll) SensitiveKey(string) bool { return true }

// placeholder is what a redacted value is written as (redact.Placeholder).
const placeholder = "[REDACTED]"

// header opens every line: when, which class, how long it is kept, and what
// happened (event_type, the seed's name for it).
type header struct {
	Time          string `json:"time"`
	Class         Class  `json:"class"`
	RetentionDays int    `json:"retention_days"`
	EventType     string `json:"event_type"`
}

func (l *Logger) header(class Class, eventType string) header {
	return header{
		Time:          l.now().UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		Class:         class,
		RetentionDays: class.RetentionDays(),
		EventType:     eventType,
	}
}

func (l *Logger) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return l.sink.WriteEvent(append(b, '\n'))
}

// ToolExecution is the audit record of one tool call.
type ToolExecution struct {
	CorrelationID   string
	ClientID        string
	Tool            string
	Class           Class  // the tool's x-audit class; "" means ClassToolExecution
	Status          string // "ok", or the error code the client was sent
	Duration        time.Duration
	InputSizeBytes  int
	OutputSizeBytes int
}

// ToolExecution writes the record of a tool call:
//
//	{"time":…,"class":"tool_execution","retention_days":90,"event_type":"tool_execution","corr_id":…,"client_id":…,"tool":…,"status":"ok","duration_ms":12.5,"input_size_bytes":…,"output_size_bytes":…}
//
// It is written once per call, so it is encoded by hand, into a pooled
// buffer for the Sink of NewWriterSink (which keeps nothing), byte for
// byte as encoding/json writes it.
func (l *Logger) ToolExecution(e ToolExecution) error {
	class := e.Class
	if class == "" {
		class = ClassToolExecution
	}
	var buf *[]byte
	var b []byte
	if _, ok := l.sink.(*writerSink); ok {
		buf = linePool.Get().(*[]byte)
		b = (*buf)[:0]
	} else {
		b = make([]byte, 0, 256)
	}
	b = append(b, `{"time":"`...)
	b = l.now().UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	b = append(b, `","class":`...)
	b = appendString(b, string(class))
	b = append(b, `,"retention_days":`...)
	b = strconv.AppendInt(b, int64(class.RetentionDays()), 10)
	b = append(b, `,"event_type":"tool_execution","corr_id":`...)
	b = appendString(b, e.CorrelationID)
	b = append(b, `,"client_id":`...)
	b = appendString(b, e.ClientID)
	b = append(b, `,"tool":`...)
	b = appendString(b, e.Tool)
	b = append(b, `,"status":`...)
	b = appendString(b, e.Status)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, float64(e.Duration.Microseconds())/1000, 'f', -1, 64) // below 1e21 ms, as encoding/json writes it
	b = append(b, `,"input_size_bytes":`...)
	b = strconv.AppendInt(b, int64(e.InputSizeBytes), 10)
	b = append(b, `,"output_size_bytes":`...)
	b = strconv.AppendInt(b, int64(e.OutputSizeBytes), 10)
	b = append(b, "}\n"...)
	err := l.sink.WriteEvent(b)
	if buf != nil && cap(b) <= 4<<10 {
		*buf = b
		linePool.Put(buf)
	}
	return err
}

// linePool holds the buffers of ToolExecution lines.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// appendString appends s as a JSON string, as encoding/json writes it:
// HTML-safe (<, >, & escaped), invalid UTF-8 as U+FFFD, U+2028 and U+2029
// escaped.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// DataAccess is the audit record of a read or write of stored data.
type DataAccess struct {
	CorrelationID string
	ClientID      string
	Resource      string // what was accessed, such as "shared_state/portfolio"
	Action        string // such as "read", "write", "delete"
}

// DataAccess writes a data-access record (class data_access, 365 days).
func (l *Logger) DataAccess(e DataAccess) error {
	return l.write(struct {
		header
		CorrID   string `json:"corr_id,omitempty"`
		ClientID string `json:"client_id"`
		Resource string `json:"resource"`
		Action   string `json:"action"`
	}{l.header(ClassDataAccess, "data_access"), e.CorrelationID, e.ClientID, l.redact.String(e.Resource), e.Action})
}

// ConfigChange is the audit record of a changed setting.
type ConfigChange struct {
	Setting   string // such as "MCP_HTTP_ADDR"
	OldValue  string
	NewValue  string
	ChangedBy string // who or what changed it: a user, "env", "reload"
}

// ConfigChange writes a configuration-change record (class config_changes,
// 2555 days). The values of a sensitive setting (AUTH_TOKEN,
// API_KEY_HMAC_SECRET…) are written as "[REDACTED]"; other values have
// secrets inside them (URL passwords, tokens) redacted.
func (l *Logger) ConfigChange(e ConfigChange) error {
	oldValue, newValue := l.redact.String(e.OldValue), l.redact.String(e.NewValue)
	if l.redact.SensitiveKey(e.Setting) {
		oldValue, newValue = placeholder, placeholder
	}
	return l.write(struct {
		header
		Setting   string `json:"setting"`
		OldValue  string `json:"old_value"`
		NewValue  string `json:"new_value"`
		ChangedBy string `json:"changed_by"`
	}{l.header(ClassConfigChanges, "config_change"), e.Setting, oldValue, newValue, e.ChangedBy})
}

// Security is a security event: a request refused for a security reason.
type Security struct {
	Type          SecurityType
	CorrelationID string
	ClientID      string
	ClientIP      string
	Tool          string
	Code          mcperr.Code    // the error code the client was sent, if any
	Reason        string         // free text; redacted
	URL           string         // for SSRFBlocked, the refused URL; redacted
	Details       map[string]any // free-form; redacted
}

// Security writes a security event: class security_events (2555 days), or
// auth_events (365 days) for AuthFailure, with the type's Severity.
func (l *Logger) Security(e Security) error {
	var details map[string]any
	if len(e.Details) > 0 {
		details = l.redact.Any(e.Details).(map[string]any)
	}
	return l.write(struct {
		header
		Severity string         `json:"severity"`
		CorrID   string         `json:"corr_id,omitempty"`
		ClientID string         `json:"client_id,omitempty"`
		ClientIP string         `json:"client_ip,omitempty"`
		Tool     string         `json:"tool,omitempty"`
		Code     mcperr.Code    `json:"code,omitempty"`
		Reason   string         `json:"reason,omitempty"`
		URL      string         `json:"url,omitempty"`
		Details  map[string]any `json:"details,omitempty"`
	}{l.header(e.Type.Class(), string(e.Type)), e.Type.Severity(), e.CorrelationID, e.ClientID, e.ClientIP, e.Tool,
		e.Code, l.redact.String(e.Reason), l.redact.String(e.URL), details})
}

// securityTypes maps the codes whose failures are security events to the
// event they are.
var securityTypes = map[mcperr.Code]SecurityType{
	mcperr.CodeInvalidArgs:         InputValidation,
	mcperr.CodeUnauthorized:        AuthFailure,
	mcperr.CodeIdempotencyConflict: IdempotencyConflict,
	mcperr.CodeRateLimitExceeded:   RateLimit,
	mcperr.CodeInvalidSymbol:       InputValidation,
	mcperr.CodeSSRFBlocked:         SSRFBlocked,
	mcperr.CodePayloadTooLarge:     PayloadTooLarge,
}

// scopeError reports whether e is the refusal of a call whose OAuth access
// token lacks a scope the tool needs: MCP-002 with details "error":
// "insufficient_scope", as runtime/security/auth.ScopeError makes it.
func scopeError(e *mcperr.Error) bool {
	return e.Code == mcperr.CodeUnauthorized && e.Details["error"] == string(InsufficientScope)
}

// Call is one finished tool call, as Record writes it.
type Call struct {
	Tool          string
	Class         Class // the tool's x-audit class; "" means ClassToolExecution
	CorrelationID string
	ClientID      string
	// Err is what the client was sent when the call failed (refused,
	// invalid, failed in the handler), nil when it succeeded.
	Err         *mcperr.Error
	Duration    time.Duration
	ArgsBytes   int
	OutputBytes int
}

// Record writes the events of a finished tool call. Every call gives a
// tool_execution record in the tool's audit class; a call refused with a
// security code (MCP-001, 002, 005, 006, 015, 016, 017) gives a security
// event as well, whose details list the pointers and keywords of the
// failed checks but not their messages, which may quote the input; a call
// refused for an OAuth scope (MCP-002 with details "error":
// "insufficient_scope") is an InsufficientScope event with the required
// and missing scopes. A sink that fails is told to Options.OnError.
func (l *Logger) Record(call Call) {
	status := "ok"
	if call.Err != nil {
		status = string(call.Err.Code)
	}
	err := l.ToolExecution(ToolExecution{
		CorrelationID:   call.CorrelationID,
		ClientID:        call.ClientID,
		Tool:            call.Tool,
		Class:           call.Class,
		Status:          status,
		Duration:        call.Duration,
		InputSizeBytes:  call.ArgsBytes,
		OutputSizeBytes: call.OutputBytes,
	})
	if err != nil {
		l.onError(err)
	}
	if call.Err == nil || !call.Err.Code.SecurityEvent() {
		return
	}
	typ, ok := securityTypes[call.Err.Code]
	if !ok {
		typ = SecurityType(call.Err.Code.Name())
	}
	var details map[string]any
	if scopeError(call.Err) {
		// An OAuth token without a scope the tool needs (auth.ScopeError):
		// scopes are names, never secrets.
		typ = InsufficientScope
		details = map[string]any{"required_scopes": call.Err.Details["required_scopes"], "missing_scopes": call.Err.Details["missing_scopes"]}
	}
	if len(call.Err.Violations) > 0 {
		checks := make([]any, len(call.Err.Violations))
		for i, v := range call.Err.Violations {
			checks[i] = map[string]any{"pointer": v.Pointer, "keyword": v.Keyword}
		}
		details = map[string]any{"violations": checks}
	}
	err = l.Security(Security{
		Type:          typ,
		CorrelationID: call.CorrelationID,
		ClientID:      call.ClientID,
		Tool:          call.Tool,
		Code:          call.Err.Code,
		Reason:        call.Err.Message,
		Details:       details,
	})
	if err != nil {
		l.onError(err)
	}
}
