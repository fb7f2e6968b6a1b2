package server

import (
	"context"
	"net"
)

// ServeListener exposes serveHTTP to the tests, which need the address of a
// listener they opened on a free port.
func (s *Server) ServeListener(ctx context.Context, ln net.Listener, cfg Config) error {
	return s.serveHTTP(ctx, ln, cfg)
}
