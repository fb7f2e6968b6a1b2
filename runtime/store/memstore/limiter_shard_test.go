package memstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refEntry and refLimiter are the reference: one map entry per key, no
// eviction, the same rule (roll and decide).
type refLimiter map[string]*entry

func (r refLimiter) allow(key string, limit int, w, t int64) verdict {
	e := r[key]
	if e == nil || e.window != w {
		e = &entry{window: w, start: t - mod(t, w)}
		r[key] = e
	}
	start := t - mod(t, w)
	if start < e.start {
		t, start = e.start, e.start
	}
	e.roll(start)
	s := decide(e.prev, e.curr, uint64(limit), uint64(w), uint64(t-start))
	e.curr = s.curr
	return s
}

// checkTables checks every shard's table against its entries: each used
// entry has exactly one slot, in its probe run, and the counts agree.
func checkTables(t *testing.T, m *Limiter) {
	t.Helper()
	total := 0
	for si := range m.shards {
		sh := &m.shards[si]
		used := 0
		for i, e := range sh.entries {
			if e.h2&flagUsed == 0 {
				continue
			}
			used++
			mask := len(sh.slots) - 1
			found := false
			for j := int(uint32(e.h1)) & mask; sh.slots[j] != 0; j = (j + 1) & mask {
				if sh.slots[j] == uint64(uint32(e.h1))<<32|uint64(i+1) {
					found = true
					break
				}
			}
			require.True(t, found, "shard %d entry %d has no slot in its probe run", si, i)
		}
		slots := 0
		for _, s := range sh.slots {
			if s != 0 {
				slots++
			}
		}
		require.Equal(t, used, sh.live, "shard %d", si)
		require.Equal(t, used, slots, "shard %d", si)
		total += used
	}
	require.Equal(t, int64(total), m.keys.Load())
}

func TestLimiterMatchesTheReference(t *testing.T) {
	// Random keys, limits, windows and clock steps on a sharded Limiter with
	// room for every key: every decision is the reference's, and the tables
	// stay whole as idle keys are forgotten. (A clock that steps back may
	// find forgotten a key the reference still holds: the sweep saw the
	// later time. TestLimiterClockSteppingBack has that case.)
	for _, maxKeys := range []int{0, 4096} {
		t.Run(fmt.Sprint("max keys ", maxKeys), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(maxKeys), 11))
			clock := newFakeClock()
			m := NewLimiter(LimiterOptions{Now: clock.Now, MaxKeys: maxKeys})
			ref := refLimiter{}
			windows := []time.Duration{time.Second, time.Minute, 10 * time.Millisecond}
			for i := range 200_000 {
				if rng.IntN(1000) < 300 {
					clock.Add(time.Duration(rng.Int64N(int64(50 * time.Millisecond))))
				}
				key := fmt.Sprint("k", rng.IntN(3000))
				limit := 1 + rng.IntN(20)
				w := windows[len(key)%len(windows)]
				d, err := m.Allow(context.Background(), key, limit, w)
				require.NoError(t, err)
				want := ref.allow(key, limit, int64(w), clock.Now().UnixNano())
				require.Equal(t, want.allowed, d.Allowed, "decision %d, key %s", i, key)
				require.Equal(t, int(want.remaining), d.Remaining, "decision %d, key %s", i, key)
				require.Equal(t, time.Duration(want.retryIn), d.RetryAfter, "decision %d, key %s", i, key)
				if i%20_000 == 0 {
					checkTables(t, m)
				}
			}
			checkTables(t, m)
			assert.LessOrEqual(t, m.Len(), len(ref))
			checkTables(t, m)
		})
	}
}

func TestLimiterClockSteppingBack(t *testing.T) {
	// A clock that steps back keeps a key in the later window it has
	// reached: its count goes on, and the earlier window is not reopened.
	clock := newFakeClock()
	start := clock.Now()
	m := NewLimiter(LimiterOptions{Now: clock.Now})
	allow := func() bool {
		d, err := m.Allow(context.Background(), "k", 3, time.Minute)
		require.NoError(t, err)
		return d.Allowed
	}
	clock.Set(start.Add(time.Minute + time.Second)) // the second window
	for range 3 {
		require.True(t, allow())
	}
	clock.Set(start.Add(30 * time.Second)) // back into the first
	assert.False(t, allow(), "still counted in the second window")
}

