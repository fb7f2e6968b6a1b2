package memstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/storetest"
)

func TestLimiterSuite(t *testing.T) {
	storetest.Limiter(t, func(t *testing.T, clock *storetest.Clock) store.Limiter {
		return NewLimiter(LimiterOptions{Now: clock.Now})
	})
}

// run feeds the arrival times (offsets from the clock's start, sorted) to a
// fresh Limiter and returns the offsets of the admitted ones.
func run(t *testing.T, limit int, window time.Duration, arrivals []time.Duration) []time.Duration {
	t.Helper()
	clock := newFakeClock()
	start := clock.Now()
	m := NewLimiter(LimiterOptions{Now: clock.Now})
	var admitted []time.Duration
	for _, a := range arrivals {
		clock.Set(start.Add(a))
		d, err := m.Allow(context.Background(), "k", limit, window)
		require.NoError(t, err)
		if d.Allowed {
			admitted = append(admitted, a)
		}
	}
	return admitted
}

// maxInSpan returns the most admissions in any half-open span of length w.
func maxInSpan(admitted []time.Duration, w time.Duration) int {
	best, j := 0, 0
	for i := range admitted {
		for admitted[i]-admitted[j] >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// perWindow counts admissions per epoch-aligned fixed window.
func perWindow(admitted []time.Duration, w time.Duration) map[int64]int {
	counts := make(map[int64]int)
	for _, a := range admitted {
		counts[int64(a/w)]++ // the clock starts on a window boundary
	}
	return counts
}

func TestLimiterNeverExceedsTheLimitInAnyWindow(t *testing.T) {
	const window = time.Minute
	for _, limit := range []int{1, 3, 100, 1000} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(limit), 7))
			// Bursty demand: clumps of up to 2×limit requests at random
			// moments, many of them in the last instants of a window,
			// where the weighted estimate is weakest.
			var arrivals []time.Duration
			for w := range min(300, 60_000/limit) {
				for range rng.IntN(4) {
					at := time.Duration(w)*window + time.Duration(rng.Int64N(int64(window)))
					if rng.IntN(2) == 0 {
						at = time.Duration(w+1)*window - time.Duration(rng.Int64N(int64(time.Second)))
					}
					for range rng.IntN(2*limit) + 1 {
						arrivals = append(arrivals, at)
						at += time.Duration(rng.Int64N(int64(time.Millisecond)))
					}
				}
			}
			sort.Slice(arrivals, func(i, j int) bool { return arrivals[i] < arrivals[j] })
			admitted := run(t, limit, window, arrivals)
			require.NotEmpty(t, admitted)

			for w, n := range perWindow(admitted, window) {
				assert.LessOrEqual(t, n, limit, "fixed window %d", w)
			}
			// The weighted count, recomputed here from the admissions,
			// stays below limit+1 at every admission.
			counts := perWindow(admitted, window)
			seen := make(map[int64]int) // admissions so far per window
			for _, a := range admitted {
				k := int64(a / window)
				seen[k]++
				into := float64(a%window) / float64(window)
				estimate := float64(counts[k-1])*(1-into) + float64(seen[k])
				assert.Less(t, estimate, float64(limit+1), "estimated count after the admission at %s", a)
			}
			assert.LessOrEqual(t, maxInSpan(admitted, window), 2*limit, "any span of one window")
		})
	}
}

func TestLimiterWorstCaseSpanIsTwiceTheLimit(t *testing.T) {
	// The documented worst case: a burst at the end of one window and
	// another at the end of the next fall within one window's length.
	const limit, window = 100, time.Minute
	var arrivals []time.Duration
	for range limit {
		arrivals = append(arrivals, window-time.Millisecond)
	}
	for range limit {
		arrivals = append(arrivals, 2*window-2*time.Millisecond)
	}
	admitted := run(t, limit, window, arrivals)
	assert.Equal(t, 2*limit, maxInSpan(admitted, window))
}

// steadyShare returns the share of limit per window that admitted holds
// over windows 1..windows-1; window 0 admits its limit on top of nothing.
func steadyShare(admitted []time.Duration, limit, windows int, window time.Duration) float64 {
	counts := perWindow(admitted, window)
	total := 0
	for w := 1; w < windows; w++ {
		total += counts[int64(w)]
	}
	return float64(total) / float64(limit*(windows-1))
}

