package redact_test

import (
	"log/slog"
	"os"

	"github.com/mcpgen/mcpgen/runtime/security/redact"
)

func ExampleNewHandler() {
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	logger := slog.New(redact.NewHandler(
		slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime}),
		redact.Options{SensitiveKeys: []string{"/account/iban"}},
	))
	logger.Info("order for ann@example.com", "iban", "DE89370400440532013000", "api_key", "k-123",
		"dsn", redact.Secret("postgres://app:pw@db/app"), "qty", 3)
	// Output:
	// {"level":"INFO","msg":"order for [REDACTED_EMAIL]","iban":"[REDACTED]","api_key":"[REDACTED]","dsn":"[REDACTED]","qty":3}
}
