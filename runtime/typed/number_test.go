package typed

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
)

// generalDecimal is ParseDecimal without its fast paths.
func generalDecimal(lit string) (decimal.Decimal, bool) {
	var l literal
	if !splitLiteral([]byte(lit), &l) || !l.inRange() {
		return decimal.Decimal{}, false
	}
	if l.start == l.end {
		return decimal.Zero, true
	}
	if l.end-l.start <= 18 {
		m, _ := parsePlainInt(l.digits())
		if l.neg {
			m = -m
		}
		return decimal.New(m, int32(l.exp)), true
	}
	d, err := decimal.NewFromString(lit)
	return d, err == nil
}

func TestParseDecimalFastPathsAgree(t *testing.T) {
	for _, lit := range []string{
		"1.08525", "125000.5", "-2500.0", "0.001", "-0.001", "100.0", "1.50", "0.0", "-0.0",
		"123456789.123456789", "999999999999999999.0", "1.23456789012345678", "12345678901234567.89",
		"1e13", "-1", "1.123456789", "0.5e1", "1.", ".5", "-.5", "1.2.3", "1..2", "-", "", "1.-2",
	} {
		t.Run(lit, func(t *testing.T) {
			got, ok := ParseDecimal([]byte(lit))
			if m, _ := parsePlainInt([]byte(lit)); m != 0 || lit == "0" {
				return // the plain-integer path keeps its spelling on purpose
			}
			want, wantOK := generalDecimal(lit)
			if !assert.Equal(t, wantOK, ok) || !ok {
				return
			}
			assert.Equal(t, want.Exponent(), got.Exponent(), "exponent")
			assert.Equal(t, want.Coefficient().String(), got.Coefficient().String(), "coefficient")
			assert.Equal(t, want.String(), got.String())
		})
	}
}

func TestDateTimeFastPathAgrees(t *testing.T) {
	for _, s := range []string{
		"2026-10-31T00:00:00Z", "2026-10-31t23:59:59z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
		"2024-02-29T12:30:45Z", "2026-10-31T00:00:00.5Z", "2026-10-31T00:00:00+02:00",
	} {
		t.Run(s, func(t *testing.T) {
			got, ok := ParseDateTime(s)
			assert.True(t, ok)
			want, err := time.Parse(time.RFC3339Nano, upperTZ(s))
			assert.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
	_, ok := ParseDateTime("2016-12-31T23:59:60Z")
	assert.False(t, ok, "leap second")
}

func upperTZ(s string) string {
	b := []byte(s)
	b[10] = 'T'
	if b[len(b)-1] == 'z' {
		b[len(b)-1] = 'Z'
	}
	return string(b)
}

func TestWindowViolationMessages(t *testing.T) {
	restore := SetClock(func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.FixedZone("", 3600)) })
	defer restore()
	old := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, "must not be before 2024-11-01T11:00:00Z (now-730d)", WindowViolation(old, -17520*time.Hour, 24*time.Hour))
	assert.Equal(t, "must not be before 2026-11-01T09:30:00Z (now-1h30m0s)", WindowViolation(old, -90*time.Minute, 0))
	future := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, "must not be after 2026-11-02T11:00:00Z (now+1d)", WindowViolation(future, -17520*time.Hour, 24*time.Hour))
	assert.Equal(t, "must not be after 2026-11-01T11:00:00Z (now+0d)", WindowViolation(future, -time.Hour, 0))
	assert.Equal(t, "", WindowViolation(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), -17520*time.Hour, 24*time.Hour))
}

func TestUTCSecondAgreesWithIsDateTime(t *testing.T) {
	for _, s := range []string{
		"2026-10-31T00:00:00Z", "2026-10-31t23:59:59z", "2026-02-29T00:00:00Z", "2024-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-10-31T24:00:00Z",
		"2026-10-31T23:60:00Z", "2016-12-31T23:59:60Z", "2026-10-31 00:00:00Z", "2026-10-31T00:00:00+",
		"2026-1a-31T00:00:00Z", "+026-10-31T00:00:00Z", "2026-10-31T00-00:00Z", "2026/10/31T00:00:00Z",
	} {
		got, ok := utcSecond(s)
		if !ok {
			continue
		}
		assert.True(t, IsDateTime(s), s)
		want, err := time.Parse(time.RFC3339, upperTZ(s))
		assert.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{"2026-02-29T00:00:00Z", "2026-10-31T24:00:00Z", "2016-12-31T23:59:60Z", "2026-1a-31T00:00:00Z"} {
		_, ok := utcSecond(s)
		assert.False(t, ok, s)
	}
}

func TestWindowViolationMessagesFollowTheClock(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	restore := SetClock(func() time.Time { return now })
	defer restore()
	old := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, step := range []time.Duration{0, 0, 400 * time.Millisecond, 700 * time.Millisecond, time.Hour, 0} {
		now = now.Add(step)
		lo := now.Add(-17520 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
		assert.Equal(t, "must not be before "+lo+" (now-730d)", WindowViolation(old, -17520*time.Hour, 24*time.Hour), "call %d", i)
		assert.Equal(t, "must not be before "+now.Add(-time.Hour).UTC().Format(time.RFC3339)+" (now-1h0m0s)", WindowViolation(old, -time.Hour, 0), "call %d", i)
	}
	future := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, "must not be after "+now.Add(24*time.Hour).Format(time.RFC3339)+" (now+1d)", WindowViolation(future, -17520*time.Hour, 24*time.Hour))
}
