package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgen/mcpgen/runtime/security"
	"github.com/mcpgen/mcpgen/runtime/security/audit"
	"github.com/mcpgen/mcpgen/runtime/server"
)

// BenchmarkStdio measures one tools/call round trip over the stdio
// transport on in-process pipes, for the mcpgen server (strict line reader
// and envelope, argument cap, the tool's x-rate-limit, audit events to
// io.Discard, as Run serves stdio) and for a bare go-sdk server on its
// IOTransport with the same tool as a raw handler:
//
//	go test ./runtime/server -run '^$' -bench Stdio -benchmem
//
// The client writes a prepared line and reads the answer's line; one
// session, initialized before the timer. cpu-µs/op is the process's CPU
// time per round trip, client and garbage collector included.
func BenchmarkStdio(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	connect := map[string]func(in io.ReadCloser, out io.WriteCloser){
		"mcpgen": func(in io.ReadCloser, out io.WriteCloser) {
			srv := server.New(&mcp.Implementation{Name: "bench", Version: "1.0.0"},
				server.WithLogger(slog.New(slog.DiscardHandler)),
				server.WithSecurity(security.Options{AuditSink: audit.NewWriterSink(io.Discard)}))
			if err := srv.AddTools(server.Tool{
				Name:        benchToolName,
				Description: "a quote",
				InputSchema: benchSchema,
				Policy:      server.Policy{RateLimitPerMinute: 1 << 30},
				Call: func(context.Context, []byte) (server.Result, error) {
					return server.Result{Structured: []byte(benchOutput)}, nil
				},
			}); err != nil {
				b.Fatal(err)
			}
			// Build the security stack as Run does before serving stdio
			// (tool limits and audit events are installed with it).
			if _, err := srv.HTTPHandler(server.Config{Mode: server.ModeStdio}); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { srv.Close() })
			if _, err := srv.ConnectStdio(ctx, in, out); err != nil {
				b.Fatal(err)
			}
		},
		"sdk-bare": func(in io.ReadCloser, out io.WriteCloser) {
			s := mcp.NewServer(&mcp.Implementation{Name: "bench", Version: "1.0.0"}, &mcp.ServerOptions{
				Logger: slog.New(slog.DiscardHandler),
			})
			s.AddTool(&mcp.Tool{Name: benchToolName, Description: "a quote", InputSchema: benchSchema},
				func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
					return &mcp.CallToolResult{
						StructuredContent: json.RawMessage(benchOutput),
						Content:           []mcp.Content{&mcp.TextContent{Text: benchOutput}},
					}, nil
				})
			if _, err := s.Connect(ctx, &mcp.IOTransport{Reader: in, Writer: out}, nil); err != nil {
				b.Fatal(err)
			}
		},
	}
	for _, name := range []string{"mcpgen", "sdk-bare"} {
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		b.Cleanup(func() { inW.Close(); outW.Close() })
		connect[name](inR, outW)
		lines := bufio.NewReaderSize(outR, 64<<10)
		roundTrip := func(msg []byte, answer bool) []byte {
			if _, err := inW.Write(append(msg[:len(msg):len(msg)], '\n')); err != nil {
				b.Fatal(err)
			}
			if !answer {
				return nil
			}
			line, err := lines.ReadSlice('\n')
			if err != nil {
				b.Fatal(err)
			}
			return line
		}
		if got := roundTrip(benchInit, true); !bytes.Contains(got, []byte(`"result"`)) {
			b.Fatalf("%s: initialize: %s", name, got)
		}
		roundTrip(benchInited, false)
		if got := roundTrip(benchCall, true); !bytes.Contains(got, []byte(`"structuredContent":{"symbol":"EURUSD"`)) {
			b.Fatalf("%s: tools/call: %s", name, got)
		}
		line := append(benchCall[:len(benchCall):len(benchCall)], '\n')
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := -processCPU()
			for b.Loop() {
				if _, err := inW.Write(line); err != nil {
					b.Fatal(err)
				}
				if _, err := lines.ReadSlice('\n'); err != nil {
					b.Fatal(err)
				}
			}
			if cpu += processCPU(); cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e3, "cpu-µs/op")
			}
		})
	}
}
