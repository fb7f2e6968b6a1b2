package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/internal/u128"
)

// maxRule bounds a limit and a window in microseconds, so that the
// scripts' arithmetic on doubles stays exact: the window's start plus two
// windows stays below 2^53 µs, and so do the counts.
const maxRule = 1 << 50

// Allow implements store.Limiter with its window semantics, exactly as
// memstore.Limiter does, on Redis's clock in whole microseconds (a window
// is rounded down to one). One round trip.
func (s *Store) Allow(ctx context.Context, key string, limit int, window time.Duration) (store.Decision, error) {
	w, err := checkRule(limit, window)
	if err != nil {
		return store.Decision{}, err
	}
	r, err := s.run(ctx, allowScript, []string{s.limiterKey(key)}, limit, w)
	if err != nil {
		return store.Decision{}, err
	}
	v, err := ints(r, 5)
	if err != nil {
		return store.Decision{}, err
	}
	return decision(v[0] == 1, v[1], v[2], int64(limit), w, v[3], v[4]), nil
}

// checkRule validates a rule and returns its window in microseconds.
func checkRule(limit int, window time.Duration) (int64, error) {
	if limit <= 0 || window <= 0 {
		return 0, fmt.Errorf("redisstore: a limit needs a positive count and window, got %d per %s", limit, window)
	}
	w := window.Microseconds()
	if w < 1 || w > maxRule || limit > maxRule {
		return 0, fmt.Errorf("redisstore: a limit of %d per %s is outside what the store counts (a window of 1µs to 35 years, a count below 2^50)", limit, window)
	}
	return w, nil
}

// decision is the store.Decision for a request decided by the script:
// admitted or not, with prev and curr (after the request) admissions in
// the previous and current windows of w µs, elapsed µs into the current
// one, at now (µs since the epoch, Redis's clock). The figures follow
// memstore's decide, in microseconds.
func decision(allowed bool, prev, curr, limit, w, elapsed, now int64) store.Decision {
	p, c, l, uw, e := uint64(prev), uint64(curr), uint64(limit), uint64(w), uint64(elapsed)
	weighted := u128.Mul(p, uw-e).Add(u128.Mul(c, uw)) // count × w, this request included when admitted
	ceiling := u128.Mul(l, uw)
	d := store.Decision{Allowed: allowed, Limit: int(limit)}
	if weighted.Less(ceiling) {
		d.Remaining = int(u128.CeilDiv(ceiling.Sub(weighted), uw))
	}
	var resetIn uint64
	switch {
	case c > 0:
		resetIn = 2*uw - e
	case p > 0:
		resetIn = uw - e
	}
	d.ResetAt = time.UnixMicro(now).Add(time.Duration(resetIn) * time.Microsecond)
	if !allowed {
		d.RetryAfter = time.Duration(retryIn(p, c, l, uw, e)) * time.Microsecond
	}
	return d
}

// retryIn returns how long after a refused request the next one would be
// admitted, if no other is: later in this window when the previous
// window's weight has run down enough, or else early in the next (as
// memstore's retryIn).
func retryIn(prev, curr, limit, w, elapsed uint64) uint64 {
	// A request at e is admitted when prev×(w−e) < (limit−curr)×w, that is
	// when w−e is at most ⌈(limit−curr)×w/prev⌉−1.
	if curr < limit && prev > 0 {
		at := w - u128.CeilDiv(u128.Mul(limit-curr, w), prev) + 1
		return at - elapsed
	}
	// Next window: its previous count is curr and its own count zero.
	next := w - elapsed
	if q := u128.CeilDiv(u128.Mul(limit, w), curr); q <= w {
		next += w - q + 1
	}
	return next
}

// ints reads a script's reply of at least n integers.
func ints(r []any, n int) ([]int64, error) {
	if len(r) < n {
		return nil, fmt.Errorf("redisstore: a script replied with %d values, want %d", len(r), n)
	}
	out := make([]int64, len(r))
	for i, x := range r {
		switch x := x.(type) {
		case int64:
			out[i] = x
		case string:
			v, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("redisstore: a script replied %q where a number belongs", x)
			}
			out[i] = v
		default:
			if i < n {
				return nil, fmt.Errorf("redisstore: a script replied %T where a number belongs", x)
			}
		}
	}
	return out, nil
}
