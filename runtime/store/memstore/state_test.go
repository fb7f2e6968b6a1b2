package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/storetest"
)

func TestStateSuite(t *testing.T) {
	storetest.State(t, func(t *testing.T, clock *storetest.Clock, maxValueBytes, maxTotalBytes int) store.State {
		return NewState(StateOptions{MaxValueBytes: maxValueBytes, MaxTotalBytes: maxTotalBytes, Now: clock.Now})
	})
}

func i64(v int64) *int64 { return &v }

func mustSet(t *testing.T, s store.State, key, value string, ttl time.Duration) int64 {
	t.Helper()
	v, err := s.Set(ctx, key, json.RawMessage(value), ttl, nil)
	require.NoError(t, err)
	return v
}

func TestStateStoresAndVersions(t *testing.T) {
	s := NewState(StateOptions{MaxValueBytes: 1024, MaxTotalBytes: 1 << 20})
	assert.Equal(t, int64(1), mustSet(t, s, "desk:limits", `{"max":[1,2.50,"x"]}`, 0))
	assert.Equal(t, int64(2), mustSet(t, s, "desk:limits", `{"max":[]}`, 0))
	assert.Equal(t, int64(3), mustSet(t, s, "other", `true`, 0), "versions count across the store")

	value, version, err := s.Get(ctx, "desk:limits")
	require.NoError(t, err)
	assert.JSONEq(t, `{"max":[]}`, string(value))
	assert.Equal(t, int64(2), version)

	entries, bytes := s.Usage()
	assert.Equal(t, 2, entries)
	assert.Equal(t, len("desk:limits")+len(`{"max":[]}`)+len("other")+len("true")+2*StateEntryOverhead, bytes)
}

func TestStateValuesAreCopies(t *testing.T) {
	s := NewState(StateOptions{MaxValueBytes: 1024, MaxTotalBytes: 1 << 20})
	in := json.RawMessage(`"abc"`)
	_, err := s.Set(ctx, "k", in, 0, nil)
	require.NoError(t, err)
	in[1] = 'X'
	out, _, err := s.Get(ctx, "k")
	require.NoError(t, err)
	out[1] = 'Y'
	again, _, err := s.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, `"abc"`, string(again))
}

func TestStateFailures(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(s *State)
		key       string
		value     string
		ttl       time.Duration
		ifVersion *int64
		code      mcperr.Code
		message   string
	}{
		{
			name: "value over the per-value cap", key: "k", value: `"` + string(make([]byte, 15)) + `"`,
			code: mcperr.CodeStorageQuotaExceeded, message: "value of 17 bytes exceeds the limit of 16 bytes per value",
		},
		{
			// Each entry is charged key + value + 64: "a" with 12 bytes is 77
			// of the 150.
			name:  "store over its total quota",
			setup: func(s *State) { mustSet(t, s, "a", `"xxxxxxxxxx"`, 0) },
			key:   "b", value: `"yyyyyyyyyy"`,
			code: mcperr.CodeStorageQuotaExceeded, message: `state store full: writing key "b" needs 77 more bytes, 73 of 150 are free`,
		},
		{
			name: "growing a value over the quota counts only the growth",
			// 66 + 74 of 150 used; 1 byte to 12 is 11 more, over the 10 free.
			setup: func(s *State) { mustSet(t, s, "a", `1`, 0); mustSet(t, s, "b", `"xxxxxxx"`, 0) },
			key:   "a", value: `"xxxxxxxxxx"`,
			code: mcperr.CodeStorageQuotaExceeded, message: `state store full: writing key "a" needs 11 more bytes, 10 of 150 are free`,
		},
		{
			name:  "stale ifVersion",
			setup: func(s *State) { mustSet(t, s, "k", `1`, 0) },
			key:   "k", value: `2`, ifVersion: i64(0),
			code: mcperr.CodeIdempotencyConflict, message: `version conflict on key "k": ifVersion is 0 but the stored version is 1`,
		},
		{
			name: "ifVersion for an absent key", key: "k", value: `2`, ifVersion: i64(3),
			code: mcperr.CodeIdempotencyConflict, message: `version conflict on key "k": ifVersion is 3 but the key is absent`,
		},
		{
			name: "not JSON", key: "k", value: `{"a":`,
			code: mcperr.CodeInvalidArgs, message: `value under key "k" is not valid JSON`,
		},
		{
			name: "empty key", key: "", value: `1`,
			code: mcperr.CodeInvalidArgs, message: "key must not be empty",
		},
		{
			name: "negative ttl", key: "k", value: `1`, ttl: -time.Second,
			code: mcperr.CodeInvalidArgs, message: "ttl must not be negative, got -1s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewState(StateOptions{MaxValueBytes: 16, MaxTotalBytes: 150})
			if tt.setup != nil {
				tt.setup(s)
			}
			entries, bytes := s.Usage()
			_, err := s.Set(ctx, tt.key, json.RawMessage(tt.value), tt.ttl, tt.ifVersion)
			assertCode(t, err, tt.code, tt.message)
			after, afterBytes := s.Usage()
			assert.Equal(t, []int{entries, bytes}, []int{after, afterBytes}, "a refused write changes nothing")
		})
	}
}

