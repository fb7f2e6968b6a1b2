package security

import (
	"strconv"
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

func TestToolCalls(t *testing.T) {
	call := func(id int, name string) string {
		return `{"jsonrpc":"2.0","id":` + strconv.Itoa(id) + `,"method":"tools/call","params":{"name":"` + name + `"}}`
	}
	for body, want := range map[string][]string{
		call(1, "quote.get"): {"quote.get"},
		`[` + call(1, "quote.get") + `,{"jsonrpc":"2.0","id":2,"method":"tools/list"},` + call(3, "order.place") + `]`: {"quote.get", "order.place"},
		` [` + call(1, "quote.get") + `, 7, "x"]`:        {"quote.get"},
		`[` + call(1, "quote.get") + `,`:                 nil, // not JSON
		`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`: nil,
		`"tools/call"`: nil,
		``:             nil,
	} {
		assert.Equal(t, want, toolCalls([]byte(body)), "%.80s", body)
	}
}