// exactLog is the reference limiter that the package avoids for its memory:
// a log of every admission in the last window.
func exactLog(limit int, window time.Duration, arrivals []time.Duration) []time.Duration {
	var admitted []time.Duration
	first := 0 // the oldest admission still in the window
	for _, a := range arrivals {
		for first < len(admitted) && a-admitted[first] >= window {
			first++
		}
		if len(admitted)-first < limit {
			admitted = append(admitted, a)
		}
	}
	return admitted
}

func TestLimiterAdmitsTheFullLimitUnderSteadyDemand(t *testing.T) {
	const window = time.Minute
	for _, limit := range []int{1, 7, 100, 1000} {
		for _, demand := range []float64{1.01, 1.5, 2, 10} {
			// Up to 1000 windows, and about 100,000 requests at most.
			windows := min(1000, max(20, int(100_000/(float64(limit)*demand))))
			n := int(float64(limit*windows) * demand)
			period := window * time.Duration(windows)
			t.Run(fmt.Sprintf("limit %d demand %.2fx evenly spaced", limit, demand), func(t *testing.T) {
				arrivals := make([]time.Duration, n)
				for i := range arrivals {
					arrivals[i] = time.Duration(i)*(period/time.Duration(n)) + 17*time.Millisecond
				}
				admitted := run(t, limit, window, arrivals)
				assert.GreaterOrEqual(t, steadyShare(admitted, limit, windows, window), 0.999, "admitted share of the limit")
				assert.LessOrEqual(t, maxInSpan(admitted, window), limit+1, "any span of one window")
			})
			// Random arrivals at a steady mean rate leave some windows
			// short of demand, so no limiter admits the full limit: the
			// yardstick is 99.9% or an exact sliding log, whichever is lower.
			t.Run(fmt.Sprintf("limit %d demand %.2fx random arrivals", limit, demand), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(n), 3))
				arrivals := make([]time.Duration, n)
				for i := range arrivals {
					arrivals[i] = time.Duration(rng.Int64N(int64(period)))
				}
				sort.Slice(arrivals, func(i, j int) bool { return arrivals[i] < arrivals[j] })
				got := steadyShare(run(t, limit, window, arrivals), limit, windows, window)
				exact := steadyShare(exactLog(limit, window, arrivals), limit, windows, window)
				assert.GreaterOrEqual(t, got, min(exact, 0.999), "admitted share of the limit (an exact sliding log admits %.5f)", exact)
			})
		}
	}
}

// at evaluates decide at elapsed e, which may lie in the next window.
func at(prev, curr, limit, w, e uint64) verdict {
	if e >= w {
		return decide(curr, 0, limit, w, e-w)
	}
	return decide(prev, curr, limit, w, e)
}

func TestRetryAfterIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const w = uint64(time.Minute)
	checked := 0
	for range 20000 {
		limit := uint64(rng.IntN(1000) + 1)
		prev := rng.Uint64N(limit + 1)
		curr := rng.Uint64N(limit + 1)
		e := rng.Uint64N(w)
		s := decide(prev, curr, limit, w, e)
		if s.allowed {
			assert.Zero(t, s.retryIn)
			continue
		}
		checked++
		require.Positive(t, s.retryIn)
		assert.False(t, at(prev, curr, limit, w, e+s.retryIn-1).allowed, "one nanosecond early: prev %d curr %d limit %d e %d", prev, curr, limit, e)
		assert.True(t, at(prev, curr, limit, w, e+s.retryIn).allowed, "on time: prev %d curr %d limit %d e %d", prev, curr, limit, e)
	}
	assert.Greater(t, checked, 1000)
}

func TestDecision(t *testing.T) {
	clock := newFakeClock()
	start := clock.Now()
	m := NewLimiter(LimiterOptions{Now: clock.Now})
	allow := func() store.Decision {
		d, err := m.Allow(context.Background(), "k", 2, time.Minute)
		require.NoError(t, err)
		return d
	}
	assert.Equal(t, store.Decision{Allowed: true, Limit: 2, Remaining: 1, ResetAt: start.Add(2 * time.Minute)}, allow())
	clock.Add(30 * time.Second)
	assert.Equal(t, store.Decision{Allowed: true, Limit: 2, Remaining: 0, ResetAt: start.Add(2 * time.Minute)}, allow())
	assert.Equal(t, store.Decision{Allowed: false, Limit: 2, Remaining: 0, ResetAt: start.Add(2 * time.Minute), RetryAfter: 30*time.Second + 1}, allow())
	// Halfway into the next window the previous two weigh one.
	clock.Set(start.Add(90 * time.Second))
	assert.Equal(t, store.Decision{Allowed: true, Limit: 2, Remaining: 0, ResetAt: start.Add(3 * time.Minute)}, allow())
}

