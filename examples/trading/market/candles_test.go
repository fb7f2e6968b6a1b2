package market

import (
	"testing"
	"testing/fstest"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fiveHours is EURUSD 1h from 00:00 to 05:00 on t0's day.
func fiveHours(t *testing.T) *Candles {
	t.Helper()
	c, err := NewCandles(Series{Symbol: "EURUSD", Interval: "1h", Candles: hourly(t0,
		[5]string{"1.10000", "1.10100", "1.09900", "1.10050", "100"},
		[5]string{"1.10050", "1.10200", "1.10000", "1.10150", "200"},
		[5]string{"1.10150", "1.10150", "1.09800", "1.09850", "300"},
		[5]string{"1.09850", "1.09950", "1.09700", "1.09900", "400"},
		[5]string{"1.09900", "1.10000", "1.09850", "1.09950", "500"},
	)})
	require.NoError(t, err)
	return c
}

func TestWindowEndsAtTheLastCandleClosedByEnd(t *testing.T) {
	c := fiveHours(t)
	tests := []struct {
		name       string
		end        time.Time
		size       int
		wantStarts []string // hours of day
	}{
		{"end on the last close", t0.Add(5 * time.Hour), 5, []string{"00", "01", "02", "03", "04"}},
		{"the latest candles only", t0.Add(5 * time.Hour), 2, []string{"03", "04"}},
		{"end inside a candle leaves it out", t0.Add(3*time.Hour + 30*time.Minute), 2, []string{"01", "02"}},
		{"end one instant before a close leaves that candle out", t0.Add(3*time.Hour - time.Nanosecond), 1, []string{"01"}},
		{"end after the history", t0.AddDate(1, 0, 0), 3, []string{"02", "03", "04"}},
		{"end in another zone", t0.Add(5 * time.Hour).In(time.FixedZone("UTC+2", 7200)), 1, []string{"04"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := c.Window("EURUSD", "1h", tt.end, tt.size)
			require.NoError(t, err)
			var starts []string
			for _, k := range w {
				starts = append(starts, k.Start.Format("15"))
				assert.Equal(t, k.Start.Add(time.Hour), k.End)
			}
			assert.Equal(t, tt.wantStarts, starts)
		})
	}
}

func TestWindowFailures(t *testing.T) {
	c := fiveHours(t)
	tests := []struct {
		name     string
		symbol   string
		interval string
		end      time.Time
		size     int
		code     mcperr.Code
		message  string
	}{
		{
			name: "one candle more than the history", symbol: "EURUSD", interval: "1h", end: t0.Add(5 * time.Hour), size: 6,
			code:    mcperr.CodeInsufficientData,
			message: "window of 6 candles needs data back to 2026-01-04T23:00:00Z; only 5 available for EURUSD 1h (history starts 2026-01-05T00:00:00Z)",
		},
		{
			name: "end inside the history counts only the candles before it", symbol: "EURUSD", interval: "1h", end: t0.Add(3*time.Hour + 30*time.Minute), size: 4,
			code:    mcperr.CodeInsufficientData,
			message: "window of 4 candles needs data back to 2026-01-04T23:00:00Z; only 3 available for EURUSD 1h (history starts 2026-01-05T00:00:00Z)",
		},
		{
			name: "end before the history", symbol: "EURUSD", interval: "1h", end: t0.Add(-11*time.Hour - 26*time.Minute), size: 1,
			code:    mcperr.CodeInsufficientData,
			message: "window of 1 candle needs data back to 2026-01-04T11:00:00Z; only 0 available for EURUSD 1h (history starts 2026-01-05T00:00:00Z)",
		},
		{
			name: "symbol without history", symbol: "GBPUSD", interval: "1h", end: t0, size: 1,
			code: mcperr.CodeInsufficientData, message: "no 1h candle history for GBPUSD",
		},
		{
			name: "interval without history", symbol: "EURUSD", interval: "1d", end: t0, size: 1,
			code: mcperr.CodeInsufficientData, message: "no 1d candle history for EURUSD",
		},
		{
			name: "unknown interval", symbol: "EURUSD", interval: "2h", end: t0, size: 1,
			code: mcperr.CodeInvalidArgs, message: `unknown interval "2h": want one of 1m, 5m, 15m, 1h, 4h, 1d`,
		},
		{
			name: "empty window", symbol: "EURUSD", interval: "1h", end: t0, size: 0,
			code: mcperr.CodeInvalidArgs, message: "window size must be at least 1, got 0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := c.Window(tt.symbol, tt.interval, tt.end, tt.size)
			assert.Nil(t, w)
			assertCode(t, err, tt.code, tt.message)
		})
	}
}

