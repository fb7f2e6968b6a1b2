package market

import (
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func embeddedCandles(t *testing.T) *Candles {
	t.Helper()
	c, err := EmbeddedCandles()
	require.NoError(t, err) // NewCandles has checked contiguity, OHLC and ticks
	return c
}

func TestEmbeddedHistoryCoversEverySymbolAndInterval(t *testing.T) {
	c := embeddedCandles(t)
	assert.Len(t, c.series, len(instruments)*len(IntervalNames))
	for _, inst := range Instruments() {
		for _, interval := range IntervalNames {
			n, start, end, ok := c.Range(inst.Symbol, interval)
			require.True(t, ok, "%s %s", inst.Symbol, interval)
			assert.Equal(t, CandlesPerSeries, n, "%s %s", inst.Symbol, interval)
			assert.Equal(t, HistoryEnd, end, "%s %s", inst.Symbol, interval)
			assert.Equal(t, HistoryEnd.Add(-CandlesPerSeries*Intervals[interval]), start, "%s %s", inst.Symbol, interval)
		}
	}
}

// The generator aggregates every interval from one walk of minutes, so each
// longer candle is exactly the shorter candles it spans, as far back as the
// shorter series reaches.
func TestEmbeddedIntervalsAgree(t *testing.T) {
	c := embeddedCandles(t)
	for _, inst := range Instruments() {
		for i := 1; i < len(IntervalNames); i++ {
			short, long := IntervalNames[i-1], IntervalNames[i]
			fine := c.series[seriesKey{inst.Symbol, short}]
			per := int(Intervals[long] / Intervals[short])
			covered := len(fine) / per
			coarse := c.series[seriesKey{inst.Symbol, long}]
			for j := 1; j <= covered; j++ {
				got := coarse[len(coarse)-j]
				group := fine[len(fine)-j*per : len(fine)-(j-1)*per]
				want := group[0]
				for _, k := range group[1:] {
					want.High = decimal.Max(want.High, k.High)
					want.Low = decimal.Min(want.Low, k.Low)
					want.Close, want.End = k.Close, k.End
					want.Volume = want.Volume.Add(k.Volume)
				}
				if !assert.Equal(t, show(want), show(got), "%s %s candle ending %s from %s", inst.Symbol, long, got.End, short) {
					break
				}
			}
		}
	}
}

// show prints a candle so a mismatch reads as numbers.
func show(k Candle) string {
	return k.Start.Format(time.RFC3339) + " " + k.End.Format(time.RFC3339) + " " +
		k.Open.String() + " " + k.High.String() + " " + k.Low.String() + " " + k.Close.String() + " " + k.Volume.String()
}

func TestEmbeddedLastCloses(t *testing.T) {
	c := embeddedCandles(t)
	// The walks end at these prices (see internal/candlegen).
	want := map[string]string{
		"EURUSD": "1.16420", "GBPUSD": "1.33750", "USDJPY": "152.340", "AUDUSD": "0.65890", "USDCAD": "1.39820",
		"BTC/USD": "96500.00", "ETH/USD": "3420.00", "SPY": "668.40", "QQQ": "603.20", "IWM": "241.70",
	}
	for symbol, price := range want {
		got, err := c.LastClose(symbol)
		require.NoError(t, err)
		assertDecimal(t, price, got, symbol)
		for _, interval := range IntervalNames {
			s := c.series[seriesKey{symbol, interval}]
			assertDecimal(t, price, s[len(s)-1].Close, symbol+" "+interval)
		}
	}
}

func TestEmbeddedWindowLongerThanTheHistory(t *testing.T) {
	c := embeddedCandles(t)
	_, err := c.Window("EURUSD", "1h", HistoryEnd, 600)
	assertCode(t, err, mcperr.CodeInsufficientData,
		"window of 600 candles needs data back to 2026-10-07T00:00:00Z; only 500 available for EURUSD 1h (history starts 2026-10-11T04:00:00Z)")

	w, err := c.Window("EURUSD", "1h", HistoryEnd, 500)
	require.NoError(t, err)
	assert.Len(t, w, 500)
}
