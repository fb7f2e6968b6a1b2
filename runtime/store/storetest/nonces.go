package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/store"
)

// nonceTTL is the one TTL of the nonce cases.
const nonceTTL = 2 * time.Second

// Nonces runs the behavioural cases of store.Nonces against the stores
// newStore makes: one fresh store per case, on the clock it is given, that
// lets one client hold at most maxPerClient unexpired nonces. Every nonce
// is remembered with the same TTL.
func Nonces(t *testing.T, newStore func(t *testing.T, clock *Clock, maxPerClient int) store.Nonces) {
	ctx := context.Background()
	const perClient = 4
	fixed := func(t *testing.T, clock *Clock) store.Nonces { return newStore(t, clock, perClient) }
	remember := func(t *testing.T, s store.Nonces, client, nonce string) bool {
		t.Helper()
		fresh, err := s.Remember(ctx, client, nonce, nonceTTL)
		require.NoError(t, err)
		return fresh
	}

	run(t, "a nonce is fresh once, per client", fixed, func(t *testing.T, clock *Clock, s store.Nonces) {
		assert.True(t, remember(t, s, "desk-a", "nonce-0123456789abcdef"), "new")
		assert.False(t, remember(t, s, "desk-a", "nonce-0123456789abcdef"), "replayed")
		assert.True(t, remember(t, s, "desk-b", "nonce-0123456789abcdef"), "the same nonce is another client's own")
		assert.True(t, remember(t, s, "desk-a", "nonce-0123456789abcdeg"), "another nonce")
	})

	run(t, "a nonce is remembered for its TTL, then forgotten", fixed, func(t *testing.T, clock *Clock, s store.Nonces) {
		require.True(t, remember(t, s, "desk-a", "nonce-expiring-000001"))
		clock.Advance(nonceTTL / 2)
		assert.False(t, remember(t, s, "desk-a", "nonce-expiring-000001"), "within its TTL")
		clock.Advance(nonceTTL/2 + nonceTTL/4)
		assert.True(t, remember(t, s, "desk-a", "nonce-expiring-000001"), "after its TTL")
		assert.False(t, remember(t, s, "desk-a", "nonce-expiring-000001"), "and remembered again")
	})

	run(t, "concurrent requests with one nonce: exactly one is fresh", fixed, func(t *testing.T, clock *Clock, s store.Nonces) {
		const nonces = 100
		var fresh [nonces]atomic.Int64
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := range nonces {
					n := (i + w*13) % nonces
					// One client per nonce, so no quota is reached.
					ok, err := s.Remember(ctx, fmt.Sprint("client-", n), "nonce-concurrent-0001", nonceTTL)
					if assert.NoError(t, err) && ok {
						fresh[n].Add(1)
					}
				}
			})
		}
		wg.Wait()
		for n := range fresh {
			assert.Equal(t, int64(1), fresh[n].Load(), "client-%d", n)
		}
	})

	run(t, "a client at its quota is refused alone", fixed, func(t *testing.T, clock *Clock, s store.Nonces) {
		for i := range perClient {
			require.True(t, remember(t, s, "flood", fmt.Sprintf("nonce-flood-%010d", i)))
			clock.Advance(nonceTTL / 10)
		}
		fresh, err := s.Remember(ctx, "flood", "nonce-flood-one-more-0", nonceTTL)
		assert.False(t, fresh)
		var quota *store.NonceQuotaError
		require.True(t, errors.As(err, &quota), "a *store.NonceQuotaError, got %v", err)
		assert.Equal(t, perClient, quota.Limit)
		assert.Positive(t, quota.RetryAfter)
		assert.LessOrEqual(t, quota.RetryAfter, nonceTTL-time.Duration(perClient)*nonceTTL/10+clock.slack(),
			"until the oldest nonce expires")

		fresh, err = s.Remember(ctx, "flood", "nonce-flood-0000000000", nonceTTL)
		assert.NoError(t, err, "a replay at the quota is still a replay")
		assert.False(t, fresh)
		assert.True(t, remember(t, s, "other", "nonce-flood-one-more-0"), "another client is served")

		clock.Advance(quota.RetryAfter + clock.slack())
		assert.True(t, remember(t, s, "flood", "nonce-flood-one-more-0"), "room once the oldest nonce expired")
	})
}
