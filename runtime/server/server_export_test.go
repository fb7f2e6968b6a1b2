package server

import (
	"context"
	"io"
	"net"
)

// ServeListener exposes serveHTTP to the tests, which need the address of a
// listener they opened on a free port.
func (s *Server) ServeListener(ctx context.Context, ln net.Listener, cfg Config) error {
	return s.serveHTTP(ctx, ln, cfg)
}

// Command exposes Main's body to the tests, without the process.
func (s *Server) Command(args []string, getenv func(string) string, stderr io.Writer) int {
	return s.command("desk", args, getenv, stderr)
}
