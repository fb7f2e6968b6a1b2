package memstore

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/storetest"
)

func TestIdempotencySuite(t *testing.T) {
	storetest.Idempotency(t, func(t *testing.T, clock *storetest.Clock) store.Idempotency {
		return NewIdempotency(IdempotencyOptions{Now: clock.Now})
	})
}

func fp(s string) store.Fingerprint { return sha256.Sum256([]byte(s)) }

func TestIdempotencyStates(t *testing.T) {
	clock := newFakeClock()
	s := NewIdempotency(IdempotencyOptions{Now: clock.Now})
	k := store.RecordKey{Client: "desk-a", Key: "order-1"}
	ok := &store.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{}`)}

	steps := []struct {
		name  string
		do    func() (store.RecordState, *store.Response, error)
		state store.RecordState
		resp  *store.Response
	}{
		{"first claim", func() (store.RecordState, *store.Response, error) { return s.Begin(ctx, k, fp("a"), time.Minute) }, store.Started, nil},
		{"same request while running", func() (store.RecordState, *store.Response, error) { return s.Begin(ctx, k, fp("a"), time.Minute) }, store.InFlight, nil},
		{"other request while running", func() (store.RecordState, *store.Response, error) { return s.Begin(ctx, k, fp("b"), time.Minute) }, store.Mismatch, nil},
		{"other client, same key", func() (store.RecordState, *store.Response, error) {
			return s.Begin(ctx, store.RecordKey{Client: "desk-b", Key: "order-1"}, fp("a"), time.Minute)
		}, store.Started, nil},
		{"completed", func() (store.RecordState, *store.Response, error) {
			require.NoError(t, s.Complete(ctx, k, fp("a"), ok, time.Hour))
			return s.Begin(ctx, k, fp("a"), time.Minute)
		}, store.Completed, ok},
		{"other request after completion", func() (store.RecordState, *store.Response, error) { return s.Begin(ctx, k, fp("b"), time.Minute) }, store.Mismatch, nil},
		{"expired", func() (store.RecordState, *store.Response, error) {
			clock.Add(time.Hour)
			return s.Begin(ctx, k, fp("b"), time.Minute)
		}, store.Started, nil},
		{"released", func() (store.RecordState, *store.Response, error) {
			require.NoError(t, s.Release(ctx, k, fp("b")))
			return s.Begin(ctx, k, fp("c"), time.Minute)
		}, store.Started, nil},
		{"lease lapsed", func() (store.RecordState, *store.Response, error) {
			clock.Add(time.Minute)
			return s.Begin(ctx, k, fp("d"), time.Minute)
		}, store.Started, nil},
		{"the lapsed holder cannot complete", func() (store.RecordState, *store.Response, error) {
			require.NoError(t, s.Complete(ctx, k, fp("c"), ok, time.Hour))
			return s.Begin(ctx, k, fp("d"), time.Minute)
		}, store.InFlight, nil},
	}
	for _, step := range steps {
		state, resp, err := step.do()
		require.NoError(t, err, step.name)
		assert.Equal(t, step.state, state, step.name)
		assert.Equal(t, step.resp, resp, step.name)
	}
}

func TestIdempotencyCapsEntries(t *testing.T) {
	clock := newFakeClock()
	s := NewIdempotency(IdempotencyOptions{MaxEntries: 3, MaxEntriesPerClient: 3, Now: clock.Now})
	begin := func(key string) (store.RecordState, error) {
		state, _, err := s.Begin(ctx, store.RecordKey{Client: "c", Key: key}, fp(key), time.Minute)
		return state, err
	}
	for _, key := range []string{"k1", "k2", "k3"} {
		_, err := begin(key)
		require.NoError(t, err)
	}
	_, err := begin("k4")
	assert.ErrorIs(t, err, store.ErrFull, "three requests in flight are never dropped")

	require.NoError(t, s.Complete(ctx, store.RecordKey{Client: "c", Key: "k2"}, fp("k2"), &store.Response{Status: 200}, time.Hour))
	state, err := begin("k4")
	require.NoError(t, err)
	assert.Equal(t, store.Started, state, "the completed record made room")
	require.NoError(t, s.Complete(ctx, store.RecordKey{Client: "c", Key: "k4"}, fp("k4"), &store.Response{Status: 200}, time.Hour))
	state, err = begin("k2")
	require.NoError(t, err)
	assert.Equal(t, store.Started, state, "k2's record was the one dropped")
	assert.Equal(t, 3, s.Len())
}

func TestIdempotencyCapsBytes(t *testing.T) {
	s := NewIdempotency(IdempotencyOptions{MaxBytes: 100, MaxBytesPerClient: 100})
	complete := func(key string, size int) {
		k := store.RecordKey{Client: "c", Key: key}
		_, _, err := s.Begin(ctx, k, fp(key), time.Minute)
		require.NoError(t, err)
		require.NoError(t, s.Complete(ctx, k, fp(key), &store.Response{Status: 200, Body: make([]byte, size)}, time.Hour))
	}
	lookup := func(key string) (store.RecordState, *store.Response) {
		state, resp, err := s.Begin(ctx, store.RecordKey{Client: "c", Key: key}, fp(key), time.Minute)
		require.NoError(t, err)
		return state, resp
	}
	complete("k1", 40)
	complete("k2", 40)
	complete("k3", 40) // over 100 bytes: k1 goes
	state, _ := lookup("k2")
	assert.Equal(t, store.Completed, state)
	state, _ = lookup("k1")
	assert.Equal(t, store.Started, state, "the oldest response was dropped to make room")

	complete("big", 101)
	state, resp := lookup("big")
	assert.Equal(t, store.Completed, state)
	assert.Equal(t, &store.Response{Status: 200, Dropped: true}, resp, "a response over the whole budget is marked, not kept")
}

func TestIdempotencyForgetsExpiredRecords(t *testing.T) {
	clock := newFakeClock()
	s := NewIdempotency(IdempotencyOptions{Now: clock.Now})
	for i := range 100 {
		k := store.RecordKey{Client: "c", Key: fmt.Sprint(i)}
		_, _, err := s.Begin(ctx, k, fp("x"), time.Minute)
		require.NoError(t, err)
		if i%2 == 0 {
			require.NoError(t, s.Complete(ctx, k, fp("x"), &store.Response{Status: 200}, 24*time.Hour))
		}
	}
	assert.Equal(t, 100, s.Len())
	clock.Add(time.Minute)
	assert.Equal(t, 50, s.Len(), "the claims never completed have lapsed")
	clock.Add(24 * time.Hour)
	assert.Equal(t, 0, s.Len())
}

func TestIdempotencyConcurrentClaims(t *testing.T) {
	s := NewIdempotency(IdempotencyOptions{})
	var wg sync.WaitGroup
	started := make(chan struct{}, 100)
	for range 100 {
		wg.Go(func() {
			state, _, err := s.Begin(ctx, store.RecordKey{Client: "c", Key: "k"}, fp("x"), time.Minute)
			if err == nil && state == store.Started {
				started <- struct{}{}
			}
		})
	}
	wg.Wait()
	assert.Len(t, started, 1)
}
