package memstore

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/storetest"
)

func TestNoncesSuite(t *testing.T) {
	storetest.Nonces(t, func(t *testing.T, clock *storetest.Clock, maxPerClient int) store.Nonces {
		return NewNonces(NonceOptions{MaxPerClient: maxPerClient, Now: clock.Now})
	})
}

// ttl is the HMAC layer's nonce TTL: twice its 300 s timestamp window.
const ttl = 600 * time.Second

func TestNonces(t *testing.T) {
	clock := newFakeClock()
	s := NewNonces(NonceOptions{MaxEntries: 3, MaxPerClient: 3, Now: clock.Now})
	remember := func(client, nonce string) (bool, error) {
		return s.Remember(ctx, client, nonce, ttl)
	}
	steps := []struct {
		name    string
		advance time.Duration
		client  string
		nonce   string
		fresh   bool
		err     error
	}{
		{"new", 0, "a", "n1", true, nil},
		{"replayed", 0, "a", "n1", false, nil},
		{"same nonce, other client", 0, "b", "n1", true, nil},
		{"third", time.Second, "a", "n2", true, nil},
		{"full of unexpired nonces", 0, "a", "n3", false, store.ErrFull},
		{"still remembered just before it expires", ttl - time.Second - 1, "a", "n1", false, nil},
		{"forgotten once expired, making room", 1, "a", "n1", true, nil},
		{"a nonce recorded again is kept by its new expiry", ttl - 1, "a", "n1", false, nil},
	}
	for _, st := range steps {
		clock.Add(st.advance)
		fresh, err := remember(st.client, st.nonce)
		assert.Equal(t, st.fresh, fresh, st.name)
		assert.Equal(t, st.err, err, st.name)
	}
	clock.Add(ttl)
	assert.Zero(t, s.Len())
}

func TestNoncesPerClientQuota(t *testing.T) {
	clock := newFakeClock()
	s := NewNonces(NonceOptions{MaxEntries: 8, MaxPerClient: 2, Now: clock.Now})
	for i := range 2 {
		fresh, err := s.Remember(ctx, "flood", fmt.Sprint("n", i), ttl)
		assert.True(t, fresh)
		assert.NoError(t, err)
		clock.Add(time.Second)
	}
	_, err := s.Remember(ctx, "flood", "n2", ttl)
	assert.Equal(t, &store.NonceQuotaError{Limit: 2, RetryAfter: ttl - 2*time.Second}, err)
	assert.EqualError(t, err, "store: client holds 2 unexpired nonces, its quota")
}

func TestNoncesConcurrent(t *testing.T) {
	s := NewNonces(NonceOptions{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	fresh := 0
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				ok, err := s.Remember(ctx, "c", fmt.Sprint("nonce-", i%500), ttl)
				if err == nil && ok {
					mu.Lock()
					fresh++
					mu.Unlock()
				}
				if i%100 == g {
					s.Len()
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 500, fresh, "each nonce fresh exactly once")
	assert.Equal(t, 500, s.Len())
}
