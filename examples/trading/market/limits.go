package market

import (
	"fmt"
	"maps"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/shopspring/decimal"
)

// Limit is the position limit of one symbol. Both bounds apply to the
// absolute position, long or short.
type Limit struct {
	MaxQuantity decimal.Decimal // largest position, in units of the symbol
	MaxNotional decimal.Decimal // largest position value, in Currency
	Currency    string          // the symbol's quote currency
}

// DefaultLimits returns the example desk's limits for its ten symbols, a
// fresh map the caller may change before passing it to NewLimits. Notional
// limits are in each symbol's quote currency, so USDJPY's is in yen.
func DefaultLimits() map[string]Limit {
	l := func(qty, notional int64, currency string) Limit {
		return Limit{decimal.NewFromInt(qty), decimal.NewFromInt(notional), currency}
	}
	return map[string]Limit{
		"EURUSD":  l(50_000_000, 60_000_000, "USD"),
		"GBPUSD":  l(40_000_000, 55_000_000, "USD"),
		"USDJPY":  l(40_000_000, 6_000_000_000, "JPY"),
		"AUDUSD":  l(30_000_000, 21_000_000, "USD"),
		"USDCAD":  l(30_000_000, 42_000_000, "CAD"),
		"BTC/USD": l(250, 20_000_000, "USD"),
		"ETH/USD": l(4_000, 15_000_000, "USD"),
		"SPY":     l(200_000, 130_000_000, "USD"),
		"QQQ":     l(200_000, 110_000_000, "USD"),
		"IWM":     l(300_000, 70_000_000, "USD"),
	}
}

// Limits checks orders against per-symbol position limits. It is immutable
// and safe for concurrent use.
type Limits struct {
	limits map[string]Limit
	prices PriceSource
}

// NewLimits returns a checker over a copy of limits, valuing orders that
// name no price at prices' last close. Every limit must be positive.
func NewLimits(limits map[string]Limit, prices PriceSource) (*Limits, error) {
	if prices == nil {
		return nil, fmt.Errorf("market: NewLimits needs a price source")
	}
	for symbol, l := range limits {
		if !l.MaxQuantity.IsPositive() || !l.MaxNotional.IsPositive() {
			return nil, fmt.Errorf("market: %s: limits must be positive, got quantity %s and notional %s", symbol, l.MaxQuantity, l.MaxNotional)
		}
	}
	return &Limits{limits: maps.Clone(limits), prices: prices}, nil
}

// LimitCheck is the outcome of checking an order. A refused order is a
// normal outcome, Allowed false with one reason per breached limit, not an
// error.
type LimitCheck struct {
	Allowed bool
	Reasons []string // empty, never nil, when Allowed

	Price          decimal.Decimal // price the order was valued at
	PriceLastClose bool            // whether Price is the last close, as the order named none

	Notional          decimal.Decimal // order value, quantity × price, rounded to DerivedPlaces
	ResultingPosition decimal.Decimal // signed position after the order
	ResultingNotional decimal.Decimal // |ResultingPosition| × price, rounded to DerivedPlaces

	MaxQuantity decimal.Decimal
	MaxNotional decimal.Decimal
	Currency    string

	// Headroom is the largest quantity on the order's side that the limits
	// allow from the current position: the order is allowed exactly when
	// its quantity is at most Headroom. Zero when no order on that side is.
	Headroom decimal.Decimal
}

