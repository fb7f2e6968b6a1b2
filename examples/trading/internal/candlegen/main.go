// Command candlegen writes the trading example's candle history: for every
// instrument and interval, a deterministic random walk of OHLCV candles
// ending at market.HistoryEnd, as gzip'd CSV. Run through go generate in
// ../../market.
package main

import (
	"compress/gzip"
	"encoding/csv"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/mcpgen/mcpgen/examples/trading/market"
	"github.com/shopspring/decimal"
)

func main() {
	out := flag.String("out", "candles.csv.gz", "output file")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "candlegen:", err)
		os.Exit(1)
	}
}

func write(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	zw.ModTime = market.HistoryEnd // keeps the file byte-identical across runs
	w := csv.NewWriter(zw)
	w.Write([]string{"symbol", "interval", "start", "open", "high", "low", "close", "volume"})
	symbols := sortedKeys(market.Instruments)
	intervals := sortedKeys(market.Intervals)
	for si, sym := range symbols {
		inst := market.Instruments[sym]
		for ii, iv := range intervals {
			step := market.Intervals[iv]
			rng := rand.New(rand.NewPCG(uint64(si+1), uint64(ii+1)))
			price, _ := inst.Base.Float64()
			vol := 0.0005 * math.Sqrt(step.Minutes())
			start := market.HistoryEnd.Add(-step * market.CandlesPerSeries)
			for i := 0; i < market.CandlesPerSeries; i++ {
				open := price
				close := open * math.Exp(rng.NormFloat64()*vol)
				high := math.Max(open, close) * (1 + rng.Float64()*vol/2)
				low := math.Min(open, close) * (1 - rng.Float64()*vol/2)
				volume := 1000 + rng.Float64()*9000*math.Sqrt(step.Minutes())
				w.Write([]string{sym, iv, strconv.FormatInt(start.Add(step*i64(i)).Unix(), 10),
					round(open, inst.Places), round(high, inst.Places), round(low, inst.Places), round(close, inst.Places),
					round(volume, 2)})
				price = close
			}
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return zw.Close()
}

func i64(i int) time.Duration { return time.Duration(i) }

func round(v float64, places int32) string {
	return decimal.NewFromFloat(v).Round(places).StringFixed(places)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
