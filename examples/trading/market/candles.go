package market

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/shopspring/decimal"

	"github.com/mcpgen/mcpgen/examples/trading/data"
)

// Candle is one OHLCV bar covering [Start, End).
type Candle struct {
	Start, End             time.Time
	Open, High, Low, Close decimal.Decimal
	Volume                 decimal.Decimal
}

// Series is the candles of one symbol and interval, oldest first.
type Series struct {
	Symbol   string
	Interval string // one of IntervalNames
	Candles  []Candle
}

type seriesKey struct{ symbol, interval string }

// Candles is an immutable candle history indexed by symbol and interval. It
// is safe for concurrent use.
type Candles struct {
	series map[seriesKey][]Candle
}

// NewCandles checks and indexes series. Each series must be contiguous
// (every candle starts where the previous one ended), have consistent OHLC
// (0 < low ≤ open, close ≤ high; volume ≥ 0) and, for a known instrument,
// prices on its tick. A candle's End may be left zero: it is set from the
// interval. The candles are copied.
func NewCandles(series ...Series) (*Candles, error) {
	c := &Candles{series: make(map[seriesKey][]Candle, len(series))}
	for _, s := range series {
		k := seriesKey{s.Symbol, s.Interval}
		if _, dup := c.series[k]; dup {
			return nil, fmt.Errorf("%s %s: series given twice", s.Symbol, s.Interval)
		}
		checked, err := checkSeries(s)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", s.Symbol, s.Interval, err)
		}
		c.series[k] = checked
	}
	return c, nil
}

func checkSeries(s Series) ([]Candle, error) {
	step, ok := Intervals[s.Interval]
	if !ok {
		return nil, fmt.Errorf("unknown interval %q", s.Interval)
	}
	if len(s.Candles) == 0 {
		return nil, errors.New("no candles")
	}
	inst, known := LookupInstrument(s.Symbol)
	out := slices.Clone(s.Candles)
	for i := range out {
		k := &out[i]
		if k.End.IsZero() {
			k.End = k.Start.Add(step)
		}
		if !k.End.Equal(k.Start.Add(step)) {
			return nil, fmt.Errorf("candle %d: %s to %s is not one %s interval", i, k.Start.Format(time.RFC3339), k.End.Format(time.RFC3339), s.Interval)
		}
		if i > 0 && !k.Start.Equal(out[i-1].End) {
			return nil, fmt.Errorf("candle %d: starts %s, not where candle %d ended (%s)", i, k.Start.Format(time.RFC3339), i-1, out[i-1].End.Format(time.RFC3339))
		}
		if !k.Low.IsPositive() || k.Low.GreaterThan(decimal.Min(k.Open, k.Close)) || k.High.LessThan(decimal.Max(k.Open, k.Close)) {
			return nil, fmt.Errorf("candle %d at %s: inconsistent OHLC %s %s %s %s (need 0 < low ≤ open, close ≤ high)", i, k.Start.Format(time.RFC3339), k.Open, k.High, k.Low, k.Close)
		}
		if k.Volume.IsNegative() {
			return nil, fmt.Errorf("candle %d at %s: negative volume %s", i, k.Start.Format(time.RFC3339), k.Volume)
		}
		if known {
			for _, p := range []decimal.Decimal{k.Open, k.High, k.Low, k.Close} {
				if !p.Mod(inst.Tick).IsZero() {
					return nil, fmt.Errorf("candle %d at %s: price %s is not a multiple of the %s tick %s", i, k.Start.Format(time.RFC3339), p, s.Symbol, inst.Tick)
				}
			}
		}
	}
	return out, nil
}

// SeriesHeader is the first line of every series file.
const SeriesHeader = "start,open,high,low,close,volume"

// SeriesFileName is the name of the file holding a symbol's candles for an
// interval, such as "EURUSD_1h.csv" or "BTC-USD_1d.csv" (a slash cannot be
// part of a file name).
func SeriesFileName(symbol, interval string) string {
	return strings.ReplaceAll(symbol, "/", "-") + "_" + interval + ".csv"
}

// LoadCandles reads every *.csv file at the root of fsys as a series named
// by SeriesFileName: a SeriesHeader line, then one candle per line with its
// start in RFC 3339 and decimal prices and volume.
func LoadCandles(fsys fs.FS) (*Candles, error) {
	names, err := fs.Glob(fsys, "*.csv")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("no candle files (*.csv)")
	}
	series := make([]Series, 0, len(names))
	for _, name := range names {
		s, err := readSeries(fsys, name)
		if err != nil {
			return nil, err
		}
		series = append(series, s)
	}
	return NewCandles(series...)
}

