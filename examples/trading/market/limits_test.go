package market

import (
	"math/rand/v2"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testPrices = FixedPrices{"EURUSD": d("1.08"), "BTC/USD": d("68000"), "USDJPY": d("150")}

func defaultLimits(t *testing.T) *Limits {
	t.Helper()
	l, err := NewLimits(DefaultLimits(), testPrices)
	require.NoError(t, err)
	return l
}

func TestLimitsCheck(t *testing.T) {
	l := defaultLimits(t)
	tests := []struct {
		name                 string
		symbol, side         string
		qty                  string
		price                *decimal.Decimal
		current              string
		allowed              bool
		reasons              []string
		notional             string
		resulting, resultNtl string
		headroom             string
	}{
		{
			name: "within both limits", symbol: "EURUSD", side: "buy", qty: "1000000", price: dp("1.08"), current: "0",
			allowed: true, reasons: []string{}, notional: "1080000", resulting: "1000000", resultNtl: "1080000",
			headroom: "50000000", // the quantity limit binds: 60M USD buys 55.5M EUR at 1.08
		},
		{
			name: "both limits breached", symbol: "BTC/USD", side: "buy", qty: "300", price: dp("68000"), current: "0",
			reasons: []string{
				"resulting position 300 exceeds the BTC/USD limit of 250 units",
				"resulting notional 20400000 USD exceeds the BTC/USD limit of 20000000 USD",
			},
			notional: "20400000", resulting: "300", resultNtl: "20400000", headroom: "250",
		},
		{
			name: "only the notional limit breached at a higher price", symbol: "BTC/USD", side: "long", qty: "210", price: dp("100000"), current: "0",
			reasons:  []string{"resulting notional 21000000 USD exceeds the BTC/USD limit of 20000000 USD"},
			notional: "21000000", resulting: "210", resultNtl: "21000000", headroom: "200",
		},
		{
			name: "exactly at the limit is allowed", symbol: "BTC/USD", side: "buy", qty: "250", price: dp("68000"), current: "0",
			allowed: true, reasons: []string{}, notional: "17000000", resulting: "250", resultNtl: "17000000", headroom: "250",
		},
		{
			name: "a sale against a long position", symbol: "BTC/USD", side: "sell", qty: "100", price: dp("68000"), current: "200",
			allowed: true, reasons: []string{}, notional: "6800000", resulting: "100", resultNtl: "6800000", headroom: "450",
		},
		{
			name: "a sale through zero to a short beyond the limit", symbol: "BTC/USD", side: "short", qty: "460", price: dp("68000"), current: "200",
			reasons:  []string{"resulting position -260 exceeds the BTC/USD limit of 250 units"},
			notional: "31280000", resulting: "-260", resultNtl: "17680000", headroom: "450",
		},
		{
			name: "reducing a position that breaches the limits is allowed", symbol: "BTC/USD", side: "sell", qty: "10", price: dp("68000"), current: "300",
			allowed: true, reasons: []string{}, notional: "680000", resulting: "290", resultNtl: "19720000", headroom: "550",
		},
		{
			name: "adding to a position that breaches the limits is not", symbol: "BTC/USD", side: "buy", qty: "0.00000001", price: dp("68000"), current: "300",
			reasons: []string{
				"resulting position 300.00000001 exceeds the BTC/USD limit of 250 units",
				"resulting notional 20400000.00068 USD exceeds the BTC/USD limit of 20000000 USD",
			},
			notional: "0.00068", resulting: "300.00000001", resultNtl: "20400000.00068", headroom: "0",
		},
		{
			name: "reducing a short that breaches the limits", symbol: "BTC/USD", side: "buy", qty: "300", price: dp("68000"), current: "-300",
			allowed: true, reasons: []string{}, notional: "20400000", resulting: "0", resultNtl: "0", headroom: "550",
		},
		{
			name: "notional limits are in the quote currency", symbol: "USDJPY", side: "buy", qty: "40000000", price: dp("150.001"), current: "0",
			reasons:  []string{"resulting notional 6000040000 JPY exceeds the USDJPY limit of 6000000000 JPY"},
			notional: "6000040000", resulting: "40000000", resultNtl: "6000040000",
			headroom: "39999733.33511109", // 6e9 / 150.001, truncated to 8 places
		},
		{
			name: "notional rounded to 8 places for the report", symbol: "EURUSD", side: "sell", qty: "0.00000001", price: dp("1.123456"), current: "0",
			allowed: true, reasons: []string{}, notional: "0.00000001", resulting: "-0.00000001", resultNtl: "0.00000001", headroom: "50000000",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := l.Check(tt.symbol, tt.side, d(tt.qty), tt.price, d(tt.current))
			require.NoError(t, err)
			assert.Equal(t, tt.allowed, c.Allowed)
			assert.Equal(t, tt.reasons, c.Reasons)
			assertDecimal(t, tt.notional, c.Notional, "notional")
			assertDecimal(t, tt.resulting, c.ResultingPosition, "resulting position")
			assertDecimal(t, tt.resultNtl, c.ResultingNotional, "resulting notional")
			assertDecimal(t, tt.headroom, c.Headroom, "headroom")
			assertDecimal(t, tt.price.String(), c.Price, "price")
			assert.False(t, c.PriceLastClose)
		})
	}
}

