// Package market is the trading example's domain: candle history, position
// limits, a simulated order book and a shared state store. It knows nothing
// of MCP; the example's handlers call it in a few lines each.
package market

//go:generate go run ../internal/candlegen -out candles.csv.gz

import (
	"time"

	"github.com/shopspring/decimal"
)

// Instrument describes one tradable symbol.
type Instrument struct {
	Symbol   string
	Base     decimal.Decimal // reference price the candle history starts from
	Places   int32           // price decimal places (tick = 10^-Places)
	MaxQty   decimal.Decimal // position limit in units
	MaxNotnl decimal.Decimal // notional limit in quote currency
	Depth    decimal.Decimal // units available at each book level
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// Instruments are the symbols of the seed's allowlist, with sensible levels.
var Instruments = map[string]Instrument{
	"EURUSD":  {"EURUSD", d("1.0850"), 5, d("50000000"), d("60000000"), d("5000000")},
	"GBPUSD":  {"GBPUSD", d("1.2650"), 5, d("40000000"), d("55000000"), d("4000000")},
	"USDJPY":  {"USDJPY", d("151.20"), 3, d("40000000"), d("40000000"), d("4000000")},
	"AUDUSD":  {"AUDUSD", d("0.6550"), 5, d("30000000"), d("25000000"), d("3000000")},
	"USDCAD":  {"USDCAD", d("1.3620"), 5, d("30000000"), d("30000000"), d("3000000")},
	"BTC/USD": {"BTC/USD", d("68000"), 2, d("250"), d("20000000"), d("15")},
	"ETH/USD": {"ETH/USD", d("3500"), 2, d("4000"), d("15000000"), d("200")},
	"SPY":     {"SPY", d("512.30"), 2, d("200000"), d("100000000"), d("20000")},
	"QQQ":     {"QQQ", d("440.10"), 2, d("200000"), d("90000000"), d("20000")},
	"IWM":     {"IWM", d("205.40"), 2, d("300000"), d("60000000"), d("30000")},
}

// Intervals are the candle intervals of the seed, with their lengths.
var Intervals = map[string]time.Duration{
	"1m": time.Minute, "5m": 5 * time.Minute, "15m": 15 * time.Minute,
	"1h": time.Hour, "4h": 4 * time.Hour, "1d": 24 * time.Hour,
}

// HistoryEnd is when every candle series ends; CandlesPerSeries candles
// precede it.
var HistoryEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// CandlesPerSeries is the length of each symbol/interval series.
const CandlesPerSeries = 300
