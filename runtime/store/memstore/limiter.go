package memstore

import (
	"context"
	"fmt"
	"hash/maphash"
	"math/bits"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/internal/u128"
)

// DefaultMaxKeys is how many keys a Limiter tracks at most unless told
// otherwise: about 8 MB of state.
const DefaultMaxKeys = 100_000

// LimiterOptions configures NewLimiter.
type LimiterOptions struct {
	// MaxKeys caps the number of tracked keys (DefaultMaxKeys when zero).
	// The keys are spread over shards by a hash, each holding an equal
	// share of the cap; when a new key arrives at a shard that holds its
	// share, a key of that shard not used recently is forgotten (the CLOCK
	// approximation of least recently used): its client starts again from a
	// count of zero, which is the price of bounded memory when many clients
	// (IPv6 addresses, say) come and go.
	MaxKeys int
	// Now is the clock; tests inject a fake one. When nil (or time.Now
	// itself), the Limiter reads the monotonic clock once per decision and
	// keeps it in step with the wall clock every second, which costs about
	// half of time.Now.
	Now func() time.Time
}

// Limiter is an in-process store.Limiter, with the window semantics
// store.Limiter documents. Its memory is bounded: 48 bytes per key, whatever
// its length, plus its share of a hash table (about 80 bytes in all), keys
// idle for two windows evicted as traffic goes on, and at most MaxKeys
// keys.
//
// It is sharded: a decision locks only the shard of its key, allocates
// nothing, and finds its key in an open-addressing table of the shard.
type Limiter struct {
	now     func() time.Time // nil: clock
	clock   clock
	seed    maphash.Seed // of a key's first hash: its shard, slot and tag
	seed2   maphash.Seed // of its second hash
	shards  []limiterShard
	shift   uint // a key's shard is its hash >> shift
	maxKeys int64
	keys    atomic.Int64  // tracked, in all shards
	next    atomic.Uint32 // the shard the next cross-shard sweep visits
}

// Shards and sweeping.
const (
	maxShards    = 64
	minShardKeys = 1024 // fewer shards rather than shards smaller than this
	// sweepPeriod is how often the idle sweep passes over every key of a
	// shard, as long as decisions are made: a key idle for two windows is
	// forgotten at most this long after.
	sweepPeriod = time.Second
	// sweepEvery is how many decisions of a shard pass between two visits
	// of the idle sweep to another shard, so that traffic anywhere forgets
	// idle keys everywhere.
	sweepEvery = 64
	// maxSweep bounds the entries one decision looks at.
	maxSweep = 256
)

// limiterShard is one shard: a table from key to entry, the entries, and
// two hands going round them, one for eviction at the cap and one for
// forgetting idle keys.
type limiterShard struct {
	mu      sync.Mutex
	slots   []uint64 // linear probing: hash<<32 | index+1; 0 is empty
	entries []entry
	free    uint32 // the first free entry's index+1; 0 when none
	live    int
	m       *Limiter
	hand    int      // the CLOCK hand, over entries
	sweep   int      // the idle sweep's position in entries
	sweptAt int64    // when the idle sweep last moved, Unix nanoseconds
	calls   int      // decisions since the last cross-shard sweep
	_       [16]byte // 128 bytes in all: shards on different cache lines
}

// entry is one key's state: the counts of its current and previous fixed
// windows. The key itself is not kept, only two 64-bit hashes of it with
// independent random seeds: 48 bytes whatever the key's length, nothing for
// the garbage collector to scan, and two keys are taken for one only when
// both hashes agree on 126 bits, with odds of about 2^-92 among a million
// keys. A free entry has flagUsed clear and prev holding the next free
// entry's index+1.
type entry struct {
	h1     uint64 // the first hash
	h2     uint64 // the second hash, its lowest two bits the flags
	window int64  // nanoseconds
	start  int64  // start of the current window, Unix nanoseconds
	prev   uint64 // admissions in [start-window, start)
	curr   uint64 // admissions in [start, start+window)
}

const (
	flagUsed       = 1 << iota // the entry holds a key
	flagReferenced             // used since the CLOCK hand last passed
	flagMask       = flagUsed | flagReferenced
)

// NewLimiter returns an empty in-process Limiter.
func NewLimiter(opts LimiterOptions) *Limiter {
	maxKeys := opts.MaxKeys
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	n := 1
	for n*2 <= maxShards && n*2*minShardKeys <= maxKeys {
		n *= 2
	}
	m := &Limiter{seed: maphash.MakeSeed(), seed2: maphash.MakeSeed(), shards: make([]limiterShard, n), shift: uint(64 - bits.TrailingZeros(uint(n))), maxKeys: int64(maxKeys)}
	if opts.Now != nil && reflect.ValueOf(opts.Now).Pointer() != reflect.ValueOf(time.Now).Pointer() {
		m.now = opts.Now
	} else {
		m.clock.init()
	}
	for i := range m.shards {
		m.shards[i].m = m
	}
	return m
}

