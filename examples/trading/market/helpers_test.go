package market

import (
	"errors"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func dp(s string) *decimal.Decimal { v := d(s); return &v }

// hourly returns 1h candles starting at start, one per OHLCV row.
func hourly(start time.Time, rows ...[5]string) []Candle {
	out := make([]Candle, len(rows))
	for i, r := range rows {
		out[i] = Candle{Start: start.Add(time.Duration(i) * time.Hour),
			Open: d(r[0]), High: d(r[1]), Low: d(r[2]), Close: d(r[3]), Volume: d(r[4])}
	}
	return out
}

// assertCode asserts that err is a *mcperr.Error with code and message.
func assertCode(t *testing.T, err error, code mcperr.Code, message string) {
	t.Helper()
	var e *mcperr.Error
	require.True(t, errors.As(err, &e), "want a *mcperr.Error, got %v", err)
	assert.Equal(t, code, e.Code)
	assert.Equal(t, message, e.Message)
}

// assertDecimal asserts exact equality of decimals, printing both as text.
func assertDecimal(t *testing.T, want string, got decimal.Decimal, field string) {
	t.Helper()
	assert.True(t, d(want).Equal(got), "%s: want %s, got %s", field, want, got)
}
