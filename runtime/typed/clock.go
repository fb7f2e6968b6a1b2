package typed

import (
	"math"
	"strconv"
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
		return windowMessage("must not be before ", lo, notBefore)
	}
	if hi := now.Add(notAfter); notAfter != math.MaxInt64 && t.After(hi) {
		return windowMessage("must not be after ", hi, notAfter)
	}
	return ""
}

// windowMemo is the last message windowMessage made. The bound is written
// to the second, so the calls of one second that cross the same bound of
// the same window say the same thing, and share it.
type windowMemo struct {
	what string
	sec  int64 // the bound, in Unix seconds
	d    time.Duration
	msg  string
}

var lastWindow atomic.Pointer[windowMemo]

// windowMessage returns what + bound + " (now±d)".
func windowMessage(what string, bound time.Time, d time.Duration) string {
	sec := bound.Unix()
	if m := lastWindow.Load(); m != nil && m.sec == sec && m.d == d && m.what == what {
		return m.msg
	}
	msg := formatWindow(what, bound, d)
	lastWindow.Store(&windowMemo{what: what, sec: sec, d: d, msg: msg})
	return msg
}

// formatWindow formats the message of windowMessage in one allocation.
func formatWindow(what string, bound time.Time, d time.Duration) string {
	var buf [96]byte
	b := append(buf[:0], what...)
	b = bound.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, " (now"...)
	b = appendDuration(b, d)
	b = append(b, ')')
	return string(b)
}

// appendDuration appends d as "+2d", "-17520h0m0s"…: whole days in days.
func appendDuration(b []byte, d time.Duration) []byte {
	sign := byte('+')
	if d < 0 {
		sign, d = '-', -d
	}
	b = append(b, sign)
	if d%(24*time.Hour) == 0 {
		b = strconv.AppendInt(b, int64(d/(24*time.Hour)), 10)
		return append(b, 'd')
	}
	return append(b, d.String()...)
}