// Allow implements store.Limiter.
func (m *Limiter) Allow(_ context.Context, key string, limit int, window time.Duration) (store.Decision, error) {
	if limit <= 0 || window <= 0 {
		return store.Decision{}, fmt.Errorf("memstore: a limit needs a positive count and window, got %d per %s", limit, window)
	}
	var now time.Time
	var t int64
	if m.now != nil {
		now = m.now()
		t = now.UnixNano()
	} else {
		t = m.clock.unixNano()
	}
	at := t
	w := int64(window)
	h := maphash.String(m.seed, key)
	sh := &m.shards[h>>m.shift]

	sh.mu.Lock()
	sh.sweepIdle(t)
	e := sh.entry(key, h, w, t)
	start := e.windowAt(t)
	if start < e.start { // the clock stepped back: stay in the later window
		t, start = e.start, e.start
	}
	e.roll(start)
	s := decide(e.prev, e.curr, uint64(limit), uint64(w), uint64(t-start))
	e.curr = s.curr
	sh.calls++
	elsewhere := sh.calls >= sweepEvery
	if elsewhere {
		sh.calls = 0
	}
	sh.mu.Unlock()

	if elsewhere && len(m.shards) > 1 {
		m.sweepAnother(at)
	}
	var reset time.Time
	if m.now != nil {
		reset = now.Add(time.Duration(s.resetIn))
	} else {
		reset = time.Unix(0, at+int64(s.resetIn)).UTC()
	}
	return store.Decision{
		Allowed:    s.allowed,
		Limit:      limit,
		Remaining:  int(s.remaining),
		ResetAt:    reset,
		RetryAfter: time.Duration(s.retryIn),
	}, nil
}

// Len returns the number of keys tracked, after forgetting the idle ones.
func (m *Limiter) Len() int {
	t := m.unixNano()
	n := 0
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		sh.sweepN(t, len(sh.entries))
		n += sh.live
		sh.mu.Unlock()
	}
	return n
}

func (m *Limiter) unixNano() int64 {
	if m.now != nil {
		return m.now().UnixNano()
	}
	return m.clock.unixNano()
}

// sweepAnother looks for idle keys in the next shard in turn, so that
// traffic on some shards forgets the idle keys of all; a shard busy at the
// moment is skipped.
func (m *Limiter) sweepAnother(t int64) {
	sh := &m.shards[int(m.next.Add(1))&(len(m.shards)-1)]
	if sh.mu.TryLock() {
		sh.sweepIdle(t)
		sh.mu.Unlock()
	}
}

// entry returns the state of key, whose first hash is h1, counted in
// windows of w at time t, tracking it anew if needed; an entry found is
// marked as referenced.
func (sh *limiterShard) entry(key string, h1 uint64, w, t int64) *entry {
	tag := uint32(h1)
	var h2 uint64 // computed once needed
	mask := len(sh.slots) - 1
	if mask >= 0 {
		for i := int(tag) & mask; ; i = (i + 1) & mask {
			s := sh.slots[i]
			if s == 0 {
				break
			}
			if uint32(s>>32) != tag {
				continue
			}
			if e := &sh.entries[uint32(s)-1]; e.h1 == h1 {
				if h2 == 0 {
					h2 = maphash.String(sh.m.seed2, key) &^ flagMask
				}
				if e.h2&^flagMask == h2 {
					e.h2 |= flagReferenced
					if e.window != w { // the key is now counted under another rule
						e.window, e.start, e.prev, e.curr = w, t-mod(t, w), 0, 0
					}
					return e
				}
			}
		}
	}
	if h2 == 0 {
		h2 = maphash.String(sh.m.seed2, key) &^ flagMask
	}
	if sh.m.keys.Add(1) > sh.m.maxKeys && sh.live > 0 {
		sh.evict()
	}
	if (sh.live+1)*4 > len(sh.slots)*3 {
		sh.grow()
	}
	var idx uint32
	if sh.free != 0 {
		idx = sh.free - 1
		sh.free = uint32(sh.entries[idx].prev)
	} else {
		sh.entries = append(sh.entries, entry{})
		idx = uint32(len(sh.entries) - 1)
	}
	e := &sh.entries[idx]
	// Not marked as referenced: a key seen once is the first to go.
	*e = entry{h1: h1, h2: h2 | flagUsed, window: w, start: t - mod(t, w)}
	sh.insertSlot(tag, idx)
	sh.live++
	return e
}

func (sh *limiterShard) insertSlot(h, idx uint32) {
	mask := len(sh.slots) - 1
	i := int(h) & mask
	for sh.slots[i] != 0 {
		i = (i + 1) & mask
	}
	sh.slots[i] = uint64(h)<<32 | uint64(idx+1)
}

// grow doubles the table (16 slots at first) and places every key again.
func (sh *limiterShard) grow() {
	sh.slots = make([]uint64, max(16, 2*len(sh.slots)))
	for i := range sh.entries {
		if e := &sh.entries[i]; e.h2&flagUsed != 0 {
			sh.insertSlot(uint32(e.h1), uint32(i))
		}
	}
}

