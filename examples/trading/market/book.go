package market

import (
	"fmt"
	"maps"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/shopspring/decimal"
)

// BookSpec shapes the simulated order book of one symbol. The book is the
// same on both sides of its centre: level i (from 1) sits HalfSpread +
// (i-1)·Step away and holds i·LevelSize, since real books hold more size
// further from the touch.
type BookSpec struct {
	HalfSpread decimal.Decimal // centre to best bid and to best ask
	Step       decimal.Decimal // between adjacent levels
	LevelSize  decimal.Decimal // units at the best level
	Levels     int             // levels on each side
}

// DefaultBookSpecs returns the example's books for its ten symbols, a fresh
// map the caller may change before passing it to NewBook. Spreads are of
// the order the venues show (0.4 pip for EURUSD, a cent around an ETF's
// last close); each book holds 55 times its level size per side.
func DefaultBookSpecs() map[string]BookSpec {
	b := func(halfSpread, step, size string) BookSpec {
		return BookSpec{decimal.RequireFromString(halfSpread), decimal.RequireFromString(step), decimal.RequireFromString(size), 10}
	}
	return map[string]BookSpec{
		"EURUSD":  b("0.00002", "0.00001", "1000000"),
		"GBPUSD":  b("0.00003", "0.00002", "1000000"),
		"USDJPY":  b("0.003", "0.002", "1000000"),
		"AUDUSD":  b("0.00003", "0.00002", "500000"),
		"USDCAD":  b("0.00004", "0.00002", "500000"),
		"BTC/USD": b("5.00", "10.00", "2"),
		"ETH/USD": b("0.50", "1.00", "20"),
		"SPY":     b("0.01", "0.01", "10000"),
		"QQQ":     b("0.01", "0.01", "5000"),
		"IWM":     b("0.01", "0.01", "5000"),
	}
}

// Book quotes orders against simulated order books centred on each
// symbol's last close. It is immutable and safe for concurrent use: every
// quote sees a fresh book, and quoting takes nothing from it.
type Book struct {
	specs  map[string]BookSpec
	prices PriceSource
}

// NewBook returns a Book over a copy of specs, centring each book on the
// last close from prices.
func NewBook(specs map[string]BookSpec, prices PriceSource) (*Book, error) {
	if prices == nil {
		return nil, fmt.Errorf("market: NewBook needs a price source")
	}
	for symbol, s := range specs {
		if s.HalfSpread.IsNegative() || !s.Step.IsPositive() || !s.LevelSize.IsPositive() || s.Levels < 1 {
			return nil, fmt.Errorf("market: %s: book needs a half spread ≥ 0, a step > 0, a level size > 0 and at least one level", symbol)
		}
	}
	return &Book{specs: maps.Clone(specs), prices: prices}, nil
}

// Level is one price level: of a book, or the part of one that an order
// takes.
type Level struct {
	Price    decimal.Decimal
	Quantity decimal.Decimal
}

// Depth is a snapshot of one symbol's book.
type Depth struct {
	Symbol string
	Centre decimal.Decimal // the last close the book is built around
	Bids   []Level         // best (highest) first
	Asks   []Level         // best (lowest) first
}

// Depth returns the book of symbol as it stands.
func (b *Book) Depth(symbol string) (Depth, error) {
	spec, centre, err := b.lookup(symbol)
	if err != nil {
		return Depth{}, err
	}
	return Depth{Symbol: symbol, Centre: centre, Bids: spec.side(centre, false), Asks: spec.side(centre, true)}, nil
}

func (b *Book) lookup(symbol string) (BookSpec, decimal.Decimal, error) {
	spec, ok := b.specs[symbol]
	if !ok {
		return BookSpec{}, decimal.Decimal{}, &mcperr.Error{
			Code:    mcperr.CodeInsufficientLiquidity,
			Message: fmt.Sprintf("no order book for %s", symbol),
			Details: map[string]any{"symbol": symbol},
		}
	}
	centre, err := b.prices.LastClose(symbol)
	if err != nil {
		return BookSpec{}, decimal.Decimal{}, err
	}
	return spec, centre, nil
}

// side returns the asks (or bids) of a book around centre, best first. Bid
// levels that would be priced at or below zero are left out.
func (s BookSpec) side(centre decimal.Decimal, asks bool) []Level {
	levels := make([]Level, 0, s.Levels)
	for i := range s.Levels {
		offset := s.HalfSpread.Add(s.Step.Mul(decimal.NewFromInt(int64(i))))
		price := centre.Add(offset)
		if !asks {
			price = centre.Sub(offset)
			if !price.IsPositive() {
				break
			}
		}
		levels = append(levels, Level{Price: price, Quantity: s.LevelSize.Mul(decimal.NewFromInt(int64(i + 1)))})
	}
	return levels
}

