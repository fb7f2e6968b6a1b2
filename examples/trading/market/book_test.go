package market

import (
	"testing"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bookPrices centres the books: SPY's asks are 668.41 (10,000), 668.42
// (20,000), …; its bids 668.39 (10,000), 668.38 (20,000), ….
var bookPrices = FixedPrices{"SPY": d("668.40"), "EURUSD": d("1.08"), "BTC/USD": d("68000")}

func defaultBook(t *testing.T) *Book {
	t.Helper()
	b, err := NewBook(DefaultBookSpecs(), bookPrices)
	require.NoError(t, err)
	return b
}

func TestBookQuote(t *testing.T) {
	b := defaultBook(t)
	tests := []struct {
		name                    string
		symbol, side, orderType string
		qty                     string
		limit                   *decimal.Decimal
		reference               string
		triggered               bool
		levels                  [][2]string // price, quantity
		filled, unfilled        string
		notional, average       string
		slippageBps             float64
	}{
		{
			name: "market buy walks two ask levels", symbol: "SPY", side: "buy", orderType: "market", qty: "25000",
			reference: "668.40", triggered: true,
			levels: [][2]string{{"668.41", "10000"}, {"668.42", "15000"}},
			filled: "25000", unfilled: "0", notional: "16710400", average: "668.416",
			slippageBps: 0.2394, // 400 over 16,710,000 at the mid
		},
		{
			name: "market sell takes the best bid; slippage is a cost either way", symbol: "SPY", side: "short", orderType: "market", qty: "5000",
			reference: "668.40", triggered: true,
			levels: [][2]string{{"668.39", "5000"}},
			filled: "5000", unfilled: "0", notional: "3341950", average: "668.39", slippageBps: 0.1496,
		},
		{
			name: "FX: average price rounded to 8 places", symbol: "EURUSD", side: "long", orderType: "market", qty: "1500000",
			reference: "1.08", triggered: true,
			levels: [][2]string{{"1.08002", "1000000"}, {"1.08003", "500000"}},
			filled: "1500000", unfilled: "0", notional: "1620035", average: "1.08002333", slippageBps: 0.2160,
		},
		{
			name: "limit buy fills what lies within the limit and reports the rest", symbol: "SPY", side: "buy", orderType: "limit", qty: "50000", limit: dp("668.42"),
			reference: "668.40", triggered: true,
			levels: [][2]string{{"668.41", "10000"}, {"668.42", "20000"}},
			filled: "30000", unfilled: "20000", notional: "20052500", average: "668.41666667", slippageBps: 0.2494,
		},
		{
			name: "limit sell within the limit fills in full", symbol: "SPY", side: "sell", orderType: "limit", qty: "5000", limit: dp("668.38"),
			reference: "668.40", triggered: true,
			levels: [][2]string{{"668.39", "5000"}},
			filled: "5000", unfilled: "0", notional: "3341950", average: "668.39", slippageBps: 0.1496,
		},
		{
			name: "buy stop above the market is quoted as triggered at the stop", symbol: "SPY", side: "buy", orderType: "stop", qty: "15000", limit: dp("670.00"),
			reference: "670.00", triggered: false,
			levels: [][2]string{{"670.01", "10000"}, {"670.02", "5000"}},
			filled: "15000", unfilled: "0", notional: "10050200", average: "670.01333333", slippageBps: 0.1990,
		},
		{
			name: "sell stop below the market likewise", symbol: "SPY", side: "sell", orderType: "stop", qty: "12000", limit: dp("660"),
			reference: "660", triggered: false,
			levels: [][2]string{{"659.99", "10000"}, {"659.98", "2000"}},
			filled: "12000", unfilled: "0", notional: "7919860", average: "659.98833333", slippageBps: 0.1768,
		},
		{
			name: "buy stop the market has passed fills as a market order", symbol: "SPY", side: "buy", orderType: "stop", qty: "25000", limit: dp("660"),
			reference: "668.40", triggered: true,
			levels: [][2]string{{"668.41", "10000"}, {"668.42", "15000"}},
			filled: "25000", unfilled: "0", notional: "16710400", average: "668.416", slippageBps: 0.2394,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := b.Quote(tt.symbol, tt.side, d(tt.qty), tt.orderType, tt.limit)
			require.NoError(t, err)
			assert.Equal(t, tt.symbol, q.Symbol)
			assert.Equal(t, tt.side, q.Side)
			assert.Equal(t, tt.orderType, q.OrderType)
			assertDecimal(t, tt.reference, q.Reference, "reference")
			assert.Equal(t, tt.triggered, q.Triggered)
			var levels [][2]string
			for _, l := range q.Levels {
				levels = append(levels, [2]string{l.Price.String(), l.Quantity.String()})
			}
			assert.Equal(t, tt.levels, levels)
			assertDecimal(t, tt.qty, q.Requested, "requested")
			assertDecimal(t, tt.filled, q.Filled, "filled")
			assertDecimal(t, tt.unfilled, q.Unfilled, "unfilled")
			assert.Equal(t, tt.unfilled != "0", q.Partial)
			assertDecimal(t, tt.notional, q.Notional, "notional")
			assertDecimal(t, tt.average, q.AveragePrice, "average price")
			assert.Equal(t, tt.slippageBps, q.SlippageBps)
		})
	}
}

