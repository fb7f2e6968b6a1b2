package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/memstore"
)

// BenchmarkDecisions measures each kind of decision on the memory stores
// and on Redis (one server, and a three-node cluster), side by side in one
// run, with 8 requests in flight per CPU:
//
//	go test -run '^$' -bench Decisions -benchmem ./runtime/store/redisstore
//
// Each line reports round trips to Redis per decision (roundtrips/op) and
// decisions per second (decisions/s); a Redis line also reports how many
// times fewer decisions per second it makes than the memory store
// (x-fewer-than-mem), the "checks" lines of Check how many times more
// than the same three decisions made one call after another
// (x-more-than-3-calls), and the "signed-call" lines the same for a signed
// tool call's store work: a Check with the claim and the stored response,
// against five calls (x-more-than-5-calls).
func BenchmarkDecisions(b *testing.B) {
	ctx := context.Background()
	tgs := targets(b)
	const ttl = 100 * time.Millisecond // nonces and records expire, so no store fills up
	type stores struct {
		l   store.Limiter
		n   store.Nonces
		i   store.Idempotency
		s   store.State
		rs  *Store // nil for the memory stores
		rts *roundTrips
	}
	mem := func() stores {
		return stores{
			l: memstore.NewLimiter(memstore.LimiterOptions{}),
			n: memstore.NewNonces(memstore.NonceOptions{MaxEntries: 1 << 20, MaxPerClient: 1 << 20}),
			i: memstore.NewIdempotency(memstore.IdempotencyOptions{MaxEntries: 1 << 20, MaxEntriesPerClient: 1 << 20}),
			s: memstore.NewState(memstore.StateOptions{}),
		}
	}
	red := func(url string) stores {
		// A long timeout: a busy two-core machine stalls Redis now and then.
		s := newStore(b, url, Options{MaxNoncesPerClient: 1 << 20, MaxRecordsPerClient: 1 << 20, Timeout: 5 * time.Second})
		return stores{l: s, n: s, i: s, s: s, rs: s, rts: countRoundTrips(s)}
	}
	var seq atomic.Int64
	principal := func(i int64) string { return fmt.Sprint("desk-", i%64) }
	kinds := []struct {
		name string
		op   func(st stores, i int64) error
	}{
		{"allow", func(st stores, i int64) error {
			_, err := st.l.Allow(ctx, principal(i), 1<<30, time.Minute)
			return err
		}},
		{"nonce", func(st stores, i int64) error {
			_, err := st.n.Remember(ctx, principal(i), fmt.Sprint("nonce-", i), ttl)
			return err
		}},
		{"checks-3-calls", func(st stores, i int64) error {
			p := principal(i) // in the request path's order: client limit, nonce, tool limit
			if _, err := st.l.Allow(ctx, p, 1<<30, time.Minute); err != nil {
				return err
			}
			if _, err := st.n.Remember(ctx, p, fmt.Sprint("nonce-", i), ttl); err != nil {
				return err
			}
			_, err := st.l.Allow(ctx, "tool\x00"+p+"\x00quote.get", 1<<30, time.Minute)
			return err
		}},
		{"checks-1-call", func(st stores, i int64) error {
			p := principal(i)
			if st.rs == nil {
				return nil // Redis only
			}
			_, err := st.rs.Check(ctx, store.CheckRequest{Client: p, Nonce: fmt.Sprint("nonce-", i), NonceTTL: ttl,
				ClientLimit: &store.Limit{Key: p, Limit: 1 << 30, Window: time.Minute},
				ToolLimit:   &store.Limit{Key: "tool\x00" + p + "\x00quote.get", Limit: 1 << 30, Window: time.Minute}})
			return err
		}},
		// A signed tool call's store work, as the security layers did it
		// before store.Checker (five calls) and do it now on Redis (a
		// Check with the claim, then the stored response).
		{"signed-call-5-calls", func(st stores, i int64) error {
			p := principal(i)
			if _, err := st.l.Allow(ctx, p, 1<<30, time.Minute); err != nil {
				return err
			}
			if _, err := st.n.Remember(ctx, p, fmt.Sprint("nonce-", i), ttl); err != nil {
				return err
			}
			if _, err := st.l.Allow(ctx, "tool\x00"+p+"\x00quote.get", 1<<30, time.Minute); err != nil {
				return err
			}
			k := store.RecordKey{Client: p, Key: fmt.Sprint("order-", i)}
			f := store.Fingerprint{byte(i)}
			if _, _, err := st.i.Begin(ctx, k, f, ttl); err != nil {
				return err
			}
			return st.i.Complete(ctx, k, f, &store.Response{Status: 200, Body: []byte(`{"jsonrpc":"2.0","id":1,"result":{}}`)}, ttl)
		}},
		{"signed-call-2-calls", func(st stores, i int64) error {
			p := principal(i)
			if st.rs == nil {
				return nil // Redis only
			}
			k := store.RecordKey{Client: p, Key: fmt.Sprint("order-", i)}
			f := store.Fingerprint{byte(i)}
			if _, err := st.rs.Check(ctx, store.CheckRequest{Client: p, Nonce: fmt.Sprint("nonce-", i), NonceTTL: ttl,
				ClientLimit: &store.Limit{Key: p, Limit: 1 << 30, Window: time.Minute},
				ToolLimit:   &store.Limit{Key: "tool\x00" + p + "\x00quote.get", Limit: 1 << 30, Window: time.Minute},
				Claim:       &store.Claim{Key: k, Fingerprint: f, Lease: ttl}}); err != nil {
				return err
			}
			return st.i.Complete(ctx, k, f, &store.Response{Status: 200, Body: []byte(`{"jsonrpc":"2.0","id":1,"result":{}}`)}, ttl)
		}},
		{"idempotent-call", func(st stores, i int64) error {
			k := store.RecordKey{Client: principal(i), Key: fmt.Sprint("order-", i)}
			f := store.Fingerprint{byte(i)}
			if _, _, err := st.i.Begin(ctx, k, f, ttl); err != nil {
				return err
			}
			return st.i.Complete(ctx, k, f, &store.Response{Status: 200, Body: []byte(`{"jsonrpc":"2.0","id":1,"result":{}}`)}, ttl)
		}},
		{"state-set", func(st stores, i int64) error {
			_, err := st.s.Set(ctx, fmt.Sprint("k", i%256), json.RawMessage(`{"limit":100}`), 0, nil)
			return err
		}},
	}

	perOp := map[string]float64{} // ns per decision, by kind/store
	for _, k := range kinds {
		backends := []struct {
			name string
			make func() stores
		}{{"memstore", mem}}
		for _, tg := range tgs {
			backends = append(backends, struct {
				name string
				make func() stores
			}{"redis-" + tg.name, func() stores { return red(tg.url) }})
		}
		for _, be := range backends {
			if (k.name == "checks-1-call" || k.name == "signed-call-2-calls") && be.name == "memstore" {
				continue
			}
			b.Run(k.name+"/"+be.name, func(b *testing.B) {
				st := be.make()
				b.SetParallelism(8)
				b.ResetTimer()
				var trips0 int64
				if st.rts != nil {
					trips0 = st.rts.n.Load()
				}
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := k.op(st, seq.Add(1)); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.StopTimer()
				ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				perOp[k.name+"/"+be.name] = ns
				trips := 0.0
				if st.rts != nil {
					trips = float64(st.rts.n.Load()-trips0) / float64(b.N)
				}
				b.ReportMetric(trips, "roundtrips/op")
				b.ReportMetric(1e9/ns, "decisions/s")
				if m, ok := perOp[k.name+"/memstore"]; ok && be.name != "memstore" {
					b.ReportMetric(ns/m, "x-fewer-than-mem")
				}
				if k.name == "checks-1-call" {
					if seqNs, ok := perOp["checks-3-calls/"+be.name]; ok {
						b.ReportMetric(seqNs/ns, "x-more-than-3-calls")
					}
				}
				if k.name == "signed-call-2-calls" {
					if seqNs, ok := perOp["signed-call-5-calls/"+be.name]; ok {
						b.ReportMetric(seqNs/ns, "x-more-than-5-calls")
					}
				}
			})
		}
	}
}