// evict forgets the first key the CLOCK hand finds unused since it last
// passed.
func (sh *limiterShard) evict() {
	for {
		if sh.hand >= len(sh.entries) {
			sh.hand = 0
		}
		e := &sh.entries[sh.hand]
		sh.hand++
		switch {
		case e.h2&flagUsed == 0:
		case e.h2&flagReferenced != 0:
			e.h2 &^= flagReferenced
		default:
			sh.remove(uint32(sh.hand - 1))
			return
		}
	}
}

// sweepIdle moves the idle sweep on by the share of the shard's entries
// that the time since it last moved is of sweepPeriod, at most maxSweep
// entries at a time.
func (sh *limiterShard) sweepIdle(t int64) {
	elapsed := t - sh.sweptAt
	if elapsed < 0 { // the clock stepped back
		sh.sweptAt = t
		return
	}
	if elapsed > int64(sweepPeriod) {
		elapsed = int64(sweepPeriod)
		sh.sweptAt = t - elapsed
	}
	n := int64(len(sh.entries)) * elapsed / int64(sweepPeriod)
	if n == 0 {
		return
	}
	n = min(n, maxSweep)
	sh.sweepN(t, int(n))
	sh.sweptAt += n * int64(sweepPeriod) / int64(len(sh.entries))
}

// sweepN looks at the next n entries and forgets the keys idle for two
// windows, whose counts are both zero by now.
func (sh *limiterShard) sweepN(t int64, n int) {
	n = min(n, len(sh.entries))
	for ; n > 0; n-- {
		if sh.sweep >= len(sh.entries) {
			sh.sweep = 0
		}
		if e := &sh.entries[sh.sweep]; e.h2&flagUsed != 0 && t >= e.start+2*e.window {
			sh.remove(uint32(sh.sweep))
		}
		sh.sweep++
	}
}

// remove forgets the key of entries[idx]: its slot is emptied, and the keys
// after it in their probe run move back (backward-shift deletion), so that
// no lookup needs tombstones.
func (sh *limiterShard) remove(idx uint32) {
	e := &sh.entries[idx]
	mask := len(sh.slots) - 1
	tag := uint32(e.h1)
	want := uint64(tag)<<32 | uint64(idx+1)
	i := int(tag) & mask
	for sh.slots[i] != want {
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		s := sh.slots[j]
		if s == 0 {
			break
		}
		// The key at j may move to i unless its home lies in (i, j].
		if home := int(s>>32) & mask; (j-home)&mask >= (j-i)&mask {
			sh.slots[i] = s
			i = j
		}
	}
	sh.slots[i] = 0
	*e = entry{prev: uint64(sh.free)}
	sh.free = idx + 1
	sh.live--
	sh.m.keys.Add(-1)
}

// windowAt returns the start of the window of e.window that holds t,
// without a division when that is e's current window or the next.
func (e *entry) windowAt(t int64) int64 {
	switch d := t - e.start; {
	case d >= 0 && d < e.window:
		return e.start
	case d >= e.window && d < 2*e.window:
		return e.start + e.window
	}
	return t - mod(t, e.window)
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

// clock is the Limiter's own clock: Unix nanoseconds as a wall-clock
// reading plus the monotonic time since, which is one clock read where
// time.Now takes two. It takes a fresh wall-clock reading every second, so
// it follows the wall clock's adjustments within a second.
type clock struct{ base atomic.Pointer[clockBase] }

type clockBase struct {
	mono time.Time // with its monotonic reading
	unix int64
}

// clockResync is how long the clock runs on one wall-clock reading.
const clockResync = time.Second

func (c *clock) init() { c.base.Store(newClockBase()) }

func newClockBase() *clockBase {
	now := time.Now()
	return &clockBase{mono: now, unix: now.UnixNano()}
}

func (c *clock) unixNano() int64 {
	b := c.base.Load()
	d := time.Since(b.mono)
	if d < clockResync {
		return b.unix + int64(d)
	}
	nb := newClockBase()
	c.base.CompareAndSwap(b, nb)
	return nb.unix
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
	weighted := u128.Mul(prev, w-elapsed).Add(u128.Mul(curr, w)) // count × w
	ceiling := u128.Mul(limit, w)
	s := verdict{curr: curr}
	if weighted.Less(ceiling) {
		s.allowed = true
		s.curr++
		weighted = weighted.Add(u128.From(w))
	} else {
		s.retryIn = retryIn(prev, curr, limit, w, elapsed)
	}
	if weighted.Less(ceiling) {
		// Remaining is the n with count+n-1 < limit, that is ⌈limit−count⌉,
		// which is at most limit, so the quotient fits.
		s.remaining = u128.CeilDiv(ceiling.Sub(weighted), w)
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
		at := w - u128.CeilDiv(u128.Mul(limit-curr, w), prev) + 1
		return at - elapsed // at == w is the next window's start, which is right too
	}
	// Next window: its previous count is curr and its own count zero.
	next := w - elapsed
	if q := u128.CeilDiv(u128.Mul(limit, w), curr); q <= w {
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
