package market

import (
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// Instrument is the static description of one tradable symbol: what its
// prices are quoted in and the smallest step they move by.
type Instrument struct {
	Symbol        string
	QuoteCurrency string          // currency of prices and notionals, such as "USD" or "JPY"
	Tick          decimal.Decimal // every price is a whole multiple of Tick
}

// instruments are the seed's allowlist, in its order. Ticks follow the
// venues' conventions: a tenth of a pip for FX, a cent for crypto and ETFs.
var instruments = []Instrument{
	{"EURUSD", "USD", decimal.New(1, -5)},
	{"GBPUSD", "USD", decimal.New(1, -5)},
	{"USDJPY", "JPY", decimal.New(1, -3)},
	{"AUDUSD", "USD", decimal.New(1, -5)},
	{"USDCAD", "CAD", decimal.New(1, -5)},
	{"BTC/USD", "USD", decimal.New(1, -2)},
	{"ETH/USD", "USD", decimal.New(1, -2)},
	{"SPY", "USD", decimal.New(1, -2)},
	{"QQQ", "USD", decimal.New(1, -2)},
	{"IWM", "USD", decimal.New(1, -2)},
}

// Instruments returns the example's ten instruments in the seed's order. The
// slice is a copy: changing it changes nothing in the package.
func Instruments() []Instrument { return slices.Clone(instruments) }

// LookupInstrument returns the instrument for symbol, if there is one.
func LookupInstrument(symbol string) (Instrument, bool) {
	i := slices.IndexFunc(instruments, func(in Instrument) bool { return in.Symbol == symbol })
	if i < 0 {
		return Instrument{}, false
	}
	return instruments[i], true
}

// IntervalNames are the seed's candle intervals, shortest first.
var IntervalNames = []string{"1m", "5m", "15m", "1h", "4h", "1d"}

// Intervals maps each interval name to its length. It is read-only.
var Intervals = map[string]time.Duration{
	"1m": time.Minute, "5m": 5 * time.Minute, "15m": 15 * time.Minute,
	"1h": time.Hour, "4h": 4 * time.Hour, "1d": 24 * time.Hour,
}

// HistoryEnd is when every shipped candle series ends: the close of its last
// candle. A fixed instant keeps the data, and every test over it, stable.
var HistoryEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// CandlesPerSeries is the number of candles shipped for each symbol and
// interval.
const CandlesPerSeries = 500

// DerivedPlaces is the number of decimal places that derived prices (VWAP,
// SMA, ATR, average fill price, reported notionals) are rounded to, once,
// half away from zero. It matches the scale of the tools' output schemas.
const DerivedPlaces = 8
