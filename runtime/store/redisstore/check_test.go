package redisstore

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store"
)

// roundTrips counts the commands and pipelines a Store sends: its round
// trips to Redis.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmd)
	}
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmds)
	}
}

func countRoundTrips(s *Store) *roundTrips {
	r := &roundTrips{}
	s.client.AddHook(r)
	return r
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			s := newStore(t, tg.url, Options{MaxNoncesPerClient: 4})
			trips := countRoundTrips(s)
			clientLimit := &store.Limit{Key: "desk-a", Limit: 4, Window: time.Hour}
			toolLimit := &store.Limit{Key: "tool\x00desk-a\x00quote.get", Limit: 2, Window: time.Hour}
			check := func(nonce string) store.CheckResult {
				t.Helper()
				before := trips.n.Load()
				r, err := s.Check(ctx, store.CheckRequest{Client: "desk-a", Nonce: nonce, NonceTTL: time.Minute, ClientLimit: clientLimit, ToolLimit: toolLimit})
				require.NoError(t, err)
				assert.Equal(t, int64(1), trips.n.Load()-before, "one round trip")
				return r
			}

			r := check("n1")
			assert.True(t, r.Allowed())
			require.NotNil(t, r.Client)
			require.NotNil(t, r.Tool)
			assert.Equal(t, 3, r.Client.Remaining)
			assert.Equal(t, 1, r.Tool.Remaining)

			r = check("n1")
			assert.True(t, r.Replayed, "a replay")
			assert.False(t, r.Allowed())
			require.NotNil(t, r.Client, "the client limit comes first, and counted the replay")
			assert.Equal(t, 2, r.Client.Remaining)
			assert.Nil(t, r.Tool, "a replay does not reach the tool limit")

			r = check("n2")
			assert.True(t, r.Allowed())
			r = check("n3")
			assert.True(t, r.Client.Allowed)
			assert.False(t, r.Tool.Allowed, "the tool's limit of 2")
			assert.Positive(t, r.Tool.RetryAfter)
			assert.False(t, r.Allowed())

			r = check("n4")
			assert.False(t, r.Client.Allowed, "the client's limit of 4")
			assert.False(t, r.Replayed)
			assert.Nil(t, r.NonceQuota, "a request the client limit refuses writes no nonce")

			// Check, Allow and Remember share their counts and nonces.
			d, err := s.Allow(ctx, clientLimit.Key, clientLimit.Limit, clientLimit.Window)
			require.NoError(t, err)
			assert.False(t, d.Allowed, "the client's four went through Check")
			d, err = s.Allow(ctx, toolLimit.Key, toolLimit.Limit, toolLimit.Window)
			require.NoError(t, err)
			assert.False(t, d.Allowed, "the tool's two went through Check")
			fresh, err := s.Remember(ctx, "desk-a", "n2", time.Minute)
			require.NoError(t, err)
			assert.False(t, fresh, "Check remembered n2")
			fresh, err = s.Remember(ctx, "desk-a", "n4", time.Minute)
			require.NoError(t, err)
			assert.True(t, fresh, "n4 was refused before its nonce was written")

			// At the nonce cap (n1 to n4 are held), the tool limit is
			// not reached.
			r, err = s.Check(ctx, store.CheckRequest{Client: "desk-a", Nonce: "n5", NonceTTL: time.Minute,
				ClientLimit: &store.Limit{Key: "desk-a", Limit: 100, Window: time.Minute}, ToolLimit: toolLimit})
			require.NoError(t, err)
			require.NotNil(t, r.NonceQuota, "over the client's cap of nonces")
			assert.Equal(t, 4, r.NonceQuota.Limit)
			assert.True(t, r.Client.Allowed)
			assert.Nil(t, r.Tool)
			assert.False(t, r.Allowed())

			// A client limit that refuses stops the tool limit, which
			// is not counted.
			other := &store.Limit{Key: "desk-b", Limit: 1, Window: time.Hour}
			otherTool := &store.Limit{Key: "tool\x00desk-b\x00quote.get", Limit: 5, Window: time.Hour}
			for i := range 3 {
				r, err := s.Check(ctx, store.CheckRequest{Client: "desk-b", ClientLimit: other, ToolLimit: otherTool})
				require.NoError(t, err)
				if i == 0 {
					assert.True(t, r.Allowed())
					assert.Equal(t, 4, r.Tool.Remaining)
				} else {
					assert.False(t, r.Client.Allowed)
					assert.Nil(t, r.Tool, "not reached")
				}
			}
			d, err = s.Allow(ctx, otherTool.Key, otherTool.Limit, otherTool.Window)
			require.NoError(t, err)
			assert.Equal(t, 3, d.Remaining, "the tool counted only the admitted call (and this one)")

			// Parts are optional.
			r, err = s.Check(ctx, store.CheckRequest{Client: "desk-c", Nonce: "x", NonceTTL: time.Minute})
			require.NoError(t, err)
			assert.True(t, r.Allowed())
			assert.Nil(t, r.Client)
			r, err = s.Check(ctx, store.CheckRequest{Client: "desk-c"})
			require.NoError(t, err)
			assert.True(t, r.Allowed())

			// Every key must be the client's, so they share its slot.
			_, err = s.Check(ctx, store.CheckRequest{Client: "desk-a", ClientLimit: &store.Limit{Key: "desk-b", Limit: 1, Window: time.Minute}})
			assert.ErrorContains(t, err, `the limit key "desk-b" of principal "desk-b"`)
			_, err = s.Check(ctx, store.CheckRequest{Client: "desk-a", ClientLimit: &store.Limit{Key: "desk-a", Limit: 0, Window: time.Minute}})
			assert.Error(t, err)
		})
	}
}

