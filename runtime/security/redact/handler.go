package redact

import (
	"context"
	"log/slog"
)

// Handler is a slog.Handler that redacts every record before passing it on:
// the message by the pattern rules, and every attribute, including those
// added with WithAttrs and those inside groups, by the key and pattern rules.
type Handler struct {
	next slog.Handler
	r    *Redactor
	all  bool // inside a group whose name is sensitive: redact every value
}

// NewHandler returns a Handler that redacts records and hands them to next.
func NewHandler(next slog.Handler, opts Options) *Handler {
	return &Handler{next: next, r: New(opts)}
}

// Enabled reports whether the next handler handles records at level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle redacts a copy of rec and passes it to the next handler.
func (h *Handler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs returns a Handler whose records carry attrs, redacted once here.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = h.attr(a)
	}
	return &Handler{next: h.next.WithAttrs(out), r: h.r, all: h.all}
}

// WithGroup returns a Handler that opens group name; when the name itself is
// sensitive ("credentials"), every value logged inside it is redacted.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), r: h.r, all: h.all || h.r.SensitiveKey(name)}
}

func (h *Handler) attr(a slog.Attr) slog.Attr {
	if h.all {
		return slog.String(a.Key, Placeholder)
	}
	return h.r.Attr(a)
}
