package market

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// fourCandles is a window small enough to check by hand. Typical prices
// (h+l+c) are 310, 326, 310, 312; true ranges 15, 8, 12, 8; returns 1/21,
// -1/11, 1/25.
var fourCandles = hourly(t0,
	[5]string{"100", "110", "95", "105", "10"},
	[5]string{"105", "112", "104", "110", "20"},
	[5]string{"110", "111", "99", "100", "30"},
	[5]string{"100", "108", "100", "104", "40"},
)

func withEnds(c []Candle) []Candle {
	out := make([]Candle, len(c))
	for i, k := range c {
		k.End = k.Start.Add(time.Hour)
		out[i] = k
	}
	return out
}

func TestFeaturesOfAHandMadeWindow(t *testing.T) {
	f := Features(withEnds(fourCandles))
	assert.Equal(t, 4, f.Count)
	assert.Equal(t, t0, f.Start)
	assert.Equal(t, t0.Add(4*time.Hour), f.End)
	assertDecimal(t, "100", f.Open, "open")
	assertDecimal(t, "112", f.High, "high")
	assertDecimal(t, "95", f.Low, "low")
	assertDecimal(t, "104", f.Close, "close")
	assertDecimal(t, "100", f.Volume, "volume")
	// (310·10 + 326·20 + 310·30 + 312·40) / (3·100) = 31400/300 = 104.666…
	assertDecimal(t, "104.66666667", f.VWAP, "vwap")
	// (105 + 110 + 100 + 104) / 4
	assertDecimal(t, "104.75", f.SMA, "sma")
	// (15 + 8 + 12 + 8) / 4; the second candle's range 8 beats |112-105| = 7,
	// the third's gap down to 99 from 110 (11) loses to its range 12.
	assertDecimal(t, "10.75", f.ATR, "atr")
	// Mean of 1/21 - 1/11 + 1/25 = -19/5775 over 3; sample deviation from
	// exact rational arithmetic.
	assert.InDelta(t, -19.0/17325, f.ReturnMean, 1e-17)
	assert.InDelta(t, 0.07787306459161289, f.Volatility, 1e-16)
}

func TestFeaturesEdgeCases(t *testing.T) {
	tests := []struct {
		name       string
		window     []Candle
		vwap, atr  string
		mean, stdv float64
	}{
		{
			name:   "one candle: its range, no returns",
			window: withEnds(fourCandles[:1]),
			vwap:   "103.33333333", atr: "15",
		},
		{
			name:   "two candles: one return, no deviation",
			window: withEnds(fourCandles[:2]),
			vwap:   "106.88888889", atr: "11.5", mean: 1.0 / 21,
		},
		{
			name: "no volume: VWAP falls back to the mean typical price",
			window: withEnds(hourly(t0,
				[5]string{"1.10000", "1.10010", "1.09990", "1.10000", "0"},
				[5]string{"1.10000", "1.10030", "1.10000", "1.10030", "0"})),
			// (3.30000 + 3.30060) / 6
			vwap: "1.1001", atr: "0.00025", mean: 0.00027272727272727274,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Features(tt.window)
			assertDecimal(t, tt.vwap, f.VWAP, "vwap")
			assertDecimal(t, tt.atr, f.ATR, "atr")
			assert.InDelta(t, tt.mean, f.ReturnMean, 1e-17)
			assert.Equal(t, tt.stdv, f.Volatility)
		})
	}
}

func TestFeaturesOfNothingIsZero(t *testing.T) {
	assert.Equal(t, FeatureSet{}, Features(nil))
}
