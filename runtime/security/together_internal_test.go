package security

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestToolCalled(t *testing.T) {
	for body, want := range map[string]string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"quote.get","arguments":{"symbol":"EURUSD"}}}`: "quote.get",
		`{"params":{"arguments":{"name":"inner"},"name":"quote.get"},"method":"tools/call","id":1}`:                    "quote.get",
		`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"name":"quote.get"}}`:                                 "",
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7}}`:                                           "",
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":["quote.get"]}`:                                        "",
		`[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"quote.get"}}]`:                               "",
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"quote.get"}`:                                  "",
		`{"method":"tools/call","params":{"name":"quote.get","x":` + strings.Repeat("[", 100000) + `}}`:                "",
		``: "",
	} {
		assert.Equal(t, want, toolCalled([]byte(body)), "%.80s", body)
	}
}
