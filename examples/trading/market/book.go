package market

import (
	"github.com/mcpgen/mcpgen/runtime"
	"github.com/shopspring/decimal"
)

// BookLevels is the depth of the simulated order book on each side.
const BookLevels = 10

// Fill is one book level an order takes from.
type Fill struct {
	Price    decimal.Decimal
	Quantity decimal.Decimal
}

// Quote is the simulated execution of an order.
type Quote struct {
	Reference    decimal.Decimal // mid price the book is built around
	Filled       decimal.Decimal
	AveragePrice decimal.Decimal
	SlippageBps  float64 // average price against the mid, in basis points, signed against the taker
	Levels       []Fill
	Partial      bool // a limit order that filled only within its limit
}

// SimQuote walks the simulated book of symbol around its last close: each
// level holds the instrument's depth and sits one spread step further out.
// A market order that the whole book cannot fill fails with MCP-012; a limit
// (or stop) order fills what lies within limit and reports Partial, failing
// with MCP-012 only when nothing does.
func SimQuote(symbol, side string, qty decimal.Decimal, limit *decimal.Decimal) (Quote, error) {
	mid, err := LastClose(symbol)
	if err != nil {
		return Quote{}, err
	}
	inst := Instruments[symbol]
	buy := side == "buy" || side == "long"
	// One step is one basis point of the mid, but never below one tick.
	step := decimal.Max(mid.Div(decimal.NewFromInt(10000)).Round(inst.Places), decimal.New(1, -inst.Places))
	q := Quote{Reference: mid, Levels: []Fill{}}
	left := qty
	cost := decimal.Zero
	for i := 1; i <= BookLevels && left.IsPositive(); i++ {
		offset := step.Mul(decimal.NewFromInt(int64(i)))
		price := mid.Add(offset)
		if !buy {
			price = mid.Sub(offset)
		}
		if limit != nil && (buy && price.GreaterThan(*limit) || !buy && price.LessThan(*limit)) {
			q.Partial = true
			break
		}
		take := decimal.Min(left, inst.Depth)
		q.Levels = append(q.Levels, Fill{Price: price, Quantity: take})
		cost = cost.Add(price.Mul(take))
		q.Filled = q.Filled.Add(take)
		left = left.Sub(take)
	}
	if q.Filled.IsZero() {
		return Quote{}, runtime.Errorf(runtime.CodeInsufficientLiquidity, "no %s liquidity for %s within the limit price", side, symbol)
	}
	if left.IsPositive() && limit == nil {
		return Quote{}, &runtime.Error{
			Code:    runtime.CodeInsufficientLiquidity,
			Message: "order book too thin: " + qty.String() + " " + symbol + " requested, " + q.Filled.String() + " available across " + decimal.NewFromInt(BookLevels).String() + " levels",
			Details: map[string]any{"requested": qty.String(), "available": q.Filled.String()},
		}
	}
	q.Partial = q.Partial || left.IsPositive()
	q.AveragePrice = cost.Div(q.Filled).Round(12)
	slip, _ := q.AveragePrice.Sub(mid).Div(mid).Mul(decimal.NewFromInt(10000)).Float64()
	if !buy {
		slip = -slip
	}
	q.SlippageBps = slip
	return q, nil
}
