package audit_test

import (
	"os"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/mcpgen/mcpgen/runtime/security/audit"
	"github.com/mcpgen/mcpgen/runtime/security/redact"
)

func ExampleLogger_Security() {
	l := audit.New(audit.NewWriterSink(os.Stdout), audit.Options{
		Now:      func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) },
		Redactor: redact.New(redact.Options{}),
	})
	l.Security(audit.Security{
		Type:     audit.SSRFBlocked,
		ClientID: "hmac:k1",
		Tool:     "webhooks.register",
		Code:     mcperr.CodeSSRFBlocked,
		URL:      "http://svc:pw@10.0.0.5/hook",
	})
	// Output:
	// {"time":"2025-01-02T03:04:05.000Z","class":"security_events","retention_days":2555,"event_type":"ssrf_blocked","severity":"critical","client_id":"hmac:k1","tool":"webhooks.register","code":"MCP-016","url":"http://[REDACTED]@10.0.0.5/hook"}
}
