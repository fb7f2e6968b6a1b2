package typed_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mcpgen/mcpgen/runtime/typed"
)

func TestCaseMappingIsASCIIOnly(t *testing.T) {
	for _, tc := range []struct{ in, upper, lower string }{
		{"spy", "SPY", "spy"},
		{"EurUsd", "EURUSD", "eurusd"},
		{"btc/usd", "BTC/USD", "btc/usd"},
		{"\u017fpy", "\u017fPY", "\u017fpy"},          // U+017F stays: Unicode would make it SPY
		{"\u0131wm", "\u0131WM", "\u0131wm"},          // U+0131 stays: Unicode would make it IWM
		{"mar\u212aet", "MAR\u212aET", "mar\u212aet"}, // the Kelvin sign U+212A stays: Unicode would lower it to k
		{"é", "é", "é"},
		{"", "", ""},
	} {
		assert.Equal(t, tc.upper, string(typed.Upper([]byte(tc.in))), "Upper(%q)", tc.in)
		assert.Equal(t, tc.lower, string(typed.Lower([]byte(tc.in))), "Lower(%q)", tc.in)
	}
	b := []byte("SPY")
	assert.Same(t, &b[0], &typed.Upper(b)[0], "no copy when nothing changes")
}
