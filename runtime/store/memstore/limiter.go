package memstore

import (
	"container/list"
	"context"
	"fmt"
	"math/bits"
	"sync"
	"time"

	"github.com/mcpgen/mcpgen/runtime/store"
)

// DefaultMaxKeys is how many keys a Limiter tracks at most unless told
// otherwise: about 10 MB of state.
const DefaultMaxKeys = 100_000

// LimiterOptions configures NewLimiter.
type LimiterOptions struct {
	// MaxKeys caps the number of tracked keys (DefaultMaxKeys when zero).
	// When a new key arrives at the cap, the least recently used key is
	// forgotten: its client starts again from a count of zero, which is the
	// price of bounded memory when many clients (IPv6 addresses, say) come
	// and go.
	MaxKeys int
	// Now is the clock (time.Now when nil); tests inject a fake one.
	Now func() time.Time
}

// Limiter is an in-process store.Limiter, with the window semantics
// store.Limiter documents. Its memory is bounded: a constant amount per
// key, keys idle for two windows evicted, and at most MaxKeys keys.
type Limiter struct {
	now     func() time.Time
	maxKeys int

	mu   sync.Mutex
	keys map[string]*list.Element // of *entry
	lru  list.List                // most recently used at the front
}

// entry is one key's state: the counts of its current and previous fixed
// windows.
type entry struct {
	key    string
	window int64  // nanoseconds
	start  int64  // start of the current window, Unix nanoseconds
	prev   uint64 // admissions in [start-window, start)
	curr   uint64 // admissions in [start, start+window)
}

// NewLimiter returns an empty in-process Limiter.
func NewLimiter(opts LimiterOptions) *Limiter {
	m := &Limiter{now: opts.Now, maxKeys: opts.MaxKeys, keys: make(map[string]*list.Element)}
	if m.now == nil {
		m.now = time.Now
	}
	if m.maxKeys <= 0 {
		m.maxKeys = DefaultMaxKeys
	}
	return m
}

// Allow implements store.Limiter.
func (m *Limiter) Allow(_ context.Context, key string, limit int, window time.Duration) (store.Decision, error) {
	if limit <= 0 || window <= 0 {
		return store.Decision{}, fmt.Errorf("memstore: a limit needs a positive count and window, got %d per %s", limit, window)
	}
	now := m.now()
	t, w := now.UnixNano(), int64(window)
	start := t - mod(t, w)

	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(t, 2) // each call adds at most one key, so this keeps up
	e := m.entry(key, w, start)
	if start < e.start { // the clock stepped back: stay in the later window
		t, start = e.start, e.start
	}
	e.roll(start)
	s := decide(e.prev, e.curr, uint64(limit), uint64(w), uint64(t-start))
	e.curr = s.curr
	return store.Decision{
		Allowed:    s.allowed,
		Limit:      limit,
		Remaining:  int(s.remaining),
		ResetAt:    now.Add(time.Duration(s.resetIn)),
		RetryAfter: time.Duration(s.retryIn),
	}, nil
}

// Len returns the number of keys tracked, after forgetting the idle ones.
func (m *Limiter) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(m.now().UnixNano(), len(m.keys))
	return len(m.keys)
}

// entry returns key's state, tracking it anew if needed.
func (m *Limiter) entry(key string, w, start int64) *entry {
	if el, ok := m.keys[key]; ok {
		m.lru.MoveToFront(el)
		e := el.Value.(*entry)
		if e.window != w { // the key is now counted under another rule
			*e = entry{key: key, window: w, start: start}
		}
		return e
	}
	if len(m.keys) >= m.maxKeys {
		m.remove(m.lru.Back())
	}
	e := &entry{key: key, window: w, start: start}
	m.keys[key] = m.lru.PushFront(e)
	return e
}

// sweep looks at up to n of the least recently used keys and forgets those
// idle for two windows, whose counts are both zero by now.
func (m *Limiter) sweep(t int64, n int) {
	for el := m.lru.Back(); el != nil && n > 0; n-- {
		prev := el.Prev()
		if e := el.Value.(*entry); t >= e.start+2*e.window {
			m.remove(el)
		}
		el = prev
	}
}

