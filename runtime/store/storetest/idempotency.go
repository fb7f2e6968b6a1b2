package storetest

import (
	"context"
	"crypto/sha256"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/store"
)

// The lease and TTL of the idempotency cases.
const (
	lease     = 2 * time.Second
	recordTTL = 4 * time.Second
)

func fingerprint(s string) store.Fingerprint { return sha256.Sum256([]byte(s)) }

// Idempotency runs the behavioural cases of store.Idempotency against the
// stores newStore makes: one fresh store per case, on the clock it is
// given.
func Idempotency(t *testing.T, newStore func(t *testing.T, clock *Clock) store.Idempotency) {
	ctx := context.Background()
	k := store.RecordKey{Client: "desk-a", Key: "order-1"}
	a, b := fingerprint("request a"), fingerprint("request b")
	ok := &store.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"jsonrpc":"2.0","id":1,"result":{}}`)}
	begin := func(t *testing.T, s store.Idempotency, k store.RecordKey, fp store.Fingerprint) (store.RecordState, *store.Response) {
		t.Helper()
		state, resp, err := s.Begin(ctx, k, fp, lease)
		require.NoError(t, err)
		return state, resp
	}
	assertState := func(t *testing.T, s store.Idempotency, k store.RecordKey, fp store.Fingerprint, want store.RecordState, msg string) {
		t.Helper()
		state, resp := begin(t, s, k, fp)
		assert.Equal(t, want, state, msg)
		if want != store.Completed {
			assert.Nil(t, resp, msg)
		}
	}

	run(t, "a claim, then what holds the key", newStore, func(t *testing.T, clock *Clock, s store.Idempotency) {
		assertState(t, s, k, a, store.Started, "the first request claims the key")
		assertState(t, s, k, a, store.InFlight, "the same request while it runs")
		assertState(t, s, k, b, store.Mismatch, "another request under the key while it runs")
		assertState(t, s, store.RecordKey{Client: "desk-b", Key: k.Key}, a, store.Started, "another client's key of the same name")
		require.NoError(t, s.Complete(ctx, k, a, ok, recordTTL))
		state, resp := begin(t, s, k, a)
		assert.Equal(t, store.Completed, state, "the same request once completed")
		require.NotNil(t, resp)
		assert.Equal(t, ok.Status, resp.Status)
		assert.Equal(t, ok.Header, resp.Header)
		assert.Equal(t, ok.Body, resp.Body)
		assert.False(t, resp.Dropped)
		assertState(t, s, k, b, store.Mismatch, "another request once completed")
	})

	run(t, "a dropped response is kept as dropped", newStore, func(t *testing.T, clock *Clock, s store.Idempotency) {
		assertState(t, s, k, a, store.Started, "claim")
		require.NoError(t, s.Complete(ctx, k, a, &store.Response{Status: 200, Dropped: true}, recordTTL))
		state, resp := begin(t, s, k, a)
		assert.Equal(t, store.Completed, state)
		require.NotNil(t, resp)
		assert.Equal(t, 200, resp.Status)
		assert.True(t, resp.Dropped)
		assert.Empty(t, resp.Body)
	})

	run(t, "only the holder releases or completes a claim", newStore, func(t *testing.T, clock *Clock, s store.Idempotency) {
		assertState(t, s, k, a, store.Started, "claim")
		require.NoError(t, s.Release(ctx, k, b))
		require.NoError(t, s.Complete(ctx, k, b, ok, recordTTL))
		assertState(t, s, k, a, store.InFlight, "another fingerprint's release and completion are ignored")
		require.NoError(t, s.Release(ctx, k, a))
		assertState(t, s, k, b, store.Started, "released by its holder, the key is free for any request")
		require.NoError(t, s.Complete(ctx, k, b, ok, recordTTL))
		require.NoError(t, s.Release(ctx, k, b))
		assertState(t, s, k, b, store.Completed, "a completed record is not released")
	})

	run(t, "a claim lapses after its lease", newStore, func(t *testing.T, clock *Clock, s store.Idempotency) {
		assertState(t, s, k, a, store.Started, "claim")
		clock.Advance(lease / 2)
		assertState(t, s, k, b, store.Mismatch, "within the lease")
		clock.Advance(lease/2 + lease/4)
		assertState(t, s, k, b, store.Started, "after the lease another request claims the key")
		require.NoError(t, s.Complete(ctx, k, a, ok, recordTTL))
		assertState(t, s, k, b, store.InFlight, "the lapsed holder cannot complete")
	})

	run(t, "a completed record lapses after its TTL", newStore, func(t *testing.T, clock *Clock, s store.Idempotency) {
		assertState(t, s, k, a, store.Started, "claim")
		require.NoError(t, s.Complete(ctx, k, a, ok, recordTTL))
		clock.Advance(recordTTL / 2)
		assertState(t, s, k, b, store.Mismatch, "within the TTL")
		clock.Advance(recordTTL/2 + recordTTL/8)
		assertState(t, s, k, b, store.Started, "after the TTL the key is free")
	})

	run(t, "concurrent claims of one key: exactly one starts", newStore, func(t *testing.T, clock *Clock, s store.Idempotency) {
		var started, inFlight atomic.Int64
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				state, _, err := s.Begin(ctx, k, a, lease)
				if !assert.NoError(t, err) {
					return
				}
				switch state {
				case store.Started:
					started.Add(1)
				case store.InFlight:
					inFlight.Add(1)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int64(1), started.Load())
		assert.Equal(t, int64(49), inFlight.Load())
	})
}
