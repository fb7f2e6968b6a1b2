package market

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/mcpgen/mcpgen/runtime"
	"github.com/shopspring/decimal"
)

//go:embed candles.csv.gz
var candlesGz []byte

// Candle is one OHLCV bar starting at Start.
type Candle struct {
	Start                  time.Time
	Open, High, Low, Close decimal.Decimal
	Volume                 decimal.Decimal
}

type seriesKey struct{ symbol, interval string }

var history = sync.OnceValues(loadHistory)

func loadHistory() (map[seriesKey][]Candle, error) {
	zr, err := gzip.NewReader(bytes.NewReader(candlesGz))
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(zr)
	if _, err := r.Read(); err != nil { // header
		return nil, err
	}
	out := map[seriesKey][]Candle{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		unix, err := strconv.ParseInt(rec[2], 10, 64)
		if err != nil {
			return nil, err
		}
		c := Candle{Start: time.Unix(unix, 0).UTC()}
		for i, dst := range []*decimal.Decimal{&c.Open, &c.High, &c.Low, &c.Close, &c.Volume} {
			if *dst, err = decimal.NewFromString(rec[3+i]); err != nil {
				return nil, err
			}
		}
		k := seriesKey{rec[0], rec[1]}
		out[k] = append(out[k], c)
	}
	for _, s := range out {
		sort.Slice(s, func(i, j int) bool { return s[i].Start.Before(s[j].Start) })
	}
	return out, nil
}

// Window returns the size candles of symbol and interval that closed at or
// before end, oldest first. It fails with MCP-010 when the history is
// shorter than the window.
func Window(symbol, interval string, end time.Time, size int) ([]Candle, error) {
	all, err := history()
	if err != nil {
		return nil, runtime.Errorf(runtime.CodeBackendUnavailable, "candle history unavailable")
	}
	series, ok := all[seriesKey{symbol, interval}]
	if !ok {
		return nil, runtime.Errorf(runtime.CodeInsufficientData, "no candles for %s %s", symbol, interval)
	}
	step := Intervals[interval]
	// Candles that closed by end: Start+step <= end.
	n := sort.Search(len(series), func(i int) bool { return series[i].Start.Add(step).After(end) })
	if n < size {
		return nil, &runtime.Error{
			Code:    runtime.CodeInsufficientData,
			Message: fmt.Sprintf("window of %d candles needs more history: %d %s candles of %s end by %s", size, n, interval, symbol, end.UTC().Format(time.RFC3339)),
			Details: map[string]any{"available": n, "requested": size},
		}
	}
	return series[n-size : n], nil
}

// Features are statistics of a candle window.
type Features struct {
	Start, End             time.Time
	Open, High, Low, Close decimal.Decimal
	Volume                 decimal.Decimal
	VWAP                   decimal.Decimal // volume-weighted typical price, 8 places
	ATR                    decimal.Decimal // mean true range, 8 places
	ReturnMean             float64         // mean simple return per candle
	Volatility             float64         // sample standard deviation of returns
}

// Compute returns the features of a window of at least two candles. Prices
// stay exact decimals; only the return statistics, which are ratios, are
// float64.
func Compute(c []Candle, step time.Duration) Features {
	f := Features{Start: c[0].Start, End: c[len(c)-1].Start.Add(step), Open: c[0].Open, Close: c[len(c)-1].Close,
		High: c[0].High, Low: c[0].Low}
	three := decimal.NewFromInt(3)
	var pv, tr decimal.Decimal
	returns := make([]float64, 0, len(c)-1)
	for i, k := range c {
		f.High = decimal.Max(f.High, k.High)
		f.Low = decimal.Min(f.Low, k.Low)
		f.Volume = f.Volume.Add(k.Volume)
		pv = pv.Add(k.High.Add(k.Low).Add(k.Close).Div(three).Mul(k.Volume))
		rng := k.High.Sub(k.Low)
		if i > 0 {
			prev := c[i-1].Close
			rng = decimal.Max(rng, k.High.Sub(prev).Abs(), k.Low.Sub(prev).Abs())
			r, _ := k.Close.Sub(prev).Div(prev).Float64()
			returns = append(returns, r)
		}
		tr = tr.Add(rng)
	}
	if !f.Volume.IsZero() {
		f.VWAP = pv.Div(f.Volume).Round(8)
	}
	f.ATR = tr.Div(decimal.NewFromInt(int64(len(c)))).Round(8)
	for _, r := range returns {
		f.ReturnMean += r
	}
	f.ReturnMean /= float64(len(returns))
	for _, r := range returns {
		f.Volatility += (r - f.ReturnMean) * (r - f.ReturnMean)
	}
	if len(returns) > 1 {
		f.Volatility = math.Sqrt(f.Volatility / float64(len(returns)-1))
	}
	return f
}

// LastClose returns the latest close of symbol (from its 1m series).
func LastClose(symbol string) (decimal.Decimal, error) {
	c, err := Window(symbol, "1m", HistoryEnd, 1)
	if err != nil {
		return decimal.Decimal{}, err
	}
	return c[0].Close, nil
}
