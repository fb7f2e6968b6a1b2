package outbound_test

import (
	"fmt"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/mcpgen/mcpgen/runtime/security/outbound"
)

func ExampleCheckURL() {
	for _, u := range []string{
		"https://api.example.com/v1/quotes",
		"http://169.254.169.254/latest/meta-data/",
		"http://0x7f000001/",
		"https://admin:pw@api.example.com/",
	} {
		fmt.Println(outbound.CheckURL(u))
	}
	// Output:
	// <nil>
	// address 169.254.169.254 is in blocked range 169.254.0.0/16 (link-local, cloud metadata)
	// host "0x7f000001" is an IPv4 address in a non-standard form (write it as four decimal numbers)
	// URL must not contain userinfo (user:password@)
}

func ExampleNewClient() {
	client := outbound.NewClient(outbound.Options{})
	_, err := client.Get("http://[::1]:8080/admin")
	fmt.Println(mcperr.AsError(err))
	// Output:
	// MCP-016 SSRF_BLOCKED: outbound request blocked: address ::1 is in blocked range ::1/128 (loopback)
}
