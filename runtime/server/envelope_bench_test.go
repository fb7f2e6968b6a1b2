package server

import (
	"strings"
	"testing"
)

// BenchmarkEnvelope is the envelope reader's cost on a typical call and on
// a call with 1 MiB of arguments.
func BenchmarkEnvelope(b *testing.B) {
	for _, bc := range []struct{ name, msg string }{
		{"call", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"risk.position_limits_check","arguments":{"symbol":"SPY","quantity":"100.5","side":"buy"},"_meta":{"progressToken":7}}}`},
		{"call-1MiB", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"bulk","arguments":{"rows":[` +
			strings.TrimSuffix(strings.Repeat(`{"sym":"SPY","qty":12.5,"note":"abcdefghij"},`, 1<<20/45), ",") + `]}}}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data := []byte(bc.msg)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if env := readEnvelope(data, false); env.verdict != forward {
					b.Fatal(env.err.message)
				}
			}
		})
	}
}