// TestCheckConcurrent: many requests of one client on two replicas at
// once. With nonces repeated across them, each nonce is fresh exactly
// once; with a client limit, exactly the limit is admitted, and only the
// admitted requests' nonces are written.
func TestCheckConcurrent(t *testing.T) {
	ctx := context.Background()
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			replicas := []*Store{newStore(t, tg.url, Options{})}
			replicas = append(replicas, newStore(t, tg.url, Options{Prefix: replicas[0].prefix}))
			const limit, nonces = 30, 60
			var fresh, admitted atomic.Int64
			var wg sync.WaitGroup
			for w := range 6 {
				wg.Go(func() {
					s := replicas[w%2]
					for i := range nonces {
						r, err := s.Check(ctx, store.CheckRequest{
							Client: "desk-a", Nonce: fmt.Sprint("nonce-", (i+w*7)%nonces), NonceTTL: time.Minute,
							ClientLimit: &store.Limit{Key: "desk-a", Limit: 1 << 20, Window: time.Hour},
						})
						if assert.NoError(t, err) && r.Allowed() {
							fresh.Add(1)
						}
						r, err = s.Check(ctx, store.CheckRequest{
							Client: "desk-b", Nonce: fmt.Sprint("nonce-", w, "-", i), NonceTTL: time.Minute,
							ClientLimit: &store.Limit{Key: "desk-b", Limit: limit, Window: time.Hour},
						})
						if assert.NoError(t, err) && r.Allowed() {
							admitted.Add(1)
						}
					}
				})
			}
			wg.Wait()
			assert.Equal(t, int64(nonces), fresh.Load(), "each nonce fresh exactly once")
			assert.Equal(t, int64(limit), admitted.Load())
			held := 0
			for w := range 6 {
				for i := range nonces {
					ok, err := replicas[0].Remember(ctx, "desk-b", fmt.Sprint("nonce-", w, "-", i), time.Minute)
					require.NoError(t, err)
					if !ok {
						held++
					}
				}
			}
			assert.Equal(t, limit, held, "the nonces of the admitted requests, and only those")
		})
	}
}

