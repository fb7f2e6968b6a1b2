package outbound_test

import (
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/security/outbound"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url  string
		want string // "" when allowed
	}{
		// Allowed.
		{"https://api.example.com/v1/quotes?symbol=SPY", ""},
		{"http://example.com", ""},
		{"HTTPS://Example.COM:443/", ""},
		{"http://example.com:8080/", ""},
		{"https://example.com:8443/", ""},
		{"https://8.8.8.8/", ""},
		{"https://[2606:4700:4700::1111]/", ""},
		{"https://[::ffff:8.8.8.8]/", ""},
		{"https://example.com./", ""},
		{"https://xn--bcher-kva.example/", ""},
		{"https://localhost.example.com/", ""},
		{"https://internal.example.com/", ""},

		// Scheme.
		{"ftp://example.com/", `scheme "ftp" is not allowed (allowed: http, https)`},
		{"file:///etc/passwd", `scheme "file" is not allowed (allowed: http, https)`},
		{"gopher://example.com:70/", `scheme "gopher" is not allowed (allowed: http, https)`},
		{"//example.com/", "URL has no scheme (allowed: http, https)"},
		{"example.com", "URL has no scheme (allowed: http, https)"},

		// Host and userinfo.
		{"http:///path", "URL has no host"},
		{"http:example.com", "URL has no host"},
		{"https://:443/", "URL has no host"},
		{"https://user:hunter2@example.com/", "URL must not contain userinfo (user:password@)"},
		{"https://user@example.com/", "URL must not contain userinfo (user:password@)"},
		{"https://:hunter2@example.com/", "URL must not contain userinfo (user:password@)"},
		{"https://user:hunter2@exa mple.com/", "not a valid URL"},
		{"https://exa mple.com/", `not a valid URL: invalid character " " in host name`},
		{"https://ëxample.com/", "host must be ASCII (write international names as xn-- labels)"},

		// Ports.
		{"http://example.com:22/", "port 22 is not allowed (allowed: 80, 443, 8080, 8443)"},
		{"https://example.com:6379/", "port 6379 is not allowed (allowed: 80, 443, 8080, 8443)"},
		{"https://example.com:0/", "port 0 is not a valid port number"},
		{"https://example.com:65536/", "port 65536 is not a valid port number"},
		{"https://example.com:x/", `not a valid URL: invalid port ":x" after host`},

		// Local names.
		{"http://localhost/", `host "localhost" is a local name`},
		{"http://LOCALHOST./", `host "LOCALHOST." is a local name`},
		{"http://ip6-localhost/", `host "ip6-localhost" is a local name`},
		{"http://app.localhost/", `host "app.localhost" is a local name (*.localhost)`},
		{"http://printer.local/", `host "printer.local" is a local name (*.local)`},
		{"http://metadata.google.internal/", `host "metadata.google.internal" is a local name (*.internal)`},
		{"http://box.localdomain/", `host "box.localdomain" is a local name (*.localdomain)`},
		{"http://nas.home.arpa/", `host "nas.home.arpa" is a local name (*.home.arpa)`},

		// IPv4 literals, one per range.
		{"http://0.0.0.0/", "address 0.0.0.0 is in blocked range 0.0.0.0/8 (this network)"},
		{"http://10.1.2.3/", "address 10.1.2.3 is in blocked range 10.0.0.0/8 (private network)"},
		{"http://100.64.0.1/", "address 100.64.0.1 is in blocked range 100.64.0.0/10 (carrier-grade NAT)"},
		{"http://127.0.0.1/", "address 127.0.0.1 is in blocked range 127.0.0.0/8 (loopback)"},
		{"http://127.0.0.1./", "address 127.0.0.1. is in blocked range 127.0.0.0/8 (loopback)"},
		{"http://127.1.2.3:8080/", "address 127.1.2.3 is in blocked range 127.0.0.0/8 (loopback)"},
		{"http://169.254.169.254/latest/meta-data/", "address 169.254.169.254 is in blocked range 169.254.0.0/16 (link-local, cloud metadata)"},
		{"http://172.16.0.1/", "address 172.16.0.1 is in blocked range 172.16.0.0/12 (private network)"},
		{"http://172.31.255.255/", "address 172.31.255.255 is in blocked range 172.16.0.0/12 (private network)"},
		{"http://192.0.0.8/", "address 192.0.0.8 is in blocked range 192.0.0.0/24 (IETF protocol assignments)"},
		{"http://192.0.2.1/", "address 192.0.2.1 is in blocked range 192.0.2.0/24 (documentation)"},
		{"http://192.88.99.1/", "address 192.88.99.1 is in blocked range 192.88.99.0/24 (6to4 relay anycast)"},
		{"http://192.168.1.1/", "address 192.168.1.1 is in blocked range 192.168.0.0/16 (private network)"},
		{"http://198.18.0.1/", "address 198.18.0.1 is in blocked range 198.18.0.0/15 (benchmarking)"},
		{"http://198.51.100.7/", "address 198.51.100.7 is in blocked range 198.51.100.0/24 (documentation)"},
		{"http://203.0.113.9/", "address 203.0.113.9 is in blocked range 203.0.113.0/24 (documentation)"},
		{"http://224.0.0.1/", "address 224.0.0.1 is in blocked range 224.0.0.0/4 (multicast)"},
		{"http://240.0.0.1/", "address 240.0.0.1 is in blocked range 240.0.0.0/4 (reserved)"},
		{"http://255.255.255.255/", "address 255.255.255.255 is in blocked range 255.255.255.255/32 (broadcast)"},
		{"http://172.32.0.1/", ""},
		{"http://100.128.0.1/", ""},

		// IPv4 in forms resolvers accept but humans do not read.
		{"http://2130706433/", `host "2130706433" is an IPv4 address in a non-standard form (write it as four decimal numbers)`},
		{"http://0177.0.0.1/", `host "0177.0.0.1" is an IPv4 address in a non-standard form (write it as four decimal numbers)`},
		{"http://0x7f.0.0.1/", `host "0x7f.0.0.1" is an IPv4 address in a non-standard form (write it as four decimal numbers)`},
		{"http://0x7f000001/", `host "0x7f000001" is an IPv4 address in a non-standard form (write it as four decimal numbers)`},
		{"http://127.1/", `host "127.1" is an IPv4 address in a non-standard form (write it as four decimal numbers)`},
		{"http://8.8.8.8.8/", `host "8.8.8.8.8" is an IPv4 address in a non-standard form (write it as four decimal numbers)`},
		{"http://%31%32%37.0.0.1/", `not a valid URL: invalid URL escape "%31"`},

		// IPv6 literals.
		{"http://[::]/", "address :: is in blocked range ::/128 (unspecified)"},
		{"http://[::1]/", "address ::1 is in blocked range ::1/128 (loopback)"},
		{"http://[0:0:0:0:0:0:0:1]:8080/", "address 0:0:0:0:0:0:0:1 is in blocked range ::1/128 (loopback)"},
		{"http://[::ffff:127.0.0.1]/", "address ::ffff:127.0.0.1 is in blocked range 127.0.0.0/8 (loopback)"},
		{"http://[::ffff:7f00:1]/", "address ::ffff:7f00:1 is in blocked range 127.0.0.0/8 (loopback)"},
		{"http://[::ffff:169.254.169.254]/", "address ::ffff:169.254.169.254 is in blocked range 169.254.0.0/16 (link-local, cloud metadata)"},
		{"http://[::127.0.0.1]/", "address ::127.0.0.1 is outside the global unicast range 2000::/3"},
		{"http://[64:ff9b::7f00:1]/", "address 64:ff9b::7f00:1 is in blocked range 64:ff9b::/96 (NAT64)"},
		{"http://[100::1]/", "address 100::1 is in blocked range 100::/64 (discard-only)"},
		{"http://[2001::1]/", "address 2001::1 is in blocked range 2001::/23 (IETF protocol assignments, Teredo)"},
		{"http://[2001:db8::1]/", "address 2001:db8::1 is in blocked range 2001:db8::/32 (documentation)"},
		{"http://[2002:7f00:1::]/", "address 2002:7f00:1:: is in blocked range 2002::/16 (6to4)"},
		{"http://[fc00::1]/", "address fc00::1 is in blocked range fc00::/7 (unique local)"},
		{"http://[fd12:3456::1]/", "address fd12:3456::1 is in blocked range fc00::/7 (unique local)"},
		{"http://[fe80::1]/", "address fe80::1 is in blocked range fe80::/10 (link-local)"},
		{"http://[fe80::1%25eth0]/", "address fe80::1%eth0 has an IPv6 zone, which is not allowed"},
		{"http://[ff02::1]/", "address ff02::1 is in blocked range ff00::/8 (multicast)"},
		{"http://[fec0::1]/", "address fec0::1 is outside the global unicast range 2000::/3"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := outbound.CheckURL(tt.url)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("CheckURL(%q)\n got: %q\nwant: %q", tt.url, got, tt.want)
			}
			if strings.Contains(got, "hunter2") {
				t.Errorf("CheckURL(%q) echoes the password: %q", tt.url, got)
			}
		})
	}
}

func BenchmarkCheckURL(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := outbound.CheckURL("https://api.example.com:8443/v1/quotes?symbol=SPY"); err != nil {
			b.Fatal(err)
		}
	}
}
