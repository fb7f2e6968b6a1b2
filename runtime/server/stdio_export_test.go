package server

import (
	"context"
	"io"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ConnectStdio connects the server over the stdio transport on in and out,
// as Run does on os.Stdin and os.Stdout, for tests that drive it through
// pipes.
func (s *Server) ConnectStdio(ctx context.Context, in io.ReadCloser, out io.Writer) (*mcp.ServerSession, error) {
	return s.mcp.Connect(ctx, stdioTransport(in, out), nil)
}