func TestStateGetMissingKey(t *testing.T) {
	_, _, err := NewState(StateOptions{MaxValueBytes: 16, MaxTotalBytes: 150}).Get(ctx, "nope")
	assertCode(t, err, mcperr.CodeKeyNotFound, `no value stored under key "nope"`)
	assert.Equal(t, map[string]any{"key": "nope"}, mcperr.AsError(err).Details)
}

func TestStateIfVersion(t *testing.T) {
	s := NewState(StateOptions{MaxValueBytes: 1024, MaxTotalBytes: 1 << 20})
	v, err := s.Set(ctx, "k", json.RawMessage(`1`), 0, i64(0))
	require.NoError(t, err, "0 writes only when absent")
	v, err = s.Set(ctx, "k", json.RawMessage(`2`), 0, &v)
	require.NoError(t, err)
	assert.Equal(t, int64(2), v)
}

func TestStateExpiry(t *testing.T) {
	c := newFakeClock()
	s := NewState(StateOptions{MaxValueBytes: 1024, MaxTotalBytes: 1 << 20, Now: c.Now})
	first := mustSet(t, s, "k", `"v"`, 10*time.Second)

	c.Add(10*time.Second - time.Nanosecond)
	_, _, err := s.Get(ctx, "k")
	require.NoError(t, err, "still live just before its ttl")

	c.Add(time.Nanosecond)
	_, _, err = s.Get(ctx, "k")
	assertCode(t, err, mcperr.CodeKeyNotFound, `no value stored under key "k"`)
	entries, bytes := s.Usage()
	assert.Equal(t, []int{0, 0}, []int{entries, bytes}, "an expired entry is dropped when read")

	// Written again, the key gets a new version, so a writer still holding
	// the first one cannot overwrite the new value.
	_, err = s.Set(ctx, "k", json.RawMessage(`"w"`), 0, &first)
	assertCode(t, err, mcperr.CodeIdempotencyConflict, `version conflict on key "k": ifVersion is 1 but the key is absent`)
	assert.Equal(t, int64(2), mustSet(t, s, "k", `"w"`, time.Second))

	// A write without ttl removes the earlier expiry.
	mustSet(t, s, "k", `"x"`, 0)
	c.Add(time.Hour)
	_, _, err = s.Get(ctx, "k")
	assert.NoError(t, err)
}

func TestStateSweepsExpiredEntriesBeforeRefusingAWrite(t *testing.T) {
	c := newFakeClock()
	s := NewState(StateOptions{MaxValueBytes: 16, MaxTotalBytes: 150, Now: c.Now})
	mustSet(t, s, "a", `"xxxxxxxxxx"`, time.Minute)
	_, err := s.Set(ctx, "b", json.RawMessage(`"yyyyyyyyyy"`), 0, nil)
	require.Error(t, err, "full while a is live")

	c.Add(time.Minute)
	mustSet(t, s, "b", `"yyyyyyyyyy"`, 0) // a, never read again, no longer holds its quota
	entries, bytes := s.Usage()
	assert.Equal(t, []int{1, 77}, []int{entries, bytes})
}

func TestStateHonoursCancellation(t *testing.T) {
	s := NewState(StateOptions{MaxValueBytes: 16, MaxTotalBytes: 150})
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err := s.Set(cancelled, "k", json.RawMessage(`1`), 0, nil)
	assert.ErrorIs(t, err, context.Canceled)
	_, _, err = s.Get(cancelled, "k")
	assert.ErrorIs(t, err, context.Canceled)
}

// Run with -race. Writers race for a quota that holds only some of their
// values; every successful write must get its own version and the store
// must never go over quota.
func TestStateConcurrentUse(t *testing.T) {
	const writers, writes = 8, 200
	c := newFakeClock()
	s := NewState(StateOptions{MaxValueBytes: 64, MaxTotalBytes: 40 * (StateEntryOverhead + 16), Now: c.Now})
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		versions = map[int64]bool{}
		refused  int
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range writes {
				key := fmt.Sprintf("w%d:k%02d", w, i%50)
				v, err := s.Set(ctx, key, json.RawMessage(fmt.Sprintf(`%d`, i)), time.Duration(i%3)*time.Second, nil)
				mu.Lock()
				if err != nil {
					assert.Equal(t, mcperr.CodeStorageQuotaExceeded, mcperr.AsError(err).Code)
					refused++
				} else {
					assert.False(t, versions[v], "version %d handed out twice", v)
					versions[v] = true
				}
				mu.Unlock()
				if _, _, err := s.Get(ctx, key); err != nil {
					assert.Contains(t, []mcperr.Code{mcperr.CodeKeyNotFound}, mcperr.AsError(err).Code)
				}
				_, used := s.Usage()
				assert.LessOrEqual(t, used, 40*(StateEntryOverhead+16))
				if i%50 == 0 {
					c.Add(time.Second)
				}
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, writers*writes, len(versions)+refused)
	assert.Positive(t, refused, "the quota was meant to bind")
}
