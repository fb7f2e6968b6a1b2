package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/server"
	"github.com/mcpgen/mcpgen/runtime/typed"

	"github.com/shopspring/decimal"

	"github.com/mcpgen/mcpgen/examples/trading/market"
	"github.com/mcpgen/mcpgen/examples/trading/tools"
)

// handlers implements tools.Handlers over the market package. Inputs arrive
// decoded and validated; each method is the tool's business logic only.
// The shared state of the storage tools is the server's (server.State): in
// memory, or in Redis when MCP_REDIS_URL is set, so replicas share it; its
// quotas are 64 KiB a value and 16 MiB in all.
type handlers struct {
	candles *market.Candles
	limits  *market.Limits
	book    *market.Book
}

var _ tools.Handlers = (*handlers)(nil)

func newHandlers() (*handlers, error) {
	candles, err := market.EmbeddedCandles()
	if err != nil {
		return nil, err
	}
	limits, err := market.NewLimits(market.DefaultLimits(), candles)
	if err != nil {
		return nil, err
	}
	book, err := market.NewBook(market.DefaultBookSpecs(), candles)
	if err != nil {
		return nil, err
	}
	return &handlers{candles: candles, limits: limits, book: book}, nil
}

func (h *handlers) FeaturesOHLCVWindow(ctx context.Context, in tools.FeaturesOHLCVWindowInput) (tools.FeaturesOHLCVWindowOutput, error) {
	interval := string(in.Interval)
	candles, err := h.candles.Window(string(in.Symbol), interval, in.End, int(in.Window))
	if err != nil {
		return tools.FeaturesOHLCVWindowOutput{}, err
	}
	f := market.Features(candles)
	return tools.FeaturesOHLCVWindowOutput{
		Symbol: string(in.Symbol), Interval: interval, Candles: int64(len(candles)),
		Start: f.Start, End: f.End,
		Open: f.Open, High: f.High, Low: f.Low, Close: f.Close, Volume: f.Volume,
		Vwap: f.VWAP, ReturnMean: f.ReturnMean, Volatility: f.Volatility, Atr: f.ATR,
	}, nil
}

func (h *handlers) RiskPositionLimitsCheck(ctx context.Context, in tools.RiskPositionLimitsCheckInput) (tools.RiskPositionLimitsCheckOutput, error) {
	var price *decimal.Decimal
	if p, ok := in.Price.Get(); ok {
		price = &p
	}
	c, err := h.limits.Check(string(in.Symbol), string(in.Side), in.Quantity, price, in.CurrentPosition.Or(decimal.Zero))
	if err != nil {
		return tools.RiskPositionLimitsCheckOutput{}, err
	}
	return tools.RiskPositionLimitsCheckOutput{
		Allowed: c.Allowed, Reasons: c.Reasons, Notional: c.Notional,
		ResultingPosition: c.ResultingPosition, MaxQuantity: c.MaxQuantity, MaxNotional: c.MaxNotional,
	}, nil
}

func (h *handlers) ExecutionSimQuote(ctx context.Context, in tools.ExecutionSimQuoteInput) (tools.ExecutionSimQuoteOutput, error) {
	orderType := in.OrderType.Or(tools.OrderTypeMarket)
	var limit *decimal.Decimal
	if p, ok := in.LimitPrice.Get(); ok {
		limit = &p
	}
	if orderType != tools.OrderTypeMarket && limit == nil {
		return tools.ExecutionSimQuoteOutput{}, &mcperr.Error{Code: mcperr.CodeInvalidArgs,
			Message:    "limit and stop orders need limitPrice",
			Violations: []mcperr.Violation{{Pointer: "/limitPrice", Keyword: "required", Message: "required for " + string(orderType) + " orders"}}}
	}
	q, err := h.book.Quote(string(in.Symbol), string(in.Side), in.Quantity, string(orderType), limit)
	if err != nil {
		return tools.ExecutionSimQuoteOutput{}, err
	}
	out := tools.ExecutionSimQuoteOutput{
		Symbol: string(in.Symbol), Side: string(in.Side), Filled: q.Filled, AveragePrice: q.AveragePrice,
		ReferencePrice: q.Reference, SlippageBps: q.SlippageBps, Partial: q.Partial,
		Levels: make([]tools.ExecutionSimQuoteOutputLevelsItem, len(q.Levels)),
	}
	for i, l := range q.Levels {
		out.Levels[i] = tools.ExecutionSimQuoteOutputLevelsItem{Price: l.Price, Quantity: l.Quantity}
	}
	return out, nil
}

func (h *handlers) StorageSharedStateGet(ctx context.Context, in tools.StorageSharedStateGetInput) (tools.StorageSharedStateGetOutput, error) {
	raw, version, err := server.State(ctx).Get(ctx, in.Key)
	if err != nil {
		return tools.StorageSharedStateGetOutput{}, err
	}
	value, err := typed.ParseValue(raw)
	if err != nil {
		return tools.StorageSharedStateGetOutput{}, err
	}
	return tools.StorageSharedStateGetOutput{Key: in.Key, Value: value, Version: version}, nil
}

func (h *handlers) StorageSharedStateSet(ctx context.Context, in tools.StorageSharedStateSetInput) (tools.StorageSharedStateSetOutput, error) {
	raw := in.Value.AppendJSON(nil)
	var ifVersion *int64
	if v, ok := in.IfVersion.Get(); ok {
		ifVersion = &v
	}
	ttl := time.Duration(in.TTLSeconds.Or(0)) * time.Second
	version, err := server.State(ctx).Set(ctx, in.Key, json.RawMessage(raw), ttl, ifVersion)
	if err != nil {
		return tools.StorageSharedStateSetOutput{}, err
	}
	return tools.StorageSharedStateSetOutput{Key: in.Key, Version: version, Bytes: int64(len(raw))}, nil
}
