package outbound

import (
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

// TestControlChecksTheSocketAddress tests the last line of defence on its
// own: the net.Dialer check that runs on the address a socket is about to
// connect to, whatever resolved it.
func TestControlChecksTheSocketAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	ap := netip.MustParseAddrPort(ln.Addr().String())
	tests := []struct {
		name    string
		policy  policy
		network string
		want    string
	}{
		{"blocked", defaultPolicy, "tcp",
			"MCP-016 SSRF_BLOCKED: connection blocked: 127.0.0.1 is in blocked range 127.0.0.0/8 (loopback)"},
		{"allowed pair", policy{ports: defaultPorts, allow: []netip.AddrPort{ap}}, "tcp", ""},
		{"udp", policy{ports: defaultPorts, allow: []netip.AddrPort{ap}}, "udp",
			"MCP-016 SSRF_BLOCKED: connection blocked: network udp4 is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := net.Dialer{Control: tt.policy.control}
			c, err := d.Dial(tt.network, ap.String())
			got := ""
			if err != nil {
				var e *mcperr.Error
				if !errors.As(err, &e) {
					t.Fatalf("error is not a *mcperr.Error: %v", err)
				}
				got = e.Error()
			} else {
				c.Close()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
