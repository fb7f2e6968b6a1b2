package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/store"
)

// window is the rate-limit window of the limiter cases: short, for stores
// on real time.
const window = time.Second

// Limiter runs the behavioural cases of store.Limiter against the stores
// newStore makes: one fresh store per case, on the clock it is given.
func Limiter(t *testing.T, newStore func(t *testing.T, clock *Clock) store.Limiter) {
	ctx := context.Background()
	allow := func(t *testing.T, l store.Limiter, key string, limit int) store.Decision {
		t.Helper()
		d, err := l.Allow(ctx, key, limit, window)
		require.NoError(t, err)
		return d
	}

	run(t, "admits the limit within a window, then refuses", newStore, func(t *testing.T, clock *Clock, l store.Limiter) {
		clock.alignTo(window)
		for i := range 3 {
			d := allow(t, l, "k", 3)
			assert.True(t, d.Allowed, "request %d", i+1)
			assert.Equal(t, 3, d.Limit)
			assert.Equal(t, 2-i, d.Remaining, "request %d", i+1)
			assert.Zero(t, d.RetryAfter, "an admitted request has no RetryAfter")
		}
		now := clock.Now()
		d := allow(t, l, "k", 3)
		assert.False(t, d.Allowed, "the fourth")
		assert.Equal(t, 3, d.Limit)
		assert.Zero(t, d.Remaining)
		assert.Positive(t, d.RetryAfter)
		assert.LessOrEqual(t, d.RetryAfter, 2*window, "the count has run down two windows on")
		assert.True(t, d.ResetAt.After(now.Add(-clock.slack())), "ResetAt %s is before now %s", d.ResetAt, now)
		assert.False(t, d.ResetAt.After(now.Add(2*window+clock.slack())), "ResetAt %s is more than two windows after %s", d.ResetAt, now)
	})

	run(t, "keys are counted apart", newStore, func(t *testing.T, clock *Clock, l store.Limiter) {
		clock.alignTo(window)
		assert.True(t, allow(t, l, "desk-a", 1).Allowed)
		assert.False(t, allow(t, l, "desk-a", 1).Allowed)
		assert.True(t, allow(t, l, "desk-b", 1).Allowed, "another key has its own count")
		assert.True(t, allow(t, l, "tool\x00desk-a\x00quote.get", 1).Allowed, "keys may hold any byte")
	})

	run(t, "a request after RetryAfter is admitted", newStore, func(t *testing.T, clock *Clock, l store.Limiter) {
		clock.alignTo(window)
		allow(t, l, "k", 2)
		allow(t, l, "k", 2)
		d := allow(t, l, "k", 2)
		require.False(t, d.Allowed)
		clock.Advance(d.RetryAfter)
		assert.True(t, allow(t, l, "k", 2).Allowed, "after %s", d.RetryAfter)
	})

	run(t, "the count is back to the limit at ResetAt", newStore, func(t *testing.T, clock *Clock, l store.Limiter) {
		clock.alignTo(window)
		var last store.Decision
		for range 2 {
			last = allow(t, l, "k", 2)
		}
		clock.Advance(last.ResetAt.Sub(clock.Now()) + clock.slack())
		d := allow(t, l, "k", 2)
		assert.True(t, d.Allowed)
		assert.Equal(t, 1, d.Remaining, "the full limit again, less this request")
	})

	run(t, "a window admits at most the limit, however the requests spread", newStore, func(t *testing.T, clock *Clock, l store.Limiter) {
		for attempt := 1; ; attempt++ {
			clock.alignTo(window)
			began := clock.Now()
			key := fmt.Sprint("k", attempt)
			admitted := 0
			for range 8 {
				for range 3 {
					if allow(t, l, key, 4).Allowed {
						admitted++
					}
				}
				clock.Advance(window / 16)
			}
			// In real time, a stalled machine can carry the requests into
			// the next window, where more are rightly admitted: the case
			// is then run again, up to three times.
			if stalled := clock.Now().Sub(began) >= window-clock.slack()/5; stalled && attempt < 3 {
				t.Logf("attempt %d took %s, past the %s window: again", attempt, clock.Now().Sub(began), window)
				continue
			}
			assert.Equal(t, 4, admitted, "one window's worth of requests")
			return
		}
	})

	run(t, "concurrent requests share one count", newStore, func(t *testing.T, clock *Clock, l store.Limiter) {
		clock.alignTo(window)
		const limit, workers, each = 50, 8, 30
		var admitted [2]atomic.Int64
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					key := (w + i) % 2
					d, err := l.Allow(ctx, fmt.Sprint("k", key), limit, window)
					if assert.NoError(t, err) && d.Allowed {
						admitted[key].Add(1)
					}
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int64(limit), admitted[0].Load(), "exactly the limit admitted under k0")
		assert.Equal(t, int64(limit), admitted[1].Load(), "exactly the limit admitted under k1")
	})

	run(t, "a limit or window that is not positive is an error", newStore, func(t *testing.T, clock *Clock, l store.Limiter) {
		for _, r := range []struct {
			limit  int
			window time.Duration
		}{{0, time.Minute}, {-1, time.Minute}, {1, 0}, {1, -time.Second}} {
			_, err := l.Allow(ctx, "k", r.limit, r.window)
			assert.Error(t, err, "%d per %s", r.limit, r.window)
		}
	})
}
