package market

import (
	"math"
	"time"

	"github.com/shopspring/decimal"
)

// FeatureSet is the statistics of a candle window. Prices and volume are
// exact decimals: OHLC and Volume as they are, VWAP, SMA and ATR divided
// once and rounded to DerivedPlaces. The return statistics are float64:
// they are ratios for models, not money, and a decimal square root would
// be no more exact.
type FeatureSet struct {
	Count      int       // candles in the window
	Start, End time.Time // the window covers [Start, End)
	Open       decimal.Decimal
	High       decimal.Decimal
	Low        decimal.Decimal
	Close      decimal.Decimal
	Volume     decimal.Decimal // total volume
	VWAP       decimal.Decimal // typical price (high+low+close)/3 weighted by volume; unweighted when the window has no volume
	SMA        decimal.Decimal // mean close
	ATR        decimal.Decimal // mean true range; the first candle's true range is its high-low, as it has no previous close
	ReturnMean float64         // mean simple return close/previous close - 1, per candle
	Volatility float64         // sample standard deviation of those returns, per candle (not annualised)
}

// Features returns the statistics of a window, oldest candle first, such as
// one from Candles.Window. An empty window gives the zero FeatureSet; a
// window of one or two candles has zero Volatility, as a sample deviation
// needs two returns.
//
// The result is the same to the bit on every platform: decimals are exact,
// and the float64 arithmetic is a fixed sequence of correctly rounded
// operations that the compiler may not fuse.
func Features(c []Candle) FeatureSet {
	if len(c) == 0 {
		return FeatureSet{}
	}
	first, last := c[0], c[len(c)-1]
	f := FeatureSet{
		Count: len(c), Start: first.Start, End: last.End,
		Open: first.Open, High: first.High, Low: first.Low, Close: last.Close,
	}
	var typicalVolume, typicalSum, closeSum, trueRangeSum decimal.Decimal
	returns := make([]float64, 0, len(c)-1)
	for i, k := range c {
		f.High = decimal.Max(f.High, k.High)
		f.Low = decimal.Min(f.Low, k.Low)
		f.Volume = f.Volume.Add(k.Volume)
		// Sums of high+low+close, divided by 3 only at the end: one rounding.
		typical := k.High.Add(k.Low).Add(k.Close)
		typicalSum = typicalSum.Add(typical)
		typicalVolume = typicalVolume.Add(typical.Mul(k.Volume))
		closeSum = closeSum.Add(k.Close)
		trueRange := k.High.Sub(k.Low)
		if i > 0 {
			prev := c[i-1].Close
			trueRange = decimal.Max(trueRange, k.High.Sub(prev).Abs(), k.Low.Sub(prev).Abs())
			returns = append(returns, simpleReturn(prev, k.Close))
		}
		trueRangeSum = trueRangeSum.Add(trueRange)
	}
	n := decimal.NewFromInt(int64(len(c)))
	three := decimal.NewFromInt(3)
	if f.Volume.IsZero() {
		f.VWAP = typicalSum.DivRound(three.Mul(n), DerivedPlaces)
	} else {
		f.VWAP = typicalVolume.DivRound(three.Mul(f.Volume), DerivedPlaces)
	}
	f.SMA = closeSum.DivRound(n, DerivedPlaces)
	f.ATR = trueRangeSum.DivRound(n, DerivedPlaces)
	f.ReturnMean, f.Volatility = meanStdev(returns)
	return f
}

// simpleReturn is cur/prev - 1, computed as (cur-prev)/prev so the
// difference is exact before the one float64 division: subtracting 1 from a
// ratio near 1 would throw away most of a small return's digits.
func simpleReturn(prev, cur decimal.Decimal) float64 {
	return cur.Sub(prev).InexactFloat64() / prev.InexactFloat64()
}

// meanStdev returns the mean and the sample standard deviation (n-1) of xs,
// in two passes for accuracy. The explicit float64 conversion stops the
// compiler from fusing the multiply-add, which would change the last bit on
// some architectures.
func meanStdev(xs []float64) (mean, stdev float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		d := x - mean
		ss += float64(d * d)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}