// Check checks an order to buy (side buy or long) or sell (sell or short)
// qty units of symbol on top of the signed current position, valued at
// price, or at the last close when price is nil.
//
// The order is allowed when the resulting position is within both limits,
// or when it brings a position that already breaches them closer to zero
// without crossing it: refusing that would trap the desk in the breach.
//
// Errors are for requests that cannot be checked: MCP-001 for an unknown
// side, a quantity or price that is not positive, or a quantity or position
// with more than QuantityPlaces places, MCP-011 for a symbol
// without configured limits, and the price source's error (MCP-010) when
// there is no last close.
func (l *Limits) Check(symbol, side string, qty decimal.Decimal, price *decimal.Decimal, current decimal.Decimal) (LimitCheck, error) {
	buy, err := parseSide(side)
	if err != nil {
		return LimitCheck{}, err
	}
	if err := checkQuantity(qty); err != nil {
		return LimitCheck{}, err
	}
	if !current.Equal(current.Truncate(QuantityPlaces)) {
		return LimitCheck{}, mcperr.Errorf(mcperr.CodeInvalidArgs, "current position must have at most %d decimal places, got %s", QuantityPlaces, current)
	}
	limit, ok := l.limits[symbol]
	if !ok {
		return LimitCheck{}, mcperr.Errorf(mcperr.CodeMissingConfiguration, "no position limits configured for %s", symbol)
	}
	res := LimitCheck{Reasons: []string{}, MaxQuantity: limit.MaxQuantity, MaxNotional: limit.MaxNotional, Currency: limit.Currency}
	if price != nil {
		if !price.IsPositive() {
			return LimitCheck{}, mcperr.Errorf(mcperr.CodeInvalidArgs, "price must be greater than 0, got %s", price)
		}
		res.Price = *price
	} else {
		if res.Price, err = l.prices.LastClose(symbol); err != nil {
			return LimitCheck{}, err
		}
		res.PriceLastClose = true
	}

	signed := qty
	if !buy {
		signed = qty.Neg()
	}
	res.ResultingPosition = current.Add(signed)
	res.Notional = qty.Mul(res.Price).Round(DerivedPlaces)
	// Compared unrounded: rounding must not let a breach by a fraction pass.
	resulting := res.ResultingPosition.Abs()
	resultingNotional := resulting.Mul(res.Price)
	res.ResultingNotional = resultingNotional.Round(DerivedPlaces)

	reducing := resulting.LessThan(current.Abs()) && res.ResultingPosition.Sign()*current.Sign() >= 0
	if !reducing {
		if resulting.GreaterThan(limit.MaxQuantity) {
			res.Reasons = append(res.Reasons, fmt.Sprintf("resulting position %s exceeds the %s limit of %s units",
				res.ResultingPosition, symbol, limit.MaxQuantity))
		}
		if resultingNotional.GreaterThan(limit.MaxNotional) {
			res.Reasons = append(res.Reasons, fmt.Sprintf("resulting notional %s %s exceeds the %s limit of %s %s",
				res.ResultingNotional, limit.Currency, symbol, limit.MaxNotional, limit.Currency))
		}
	}
	res.Allowed = len(res.Reasons) == 0

	// The largest allowed position in units: the quantity limit, or the
	// notional limit at this price truncated to QuantityPlaces, whichever is
	// smaller. Truncating keeps it allowed, and as positions carry at most
	// QuantityPlaces places, no allowed position is cut off.
	byNotional, _ := limit.MaxNotional.QuoRem(res.Price, QuantityPlaces)
	maxPosition := decimal.Min(limit.MaxQuantity, byNotional)
	if buy {
		res.Headroom = decimal.Max(decimal.Zero, maxPosition.Sub(current))
	} else {
		res.Headroom = decimal.Max(decimal.Zero, maxPosition.Add(current))
	}
	return res, nil
}

// QuantityPlaces is the most decimal places a quantity or position may
// have, as in the seed's order schema.
const QuantityPlaces = 8

// checkQuantity fails with MCP-001 unless qty is positive with at most
// QuantityPlaces places.
func checkQuantity(qty decimal.Decimal) error {
	if !qty.IsPositive() {
		return mcperr.Errorf(mcperr.CodeInvalidArgs, "quantity must be greater than 0, got %s", qty)
	}
	if !qty.Equal(qty.Truncate(QuantityPlaces)) {
		return mcperr.Errorf(mcperr.CodeInvalidArgs, "quantity must have at most %d decimal places, got %s", QuantityPlaces, qty)
	}
	return nil
}

// parseSide reports whether side buys (buy, long) or sells (sell, short).
func parseSide(side string) (buy bool, err error) {
	switch side {
	case "buy", "long":
		return true, nil
	case "sell", "short":
		return false, nil
	}
	return false, mcperr.Errorf(mcperr.CodeInvalidArgs, "unknown side %q: want buy, sell, long or short", side)
}

// FixedPrices is a PriceSource with a fixed last price per symbol, for tests
// and for servers that take prices from elsewhere.
type FixedPrices map[string]decimal.Decimal

// LastClose returns the symbol's price, or MCP-010 when it has none.
func (p FixedPrices) LastClose(symbol string) (decimal.Decimal, error) {
	if price, ok := p[symbol]; ok {
		return price, nil
	}
	return decimal.Decimal{}, &mcperr.Error{
		Code:    mcperr.CodeInsufficientData,
		Message: fmt.Sprintf("no price for %s", symbol),
		Details: map[string]any{"symbol": symbol},
	}
}