// Quote is the simulated execution of one order.
type Quote struct {
	Symbol    string
	Side      string
	OrderType string

	// Reference is the centre of the book the order walked: the last close,
	// or the stop price of a stop order the market has not reached.
	Reference decimal.Decimal
	// Triggered is false only for a stop order whose stop the last close has
	// not reached; its quote is the expected fill once it triggers.
	Triggered bool

	Requested decimal.Decimal
	Filled    decimal.Decimal
	Unfilled  decimal.Decimal // Requested - Filled; non-zero only for a limit order
	Partial   bool            // Unfilled > 0

	Notional     decimal.Decimal // Σ price × quantity over Levels, exact
	AveragePrice decimal.Decimal // Notional / Filled, rounded to DerivedPlaces
	// SlippageBps is how far AveragePrice lies from Reference, in basis
	// points, positive when it costs the taker (above for a buy, below for a
	// sell). It is exact to 4 places before becoming a float64.
	SlippageBps float64

	Levels []Level // what the order takes from each level, best first
}

// Quote walks the simulated book of symbol for an order to buy (side buy or
// long, taking asks) or sell (sell or short, taking bids) qty units.
//
//   - market: limitPrice must be nil. Fills in full or fails with MCP-012
//     when the whole side holds less than qty.
//   - limit: takes only levels at or better than limitPrice and reports the
//     rest as Unfilled (Partial), as an immediate-or-cancel order would.
//     It fails with MCP-012 only when no level is within the limit, because
//     a quote that fills nothing has no price to report.
//   - stop: limitPrice is the stop price. A stop the last close has reached
//     fills as a market order; one it has not is quoted against the same
//     book centred on the stop price (Triggered false), which is where the
//     order becomes a market order. MCP-012 as for market orders.
//
// Other failures: MCP-001 for an unknown side or order type, a missing or
// superfluous limit price, or a quantity or price out of range; MCP-012 for
// a symbol without a book; the price source's error (MCP-010) when there is
// no last close.
func (b *Book) Quote(symbol, side string, qty decimal.Decimal, orderType string, limitPrice *decimal.Decimal) (Quote, error) {
	buy, err := parseSide(side)
	if err != nil {
		return Quote{}, err
	}
	if err := checkQuantity(qty); err != nil {
		return Quote{}, err
	}
	switch orderType {
	case "market":
		if limitPrice != nil {
			return Quote{}, mcperr.Errorf(mcperr.CodeInvalidArgs, "market orders take no limit price")
		}
	case "limit", "stop":
		if limitPrice == nil {
			return Quote{}, mcperr.Errorf(mcperr.CodeInvalidArgs, "%s orders need a limit price", orderType)
		}
		if !limitPrice.IsPositive() {
			return Quote{}, mcperr.Errorf(mcperr.CodeInvalidArgs, "limit price must be greater than 0, got %s", limitPrice)
		}
	default:
		return Quote{}, mcperr.Errorf(mcperr.CodeInvalidArgs, "unknown order type %q: want market, limit or stop", orderType)
	}
	spec, centre, err := b.lookup(symbol)
	if err != nil {
		return Quote{}, err
	}

	q := Quote{Symbol: symbol, Side: side, OrderType: orderType, Reference: centre, Triggered: true, Requested: qty, Levels: []Level{}}
	if orderType == "stop" && (buy && centre.LessThan(*limitPrice) || !buy && centre.GreaterThan(*limitPrice)) {
		q.Reference, q.Triggered = *limitPrice, false
	}
	levels := spec.side(q.Reference, buy)
	left := qty
	for _, l := range levels {
		if !left.IsPositive() {
			break
		}
		if orderType == "limit" && (buy && l.Price.GreaterThan(*limitPrice) || !buy && l.Price.LessThan(*limitPrice)) {
			break
		}
		take := decimal.Min(left, l.Quantity)
		q.Levels = append(q.Levels, Level{Price: l.Price, Quantity: take})
		q.Notional = q.Notional.Add(l.Price.Mul(take))
		q.Filled = q.Filled.Add(take)
		left = left.Sub(take)
	}

	bookSide := "bid"
	if buy {
		bookSide = "ask"
	}
	if len(levels) == 0 || orderType != "limit" && left.IsPositive() {
		return Quote{}, &mcperr.Error{
			Code: mcperr.CodeInsufficientLiquidity,
			Message: fmt.Sprintf("order book too thin: %s %s requested, %s available across %d %s levels",
				qty, symbol, q.Filled, len(levels), bookSide),
			Details: map[string]any{"symbol": symbol, "requested": qty.String(), "available": q.Filled.String()},
		}
	}
	if q.Filled.IsZero() {
		bound := "above"
		if buy {
			bound = "below"
		}
		return Quote{}, &mcperr.Error{
			Code: mcperr.CodeInsufficientLiquidity,
			Message: fmt.Sprintf("no %s liquidity for %s at or %s the limit price %s (best %s %s)",
				bookSide, symbol, bound, limitPrice, bookSide, levels[0].Price),
			Details: map[string]any{"symbol": symbol, "limit_price": limitPrice.String(), "best_price": levels[0].Price.String()},
		}
	}
	q.Unfilled = left
	q.Partial = left.IsPositive()
	q.AveragePrice = q.Notional.DivRound(q.Filled, DerivedPlaces)
	// (Notional - Filled·Reference) / (Filled·Reference) in basis points,
	// from the exact notional rather than the rounded average.
	atReference := q.Filled.Mul(q.Reference)
	slippage := q.Notional.Sub(atReference).Mul(decimal.NewFromInt(10_000)).DivRound(atReference, 4)
	if !buy {
		slippage = slippage.Neg()
	}
	q.SlippageBps = slippage.InexactFloat64()
	return q, nil
}
