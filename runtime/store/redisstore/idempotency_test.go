package redisstore

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/store"
)

func fp(s string) store.Fingerprint { return sha256.Sum256([]byte(s)) }

// TestIdempotencyAcrossReplicas: 32 concurrent identical requests spread
// over two replicas start exactly one run, and a retry on the other
// replica gets the stored response.
func TestIdempotencyAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			a := newStore(t, tg.url, Options{})
			b := newStore(t, tg.url, Options{Prefix: a.prefix})
			k := store.RecordKey{Client: "desk-a", Key: "order-1"}
			var started, inFlight atomic.Int64
			var holder atomic.Pointer[Store]
			var wg sync.WaitGroup
			for i := range 32 {
				s := []*Store{a, b}[i%2]
				wg.Go(func() {
					state, _, err := s.Begin(ctx, k, fp("a"), time.Minute)
					if !assert.NoError(t, err) {
						return
					}
					switch state {
					case store.Started:
						started.Add(1)
						holder.Store(s)
					case store.InFlight:
						inFlight.Add(1)
					}
				})
			}
			wg.Wait()
			require.Equal(t, int64(1), started.Load())
			assert.Equal(t, int64(31), inFlight.Load())

			resp := &store.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}, "X-A": {"1", "2"}}, Body: []byte(`{"ok":true}`)}
			require.NoError(t, holder.Load().Complete(ctx, k, fp("a"), resp, time.Hour))
			other := a
			if holder.Load() == a {
				other = b
			}
			state, got, err := other.Begin(ctx, k, fp("a"), time.Minute)
			require.NoError(t, err)
			assert.Equal(t, store.Completed, state)
			assert.Equal(t, resp, got)
		})
	}
}

func TestIdempotencyPerClientCaps(t *testing.T) {
	ctx := context.Background()
	url := standalone(t)
	begin := func(t *testing.T, s *Store, client, key string) store.RecordState {
		t.Helper()
		state, _, err := s.Begin(ctx, store.RecordKey{Client: client, Key: key}, fp(key), time.Minute)
		require.NoError(t, err)
		return state
	}
	complete := func(t *testing.T, s *Store, client, key string, size int) {
		t.Helper()
		require.NoError(t, s.Complete(ctx, store.RecordKey{Client: client, Key: key}, fp(key), &store.Response{Status: 200, Body: make([]byte, size)}, time.Hour))
	}

	t.Run("records", func(t *testing.T) {
		s := newStore(t, url, Options{MaxRecordsPerClient: 3})
		for _, k := range []string{"k1", "k2", "k3"} {
			assert.Equal(t, store.Started, begin(t, s, "c", k))
		}
		_, _, err := s.Begin(ctx, store.RecordKey{Client: "c", Key: "k4"}, fp("k4"), time.Minute)
		assert.ErrorIs(t, err, store.ErrFull, "three requests in flight are never dropped")
		assert.Equal(t, store.Started, begin(t, s, "other", "k4"), "another client has a cap of its own")

		complete(t, s, "c", "k2", 10)
		assert.Equal(t, store.Started, begin(t, s, "c", "k4"), "the completed record made room")
		complete(t, s, "c", "k4", 10)
		assert.Equal(t, store.Started, begin(t, s, "c", "k2"), "k2's record was the one dropped")
		assert.Equal(t, store.InFlight, begin(t, s, "c", "k1"))
	})

	t.Run("bytes", func(t *testing.T) {
		s := newStore(t, url, Options{MaxRecordBytesPerClient: 200})
		for _, k := range []string{"k1", "k2", "k3"} {
			require.Equal(t, store.Started, begin(t, s, "c", k))
			complete(t, s, "c", k, 80) // over 200 bytes with the third: k1 goes
		}
		state, _, err := s.Begin(ctx, store.RecordKey{Client: "c", Key: "k2"}, fp("k2"), time.Minute)
		require.NoError(t, err)
		assert.Equal(t, store.Completed, state)
		assert.Equal(t, store.Started, begin(t, s, "c", "k1"), "the oldest response was dropped to make room")

		require.Equal(t, store.Started, begin(t, s, "c", "big"))
		complete(t, s, "c", "big", 201)
		state, resp, err := s.Begin(ctx, store.RecordKey{Client: "c", Key: "big"}, fp("big"), time.Minute)
		require.NoError(t, err)
		assert.Equal(t, store.Completed, state)
		assert.Equal(t, &store.Response{Status: 200, Dropped: true}, resp, "a response over the cap is marked, not kept")
	})
}

func TestResponseEncoding(t *testing.T) {
	for _, r := range []*store.Response{
		{Status: 200},
		{Status: 503, Dropped: true},
		{Status: 200, Header: http.Header{"A": {""}, "B": {"x", "y"}}, Body: []byte("body\x00\xff")},
	} {
		got, err := decodeResponse(encodeResponse(r))
		require.NoError(t, err)
		assert.Equal(t, r, got)
	}
	for _, b := range [][]byte{nil, {2, 0}, {1, 0}, {1, 0, 200, 1, 5}, {1, 0, 200, 1, 1, 'A', 9}} {
		_, err := decodeResponse(b)
		assert.ErrorIs(t, err, errCorrupt, fmt.Sprintf("%v", b))
	}
}