func TestLimiterStaysWithinMaxKeys(t *testing.T) {
	clock := newFakeClock()
	for _, maxKeys := range []int{1, 10, 3000, 5000} {
		m := NewLimiter(LimiterOptions{Now: clock.Now, MaxKeys: maxKeys})
		rng := rand.New(rand.NewPCG(uint64(maxKeys), 5))
		for i := range 50_000 {
			_, err := m.Allow(context.Background(), fmt.Sprint("k", rng.IntN(4*maxKeys+10)), 5, time.Hour)
			require.NoError(t, err)
			if i%5000 == 0 {
				require.LessOrEqual(t, m.tracked(), maxKeys)
				checkTables(t, m)
			}
		}
		require.LessOrEqual(t, m.tracked(), maxKeys)
		checkTables(t, m)
	}
}

func TestLimiterKeepsABusyKeyAtTheCap(t *testing.T) {
	// A key in use is not the one forgotten when new keys arrive at the
	// cap: the CLOCK hand passes over it while it is being used, and a new
	// key seen once goes first, so a flood of one-off keys (fresh IPv6
	// addresses) pushes out only its own kind.
	clock := newFakeClock()
	m := NewLimiter(LimiterOptions{Now: clock.Now, MaxKeys: 100})
	allow := func(key string) bool {
		d, err := m.Allow(context.Background(), key, 1000, time.Hour)
		require.NoError(t, err)
		return d.Allowed
	}
	for i := range 1000 {
		allow("busy")
		allow(fmt.Sprint("passer-by-", i))
	}
	// Counted all along, busy has 1000 admissions: one more fits under a
	// limit of 1001, and none after it.
	d, err := m.Allow(context.Background(), "busy", 1001, time.Hour)
	require.NoError(t, err)
	assert.True(t, d.Allowed)
	assert.Zero(t, d.Remaining, "busy's count was kept")
}

func TestLimiterDecisionsDoNotAllocate(t *testing.T) {
	m := NewLimiter(LimiterOptions{})
	keys := []string{"a", "tool\x00desk-a\x00quote.get", "ip:203.0.113.7"}
	for _, k := range keys {
		_, err := m.Allow(context.Background(), k, 1<<30, time.Minute)
		require.NoError(t, err)
	}
	i := 0
	allocs := testing.AllocsPerRun(10_000, func() {
		m.Allow(context.Background(), keys[i%len(keys)], 1<<30, time.Minute)
		i++
	})
	assert.Zero(t, allocs)
}

func TestLimiterBytesPerKey(t *testing.T) {
	const n = 100_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("client-%06d", i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := NewLimiter(LimiterOptions{})
	for _, k := range keys {
		_, err := m.Allow(context.Background(), k, 10, time.Minute)
		require.NoError(t, err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perKey := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.1f bytes per key", perKey)
	assert.LessOrEqual(t, perKey, 128.0)
	assert.Equal(t, n, m.Len(), "every key is kept up to the cap")
	runtime.KeepAlive(keys)
}

func TestLimiterClock(t *testing.T) {
	assert.Nil(t, NewLimiter(LimiterOptions{Now: time.Now}).now, "time.Now is the Limiter's own clock")
	var c clock
	c.init()
	for range 3 {
		got, want := c.unixNano(), time.Now().UnixNano()
		assert.InDelta(t, want, got, float64(50*time.Millisecond))
		time.Sleep(10 * time.Millisecond)
	}
	// Past a resync the clock takes a fresh wall-clock reading.
	b := c.base.Load()
	c.base.Store(&clockBase{mono: b.mono.Add(-2 * clockResync), unix: b.unix - int64(time.Hour)})
	assert.InDelta(t, time.Now().UnixNano(), c.unixNano(), float64(50*time.Millisecond))
}

func TestLimiterShards(t *testing.T) {
	for _, c := range []struct{ maxKeys, shards int }{{1, 1}, {10, 1}, {2047, 1}, {2048, 2}, {100_000, 64}, {10_000_000, 64}} {
		assert.Len(t, NewLimiter(LimiterOptions{MaxKeys: c.maxKeys}).shards, c.shards, "MaxKeys %d", c.maxKeys)
	}
	assert.Equal(t, 128, int(unsafe.Sizeof(limiterShard{})), "a shard fills two cache lines")
	assert.Equal(t, 48, int(unsafe.Sizeof(entry{})))
}