func TestBookQuoteFailures(t *testing.T) {
	b := defaultBook(t)
	tests := []struct {
		name                    string
		symbol, side, orderType string
		qty                     string
		limit                   *decimal.Decimal
		code                    mcperr.Code
		message                 string
	}{
		{
			name: "market order larger than the book", symbol: "BTC/USD", side: "sell", orderType: "market", qty: "1000",
			code: mcperr.CodeInsufficientLiquidity, message: "order book too thin: 1000 BTC/USD requested, 110 available across 10 bid levels",
		},
		{
			name: "stop order larger than the book", symbol: "SPY", side: "buy", orderType: "stop", qty: "550001", limit: dp("700"),
			code: mcperr.CodeInsufficientLiquidity, message: "order book too thin: 550001 SPY requested, 550000 available across 10 ask levels",
		},
		{
			name: "limit buy below the best ask", symbol: "SPY", side: "buy", orderType: "limit", qty: "1", limit: dp("668.40"),
			code: mcperr.CodeInsufficientLiquidity, message: "no ask liquidity for SPY at or below the limit price 668.4 (best ask 668.41)",
		},
		{
			name: "limit sell above the best bid", symbol: "SPY", side: "sell", orderType: "limit", qty: "1", limit: dp("668.40"),
			code: mcperr.CodeInsufficientLiquidity, message: "no bid liquidity for SPY at or above the limit price 668.4 (best bid 668.39)",
		},
		{
			name: "no book for the symbol", symbol: "XAUUSD", side: "buy", orderType: "market", qty: "1",
			code: mcperr.CodeInsufficientLiquidity, message: "no order book for XAUUSD",
		},
		{
			name: "no last close to centre the book on", symbol: "GBPUSD", side: "buy", orderType: "market", qty: "1",
			code: mcperr.CodeInsufficientData, message: "no price for GBPUSD",
		},
		{
			name: "market order with a limit price", symbol: "SPY", side: "buy", orderType: "market", qty: "1", limit: dp("668"),
			code: mcperr.CodeInvalidArgs, message: "market orders take no limit price",
		},
		{
			name: "limit order without one", symbol: "SPY", side: "buy", orderType: "limit", qty: "1",
			code: mcperr.CodeInvalidArgs, message: "limit orders need a limit price",
		},
		{
			name: "stop order without one", symbol: "SPY", side: "buy", orderType: "stop", qty: "1",
			code: mcperr.CodeInvalidArgs, message: "stop orders need a limit price",
		},
		{
			name: "negative limit price", symbol: "SPY", side: "buy", orderType: "limit", qty: "1", limit: dp("-1"),
			code: mcperr.CodeInvalidArgs, message: "limit price must be greater than 0, got -1",
		},
		{
			name: "unknown order type", symbol: "SPY", side: "buy", orderType: "fok", qty: "1",
			code: mcperr.CodeInvalidArgs, message: `unknown order type "fok": want market, limit or stop`,
		},
		{
			name: "unknown side", symbol: "SPY", side: "hold", orderType: "market", qty: "1",
			code: mcperr.CodeInvalidArgs, message: `unknown side "hold": want buy, sell, long or short`,
		},
		{
			name: "zero quantity", symbol: "SPY", side: "buy", orderType: "market", qty: "0",
			code: mcperr.CodeInvalidArgs, message: "quantity must be greater than 0, got 0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.Quote(tt.symbol, tt.side, d(tt.qty), tt.orderType, tt.limit)
			assertCode(t, err, tt.code, tt.message)
		})
	}
}

