package market

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// LimitCheck is the outcome of checking an order against position limits.
// A refused order is a normal outcome with reasons, not an error.
type LimitCheck struct {
	Allowed           bool
	Reasons           []string
	Notional          decimal.Decimal
	ResultingPosition decimal.Decimal
	MaxQuantity       decimal.Decimal
	MaxNotional       decimal.Decimal
}

// CheckLimits checks buying (buy/long) or selling (sell/short) qty of symbol
// at price, on top of the current signed position.
func CheckLimits(symbol, side string, qty, price, current decimal.Decimal) LimitCheck {
	inst := Instruments[symbol]
	signed := qty
	if side == "sell" || side == "short" {
		signed = qty.Neg()
	}
	res := LimitCheck{
		ResultingPosition: current.Add(signed),
		MaxQuantity:       inst.MaxQty,
		MaxNotional:       inst.MaxNotnl,
	}
	res.Notional = res.ResultingPosition.Abs().Mul(price).Round(8)
	if res.ResultingPosition.Abs().GreaterThan(inst.MaxQty) {
		res.Reasons = append(res.Reasons, fmt.Sprintf("resulting position %s exceeds the %s limit of %s units", res.ResultingPosition, symbol, inst.MaxQty))
	}
	if res.Notional.GreaterThan(inst.MaxNotnl) {
		res.Reasons = append(res.Reasons, fmt.Sprintf("resulting notional %s exceeds the %s limit of %s", res.Notional, symbol, inst.MaxNotnl))
	}
	res.Allowed = len(res.Reasons) == 0
	if res.Reasons == nil {
		res.Reasons = []string{}
	}
	return res
}
