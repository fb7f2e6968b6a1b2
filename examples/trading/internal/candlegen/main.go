// Command candlegen writes the trading example's candle history: for every
// instrument and interval, market.CandlesPerSeries OHLCV candles ending at
// market.HistoryEnd, one CSV file per series. It runs through go generate in
// ../../data:
//
//	go run ../internal/candlegen -out .
//
// The history is one random walk per symbol at one-minute resolution, walked
// backwards from a fixed last price, and every longer interval is aggregated
// from those minutes. So the series agree with each other (the 1h candle
// ending at 10:00 closes where the 1m candle ending at 10:00 does) and every
// series of a symbol ends at the same last close.
//
// Output is byte-identical on every platform: prices are whole ticks in
// int64, the normal deviates are sums of uniform draws from a seeded PCG
// (no math.Exp or math.Log, whose last bit may differ by architecture), and
// no float expression can be fused into an FMA.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/mcpgen/mcpgen/examples/trading/market"
)

// walk is how one symbol's minutes move.
type walk struct {
	last         string  // close of the last minute, at market.HistoryEnd
	annualVol    float64 // annualised volatility of returns
	volumeLots   int64   // mean volume per minute, in lots
	volumePlaces int32   // a lot is 10^-volumePlaces units
}

// wickFraction scales a minute's wicks: each is |N(0,1)| times this
// fraction of the minute's sigma beyond the body.
const wickFraction = 0.5

// floorTicks keeps a long walk from reaching zero or below.
const floorTicks = 1

// walks holds levels close to the markets' late-2025 ranges, typical
// volatilities, and volumes of the right order for each market.
var walks = map[string]walk{
	"EURUSD":  {"1.16420", 0.07, 5_000_000, 0},
	"GBPUSD":  {"1.33750", 0.08, 3_000_000, 0},
	"USDJPY":  {"152.340", 0.10, 4_000_000, 0},
	"AUDUSD":  {"0.65890", 0.10, 2_000_000, 0},
	"USDCAD":  {"1.39820", 0.06, 2_000_000, 0},
	"BTC/USD": {"96500.00", 0.55, 120_000, 4},
	"ETH/USD": {"3420.00", 0.70, 1_500_000, 4},
	"SPY":     {"668.40", 0.16, 100_000, 0},
	"QQQ":     {"603.20", 0.21, 60_000, 0},
	"IWM":     {"241.70", 0.23, 40_000, 0},
}

func main() {
	out := flag.String("out", ".", "directory to write the CSV files to")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "candlegen:", err)
		os.Exit(1)
	}
}

// run writes every series into dir.
func run(dir string) error {
	files, err := generate()
	if err != nil {
		return err
	}
	return write(dir, files)
}

