package server

import (
	"context"
	"log/slog"
	"sync/atomic"
)

// switchHandler is a slog.Handler whose destination can be replaced once the
// server knows it: the SDK gets the server's logger when the server is
// built, and the redacting handler, which needs every registered tool's
// sensitive fields, is only made when the server starts. Loggers derived
// with With or WithGroup follow the switch too.
type switchHandler struct {
	cur *atomic.Pointer[slog.Handler]
	ops []func(slog.Handler) slog.Handler // the With and WithGroup calls, in order
}

func newSwitchHandler(h slog.Handler) *switchHandler {
	s := &switchHandler{cur: new(atomic.Pointer[slog.Handler])}
	s.set(h)
	return s
}

func (s *switchHandler) set(h slog.Handler) { s.cur.Store(&h) }

func (s *switchHandler) handler() slog.Handler {
	h := *s.cur.Load()
	for _, op := range s.ops {
		h = op(h)
	}
	return h
}

func (s *switchHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return (*s.cur.Load()).Enabled(ctx, level)
}

func (s *switchHandler) Handle(ctx context.Context, r slog.Record) error {
	return s.handler().Handle(ctx, r)
}

func (s *switchHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return s.with(func(h slog.Handler) slog.Handler { return h.WithAttrs(attrs) })
}

func (s *switchHandler) WithGroup(name string) slog.Handler {
	return s.with(func(h slog.Handler) slog.Handler { return h.WithGroup(name) })
}

func (s *switchHandler) with(op func(slog.Handler) slog.Handler) *switchHandler {
	ops := append(s.ops[:len(s.ops):len(s.ops)], op)
	return &switchHandler{cur: s.cur, ops: ops}
}