// TestOneRoundTripPerDecision counts what each method sends.
func TestOneRoundTripPerDecision(t *testing.T) {
	ctx := context.Background()
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			s := newStore(t, tg.url, Options{})
			trips := countRoundTrips(s)
			k := store.RecordKey{Client: "desk-a", Key: "order-1"}
			fp := store.Fingerprint{1}
			for _, c := range []struct {
				name string
				call func() error
			}{
				{"Allow", func() error { _, err := s.Allow(ctx, "desk-a", 10, time.Minute); return err }},
				{"Remember", func() error { _, err := s.Remember(ctx, "desk-a", "n", time.Minute); return err }},
				{"Begin", func() error {
					_, _, err := s.Begin(ctx, k, fp, time.Minute)
					if err == nil {
						err = s.Release(ctx, k, fp)
					}
					return err
				}},
				{"Set", func() error { _, err := s.Set(ctx, "k", []byte(`1`), 0, nil); return err }},
				{"Get", func() error { _, _, err := s.Get(ctx, "k"); return err }},
			} {
				name, call := c.name, c.call
				before := trips.n.Load()
				require.NoError(t, call(), name)
				want := int64(1)
				if name == "Begin" {
					want = 2 // Begin and Release
				}
				assert.Equal(t, want, trips.n.Load()-before, name)
			}
		})
	}
}

// TestKeysOfAPrincipalShareASlot asks the cluster which slot each key of
// a principal is in, for principals with awkward bytes.
func TestKeysOfAPrincipalShareASlot(t *testing.T) {
	s := newStore(t, cluster(t), Options{})
	c := s.client.(*redis.ClusterClient)
	ctx := context.Background()
	slots := map[int64]bool{}
	// (Principals hold no NUL: DefaultPrincipal splits keys on it.)
	for _, p := range []string{"desk-a", "", "ip:203.0.113.7", "a}b{c", "{x}", "日本", "%7D", "tab\there"} {
		keys := append([]string{s.principalKey(p, "n"), s.limiterKey(p), s.limiterKey("tool\x00" + p + "\x00quote.get")}, s.recordKeys(p)...)
		var slot int64 = -1
		for _, k := range keys {
			got, err := c.ClusterKeySlot(ctx, k).Result()
			require.NoError(t, err)
			if slot >= 0 {
				assert.Equal(t, slot, got, "principal %q key %q", p, k)
			}
			slot = got
		}
		slots[slot] = true
		// And a script over all of them runs (no CROSSSLOT).
		_, err := s.Check(ctx, store.CheckRequest{Client: p, Nonce: "n", NonceTTL: time.Second,
			ClientLimit: &store.Limit{Key: p, Limit: 1, Window: time.Second},
			ToolLimit:   &store.Limit{Key: "tool\x00" + p + "\x00quote.get", Limit: 1, Window: time.Second}})
		require.NoError(t, err, "principal %q", p)
	}
	assert.Greater(t, len(slots), 4, "principals spread over slots")
}

// TestEveryKeyHasATTL: after every kind of write, every key of the
// store's prefix expires, but those of values stored without a TTL.
func TestEveryKeyHasATTL(t *testing.T) {
	ctx := context.Background()
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			s := newStore(t, tg.url, Options{})
			_, err := s.Allow(ctx, "desk-a", 5, time.Minute)
			require.NoError(t, err)
			_, err = s.Allow(ctx, "tool\x00desk-a\x00quote.get", 5, time.Minute)
			require.NoError(t, err)
			_, err = s.Remember(ctx, "desk-a", "n", time.Minute)
			require.NoError(t, err)
			k := store.RecordKey{Client: "desk-a", Key: "o1"}
			_, _, err = s.Begin(ctx, k, store.Fingerprint{1}, time.Minute)
			require.NoError(t, err)
			require.NoError(t, s.Complete(ctx, k, store.Fingerprint{1}, &store.Response{Status: 200, Body: []byte("{}")}, time.Hour))
			_, _, err = s.Begin(ctx, store.RecordKey{Client: "desk-a", Key: "o2"}, store.Fingerprint{2}, time.Minute)
			require.NoError(t, err)
			_, err = s.Check(ctx, store.CheckRequest{Client: "desk-b", Nonce: "n", NonceTTL: time.Minute, ClientLimit: &store.Limit{Key: "desk-b", Limit: 1, Window: time.Second}})
			require.NoError(t, err)

			keys := scanKeys(t, s)
			assert.Len(t, keys, 8, "%q", keys) // desk-a: 2 windows, nonces, 3 record keys; desk-b: a window, nonces
			for _, key := range keys {
				ttl, err := s.client.PTTL(ctx, key).Result()
				require.NoError(t, err)
				assert.Positive(t, ttl, key)
				assert.LessOrEqual(t, ttl, time.Hour+time.Second, key)
			}

			_, err = s.Set(ctx, "shared", []byte(`1`), 0, nil)
			require.NoError(t, err)
			for _, key := range []string{s.stateKey("d"), s.stateKey("m")} {
				ttl, err := s.client.PTTL(ctx, key).Result()
				require.NoError(t, err)
				assert.Equal(t, time.Duration(-1), ttl, "%s: a value without a TTL is kept", key)
			}
		})
	}
}