// write writes files into dir and removes the CSV files that no longer
// belong there, so a dropped symbol does not linger in the embedded data.
func write(dir string, files map[string][]byte) error {
	old, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil {
		return err
	}
	for _, path := range old {
		if _, keep := files[filepath.Base(path)]; !keep {
			if err := os.Remove(path); err != nil {
				return err
			}
		}
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// generate returns the content of every series file by file name.
func generate() (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, inst := range market.Instruments() {
		w, ok := walks[inst.Symbol]
		if !ok {
			return nil, fmt.Errorf("no walk parameters for %s", inst.Symbol)
		}
		minutes, err := walkMinutes(inst, w)
		if err != nil {
			return nil, err
		}
		for _, interval := range market.IntervalNames {
			name := market.SeriesFileName(inst.Symbol, interval)
			width := market.Intervals[interval]
			files[name] = formatSeries(inst, w, width, aggregate(minutes, int(width.Minutes())))
		}
	}
	return files, nil
}

// bar is one candle in whole ticks and lots.
type bar struct {
	open, high, low, close, volume int64
}

// walkMinutes returns the one-minute bars of a symbol, oldest first, enough
// for CandlesPerSeries candles of the longest interval.
func walkMinutes(inst market.Instrument, w walk) ([]bar, error) {
	longest := slices.Max(slices.Collect(maps.Values(market.Intervals)))
	n := market.CandlesPerSeries * int(longest.Minutes())
	last, err := decimal.NewFromString(w.last)
	if err != nil {
		return nil, fmt.Errorf("%s: last price: %w", inst.Symbol, err)
	}
	if !last.Mod(inst.Tick).IsZero() {
		return nil, fmt.Errorf("%s: last price %s is not a multiple of the tick %s", inst.Symbol, last, inst.Tick)
	}
	rng := rand.New(rand.NewPCG(seed(inst.Symbol), 2026))
	// Per-minute sigma of returns: a year has 525,600 minutes.
	sigma := w.annualVol / math.Sqrt(525600)

	// closes[k] is the price at the start of minute k; closes[n] the last close.
	closes := make([]int64, n+1)
	closes[n] = last.Div(inst.Tick).IntPart()
	for k := n; k > 0; k-- {
		step := int64(math.Round(normal(rng) * sigma * float64(closes[k])))
		closes[k-1] = max(closes[k]-step, floorTicks)
	}
	bars := make([]bar, n)
	for k := range bars {
		o, c := closes[k], closes[k+1]
		up := int64(math.Round(math.Abs(normal(rng)) * wickFraction * sigma * float64(max(o, c))))
		down := int64(math.Round(math.Abs(normal(rng)) * wickFraction * sigma * float64(min(o, c))))
		// Volume varies uniformly between a fifth and 1.8 times the mean. The
		// conversion keeps 0.2 + 1.6·u from being fused into an FMA.
		volume := int64(math.Round(float64(w.volumeLots) * (0.2 + float64(1.6*rng.Float64()))))
		bars[k] = bar{open: o, high: max(o, c) + up, low: max(min(o, c)-down, floorTicks), close: c, volume: volume}
	}
	return bars, nil
}

// aggregate returns the last CandlesPerSeries candles of width minutes each
// from the one-minute bars, which end on a candle boundary.
func aggregate(minutes []bar, width int) []bar {
	out := make([]bar, market.CandlesPerSeries)
	first := len(minutes) - width*len(out)
	for j := range out {
		group := minutes[first+j*width : first+(j+1)*width]
		b := group[0]
		for _, m := range group[1:] {
			b.high = max(b.high, m.high)
			b.low = min(b.low, m.low)
			b.close = m.close
			b.volume += m.volume
		}
		out[j] = b
	}
	return out
}

// formatSeries renders candles of the given width, the last ending at
// market.HistoryEnd, as the CSV that market.LoadCandles reads.
func formatSeries(inst market.Instrument, w walk, width time.Duration, candles []bar) []byte {
	places := -inst.Tick.Exponent()
	price := func(ticks int64) string { return decimal.NewFromInt(ticks).Mul(inst.Tick).StringFixed(places) }
	var buf bytes.Buffer
	buf.WriteString(market.SeriesHeader + "\n")
	start := market.HistoryEnd.Add(-width * time.Duration(len(candles)))
	for i, c := range candles {
		fmt.Fprintf(&buf, "%s,%s,%s,%s,%s,%s\n", start.Add(width*time.Duration(i)).Format(time.RFC3339),
			price(c.open), price(c.high), price(c.low), price(c.close),
			decimal.New(c.volume, -w.volumePlaces).StringFixed(w.volumePlaces))
	}
	return buf.Bytes()
}

// normal returns a standard normal deviate as the Irwin-Hall sum of twelve
// uniforms: exact to the bit on every platform, and its tails (cut at ±6)
// do no harm to a price walk.
func normal(rng *rand.Rand) float64 {
	var s float64
	for range 12 {
		s += rng.Float64()
	}
	return s - 6
}

// seed derives a symbol's PRNG seed from its name, so adding or reordering
// instruments leaves every other symbol's history unchanged.
func seed(symbol string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(symbol))
	return h.Sum64()
}
