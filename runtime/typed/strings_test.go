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

func TestReaderCaseMappingMatchesAndReusesItsBuffer(t *testing.T) {
	r := typed.GetReader([]byte(`"btc/usd"`))
	defer typed.PutReader(r)
	for _, in := range []string{"spy", "EurUsd", "btc/usd", "\u017fpy", "mar\u212aet", "SPY", ""} {
		assert.Equal(t, string(typed.Upper([]byte(in))), string(r.Upper([]byte(in))), "Upper(%q)", in)
		assert.Equal(t, string(typed.Lower([]byte(in))), string(r.Lower([]byte(in))), "Lower(%q)", in)
		assert.Equal(t, string(typed.Lower(typed.Upper([]byte(in)))), string(r.Lower(r.Upper([]byte(in)))), "Lower(Upper(%q))", in)
	}
	var root typed.Path
	b, ok := r.StringBytes(&root)
	assert.True(t, ok)
	in := []byte("eurusd")
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = r.Upper(in) }))
	assert.Equal(t, "btc/usd", string(b), "the document is not written")
	assert.Equal(t, "BTC/USD", string(r.Upper(b)))
	assert.Equal(t, "btc/usd", string(b), "the document is not written")
}
