package redisstore

import (
	"sync"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/storetest"
)

// TestSuites runs the runtime's behavioural suite of every store
// interface against a standalone Redis and a three-node Redis Cluster,
// on Redis's clock (the suites sleep instead of moving a fake one). Each
// case gets a Store with a key prefix of its own.
//
// The eight suites run side by side from goroutines of their own rather
// than as parallel tests: they mostly sleep, and go test would run only
// GOMAXPROCS parallel tests at once (two on a two-core machine).
func TestSuites(t *testing.T) {
	t.Parallel()
	suites := []struct {
		name string
		run  func(t *testing.T, url string)
	}{
		{"limiter", func(t *testing.T, url string) {
			storetest.Limiter(t, func(t *testing.T, clock *storetest.Clock) store.Limiter {
				clock.UseRealTime()
				return newStore(t, url, Options{})
			})
		}},
		{"nonces", func(t *testing.T, url string) {
			storetest.Nonces(t, func(t *testing.T, clock *storetest.Clock, maxPerClient int) store.Nonces {
				clock.UseRealTime()
				return newStore(t, url, Options{MaxNoncesPerClient: maxPerClient})
			})
		}},
		{"idempotency", func(t *testing.T, url string) {
			storetest.Idempotency(t, func(t *testing.T, clock *storetest.Clock) store.Idempotency {
				clock.UseRealTime()
				return newStore(t, url, Options{})
			})
		}},
		{"state", func(t *testing.T, url string) {
			storetest.State(t, func(t *testing.T, clock *storetest.Clock, maxValueBytes, maxTotalBytes int) store.State {
				clock.UseRealTime()
				return newStore(t, url, Options{MaxStateValueBytes: maxValueBytes, MaxStateBytes: maxTotalBytes})
			})
		}},
	}
	var wg sync.WaitGroup
	for _, tg := range targets(t) {
		for _, s := range suites {
			wg.Go(func() {
				t.Run(tg.name+"/"+s.name, func(t *testing.T) { s.run(t, tg.url) })
			})
		}
	}
	wg.Wait()
}