func TestLimitsCheckValuesAnOrderWithoutPriceAtTheLastClose(t *testing.T) {
	c, err := defaultLimits(t).Check("EURUSD", "buy", d("1000"), nil, decimal.Zero)
	require.NoError(t, err)
	assert.True(t, c.Allowed)
	assert.True(t, c.PriceLastClose)
	assertDecimal(t, "1.08", c.Price, "price")
	assertDecimal(t, "1080", c.Notional, "notional")
	assert.Equal(t, "USD", c.Currency)
	assertDecimal(t, "50000000", c.MaxQuantity, "max quantity")
	assertDecimal(t, "60000000", c.MaxNotional, "max notional")
}

func TestLimitsCheckFailures(t *testing.T) {
	l := defaultLimits(t)
	tests := []struct {
		name         string
		symbol, side string
		qty          string
		price        *decimal.Decimal
		current      string
		code         mcperr.Code
		message      string
	}{
		{"unknown side", "EURUSD", "hold", "1", nil, "0", mcperr.CodeInvalidArgs, `unknown side "hold": want buy, sell, long or short`},
		{"zero quantity", "EURUSD", "buy", "0", nil, "0", mcperr.CodeInvalidArgs, "quantity must be greater than 0, got 0"},
		{"negative quantity", "EURUSD", "buy", "-5", nil, "0", mcperr.CodeInvalidArgs, "quantity must be greater than 0, got -5"},
		{"quantity too precise", "EURUSD", "buy", "0.000000001", nil, "0", mcperr.CodeInvalidArgs, "quantity must have at most 8 decimal places, got 0.000000001"},
		{"position too precise", "EURUSD", "buy", "1", nil, "1.000000001", mcperr.CodeInvalidArgs, "current position must have at most 8 decimal places, got 1.000000001"},
		{"zero price", "EURUSD", "buy", "1", dp("0"), "0", mcperr.CodeInvalidArgs, "price must be greater than 0, got 0"},
		{"no limits for the symbol", "XAUUSD", "buy", "1", dp("2000"), "0", mcperr.CodeMissingConfiguration, "no position limits configured for XAUUSD"},
		{"no last close for the symbol", "GBPUSD", "buy", "1", nil, "0", mcperr.CodeInsufficientData, "no price for GBPUSD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := l.Check(tt.symbol, tt.side, d(tt.qty), tt.price, d(tt.current))
			assertCode(t, err, tt.code, tt.message)
		})
	}
}

// Headroom is a promise: an order is allowed exactly when its quantity is
// at most the headroom reported for its side.
func TestLimitsHeadroomIsExactlyWhatIsAllowed(t *testing.T) {
	l := defaultLimits(t)
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(lo, hi int64, places int32) decimal.Decimal {
		return decimal.New(lo+rng.Int64N(hi-lo+1), -places)
	}
	for range 5000 {
		side := []string{"buy", "sell"}[rng.IntN(2)]
		current := random(-40000, 40000, 2)   // -400 to 400 BTC
		price := random(5000000, 12000000, 2) // 50,000 to 120,000 USD
		qty := random(1, 80000000000, 8)      // up to 800 BTC
		c, err := l.Check("BTC/USD", side, qty, &price, current)
		require.NoError(t, err)
		assert.Equal(t, qty.LessThanOrEqual(c.Headroom), c.Allowed, "%s %s from %s at %s, headroom %s", side, qty, current, price, c.Headroom)
		if c.Headroom.IsZero() {
			continue
		}
		at, err := l.Check("BTC/USD", side, c.Headroom, &price, current)
		require.NoError(t, err)
		assert.True(t, at.Allowed, "%s %s from %s at %s: headroom itself refused", side, c.Headroom, current, price)
		above, err := l.Check("BTC/USD", side, c.Headroom.Add(decimal.New(1, -8)), &price, current)
		require.NoError(t, err)
		assert.False(t, above.Allowed, "%s %s+1e-8 from %s at %s: allowed above headroom", side, c.Headroom, current, price)
	}
}

func TestNewLimitsRejectsBadConfiguration(t *testing.T) {
	_, err := NewLimits(DefaultLimits(), nil)
	assert.EqualError(t, err, "market: NewLimits needs a price source")
	_, err = NewLimits(map[string]Limit{"SPY": {MaxQuantity: d("0"), MaxNotional: d("1"), Currency: "USD"}}, testPrices)
	assert.EqualError(t, err, "market: SPY: limits must be positive, got quantity 0 and notional 1")
}

func TestDefaultLimitsCoverEveryInstrument(t *testing.T) {
	limits := DefaultLimits()
	for _, inst := range Instruments() {
		l, ok := limits[inst.Symbol]
		if assert.True(t, ok, inst.Symbol) {
			assert.Equal(t, inst.QuoteCurrency, l.Currency, inst.Symbol)
		}
	}
	assert.Len(t, limits, len(Instruments()))
}
