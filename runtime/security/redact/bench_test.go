package redact_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/security/redact"
)

// BenchmarkRedactHandler compares a JSON handler with and without redaction
// in front of it, on a typical line and on one full of things to redact.
func BenchmarkRedactHandler(b *testing.B) {
	records := []struct {
		name string
		log  func(*slog.Logger)
	}{
		{"typical", func(l *slog.Logger) {
			l.Info("tool call finished", "tool", "features.ohlcv_window", "client_id", "c-7f3a9", "corr_id", "01J9ZK3Q",
				"status", "ok", "duration", 1250*time.Microsecond, "input_size_bytes", 312)
		}},
		{"secrets", func(l *slog.Logger) {
			l.Info("upstream call to https://svc:pw@api.example.com/v1?api_key=abc123 failed for ann@example.com",
				"authorization", "Bearer abc", "tool", "execution.sim_quote", "detail", "retry with token=xyz in 5s",
				"card", "4111 1111 1111 1111", "status", 502)
		}},
	}
	handlers := []struct {
		name string
		h    slog.Handler
	}{
		{"JSONHandler", slog.NewJSONHandler(io.Discard, nil)},
		{"Redact", redact.NewHandler(slog.NewJSONHandler(io.Discard, nil), redact.Options{SensitiveKeys: []string{"/account/iban"}})},
	}
	for _, rec := range records {
		for _, h := range handlers {
			b.Run(rec.name+"/"+h.name, func(b *testing.B) {
				l := slog.New(h.h)
				b.ReportAllocs()
				for b.Loop() {
					rec.log(l)
				}
			})
		}
	}
}
