package server

import (
	"io"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// stdioTransport is the stdio transport: newline-delimited JSON-RPC on in
// and out, each line capped like an HTTP body. Closing the connection closes
// in (which ends the read) but never out, which the process may still log
// a last line to.
func stdioTransport(in io.ReadCloser, out io.Writer) mcp.Transport {
	return &mcp.IOTransport{Reader: in, Writer: nopCloser{out}, MaxLineLength: MaxBodyBytes}
}

// nopCloser is an io.WriteCloser whose Close does nothing.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