func scanKeys(t *testing.T, s *Store) []string {
	ctx := context.Background()
	var mu sync.Mutex
	var keys []string
	scan := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, s.prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			keys = append(keys, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	}
	switch c := s.client.(type) {
	case *redis.ClusterClient:
		require.NoError(t, c.ForEachMaster(ctx, scan))
	case *redis.Client:
		require.NoError(t, scan(ctx, c))
	}
	return keys
}

func TestEscape(t *testing.T) {
	assert.Equal(t, "desk-a", escape("desk-a"))
	assert.Equal(t, "ip%3A203.0.113.7", escape("ip:203.0.113.7"))
	assert.Equal(t, "%7Ba%7D%25%00%7F", escape("{a}%\x00\x7f"))
	assert.Equal(t, "%", tag(""))
	// Injective over awkward strings: no two parts share an escape, and
	// none holds a delimiter.
	parts := []string{"", "%", "%25", "a:b", "a%3Ab", "{", "}", "%7B", "\x00", "%00", "a", "A", "日本"}
	seen := map[string]string{}
	for _, p := range parts {
		e := escape(p)
		if prev, ok := seen[e]; ok {
			t.Errorf("%q and %q both escape to %q", prev, p, e)
		}
		seen[e] = p
		assert.NotContains(t, e, ":")
		assert.NotContains(t, e, "{")
		assert.NotContains(t, e, "}")
	}
	s := &Store{prefix: "p:", principal: DefaultPrincipal}
	assert.NotEqual(t, s.limiterKey("a:b"), s.limiterKey("a%3Ab"))
	assert.NotEqual(t, s.principalKey("", "n"), s.principalKey("%", "n"))
	assert.Equal(t, "p:p{desk-a}:rl:tool%00desk-a%00quote.get", s.limiterKey("tool\x00desk-a\x00quote.get"))
	assert.Equal(t, "desk-a", DefaultPrincipal("tool\x00desk-a\x00quote.get"))
	assert.Equal(t, "ip:1.2.3.4", DefaultPrincipal("ip:1.2.3.4"))
	assert.Equal(t, "a\x00b", DefaultPrincipal("a\x00b"), "one NUL is no namespace")
}