func readSeries(fsys fs.FS, name string) (Series, error) {
	base := strings.TrimSuffix(path.Base(name), ".csv")
	cut := strings.LastIndexByte(base, '_')
	if cut < 1 {
		return Series{}, fmt.Errorf("%s: file name is not SYMBOL_INTERVAL.csv", name)
	}
	s := Series{Symbol: strings.ReplaceAll(base[:cut], "-", "/"), Interval: base[cut+1:]}
	raw, err := fs.ReadFile(fsys, name)
	if err != nil {
		return Series{}, err
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = 6
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return Series{}, fmt.Errorf("%s: %w", name, err)
	}
	if strings.Join(header, ",") != SeriesHeader {
		return Series{}, fmt.Errorf("%s:1: header is %q, want %q", name, strings.Join(header, ","), SeriesHeader)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Series{}, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		var k Candle
		if k.Start, err = time.Parse(time.RFC3339, rec[0]); err != nil {
			return Series{}, fmt.Errorf("%s:%d: start: %w", name, line, err)
		}
		for i, dst := range []*decimal.Decimal{&k.Open, &k.High, &k.Low, &k.Close, &k.Volume} {
			if *dst, err = decimal.NewFromString(rec[1+i]); err != nil {
				return Series{}, fmt.Errorf("%s:%d: %s: %w", name, line, strings.Split(SeriesHeader, ",")[1+i], err)
			}
		}
		s.Candles = append(s.Candles, k)
	}
	return s, nil
}

var embedded = sync.OnceValues(func() (*Candles, error) { return LoadCandles(data.FS) })

// EmbeddedCandles returns the history shipped with the example (see package
// data), read once on first use.
func EmbeddedCandles() (*Candles, error) { return embedded() }

// Window returns the size candles of symbol and interval that end at or
// before end, oldest first. The slice is the caller's to keep or change.
//
// It fails with MCP-010 when fewer than size such candles exist, saying how
// far back the window would reach and how many candles there are, and when
// there is no history for the symbol and interval at all; with MCP-001 for
// an unknown interval or a size below 1.
func (c *Candles) Window(symbol, interval string, end time.Time, size int) ([]Candle, error) {
	step, ok := Intervals[interval]
	if !ok {
		return nil, mcperr.Errorf(mcperr.CodeInvalidArgs, "unknown interval %q: want one of %s", interval, strings.Join(IntervalNames, ", "))
	}
	if size < 1 {
		return nil, mcperr.Errorf(mcperr.CodeInvalidArgs, "window size must be at least 1, got %d", size)
	}
	series, ok := c.series[seriesKey{symbol, interval}]
	if !ok {
		return nil, &mcperr.Error{
			Code:    mcperr.CodeInsufficientData,
			Message: fmt.Sprintf("no %s candle history for %s", interval, symbol),
			Details: map[string]any{"symbol": symbol, "interval": interval},
		}
	}
	n := sort.Search(len(series), func(i int) bool { return series[i].End.After(end) })
	if n < size {
		// The window ends where the last candle it may hold ends, or, when
		// no candle has ended yet, on the interval boundary before end.
		windowEnd := end.UTC().Truncate(step)
		if n > 0 {
			windowEnd = series[n-1].End
		}
		from := windowEnd.Add(-step * time.Duration(size))
		return nil, &mcperr.Error{
			Code: mcperr.CodeInsufficientData,
			Message: fmt.Sprintf("window of %s needs data back to %s; only %d available for %s %s (history starts %s)",
				plural(size, "candle"), from.UTC().Format(time.RFC3339), n, symbol, interval, series[0].Start.UTC().Format(time.RFC3339)),
			Details: map[string]any{
				"symbol": symbol, "interval": interval, "requested": size, "available": n,
				"needs_from": from.UTC().Format(time.RFC3339), "history_start": series[0].Start.UTC().Format(time.RFC3339),
			},
		}
	}
	return slices.Clone(series[n-size : n]), nil
}

// plural returns "1 candle", "2 candles" and so on.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// LastClose returns the close of the most recent candle of symbol, taken
// from its shortest interval. It fails with MCP-010 when there is no
// history for symbol.
func (c *Candles) LastClose(symbol string) (decimal.Decimal, error) {
	for _, interval := range IntervalNames {
		if s, ok := c.series[seriesKey{symbol, interval}]; ok {
			return s[len(s)-1].Close, nil
		}
	}
	return decimal.Decimal{}, &mcperr.Error{
		Code:    mcperr.CodeInsufficientData,
		Message: fmt.Sprintf("no candle history for %s, so no last price", symbol),
		Details: map[string]any{"symbol": symbol},
	}
}

// Range returns the number of candles of symbol and interval and the span
// they cover, or ok false when there are none.
func (c *Candles) Range(symbol, interval string) (n int, start, end time.Time, ok bool) {
	s, ok := c.series[seriesKey{symbol, interval}]
	if !ok {
		return 0, time.Time{}, time.Time{}, false
	}
	return len(s), s[0].Start, s[len(s)-1].End, true
}

// PriceSource gives the last price of a symbol: what Limits values an order
// that names no price at, and where Book centres its books. *Candles is
// one; FixedPrices is another.
type PriceSource interface {
	LastClose(symbol string) (decimal.Decimal, error)
}