func TestBookDepth(t *testing.T) {
	depth, err := defaultBook(t).Depth("SPY")
	require.NoError(t, err)
	assertDecimal(t, "668.40", depth.Centre, "centre")
	require.Len(t, depth.Asks, 10)
	require.Len(t, depth.Bids, 10)
	for i, want := range []struct{ bid, ask, size string }{{"668.39", "668.41", "10000"}, {"668.38", "668.42", "20000"}, {"668.30", "668.50", "100000"}} {
		level := []int{0, 1, 9}[i]
		assertDecimal(t, want.bid, depth.Bids[level].Price, "bid price")
		assertDecimal(t, want.ask, depth.Asks[level].Price, "ask price")
		assertDecimal(t, want.size, depth.Bids[level].Quantity, "bid size")
		assertDecimal(t, want.size, depth.Asks[level].Quantity, "ask size")
	}
}

func TestBookLeavesOutBidsAtOrBelowZero(t *testing.T) {
	b, err := NewBook(map[string]BookSpec{"PENNY": {HalfSpread: d("0.01"), Step: d("0.02"), LevelSize: d("100"), Levels: 5}},
		FixedPrices{"PENNY": d("0.05")})
	require.NoError(t, err)
	depth, err := b.Depth("PENNY")
	require.NoError(t, err)
	assert.Len(t, depth.Asks, 5)
	require.Len(t, depth.Bids, 2) // 0.04 and 0.02; 0.00 is no price
	assertDecimal(t, "0.02", depth.Bids[1].Price, "last bid")

	_, err = b.Quote("PENNY", "sell", d("301"), "market", nil)
	assertCode(t, err, mcperr.CodeInsufficientLiquidity, "order book too thin: 301 PENNY requested, 300 available across 2 bid levels")
}

func TestDefaultBooksSitOnTheTickGrid(t *testing.T) {
	specs := DefaultBookSpecs()
	for _, inst := range Instruments() {
		s, ok := specs[inst.Symbol]
		if assert.True(t, ok, inst.Symbol) {
			assert.True(t, s.HalfSpread.Mod(inst.Tick).IsZero(), "%s half spread %s is off the tick %s", inst.Symbol, s.HalfSpread, inst.Tick)
			assert.True(t, s.Step.Mod(inst.Tick).IsZero(), "%s step %s is off the tick %s", inst.Symbol, s.Step, inst.Tick)
		}
	}
	assert.Len(t, specs, len(Instruments()))
}

func TestNewBookRejectsBadConfiguration(t *testing.T) {
	_, err := NewBook(DefaultBookSpecs(), nil)
	assert.EqualError(t, err, "market: NewBook needs a price source")
	_, err = NewBook(map[string]BookSpec{"SPY": {HalfSpread: d("0.01"), Step: d("0"), LevelSize: d("1"), Levels: 1}}, bookPrices)
	assert.EqualError(t, err, "market: SPY: book needs a half spread ≥ 0, a step > 0, a level size > 0 and at least one level")
}

// The example's server quotes against the shipped history, whose SPY
// series ends at 668.40: the same quote as with a fixed price.
func TestBookOverTheEmbeddedHistory(t *testing.T) {
	b, err := NewBook(DefaultBookSpecs(), embeddedCandles(t))
	require.NoError(t, err)
	q, err := b.Quote("SPY", "buy", d("25000"), "market", nil)
	require.NoError(t, err)
	assertDecimal(t, "668.416", q.AveragePrice, "average price")
	assert.Equal(t, 0.2394, q.SlippageBps)
}
