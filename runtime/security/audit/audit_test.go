package audit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/mcpgen/mcpgen/runtime/security/audit"
	"github.com/mcpgen/mcpgen/runtime/security/internal/event"
	"github.com/mcpgen/mcpgen/runtime/security/redact"
)

// clock is a fixed time in a zone other than UTC, to show that events are
// stamped in UTC.
func clock() time.Time {
	return time.Date(2025, 3, 14, 16, 30, 5, 123456789, time.FixedZone("CET", 3600))
}

func newLogger(buf *bytes.Buffer) *audit.Logger {
	return audit.New(audit.NewWriterSink(buf), audit.Options{Now: clock, Redactor: redact.New(redact.Options{SensitiveKeys: []string{"/account/iban"}})})
}

func lines(buf *bytes.Buffer) []string {
	return strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
}

func TestEvents(t *testing.T) {
	tests := []struct {
		name  string
		write func(*audit.Logger) error
		want  string
	}{
		{"tool execution",
			func(l *audit.Logger) error {
				return l.ToolExecution(audit.ToolExecution{CorrelationID: "c1", ClientID: "hmac:k1", Tool: "features.ohlcv_window",
					Status: "ok", Duration: 12500 * time.Microsecond, InputSizeBytes: 120, OutputSizeBytes: 4096})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"tool_execution","retention_days":90,"event_type":"tool_execution","corr_id":"c1","client_id":"hmac:k1","tool":"features.ohlcv_window","status":"ok","duration_ms":12.5,"input_size_bytes":120,"output_size_bytes":4096}`},
		{"tool execution in the data_access class",
			func(l *audit.Logger) error {
				return l.ToolExecution(audit.ToolExecution{CorrelationID: "c2", ClientID: "stdio", Tool: "storage.shared_state.get",
					Class: audit.ClassDataAccess, Status: "MCP-013", Duration: 300 * time.Microsecond, InputSizeBytes: 30})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"data_access","retention_days":365,"event_type":"tool_execution","corr_id":"c2","client_id":"stdio","tool":"storage.shared_state.get","status":"MCP-013","duration_ms":0.3,"input_size_bytes":30,"output_size_bytes":0}`},
		{"data access",
			func(l *audit.Logger) error {
				return l.DataAccess(audit.DataAccess{CorrelationID: "c3", ClientID: "bearer:9f2c", Resource: "shared_state/portfolio", Action: "write"})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"data_access","retention_days":365,"event_type":"data_access","corr_id":"c3","client_id":"bearer:9f2c","resource":"shared_state/portfolio","action":"write"}`},
		{"config change of a secret",
			func(l *audit.Logger) error {
				return l.ConfigChange(audit.ConfigChange{Setting: "AUTH_TOKEN", OldValue: "old-token", NewValue: "new-token", ChangedBy: "ops@example.com"})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"config_changes","retention_days":2555,"event_type":"config_change","setting":"AUTH_TOKEN","old_value":"[REDACTED]","new_value":"[REDACTED]","changed_by":"ops@example.com"}`},
		{"config change with a secret inside",
			func(l *audit.Logger) error {
				return l.ConfigChange(audit.ConfigChange{Setting: "REDIS_URL", OldValue: "redis://127.0.0.1:6379/0",
					NewValue: "redis://default:pw@cache.example.com:6379/0", ChangedBy: "reload"})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"config_changes","retention_days":2555,"event_type":"config_change","setting":"REDIS_URL","old_value":"redis://127.0.0.1:6379/0","new_value":"redis://[REDACTED]@cache.example.com:6379/0","changed_by":"reload"}`},
		{"auth failure",
			func(l *audit.Logger) error {
				return l.Security(audit.Security{Type: audit.AuthFailure, ClientIP: "203.0.113.7", Code: mcperr.CodeUnauthorized,
					Reason: "signature does not match", Details: map[string]any{"key_id": "k1", "signature": "9b1f…", "Authorization": "Bearer abc"}})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"auth_events","retention_days":365,"event_type":"auth_failure","severity":"high","client_ip":"203.0.113.7","code":"MCP-002","reason":"signature does not match","details":{"Authorization":"[REDACTED]","key_id":"k1","signature":"[REDACTED]"}}`},
		{"replay",
			func(l *audit.Logger) error {
				return l.Security(audit.Security{Type: audit.Replay, ClientID: "hmac:k1", Code: mcperr.CodeUnauthorized, Reason: "nonce already used"})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"security_events","retention_days":2555,"event_type":"replay","severity":"high","client_id":"hmac:k1","code":"MCP-002","reason":"nonce already used"}`},
		{"stale timestamp",
			func(l *audit.Logger) error {
				return l.Security(audit.Security{Type: audit.StaleTimestamp, ClientIP: "203.0.113.7", Code: mcperr.CodeUnauthorized,
					Reason: "X-Timestamp is 301 s behind the server's clock"})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"security_events","retention_days":2555,"event_type":"stale_timestamp","severity":"high","client_ip":"203.0.113.7","code":"MCP-002","reason":"X-Timestamp is 301 s behind the server's clock"}`},
		{"rate limit",
			func(l *audit.Logger) error {
				return l.Security(audit.Security{Type: audit.RateLimit, ClientID: "c", Tool: "execution.sim_quote", Code: mcperr.CodeRateLimitExceeded,
					Details: map[string]any{"limit": 200, "window_s": 60}})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"security_events","retention_days":2555,"event_type":"rate_limit","severity":"medium","client_id":"c","tool":"execution.sim_quote","code":"MCP-006","details":{"limit":200,"window_s":60}}`},
		{"ssrf blocked",
			func(l *audit.Logger) error {
				return l.Security(audit.Security{Type: audit.SSRFBlocked, CorrelationID: "c4", ClientID: "c", Tool: "fetch", Code: mcperr.CodeSSRFBlocked,
					Reason: "address 169.254.169.254 is in blocked range 169.254.0.0/16 (link-local, cloud metadata)",
					URL:    "http://admin:pw@169.254.169.254/latest?token=abc&x=1"})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"security_events","retention_days":2555,"event_type":"ssrf_blocked","severity":"critical","corr_id":"c4","client_id":"c","tool":"fetch","code":"MCP-016","reason":"address 169.254.169.254 is in blocked range 169.254.0.0/16 (link-local, cloud metadata)","url":"http://[REDACTED]@169.254.169.254/latest?token=[REDACTED]\u0026x=1"}`},
		{"input validation",
			func(l *audit.Logger) error {
				return l.Security(audit.Security{Type: audit.InputValidation, Tool: "risk.position_limits_check", Code: mcperr.CodeInvalidArgs,
					Details: map[string]any{"iban": "DE89", "pointer": "/qty"}})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"security_events","retention_days":2555,"event_type":"input_validation","severity":"medium","tool":"risk.position_limits_check","code":"MCP-001","details":{"iban":"[REDACTED]","pointer":"/qty"}}`},
		{"payload too large",
			func(l *audit.Logger) error {
				return l.Security(audit.Security{Type: audit.PayloadTooLarge, ClientIP: "198.51.100.2", Code: mcperr.CodePayloadTooLarge,
					Reason: "request body exceeds 10485760 bytes"})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"security_events","retention_days":2555,"event_type":"payload_too_large","severity":"medium","client_ip":"198.51.100.2","code":"MCP-017","reason":"request body exceeds 10485760 bytes"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.write(newLogger(&buf)); err != nil {
				t.Fatal(err)
			}
			if got := lines(&buf); len(got) != 1 || got[0] != tt.want {
				t.Errorf("\n got: %s\nwant: %s", buf.String(), tt.want)
			}
		})
	}
}

func TestRecord(t *testing.T) {
	quote := audit.Call{Tool: "execution.sim_quote", ClientID: "hmac:k1"}
	state := audit.Call{Tool: "storage.shared_state.set", Class: audit.ClassDataAccess, ClientID: "hmac:k1"}
	call := func(c audit.Call, edit func(*audit.Call)) audit.Call { edit(&c); return c }
	tests := []struct {
		name string
		call audit.Call
		want []string
	}{
		{"success",
			call(quote, func(c *audit.Call) {
				c.CorrelationID, c.Duration, c.ArgsBytes, c.OutputBytes = "c1", 2*time.Millisecond, 80, 200
			}),
			[]string{`{"time":"2025-03-14T15:30:05.123Z","class":"tool_execution","retention_days":90,"event_type":"tool_execution","corr_id":"c1","client_id":"hmac:k1","tool":"execution.sim_quote","status":"ok","duration_ms":2,"input_size_bytes":80,"output_size_bytes":200}`}},
		{"business failure is not a security event",
			call(quote, func(c *audit.Call) {
				c.CorrelationID, c.Err, c.ArgsBytes = "c2", mcperr.Errorf(mcperr.CodeInsufficientLiquidity, "not enough depth"), 80
			}),
			[]string{`{"time":"2025-03-14T15:30:05.123Z","class":"tool_execution","retention_days":90,"event_type":"tool_execution","corr_id":"c2","client_id":"hmac:k1","tool":"execution.sim_quote","status":"MCP-012","duration_ms":0,"input_size_bytes":80,"output_size_bytes":0}`}},
		{"validation failure in the tool's audit class",
			call(state, func(c *audit.Call) {
				c.CorrelationID, c.ArgsBytes, c.Err = "c3", 64, &mcperr.Error{
					Code: mcperr.CodeInvalidArgs, Message: "arguments: 1 violation",
					Violations: []mcperr.Violation{{Pointer: "/value", Keyword: "maxLength", Message: `"hunter2-and-more" is longer than 8`}}}
			}),
			[]string{
				`{"time":"2025-03-14T15:30:05.123Z","class":"data_access","retention_days":365,"event_type":"tool_execution","corr_id":"c3","client_id":"hmac:k1","tool":"storage.shared_state.set","status":"MCP-001","duration_ms":0,"input_size_bytes":64,"output_size_bytes":0}`,
				`{"time":"2025-03-14T15:30:05.123Z","class":"security_events","retention_days":2555,"event_type":"input_validation","severity":"medium","corr_id":"c3","client_id":"hmac:k1","tool":"storage.shared_state.set","code":"MCP-001","reason":"arguments: 1 violation","details":{"violations":[{"keyword":"maxLength","pointer":"/value"}]}}`,
			}},
		{"outbound URL blocked",
			call(quote, func(c *audit.Call) {
				c.CorrelationID, c.ArgsBytes, c.Err = "c4", 90, mcperr.Errorf(mcperr.CodeSSRFBlocked,
					"connection to api.example.com blocked: 127.0.0.1 is in blocked range 127.0.0.0/8 (loopback)")
			}),
			[]string{
				`{"time":"2025-03-14T15:30:05.123Z","class":"tool_execution","retention_days":90,"event_type":"tool_execution","corr_id":"c4","client_id":"hmac:k1","tool":"execution.sim_quote","status":"MCP-016","duration_ms":0,"input_size_bytes":90,"output_size_bytes":0}`,
				`{"time":"2025-03-14T15:30:05.123Z","class":"security_events","retention_days":2555,"event_type":"ssrf_blocked","severity":"critical","corr_id":"c4","client_id":"hmac:k1","tool":"execution.sim_quote","code":"MCP-016","reason":"connection to api.example.com blocked: 127.0.0.1 is in blocked range 127.0.0.0/8 (loopback)"}`,
			}},
		{"per-tool rate limit",
			call(quote, func(c *audit.Call) {
				c.CorrelationID, c.ArgsBytes, c.Err = "c5", 10, mcperr.Errorf(mcperr.CodeRateLimitExceeded, "rate limit exceeded")
			}),
			[]string{
				`{"time":"2025-03-14T15:30:05.123Z","class":"tool_execution","retention_days":90,"event_type":"tool_execution","corr_id":"c5","client_id":"hmac:k1","tool":"execution.sim_quote","status":"MCP-006","duration_ms":0,"input_size_bytes":10,"output_size_bytes":0}`,
				`{"time":"2025-03-14T15:30:05.123Z","class":"security_events","retention_days":2555,"event_type":"rate_limit","severity":"medium","corr_id":"c5","client_id":"hmac:k1","tool":"execution.sim_quote","code":"MCP-006","reason":"rate limit exceeded"}`,
			}},
		{"OAuth token without the tool's scope",
			call(state, func(c *audit.Call) {
				c.ClientID, c.CorrelationID, c.Err = "oauth/alice", "c6", &mcperr.Error{
					Code: mcperr.CodeUnauthorized, Message: "the access token lacks the scope the tool storage.shared_state.set needs: state:write",
					Details: map[string]any{"error": "insufficient_scope", "scope": "state:write", "required_scopes": []string{"state:write"}, "missing_scopes": []string{"state:write"}}}
			}),
			[]string{
				`{"time":"2025-03-14T15:30:05.123Z","class":"data_access","retention_days":365,"event_type":"tool_execution","corr_id":"c6","client_id":"oauth/alice","tool":"storage.shared_state.set","status":"MCP-002","duration_ms":0,"input_size_bytes":0,"output_size_bytes":0}`,
				`{"time":"2025-03-14T15:30:05.123Z","class":"auth_events","retention_days":365,"event_type":"insufficient_scope","severity":"medium","corr_id":"c6","client_id":"oauth/alice","tool":"storage.shared_state.set","code":"MCP-002","reason":"the access token lacks the scope the tool storage.shared_state.set needs: state:write","details":{"missing_scopes":["state:write"],"required_scopes":["state:write"]}}`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			newLogger(&buf).Record(tt.call)
			got := lines(&buf)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if strings.Contains(buf.String(), "hunter2") {
				t.Error("a violation message reached the audit log")
			}
		})
	}
}

func TestRetentionDays(t *testing.T) {
	want := map[audit.Class]int{
		audit.ClassToolExecution: 90, audit.ClassDataAccess: 365, audit.ClassSecurityEvents: 2555,
		audit.ClassConfigChanges: 2555, audit.ClassAuthEvents: 365, "other": 0,
	}
	for c, days := range want {
		if got := c.RetentionDays(); got != days {
			t.Errorf("%s.RetentionDays() = %d, want %d", c, got, days)
		}
	}
}

// TestConcurrentWritesStayWhole writes from many goroutines through one
// writer sink: every line must be one whole JSON object.
func TestConcurrentWritesStayWhole(t *testing.T) {
	var buf bytes.Buffer
	l := newLogger(&buf)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				l.ToolExecution(audit.ToolExecution{Tool: "t", ClientID: strings.Repeat("x", g*100+i), Status: "ok"})
			}
		}()
	}
	wg.Wait()
	got := lines(&buf)
	if len(got) != 400 {
		t.Fatalf("%d lines, want 400", len(got))
	}
	for _, line := range got {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("line is not a JSON object: %v\n%s", err, line)
		}
	}
}

type failingSink struct{}

func (failingSink) WriteEvent([]byte) error { return errors.New("disk full") }

func TestSinkErrors(t *testing.T) {
	var reported []string
	l := audit.New(failingSink{}, audit.Options{Now: clock, OnError: func(err error) { reported = append(reported, err.Error()) }})
	if err := l.DataAccess(audit.DataAccess{}); err == nil || err.Error() != "disk full" {
		t.Errorf("DataAccess returned %v, want disk full", err)
	}
	l.Record(audit.Call{Tool: "t", Err: mcperr.Errorf(mcperr.CodeUnauthorized, "no")})
	if strings.Join(reported, ",") != "disk full,disk full" {
		t.Errorf("OnError got %q, want both Record events reported", reported)
	}
}

// Each type's class and severity, and the names the refusing layers pass
// are these types.
func TestSecurityTypes(t *testing.T) {
	for _, tt := range []struct {
		typ      audit.SecurityType
		layers   string // the name in runtime/security/internal/event
		class    audit.Class
		severity string
	}{
		{audit.AuthFailure, event.AuthFailure, audit.ClassAuthEvents, "high"},
		{audit.StaleTimestamp, event.StaleTimestamp, audit.ClassSecurityEvents, "high"},
		{audit.Replay, event.Replay, audit.ClassSecurityEvents, "high"},
		{audit.RateLimit, event.RateLimit, audit.ClassSecurityEvents, "medium"},
		{audit.PayloadTooLarge, event.PayloadTooLarge, audit.ClassSecurityEvents, "medium"},
		{audit.IdempotencyConflict, event.IdempotencyConflict, audit.ClassSecurityEvents, "medium"},
		{audit.InputValidation, event.InputValidation, audit.ClassSecurityEvents, "medium"},
		{audit.SSRFBlocked, event.SSRFBlocked, audit.ClassSecurityEvents, "critical"},
		{audit.InsufficientScope, event.InsufficientScope, audit.ClassAuthEvents, "medium"},
	} {
		if string(tt.typ) != tt.layers {
			t.Errorf("audit says %q, the layers %q", tt.typ, tt.layers)
		}
		if tt.typ.Class() != tt.class || tt.typ.Severity() != tt.severity {
			t.Errorf("%s: class %s, severity %s; want %s, %s", tt.typ, tt.typ.Class(), tt.typ.Severity(), tt.class, tt.severity)
		}
	}
}

// Without a Redactor, free text is not written at all.
func TestNoRedactorRedactsEverything(t *testing.T) {
	var buf bytes.Buffer
	l := audit.New(audit.NewWriterSink(&buf), audit.Options{Now: clock})
	if err := l.Security(audit.Security{Type: audit.AuthFailure, Code: mcperr.CodeUnauthorized, Reason: "token abc", URL: "http://x",
		Details: map[string]any{"status": 401}}); err != nil {
		t.Fatal(err)
	}
	if err := l.ConfigChange(audit.ConfigChange{Setting: "MCP_HTTP_ADDR", OldValue: "a", NewValue: "b", ChangedBy: "env"}); err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2025-03-14T15:30:05.123Z","class":"auth_events","retention_days":365,"event_type":"auth_failure","severity":"high","code":"MCP-002","reason":"[REDACTED]","url":"[REDACTED]","details":{"status":"[REDACTED]"}}
{"time":"2025-03-14T15:30:05.123Z","class":"config_changes","retention_days":2555,"event_type":"config_change","setting":"MCP_HTTP_ADDR","old_value":"[REDACTED]","new_value":"[REDACTED]","changed_by":"env"}
`
	if buf.String() != want {
		t.Errorf("\n got: %s\nwant: %s", buf.String(), want)
	}
}
