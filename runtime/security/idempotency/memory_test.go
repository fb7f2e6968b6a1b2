package idempotency

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func fp(s string) Fingerprint { return sha256.Sum256([]byte(s)) }

var ctx = context.Background()

func TestMemoryStoreStates(t *testing.T) {
	clock := newFakeClock()
	s := NewMemoryStore(MemoryOptions{Now: clock.Now})
	k := Key{Client: "desk-a", Key: "order-1"}
	ok := &Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{}`)}

	steps := []struct {
		name  string
		do    func() (State, *Response, error)
		state State
		resp  *Response
	}{
		{"first claim", func() (State, *Response, error) { return s.Begin(ctx, k, fp("a"), time.Minute) }, Started, nil},
		{"same request while running", func() (State, *Response, error) { return s.Begin(ctx, k, fp("a"), time.Minute) }, InFlight, nil},
		{"other request while running", func() (State, *Response, error) { return s.Begin(ctx, k, fp("b"), time.Minute) }, Mismatch, nil},
		{"other client, same key", func() (State, *Response, error) {
			return s.Begin(ctx, Key{Client: "desk-b", Key: "order-1"}, fp("a"), time.Minute)
		}, Started, nil},
		{"completed", func() (State, *Response, error) {
			require.NoError(t, s.Complete(ctx, k, fp("a"), ok, time.Hour))
			return s.Begin(ctx, k, fp("a"), time.Minute)
		}, Completed, ok},
		{"other request after completion", func() (State, *Response, error) { return s.Begin(ctx, k, fp("b"), time.Minute) }, Mismatch, nil},
		{"expired", func() (State, *Response, error) {
			clock.Add(time.Hour)
			return s.Begin(ctx, k, fp("b"), time.Minute)
		}, Started, nil},
		{"released", func() (State, *Response, error) {
			require.NoError(t, s.Release(ctx, k, fp("b")))
			return s.Begin(ctx, k, fp("c"), time.Minute)
		}, Started, nil},
		{"lease lapsed", func() (State, *Response, error) {
			clock.Add(time.Minute)
			return s.Begin(ctx, k, fp("d"), time.Minute)
		}, Started, nil},
		{"the lapsed holder cannot complete", func() (State, *Response, error) {
			require.NoError(t, s.Complete(ctx, k, fp("c"), ok, time.Hour))
			return s.Begin(ctx, k, fp("d"), time.Minute)
		}, InFlight, nil},
	}
	for _, step := range steps {
		state, resp, err := step.do()
		require.NoError(t, err, step.name)
		assert.Equal(t, step.state, state, step.name)
		assert.Equal(t, step.resp, resp, step.name)
	}
}

func TestMemoryStoreCapsEntries(t *testing.T) {
	clock := newFakeClock()
	s := NewMemoryStore(MemoryOptions{MaxEntries: 3, MaxEntriesPerClient: 3, Now: clock.Now})
	begin := func(key string) (State, error) {
		state, _, err := s.Begin(ctx, Key{"c", key}, fp(key), time.Minute)
		return state, err
	}
	for _, key := range []string{"k1", "k2", "k3"} {
		_, err := begin(key)
		require.NoError(t, err)
	}
	_, err := begin("k4")
	assert.ErrorIs(t, err, ErrFull, "three requests in flight are never dropped")

	require.NoError(t, s.Complete(ctx, Key{"c", "k2"}, fp("k2"), &Response{Status: 200}, time.Hour))
	state, err := begin("k4")
	require.NoError(t, err)
	assert.Equal(t, Started, state, "the completed record made room")
	require.NoError(t, s.Complete(ctx, Key{"c", "k4"}, fp("k4"), &Response{Status: 200}, time.Hour))
	state, err = begin("k2")
	require.NoError(t, err)
	assert.Equal(t, Started, state, "k2's record was the one dropped")
	assert.Equal(t, 3, s.Len())
}

func TestMemoryStoreCapsBytes(t *testing.T) {
	s := NewMemoryStore(MemoryOptions{MaxBytes: 100, MaxBytesPerClient: 100})
	complete := func(key string, size int) {
		k := Key{"c", key}
		_, _, err := s.Begin(ctx, k, fp(key), time.Minute)
		require.NoError(t, err)
		require.NoError(t, s.Complete(ctx, k, fp(key), &Response{Status: 200, Body: make([]byte, size)}, time.Hour))
	}
	lookup := func(key string) (State, *Response) {
		state, resp, err := s.Begin(ctx, Key{"c", key}, fp(key), time.Minute)
		require.NoError(t, err)
		return state, resp
	}
	complete("k1", 40)
	complete("k2", 40)
	complete("k3", 40) // over 100 bytes: k1 goes
	state, _ := lookup("k2")
	assert.Equal(t, Completed, state)
	state, _ = lookup("k1")
	assert.Equal(t, Started, state, "the oldest response was dropped to make room")

	complete("big", 101)
	state, resp := lookup("big")
	assert.Equal(t, Completed, state)
	assert.Equal(t, &Response{Status: 200, Dropped: true}, resp, "a response over the whole budget is marked, not kept")
}

func TestMemoryStoreForgetsExpiredRecords(t *testing.T) {
	clock := newFakeClock()
	s := NewMemoryStore(MemoryOptions{Now: clock.Now})
	for i := range 100 {
		k := Key{"c", fmt.Sprint(i)}
		_, _, err := s.Begin(ctx, k, fp("x"), time.Minute)
		require.NoError(t, err)
		if i%2 == 0 {
			require.NoError(t, s.Complete(ctx, k, fp("x"), &Response{Status: 200}, DefaultTTL))
		}
	}
	assert.Equal(t, 100, s.Len())
	clock.Add(time.Minute)
	assert.Equal(t, 50, s.Len(), "the claims never completed have lapsed")
	clock.Add(DefaultTTL)
	assert.Equal(t, 0, s.Len())
}

func TestMemoryStoreConcurrentClaims(t *testing.T) {
	s := NewMemoryStore(MemoryOptions{})
	var wg sync.WaitGroup
	started := make(chan struct{}, 100)
	for range 100 {
		wg.Go(func() {
			state, _, err := s.Begin(ctx, Key{"c", "k"}, fp("x"), time.Minute)
			if err == nil && state == Started {
				started <- struct{}{}
			}
		})
	}
	wg.Wait()
	assert.Len(t, started, 1)
}

func TestValidKey(t *testing.T) {
	long := string(make([]byte, 129))
	for _, tt := range []struct {
		key  string
		want bool
	}{
		{"a", true},
		{"order-2024.01:42_x", true},
		{"", false},
		{"has space", false},
		{"new\nline", false},
		{"ünïcode", false},
		{long, false},
	} {
		assert.Equal(t, tt.want, ValidKey(tt.key), "%q", tt.key)
	}
}

func TestNewFingerprintSeparatesFields(t *testing.T) {
	body := sha256.Sum256(nil)
	a := NewFingerprint("POST", "h", "/mcp", "a=b", "application/json", "1.0.0", body)
	assert.Equal(t, a, NewFingerprint("POST", "h", "/mcp", "a=b", "application/json", "1.0.0", body))
	assert.NotEqual(t, a, NewFingerprint("POST", "h", "/mcpa", "=b", "application/json", "1.0.0", body), "a byte moved from one field to the next")
	assert.NotEqual(t, a, NewFingerprint("POST", "h", "/mcp", "a=b", "application/json", "1.0.1", body))
	assert.NotEqual(t, a, NewFingerprint("POST", "h", "/mcp", "a=b", "application/json", "1.0.0", sha256.Sum256([]byte("x"))))
}
