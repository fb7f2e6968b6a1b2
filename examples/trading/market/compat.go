package market

import (
	"sync"
	"time"

	"github.com/mcpgen/mcpgen/runtime"
	"github.com/shopspring/decimal"
)

// This file keeps the package's first, package-level API working over the
// embedded history and the default limits and books, for callers not yet
// moved to Candles, Limits and Book.

var defaults = sync.OnceValues(func() (*Limits, *Book) {
	candles, err := EmbeddedCandles()
	if err != nil {
		return nil, nil
	}
	// Neither can fail: the tests build both from the same defaults.
	limits, _ := NewLimits(DefaultLimits(), candles)
	book, _ := NewBook(DefaultBookSpecs(), candles)
	return limits, book
})

// Window is Candles.Window over the embedded history.
//
// Deprecated: use EmbeddedCandles and Candles.Window.
func Window(symbol, interval string, end time.Time, size int) ([]Candle, error) {
	c, err := EmbeddedCandles()
	if err != nil {
		return nil, err
	}
	return c.Window(symbol, interval, end, size)
}

// LastClose is Candles.LastClose over the embedded history.
//
// Deprecated: use EmbeddedCandles and Candles.LastClose.
func LastClose(symbol string) (decimal.Decimal, error) {
	c, err := EmbeddedCandles()
	if err != nil {
		return decimal.Decimal{}, err
	}
	return c.LastClose(symbol)
}

// Compute is Features; the interval is no longer needed, as candles carry
// their end.
//
// Deprecated: use Features.
func Compute(c []Candle, _ time.Duration) FeatureSet { return Features(c) }

// CheckLimits is Limits.Check with the default limits at a given price. An
// order it cannot check comes back refused, with the error as its reason.
//
// Deprecated: use NewLimits and Limits.Check, which report such errors.
func CheckLimits(symbol, side string, qty, price, current decimal.Decimal) LimitCheck {
	limits, _ := defaults()
	if limits == nil {
		return LimitCheck{Reasons: []string{"candle history unavailable"}}
	}
	c, err := limits.Check(symbol, side, qty, &price, current)
	if err != nil {
		return LimitCheck{Reasons: []string{runtime.AsError(err).Message}}
	}
	return c
}

// SimQuote is Book.Quote with the default books: a market order when limit
// is nil, a limit order otherwise.
//
// Deprecated: use NewBook and Book.Quote, which also quote stop orders.
func SimQuote(symbol, side string, qty decimal.Decimal, limit *decimal.Decimal) (Quote, error) {
	_, book := defaults()
	if book == nil {
		_, err := EmbeddedCandles()
		return Quote{}, err
	}
	orderType := "market"
	if limit != nil {
		orderType = "limit"
	}
	return book.Quote(symbol, side, qty, orderType, limit)
}