func (m *Limiter) remove(el *list.Element) {
	delete(m.keys, el.Value.(*entry).key)
	m.lru.Remove(el)
}

// roll moves e to the window that starts at start.
func (e *entry) roll(start int64) {
	switch start {
	case e.start:
	case e.start + e.window:
		e.prev, e.curr = e.curr, 0
	default:
		e.prev, e.curr = 0, 0
	}
	e.start = start
}

// verdict is the outcome of decide.
type verdict struct {
	allowed   bool
	curr      uint64 // the current window's count after the request
	remaining uint64
	resetIn   uint64 // nanoseconds until the count is zero
	retryIn   uint64 // nanoseconds until a request would be admitted
}

// decide applies the sliding-window rule to a request at elapsed
// nanoseconds into a window of w nanoseconds, with prev and curr admissions
// in the previous and current windows. It works on count×w in 128 bits, so
// the comparison with the limit is exact for any window up to centuries.
func decide(prev, curr, limit, w, elapsed uint64) verdict {
	weighted := mul(prev, w-elapsed).add(mul(curr, w)) // count × w
	ceiling := mul(limit, w)
	s := verdict{curr: curr}
	if weighted.less(ceiling) {
		s.allowed = true
		s.curr++
		weighted = weighted.add(u128{lo: w})
	} else {
		s.retryIn = retryIn(prev, curr, limit, w, elapsed)
	}
	if weighted.less(ceiling) {
		// Remaining is the n with count+n-1 < limit, that is ⌈limit−count⌉,
		// which is at most limit, so the quotient fits.
		s.remaining = ceilDiv(ceiling.sub(weighted), w)
	}
	switch {
	case s.curr > 0:
		s.resetIn = 2*w - elapsed
	case prev > 0:
		s.resetIn = w - elapsed
	}
	return s
}

// retryIn returns how long after a refused request the next one would be
// admitted, if no other is: later in this window when the previous
// window's weight has run down enough, or else early in the next.
func retryIn(prev, curr, limit, w, elapsed uint64) uint64 {
	// In a window whose count is p×(w−e)/w + c, a request at e is admitted
	// when p×(w−e) < (limit−c)×w, that is when the time left in the window,
	// w−e, is at most ⌈(limit−c)×w/p⌉−1. The refusal at elapsed bounds that
	// quotient by w−elapsed, so it fits in 64 bits.
	if curr < limit && prev > 0 {
		at := w - ceilDiv(mul(limit-curr, w), prev) + 1
		return at - elapsed // at == w is the next window's start, which is right too
	}
	// Next window: its previous count is curr and its own count zero.
	next := w - elapsed
	if q := ceilDiv(mul(limit, w), curr); q <= w {
		next += w - q + 1 // always: curr ≥ limit here
	}
	return next
}

// mod returns t mod w in [0, w), also for times before 1970.
func mod(t, w int64) int64 {
	r := t % w
	if r < 0 {
		r += w
	}
	return r
}

// u128 is an unsigned 128-bit integer, enough for a count times a window in
// nanoseconds.
type u128 struct{ hi, lo uint64 }

func mul(a, b uint64) u128 {
	hi, lo := bits.Mul64(a, b)
	return u128{hi, lo}
}

func (a u128) add(b u128) u128 {
	lo, carry := bits.Add64(a.lo, b.lo, 0)
	hi, _ := bits.Add64(a.hi, b.hi, carry)
	return u128{hi, lo}
}

func (a u128) sub(b u128) u128 {
	lo, borrow := bits.Sub64(a.lo, b.lo, 0)
	hi, _ := bits.Sub64(a.hi, b.hi, borrow)
	return u128{hi, lo}
}

func (a u128) less(b u128) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }

// ceilDiv returns ⌈a/d⌉; callers guarantee the quotient fits in 64 bits,
// or else it returns the largest uint64.
func ceilDiv(a u128, d uint64) uint64 {
	if a.hi >= d {
		return ^uint64(0)
	}
	q, r := bits.Div64(a.hi, a.lo, d)
	if r > 0 {
		q++
	}
	return q
}
