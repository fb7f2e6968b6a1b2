package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/server"

	"github.com/mcpgen/mcpgen/runtime/security/audit"
)

// clock is a fixed time in a zone other than UTC, to show that events are
// stamped in UTC.
func clock() time.Time {
	return time.Date(2025, 3, 14, 16, 30, 5, 123456789, time.FixedZone("CET", 3600))
}

func newLogger(buf *bytes.Buffer) *audit.Logger {
	return audit.New(audit.NewWriterSink(buf), audit.Options{Now: clock, SensitiveKeys: []string{"/account/iban"}})
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
			`{"time":"2025-03-14T15:30:05.123Z","class":"tool_execution","retention_days":90,"event":"tool_execution","corr_id":"c1","client_id":"hmac:k1","tool":"features.ohlcv_window","status":"ok","duration_ms":12.5,"input_size_bytes":120,"output_size_bytes":4096}`},
		{"tool execution in the data_access class",
			func(l *audit.Logger) error {
				return l.ToolExecution(audit.ToolExecution{CorrelationID: "c2", ClientID: "stdio", Tool: "storage.shared_state.get",
					Class: audit.ClassDataAccess, Status: "MCP-013", Duration: 300 * time.Microsecond, InputSizeBytes: 30})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"data_access","retention_days":365,"event":"tool_execution","corr_id":"c2","client_id":"stdio","tool":"storage.shared_state.get","status":"MCP-013","duration_ms":0.3,"input_size_bytes":30,"output_size_bytes":0}`},
		{"data access",
			func(l *audit.Logger) error {
				return l.DataAccess(audit.DataAccess{CorrelationID: "c3", ClientID: "bearer:9f2c", Resource: "shared_state/portfolio", Action: "write"})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"data_access","retention_days":365,"event":"data_access","corr_id":"c3","client_id":"bearer:9f2c","resource":"shared_state/portfolio","action":"write"}`},
		{"config change of a secret",
			func(l *audit.Logger) error {
				return l.ConfigChange(audit.ConfigChange{Setting: "AUTH_TOKEN", OldValue: "old-token", NewValue: "new-token", ChangedBy: "ops@example.com"})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"config_changes","retention_days":2555,"event":"config_change","setting":"AUTH_TOKEN","old_value":"[REDACTED]","new_value":"[REDACTED]","changed_by":"ops@example.com"}`},
		{"config change with a secret inside",
			func(l *audit.Logger) error {
				return l.ConfigChange(audit.ConfigChange{Setting: "REDIS_URL", OldValue: "redis://127.0.0.1:6379/0",
					NewValue: "redis://default:pw@cache.example.com:6379/0", ChangedBy: "reload"})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"config_changes","retention_days":2555,"event":"config_change","setting":"REDIS_URL","old_value":"redis://127.0.0.1:6379/0","new_value":"redis://[REDACTED]@cache.example.com:6379/0","changed_by":"reload"}`},
		{"auth failure",
			func(l *audit.Logger) error {
				return l.Security(audit.Security{Type: audit.AuthFailure, ClientIP: "203.0.113.7", Code: mcperr.CodeUnauthorized,
					Reason: "signature does not match", Details: map[string]any{"key_id": "k1", "signature": "9b1f…", "Authorization": "Bearer abc"}})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"auth_events","retention_days":365,"event":"auth_failure","severity":"high","client_ip":"203.0.113.7","code":"MCP-002","reason":"signature does not match","details":{"Authorization":"[REDACTED]","key_id":"k1","signature":"[REDACTED]"}}`},
		{"replay",
			func(l *audit.Logger) error {
				return l.Security(audit.Security{Type: audit.Replay, ClientID: "hmac:k1", Code: mcperr.CodeUnauthorized, Reason: "nonce already used"})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"security_events","retention_days":2555,"event":"replay","severity":"high","client_id":"hmac:k1","code":"MCP-002","reason":"nonce already used"}`},
		{"rate limit",
			func(l *audit.Logger) error {
				return l.Security(audit.Security{Type: audit.RateLimit, ClientID: "c", Tool: "execution.sim_quote", Code: mcperr.CodeRateLimitExceeded,
					Details: map[string]any{"limit": 200, "window_s": 60}})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"security_events","retention_days":2555,"event":"rate_limit","severity":"medium","client_id":"c","tool":"execution.sim_quote","code":"MCP-006","details":{"limit":200,"window_s":60}}`},
		{"ssrf blocked",
			func(l *audit.Logger) error {
				return l.Security(audit.Security{Type: audit.SSRFBlocked, CorrelationID: "c4", ClientID: "c", Tool: "fetch", Code: mcperr.CodeSSRFBlocked,
					Reason: "address 169.254.169.254 is in blocked range 169.254.0.0/16 (link-local, cloud metadata)",
					URL:    "http://admin:pw@169.254.169.254/latest?token=abc&x=1"})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"security_events","retention_days":2555,"event":"ssrf_blocked","severity":"critical","corr_id":"c4","client_id":"c","tool":"fetch","code":"MCP-016","reason":"address 169.254.169.254 is in blocked range 169.254.0.0/16 (link-local, cloud metadata)","url":"http://[REDACTED]@169.254.169.254/latest?token=[REDACTED]\u0026x=1"}`},
		{"input validation",
			func(l *audit.Logger) error {
				return l.Security(audit.Security{Type: audit.InputValidation, Tool: "risk.position_limits_check", Code: mcperr.CodeInvalidArgs,
					Details: map[string]any{"iban": "DE89", "pointer": "/qty"}})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"security_events","retention_days":2555,"event":"input_validation","severity":"medium","tool":"risk.position_limits_check","code":"MCP-001","details":{"iban":"[REDACTED]","pointer":"/qty"}}`},
		{"payload too large",
			func(l *audit.Logger) error {
				return l.Security(audit.Security{Type: audit.PayloadTooLarge, ClientIP: "198.51.100.2", Code: mcperr.CodePayloadTooLarge,
					Reason: "request body exceeds 10485760 bytes"})
			},
			`{"time":"2025-03-14T15:30:05.123Z","class":"security_events","retention_days":2555,"event":"payload_too_large","severity":"medium","client_ip":"198.51.100.2","code":"MCP-017","reason":"request body exceeds 10485760 bytes"}`},
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

func TestObserve(t *testing.T) {
	quote := &server.Tool{Name: "execution.sim_quote"}
	state := &server.Tool{Name: "storage.shared_state.set", Policy: server.Policy{AuditClass: "data_access"}}
	ctx := principal.WithClientID(context.Background(), "hmac:k1")
	tests := []struct {
		name string
		call server.CallInfo
		want []string
	}{
		{"success",
			server.CallInfo{Tool: quote, CorrelationID: "c1", Duration: 2 * time.Millisecond, ArgsBytes: 80, OutputBytes: 200},
			[]string{`{"time":"2025-03-14T15:30:05.123Z","class":"tool_execution","retention_days":90,"event":"tool_execution","corr_id":"c1","client_id":"hmac:k1","tool":"execution.sim_quote","status":"ok","duration_ms":2,"input_size_bytes":80,"output_size_bytes":200}`}},
		{"business failure is not a security event",
			server.CallInfo{Tool: quote, CorrelationID: "c2", Err: mcperr.Errorf(mcperr.CodeInsufficientLiquidity, "not enough depth"), ArgsBytes: 80},
			[]string{`{"time":"2025-03-14T15:30:05.123Z","class":"tool_execution","retention_days":90,"event":"tool_execution","corr_id":"c2","client_id":"hmac:k1","tool":"execution.sim_quote","status":"MCP-012","duration_ms":0,"input_size_bytes":80,"output_size_bytes":0}`}},
		{"validation failure in the tool's audit class",
			server.CallInfo{Tool: state, CorrelationID: "c3", ArgsBytes: 64, Err: &mcperr.Error{
				Code: mcperr.CodeInvalidArgs, Message: "arguments: 1 violation",
				Violations: []mcperr.Violation{{Pointer: "/value", Keyword: "maxLength", Message: `"hunter2-and-more" is longer than 8`}}}},
			[]string{
				`{"time":"2025-03-14T15:30:05.123Z","class":"data_access","retention_days":365,"event":"tool_execution","corr_id":"c3","client_id":"hmac:k1","tool":"storage.shared_state.set","status":"MCP-001","duration_ms":0,"input_size_bytes":64,"output_size_bytes":0}`,
				`{"time":"2025-03-14T15:30:05.123Z","class":"security_events","retention_days":2555,"event":"input_validation","severity":"medium","corr_id":"c3","client_id":"hmac:k1","tool":"storage.shared_state.set","code":"MCP-001","reason":"arguments: 1 violation","details":{"violations":[{"keyword":"maxLength","pointer":"/value"}]}}`,
			}},
		{"outbound URL blocked",
			server.CallInfo{Tool: quote, CorrelationID: "c4", ArgsBytes: 90, Err: mcperr.Errorf(mcperr.CodeSSRFBlocked,
				"connection to api.example.com blocked: 127.0.0.1 is in blocked range 127.0.0.0/8 (loopback)")},
			[]string{
				`{"time":"2025-03-14T15:30:05.123Z","class":"tool_execution","retention_days":90,"event":"tool_execution","corr_id":"c4","client_id":"hmac:k1","tool":"execution.sim_quote","status":"MCP-016","duration_ms":0,"input_size_bytes":90,"output_size_bytes":0}`,
				`{"time":"2025-03-14T15:30:05.123Z","class":"security_events","retention_days":2555,"event":"ssrf_blocked","severity":"critical","corr_id":"c4","client_id":"hmac:k1","tool":"execution.sim_quote","code":"MCP-016","reason":"connection to api.example.com blocked: 127.0.0.1 is in blocked range 127.0.0.0/8 (loopback)"}`,
			}},
		{"per-tool rate limit",
			server.CallInfo{Tool: quote, CorrelationID: "c5", ArgsBytes: 10, Err: mcperr.Errorf(mcperr.CodeRateLimitExceeded, "rate limit exceeded")},
			[]string{
				`{"time":"2025-03-14T15:30:05.123Z","class":"tool_execution","retention_days":90,"event":"tool_execution","corr_id":"c5","client_id":"hmac:k1","tool":"execution.sim_quote","status":"MCP-006","duration_ms":0,"input_size_bytes":10,"output_size_bytes":0}`,
				`{"time":"2025-03-14T15:30:05.123Z","class":"security_events","retention_days":2555,"event":"rate_limit","severity":"medium","corr_id":"c5","client_id":"hmac:k1","tool":"execution.sim_quote","code":"MCP-006","reason":"rate limit exceeded"}`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			newLogger(&buf).Observe(ctx, tt.call)
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
	l.Observe(context.Background(), server.CallInfo{Tool: &server.Tool{Name: "t"}, Err: mcperr.Errorf(mcperr.CodeUnauthorized, "no")})
	if strings.Join(reported, ",") != "disk full,disk full" {
		t.Errorf("OnError got %q, want both Observe events reported", reported)
	}
}
