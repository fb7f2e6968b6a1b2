package market

import (
	"testing"

	"github.com/mcpgen/mcpgen/runtime"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeprecatedFunctionsUseTheEmbeddedHistoryAndDefaults(t *testing.T) {
	w, err := Window("SPY", "1d", HistoryEnd, 3)
	require.NoError(t, err)
	assert.Equal(t, Features(w), Compute(w, 0))

	last, err := LastClose("SPY")
	require.NoError(t, err)
	assertDecimal(t, "668.40", last, "last close")

	c := CheckLimits("BTC/USD", "buy", d("300"), d("68000"), d("0"))
	assert.False(t, c.Allowed)
	assert.Len(t, c.Reasons, 2)
	c = CheckLimits("XAUUSD", "buy", d("1"), d("2000"), d("0"))
	assert.Equal(t, LimitCheck{Reasons: []string{"no position limits configured for XAUUSD"}}, c)

	q, err := SimQuote("SPY", "buy", d("50000"), dp("668.42"))
	require.NoError(t, err)
	assert.Equal(t, "limit", q.OrderType)
	assertDecimal(t, "30000", q.Filled, "filled")
	_, err = SimQuote("BTC/USD", "sell", d("1000"), nil)
	assertCode(t, err, runtime.CodeInsufficientLiquidity, "order book too thin: 1000 BTC/USD requested, 110 available across 10 bid levels")
}