func TestWindowDetailsSayWhatIsMissing(t *testing.T) {
	_, err := fiveHours(t).Window("EURUSD", "1h", t0.Add(5*time.Hour), 8)
	assert.Equal(t, map[string]any{
		"symbol": "EURUSD", "interval": "1h", "requested": 8, "available": 5,
		"needs_from": "2026-01-04T21:00:00Z", "history_start": "2026-01-05T00:00:00Z",
	}, mcperr.AsError(err).Details)
}

func TestWindowIsTheCallersCopy(t *testing.T) {
	c := fiveHours(t)
	w, err := c.Window("EURUSD", "1h", t0.Add(5*time.Hour), 1)
	require.NoError(t, err)
	w[0].Close = d("9")
	w, err = c.Window("EURUSD", "1h", t0.Add(5*time.Hour), 1)
	require.NoError(t, err)
	assertDecimal(t, "1.09950", w[0].Close, "close")
}

func TestLastClose(t *testing.T) {
	c := fiveHours(t)
	got, err := c.LastClose("EURUSD")
	require.NoError(t, err)
	assertDecimal(t, "1.09950", got, "last close")
	_, err = c.LastClose("USDJPY")
	assertCode(t, err, mcperr.CodeInsufficientData, "no candle history for USDJPY, so no last price")
}

func TestNewCandlesRejectsInconsistentSeries(t *testing.T) {
	ok := func() []Candle {
		return hourly(t0,
			[5]string{"1.10000", "1.10100", "1.09900", "1.10050", "100"},
			[5]string{"1.10050", "1.10200", "1.10000", "1.10150", "200"})
	}
	tests := []struct {
		name   string
		series []Series
		err    string
	}{
		{
			name: "gap between candles",
			series: []Series{{"EURUSD", "1h", func() []Candle {
				c := ok()
				c[1].Start = c[1].Start.Add(time.Hour)
				return c
			}()}},
			err: "EURUSD 1h: candle 1: starts 2026-01-05T02:00:00Z, not where candle 0 ended (2026-01-05T01:00:00Z)",
		},
		{
			name: "end not one interval after start",
			series: []Series{{"EURUSD", "1h", func() []Candle {
				c := ok()
				c[0].End = c[0].Start.Add(time.Minute)
				return c
			}()}},
			err: "EURUSD 1h: candle 0: 2026-01-05T00:00:00Z to 2026-01-05T00:01:00Z is not one 1h interval",
		},
		{
			name: "low above the open",
			series: []Series{{"EURUSD", "1h", func() []Candle {
				c := ok()
				c[1].Low = d("1.10060")
				return c
			}()}},
			err: "EURUSD 1h: candle 1 at 2026-01-05T01:00:00Z: inconsistent OHLC 1.1005 1.102 1.1006 1.1015 (need 0 < low ≤ open, close ≤ high)",
		},
		{
			name: "high below the close",
			series: []Series{{"EURUSD", "1h", func() []Candle {
				c := ok()
				c[0].High = d("1.10040")
				return c
			}()}},
			err: "EURUSD 1h: candle 0 at 2026-01-05T00:00:00Z: inconsistent OHLC 1.1 1.1004 1.099 1.1005 (need 0 < low ≤ open, close ≤ high)",
		},
		{
			name: "price off the tick",
			series: []Series{{"EURUSD", "1h", func() []Candle {
				c := ok()
				c[0].High = d("1.101005")
				return c
			}()}},
			err: "EURUSD 1h: candle 0 at 2026-01-05T00:00:00Z: price 1.101005 is not a multiple of the EURUSD tick 0.00001",
		},
		{
			name: "negative volume",
			series: []Series{{"EURUSD", "1h", func() []Candle {
				c := ok()
				c[0].Volume = d("-1")
				return c
			}()}},
			err: "EURUSD 1h: candle 0 at 2026-01-05T00:00:00Z: negative volume -1",
		},
		{name: "no candles", series: []Series{{"EURUSD", "1h", nil}}, err: "EURUSD 1h: no candles"},
		{name: "unknown interval", series: []Series{{"EURUSD", "2h", ok()}}, err: `EURUSD 2h: unknown interval "2h"`},
		{name: "same series twice", series: []Series{{"EURUSD", "1h", ok()}, {"EURUSD", "1h", ok()}}, err: "EURUSD 1h: series given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCandles(tt.series...)
			assert.Nil(t, c)
			assert.EqualError(t, err, tt.err)
		})
	}
}