func TestLimiterRefusesABadRule(t *testing.T) {
	m := NewLimiter(LimiterOptions{})
	for _, r := range []struct {
		Limit  int
		Window time.Duration
	}{{0, time.Minute}, {-1, time.Minute}, {1, 0}} {
		_, err := m.Allow(context.Background(), "k", r.Limit, r.Window)
		assert.EqualError(t, err, fmt.Sprintf("memstore: a limit needs a positive count and window, got %d per %s", r.Limit, r.Window))
	}
}

func TestLimiterForgetsIdleKeys(t *testing.T) {
	clock := newFakeClock()
	m := NewLimiter(LimiterOptions{Now: clock.Now})
	for i := range 1000 {
		window := time.Minute
		if i%2 == 0 {
			window = time.Hour
		}
		_, err := m.Allow(context.Background(), fmt.Sprint("client-", i), 10, window)
		require.NoError(t, err)
	}
	assert.Equal(t, 1000, m.Len())
	clock.Add(2 * time.Minute)
	assert.Equal(t, 500, m.Len(), "the one-minute keys are idle after two minutes")
	clock.Add(2 * time.Hour)
	assert.Equal(t, 0, m.Len())
}

func TestLimiterForgetsIdleKeysWhileServing(t *testing.T) {
	// Without Len's full sweep, steady traffic from other keys alone
	// evicts the idle ones, in every shard: each decision looks at two
	// entries of its own shard, and every 64th of a shard at 128 entries of
	// another shard, in turn.
	clock := newFakeClock()
	m := NewLimiter(LimiterOptions{Now: clock.Now})
	require.Len(t, m.shards, maxShards)
	for i := range 1000 {
		_, err := m.Allow(context.Background(), fmt.Sprint("old-", i), 10, time.Second)
		require.NoError(t, err)
	}
	assert.Equal(t, 1000, m.tracked())
	clock.Add(time.Minute)
	for range maxShards * sweepEvery {
		_, err := m.Allow(context.Background(), "busy", 1<<20, time.Second)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, m.tracked())
}

// tracked counts the keys held, without sweeping.
func (m *Limiter) tracked() int {
	n := 0
	for i := range m.shards {
		m.shards[i].mu.Lock()
		n += m.shards[i].live
		m.shards[i].mu.Unlock()
	}
	return n
}

func TestLimiterCapsTrackedKeys(t *testing.T) {
	clock := newFakeClock()
	m := NewLimiter(LimiterOptions{MaxKeys: 10, Now: clock.Now})
	for i := range 100 {
		_, err := m.Allow(context.Background(), fmt.Sprint("client-", i), 1, time.Hour)
		require.NoError(t, err)
		assert.LessOrEqual(t, m.Len(), 10)
	}
	// The most recent keys are the ones kept: client-99 is still counted.
	d, err := m.Allow(context.Background(), "client-99", 1, time.Hour)
	require.NoError(t, err)
	assert.False(t, d.Allowed)
	d, err = m.Allow(context.Background(), "client-0", 1, time.Hour)
	require.NoError(t, err)
	assert.True(t, d.Allowed, "client-0 was forgotten to make room")
}

func TestLimiterConcurrentCallersShareOneCount(t *testing.T) {
	clock := newFakeClock() // frozen: every call falls in one window
	m := NewLimiter(LimiterOptions{Now: clock.Now})
	const limit = 500
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range 200 {
				d, err := m.Allow(context.Background(), fmt.Sprint("k", i%2), limit, time.Minute)
				if err == nil && d.Allowed {
					admitted.Add(1)
				}
				if i%50 == 0 {
					m.Len()
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(2*limit), admitted.Load(), "two keys, each admitting exactly its limit")
}
