package memstore

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// BenchmarkLimiterDecision measures one rate-limit decision of the
// memstore Limiter and of its peer, golang.org/x/time/rate limiters in a
// map behind a mutex (the usual per-client limiter), side by side:
//
//	go test ./runtime/store/memstore -run '^$' -bench LimiterDecision -benchmem
//
// with one key (every decision on one client) and 100,000 keys (decisions
// spread over that many clients in turn, the Limiter's default cap), on
// one goroutine (serial) and on every CPU (parallel). Every decision is
// admitted (the limit is far above the run). B/client is the heap each
// tracked client costs, measured after tracking 100,000 of them, besides
// the key string's own bytes (the same for both). cpu-ns/op is the
// process's CPU time per decision (on every CPU together when parallel),
// which other processes on the machine do not inflate as they do wall time.
//
// The peer does less: it answers only allowed or not, where a Decision
// also carries the remaining count, the reset time and, when refused, when
// to retry (the response headers).
func BenchmarkLimiterDecision(b *testing.B) {
	ctx := context.Background()
	const limit, window = 1 << 40, time.Minute
	peers := []struct {
		name string
		make func() func(key string) bool
	}{
		{"mcpgen", func() func(string) bool {
			l := NewLimiter(LimiterOptions{})
			return func(key string) bool {
				d, err := l.Allow(ctx, key, limit, window)
				return err == nil && d.Allowed
			}
		}},
		{"x-time-rate-map", func() func(string) bool {
			m := newRateMap(rate.Limit(float64(limit)/window.Seconds()), limit)
			return m.allow
		}},
	}
	for _, n := range []int{1, 100_000} {
		keys := make([]string, n)
		for i := range keys {
			keys[i] = fmt.Sprintf("client-%06d", i)
		}
		for _, mode := range []string{"serial", "parallel"} {
			b.Run(fmt.Sprintf("keys-%d/%s", n, mode), func(b *testing.B) {
				for _, p := range peers {
					b.Run(p.name, func(b *testing.B) {
						allow := p.make()
						perClient := heapPerKey(keys, allow)
						b.ReportAllocs()
						b.ResetTimer()
						cpu := -processCPU()
						if mode == "serial" {
							i := 0
							for b.Loop() {
								if !allow(keys[i]) {
									b.Fatal("refused")
								}
								if i++; i == n {
									i = 0
								}
							}
						} else {
							var next atomic.Int64
							b.RunParallel(func(pb *testing.PB) {
								i := int(next.Add(7919)) % n // each goroutine starts elsewhere
								for pb.Next() {
									if !allow(keys[i]) {
										panic("refused")
									}
									if i++; i == n {
										i = 0
									}
								}
							})
						}
						b.StopTimer()
						if cpu += processCPU(); cpu > 0 {
							b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
						}
						if n > 1 { // one key would report the fixed overhead
							b.ReportMetric(perClient, "B/client")
						}
					})
				}
			})
		}
	}
}

// heapPerKey tracks every key with allow and returns the heap it took per
// key (the keys themselves were allocated before).
func heapPerKey(keys []string, allow func(string) bool) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, k := range keys {
		allow(k)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(len(keys))
}

// rateMap is the peer: an x/time/rate token bucket per key, in a map
// behind one mutex.
type rateMap struct {
	r     rate.Limit
	burst int
	mu    sync.Mutex
	m     map[string]*rate.Limiter
}

func newRateMap(r rate.Limit, burst int) *rateMap {
	return &rateMap{r: r, burst: burst, m: make(map[string]*rate.Limiter)}
}

func (m *rateMap) allow(key string) bool {
	m.mu.Lock()
	l, ok := m.m[key]
	if !ok {
		l = rate.NewLimiter(m.r, m.burst)
		m.m[key] = l
	}
	m.mu.Unlock()
	return l.Allow()
}