func TestLoadCandles(t *testing.T) {
	const header = SeriesHeader + "\n"
	good := header +
		"2026-01-05T00:00:00Z,96500.00,96600.00,96400.00,96550.00,12.5\n" +
		"2026-01-05T01:00:00Z,96550.00,96700.00,96500.00,96650.00,7\n"
	t.Run("file names give symbol and interval", func(t *testing.T) {
		c, err := LoadCandles(fstest.MapFS{"BTC-USD_1h.csv": {Data: []byte(good)}, "README.md": {}})
		require.NoError(t, err)
		n, start, end, ok := c.Range("BTC/USD", "1h")
		assert.True(t, ok)
		assert.Equal(t, 2, n)
		assert.Equal(t, t0, start)
		assert.Equal(t, t0.Add(2*time.Hour), end)
	})
	tests := []struct {
		name  string
		files fstest.MapFS
		err   string
	}{
		{"no files", fstest.MapFS{}, "no candle files (*.csv)"},
		{"name without interval", fstest.MapFS{"EURUSD.csv": {Data: []byte(good)}}, "EURUSD.csv: file name is not SYMBOL_INTERVAL.csv"},
		{"wrong header", fstest.MapFS{"EURUSD_1h.csv": {Data: []byte("time,o,h,l,c,v\n")}},
			`EURUSD_1h.csv:1: header is "time,o,h,l,c,v", want "start,open,high,low,close,volume"`},
		{"bad time", fstest.MapFS{"EURUSD_1h.csv": {Data: []byte(header + "yesterday,1,1,1,1,1\n")}},
			`EURUSD_1h.csv:2: start: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`},
		{"bad number on line 3", fstest.MapFS{"EURUSD_1h.csv": {Data: []byte(header + "2026-01-05T00:00:00Z,1,1,1,1,1\n2026-01-05T01:00:00Z,1,1,1,x,1\n")}},
			`EURUSD_1h.csv:3: close: can't convert x to decimal`},
		{"missing column", fstest.MapFS{"EURUSD_1h.csv": {Data: []byte(header + "2026-01-05T00:00:00Z,1,1,1,1\n")}},
			"EURUSD_1h.csv: record on line 2: wrong number of fields"},
		{"inconsistent candle", fstest.MapFS{"BTC-USD_1h.csv": {Data: []byte(header + "2026-01-05T00:00:00Z,2,1,1,1,1\n")}},
			"BTC/USD 1h: candle 0 at 2026-01-05T00:00:00Z: inconsistent OHLC 2 1 1 1 (need 0 < low ≤ open, close ≤ high)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadCandles(tt.files)
			assert.Nil(t, c)
			assert.EqualError(t, err, tt.err)
		})
	}
}
