package typed

import (
	"math"
	"sync/atomic"
	"time"
)

var clock atomic.Pointer[func() time.Time]

// Now returns the current time from the runtime's clock: time.Now unless a
// test replaced it with SetClock. Date windows (x-datetime) are relative to it.
func Now() time.Time {
	if f := clock.Load(); f != nil {
		return (*f)()
	}
	return time.Now()
}

// SetClock replaces the clock (nil restores time.Now) and returns a function
// that puts the previous one back.
func SetClock(now func() time.Time) (restore func()) {
	var p *func() time.Time
	if now != nil {
		p = &now
	}
	old := clock.Swap(p)
	return func() { clock.Store(old) }
}

// WindowViolation returns "" when t lies within [now+notBefore, now+notAfter]
// and otherwise a message saying which bound it crosses.
// A bound of math.MinInt64 (notBefore) or math.MaxInt64 (notAfter) means
// that side is open.
func WindowViolation(t time.Time, notBefore, notAfter time.Duration) string {
	now := Now()
	if lo := now.Add(notBefore); notBefore != math.MinInt64 && t.Before(lo) {
		return "must not be before " + lo.UTC().Format(time.RFC3339) + " (now" + durationText(notBefore) + ")"
	}
	if hi := now.Add(notAfter); notAfter != math.MaxInt64 && t.After(hi) {
		return "must not be after " + hi.UTC().Format(time.RFC3339) + " (now" + durationText(notAfter) + ")"
	}
	return ""
}

func durationText(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	if d%(24*time.Hour) == 0 {
		return sign + itoa(int64(d/(24*time.Hour))) + "d"
	}
	return sign + d.String()
}