// TestRedisOutOfMemoryIsErrFull: a Redis at its maxmemory with the
// noeviction policy refuses writes, which the store reports as
// store.ErrFull (503), as a memory store at its cap does.
func TestRedisOutOfMemoryIsErrFull(t *testing.T) {
	srv, err := startRedis(t, "--maxmemory", "2mb", "--maxmemory-policy", "noeviction")
	require.NoError(t, err)
	t.Cleanup(srv.close)
	s := newStore(t, "redis://"+srv.addr(), Options{})
	ctx := context.Background()
	// Fill it with large values, then small ones, until even a small
	// write is refused.
	for _, size := range []int{16 << 10, 64} {
		for i := 0; ; i++ {
			err := s.client.Set(ctx, fmt.Sprint(s.prefix, "filler-", size, "-", i), make([]byte, size), time.Minute).Err()
			if err != nil {
				require.ErrorContains(t, err, "OOM")
				break
			}
			require.Less(t, i, 100_000)
		}
	}
	_, err = s.Remember(ctx, "desk-a", "n", time.Minute)
	require.Error(t, err)
	assert.ErrorIs(t, err, store.ErrFull)
	_, _, err = s.Begin(ctx, store.RecordKey{Client: "c", Key: "k"}, store.Fingerprint{}, time.Minute)
	assert.ErrorIs(t, err, store.ErrFull)
	// What only reads or frees memory still runs.
	_, _, err = s.Get(ctx, "k")
	assert.Equal(t, mcperr.CodeKeyNotFound, mcperr.AsError(err).Code)
	assert.NoError(t, s.Release(ctx, store.RecordKey{Client: "c", Key: "k"}, store.Fingerprint{}))
}

// Check claims an idempotency record after the other checks, as Begin
// does and sharing Begin's records, in the same round trip; a refusal
// before it leaves the record unclaimed.
func TestCheckClaim(t *testing.T) {
	ctx := context.Background()
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			s := newStore(t, tg.url, Options{})
			trips := countRoundTrips(s)
			k := store.RecordKey{Client: "desk-a", Key: "order-1"}
			fp := store.Fingerprint{1, 2, 3}
			claim := &store.Claim{Key: k, Fingerprint: fp, Lease: time.Minute}
			tool := &store.Limit{Key: "tool\x00desk-a\x00order.place", Limit: 3, Window: time.Hour}
			check := func(nonce string, c *store.Claim) store.CheckResult {
				t.Helper()
				before := trips.n.Load()
				r, err := s.Check(ctx, store.CheckRequest{Client: "desk-a", Nonce: nonce, NonceTTL: time.Minute, ToolLimit: tool, Claim: c})
				require.NoError(t, err)
				assert.Equal(t, int64(1), trips.n.Load()-before, "one round trip")
				return r
			}

			r := check("n1", claim)
			require.NotNil(t, r.Claim)
			assert.Equal(t, store.ClaimResult{State: store.Started}, *r.Claim)
			r = check("n2", claim)
			assert.Equal(t, store.InFlight, r.Claim.State, "Check holds the claim as Begin does")
			r = check("n3", &store.Claim{Key: k, Fingerprint: store.Fingerprint{9}, Lease: time.Minute})
			assert.Equal(t, store.Mismatch, r.Claim.State)

			resp := &store.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"ok":true}`)}
			require.NoError(t, s.Complete(ctx, k, fp, resp, time.Hour))
			state, got, err := s.Begin(ctx, k, fp, time.Minute)
			require.NoError(t, err)
			assert.Equal(t, store.Completed, state)
			assert.Equal(t, resp, got)

			// The tool's limit of 3 is used up: the claim is not reached.
			r = check("n4", &store.Claim{Key: store.RecordKey{Client: "desk-a", Key: "order-2"}, Fingerprint: fp, Lease: time.Minute})
			assert.False(t, r.Tool.Allowed)
			assert.Nil(t, r.Claim, "not reached")
			state, _, err = s.Begin(ctx, store.RecordKey{Client: "desk-a", Key: "order-2"}, fp, time.Minute)
			require.NoError(t, err)
			assert.Equal(t, store.Started, state, "order-2 was never claimed")

			// A stored response comes back through Check too.
			r, err = s.Check(ctx, store.CheckRequest{Client: "desk-a", Claim: claim})
			require.NoError(t, err)
			assert.Equal(t, store.Completed, r.Claim.State)
			assert.Equal(t, resp, r.Claim.Response)

			_, err = s.Check(ctx, store.CheckRequest{Client: "desk-b", Claim: claim})
			assert.EqualError(t, err, `redisstore: Check of client "desk-b" with a claim of client "desk-a"`)
		})
	}
}
