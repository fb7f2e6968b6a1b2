package redisstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/internal/u128"
	"github.com/mcpgen/mcpgen/runtime/store/memstore"
)

// allowAtScript is allowScript on a clock the test chooses: ARGV limit,
// window, now (µs).
var allowAtScript = redis.NewScript(prelude + limiterLua + `
local now = tonumber(ARGV[3])
local ok, p, c, e = allow(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), now)
return {ok, p, c, e, now}
`)

// allowAt decides a request at now (µs) as Allow does at Redis's now.
func allowAt(t *testing.T, s *Store, key string, limit int, window time.Duration, now int64) store.Decision {
	t.Helper()
	w, err := checkRule(limit, window)
	require.NoError(t, err)
	r, err := s.run(context.Background(), allowAtScript, []string{s.limiterKey(key)}, limit, w, now)
	require.NoError(t, err)
	v, err := ints(r, 5)
	require.NoError(t, err)
	return decision(v[0] == 1, v[1], v[2], int64(limit), w, v[3], v[4])
}

// TestLimiterMatchesMemstore feeds one sequence of arrivals to the Redis
// script (on a clock the test sets) and to memstore.Limiter (on a fake
// clock at the same instants) and wants the same decisions: windows of a
// second to ten years, where the products of the admission test outgrow
// a double, and a clock that steps back.
func TestLimiterMatchesMemstore(t *testing.T) {
	s := newStore(t, standalone(t), Options{})
	rng := rand.New(rand.NewPCG(11, 13))
	base := time.Date(2026, 7, 28, 0, 0, 0, 0, time.UTC).UnixMicro()
	for _, tt := range []struct {
		limit  int
		window time.Duration
	}{
		{1, time.Second}, {3, time.Second}, {7, time.Minute}, {100, time.Minute},
		{50, time.Hour}, {200, 30 * 24 * time.Hour}, {150, 10 * 365 * 24 * time.Hour},
	} {
		t.Run(fmt.Sprintf("%d per %s", tt.limit, tt.window), func(t *testing.T) {
			var now time.Time
			mem := memstore.NewLimiter(memstore.LimiterOptions{Now: func() time.Time { return now }})
			key := "k" + strconv.Itoa(tt.limit)
			w := tt.window.Microseconds()
			at := base
			for i := range 600 {
				switch r := rng.IntN(20); {
				case r == 0:
					at -= rng.Int64N(w/4 + 1) // the clock steps back
				case r < 4 && tt.window <= 24*time.Hour:
					at += rng.Int64N(2 * w) // a pause
				case r < 4:
					at += rng.Int64N(w / 8) // a shorter one: memstore's clock ends in 2262
				default:
					at += rng.Int64N(3*w/int64(tt.limit)/2 + 1) // demand about the limit
				}
				now = time.UnixMicro(at)
				want, err := mem.Allow(context.Background(), key, tt.limit, tt.window)
				require.NoError(t, err)
				got := allowAt(t, s, key, tt.limit, tt.window, at)
				require.Equal(t, want.Allowed, got.Allowed, "request %d at %d", i, at)
				require.Equal(t, want.Limit, got.Limit)
				require.Equal(t, want.Remaining, got.Remaining, "request %d", i)
				require.Equal(t, want.ResetAt, got.ResetAt, "request %d", i)
				// Redis counts whole microseconds: a retry is at the first
				// one from which memstore's exact instant is past.
				require.GreaterOrEqual(t, got.RetryAfter, want.RetryAfter, "request %d", i)
				require.Less(t, got.RetryAfter-want.RetryAfter, time.Microsecond, "request %d", i)
			}
		})
	}
}

// TestLimiterAdmissionIsExact sets a window's counts directly and asks the
// script about the instants around the admission boundary
// prev×(w−e) = (limit−curr)×w, with products far above 2^53.
func TestLimiterAdmissionIsExact(t *testing.T) {
	s := newStore(t, standalone(t), Options{})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 8))
	checked := 0
	for i := range 400 {
		w := rng.Int64N(maxRule) + 1
		if i%2 == 0 {
			w = rng.Int64N(1<<40) + 1
		}
		limit := rng.Int64N(1<<30) + 1
		if i%3 == 0 {
			limit = rng.Int64N(1000) + 1
		}
		prev := rng.Int64N(limit) + 1
		curr := rng.Int64N(limit)
		// The last e at which the request is refused, from the exact
		// formula, and its neighbours.
		q := u128.CeilDiv(u128.Mul(uint64(limit-curr), uint64(w)), uint64(prev))
		if q > uint64(w) {
			continue // admitted from the window's start
		}
		boundary := w - int64(q)          // refused at e ≤ boundary, admitted after
		start := (int64(1) << 51) / w * w // a window start past 2^51 µs
		if start+2*w >= 1<<53 {
			start = 0
		}
		for _, e := range []int64{boundary - 1, boundary, boundary + 1} {
			if e < 0 || e >= w {
				continue
			}
			key := fmt.Sprint("exact-", i, "-", e)
			require.NoError(t, s.client.HSet(ctx, s.limiterKey(key), "w", w, "s", start, "p", prev, "c", curr).Err())
			want := u128.Mul(uint64(prev), uint64(w-e)).Add(u128.Mul(uint64(curr), uint64(w))).Less(u128.Mul(uint64(limit), uint64(w)))
			r, err := s.run(ctx, allowAtScript, []string{s.limiterKey(key)}, limit, w, start+e)
			require.NoError(t, err)
			v, err := ints(r, 5)
			require.NoError(t, err)
			require.Equal(t, want, v[0] == 1, "prev %d curr %d limit %d w %d e %d", prev, curr, limit, w, e)
			assert.Equal(t, e > boundary, v[0] == 1, "the boundary at %d", boundary)
			checked++
		}
	}
	assert.Greater(t, checked, 500)
}

func TestLimiterRefusesRulesItCannotCount(t *testing.T) {
	s := newStore(t, standalone(t), Options{})
	for _, r := range []struct {
		limit  int
		window time.Duration
	}{{1, time.Nanosecond * 999}, {1, 40 * 365 * 24 * time.Hour}, {1 << 51, time.Minute}} {
		_, err := s.Allow(context.Background(), "k", r.limit, r.window)
		assert.ErrorContains(t, err, "outside what the store counts", "%d per %s", r.limit, r.window)
	}
	_, err := s.Allow(context.Background(), "k", 0, time.Minute)
	assert.EqualError(t, err, "redisstore: a limit needs a positive count and window, got 0 per 1m0s")
}

// TestLimiterAcrossReplicas: two Stores (two replicas) on one Redis
// share one count, under concurrent load, on the standalone server and
// the cluster.
func TestLimiterAcrossReplicas(t *testing.T) {
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			a := newStore(t, tg.url, Options{})
			b := newStore(t, tg.url, Options{Prefix: a.prefix})
			const limit = 40
			var mu sync.Mutex
			admitted := map[string]int{}
			var wg sync.WaitGroup
			for i := range 8 {
				s := a
				if i%2 == 1 {
					s = b
				}
				wg.Go(func() {
					for j := range 25 {
						key := fmt.Sprint("desk-", j%2)
						d, err := s.Allow(context.Background(), key, limit, time.Hour)
						if assert.NoError(t, err) && d.Allowed {
							mu.Lock()
							admitted[key]++
							mu.Unlock()
						}
					}
				})
			}
			wg.Wait()
			assert.Equal(t, map[string]int{"desk-0": limit, "desk-1": limit}, admitted)
		})
	}
}
