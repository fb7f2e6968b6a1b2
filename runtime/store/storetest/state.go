package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store"
)

// The quotas of the state cases' stores.
const (
	maxValueBytes = 64
	maxTotalBytes = 4096
)

// stateTTL is the expiry of the state cases.
const stateTTL = 2 * time.Second

// State runs the behavioural cases of store.State against the stores
// newStore makes: one fresh store per case, on the clock it is given, that
// takes values of at most maxValueBytes and holds at most maxTotalBytes in
// all (however the store counts an entry's cost, at least its key and its
// value).
func State(t *testing.T, newStore func(t *testing.T, clock *Clock, maxValueBytes, maxTotalBytes int) store.State) {
	ctx := context.Background()
	quotas := func(t *testing.T, clock *Clock) store.State { return newStore(t, clock, maxValueBytes, maxTotalBytes) }
	set := func(t *testing.T, s store.State, key, value string, ttl time.Duration, ifVersion *int64) int64 {
		t.Helper()
		v, err := s.Set(ctx, key, json.RawMessage(value), ttl, ifVersion)
		require.NoError(t, err, "set %s", key)
		return v
	}
	get := func(t *testing.T, s store.State, key string) (string, int64) {
		t.Helper()
		value, version, err := s.Get(ctx, key)
		require.NoError(t, err, "get %s", key)
		return string(value), version
	}
	code := func(t *testing.T, err error, want mcperr.Code, msg string) {
		t.Helper()
		require.Error(t, err, msg)
		assert.Equal(t, want, mcperr.AsError(err).Code, "%s: %v", msg, err)
	}
	missing := func(t *testing.T, s store.State, key, msg string) {
		t.Helper()
		_, _, err := s.Get(ctx, key)
		code(t, err, mcperr.CodeKeyNotFound, msg)
	}

	run(t, "values are stored under versions that grow across the store", quotas, func(t *testing.T, clock *Clock, s store.State) {
		v1 := set(t, s, "desk:limits", `{"max":[1,2.50,"x"]}`, 0, nil)
		v2 := set(t, s, "desk:limits", `{"max":[]}`, 0, nil)
		v3 := set(t, s, "other", `true`, 0, nil)
		assert.Positive(t, v1)
		assert.Greater(t, v2, v1)
		assert.Greater(t, v3, v2)
		value, version := get(t, s, "desk:limits")
		assert.JSONEq(t, `{"max":[]}`, value)
		assert.Equal(t, v2, version)
	})

	run(t, "an absent key is MCP-013", quotas, func(t *testing.T, clock *Clock, s store.State) {
		missing(t, s, "nope", "never written")
	})

	run(t, "values are copies", quotas, func(t *testing.T, clock *Clock, s store.State) {
		in := json.RawMessage(`"abc"`)
		_, err := s.Set(ctx, "k", in, 0, nil)
		require.NoError(t, err)
		in[1] = 'X'
		out, _, err := s.Get(ctx, "k")
		require.NoError(t, err)
		out[1] = 'Y'
		value, _ := get(t, s, "k")
		assert.Equal(t, `"abc"`, value)
	})

	run(t, "ifVersion writes only over the version named", quotas, func(t *testing.T, clock *Clock, s store.State) {
		zero := int64(0)
		v := set(t, s, "k", `1`, 0, &zero)
		_, err := s.Set(ctx, "k", json.RawMessage(`2`), 0, &zero)
		code(t, err, mcperr.CodeIdempotencyConflict, "0 means absent, and the key is present")
		stale := v - 1
		_, err = s.Set(ctx, "k", json.RawMessage(`2`), 0, &stale)
		code(t, err, mcperr.CodeIdempotencyConflict, "a stale version")
		ahead := v + 1000
		_, err = s.Set(ctx, "absent", json.RawMessage(`2`), 0, &ahead)
		code(t, err, mcperr.CodeIdempotencyConflict, "a version for an absent key")
		value, version := get(t, s, "k")
		assert.Equal(t, `1`, value, "refused writes change nothing")
		assert.Equal(t, v, version)
		missing(t, s, "absent", "a refused write creates nothing")
		assert.Greater(t, set(t, s, "k", `2`, 0, &v), v, "the current version writes")
	})

	run(t, "a value lives for its TTL, and a write without one clears it", quotas, func(t *testing.T, clock *Clock, s store.State) {
		first := set(t, s, "k", `"v"`, stateTTL, nil)
		clock.Advance(stateTTL / 2)
		value, _ := get(t, s, "k")
		assert.Equal(t, `"v"`, value, "within its TTL")
		clock.Advance(stateTTL/2 + stateTTL/4)
		missing(t, s, "k", "after its TTL")

		// Written again, the key gets a new version, so a writer still
		// holding the first one cannot overwrite the new value.
		_, err := s.Set(ctx, "k", json.RawMessage(`"w"`), 0, &first)
		code(t, err, mcperr.CodeIdempotencyConflict, "the expired version")
		second := set(t, s, "k", `"w"`, stateTTL, nil)
		assert.Greater(t, second, first)
		set(t, s, "k", `"x"`, 0, nil)
		clock.Advance(stateTTL + stateTTL/4)
		value, _ = get(t, s, "k")
		assert.Equal(t, `"x"`, value, "no expiry once written without a TTL")
	})

	run(t, "a value over the per-value cap is MCP-014", quotas, func(t *testing.T, clock *Clock, s store.State) {
		_, err := s.Set(ctx, "k", json.RawMessage(`"`+strings.Repeat("x", maxValueBytes-1)+`"`), 0, nil)
		code(t, err, mcperr.CodeStorageQuotaExceeded, "one byte over")
		missing(t, s, "k", "nothing written")
		set(t, s, "k", `"`+strings.Repeat("x", maxValueBytes-2)+`"`, 0, nil)
	})

	run(t, "the total quota refuses writes, and expired values free it", quotas, func(t *testing.T, clock *Clock, s store.State) {
		value := `"` + strings.Repeat("x", maxValueBytes-2) + `"`
		written := 0
		var err error
		for ; written <= maxTotalBytes/maxValueBytes; written++ {
			if _, err = s.Set(ctx, fmt.Sprint("k", written), json.RawMessage(value), stateTTL, nil); err != nil {
				break
			}
		}
		code(t, err, mcperr.CodeStorageQuotaExceeded, "a store can hold only so much")
		assert.Positive(t, written)
		for i := range written {
			got, _ := get(t, s, fmt.Sprint("k", i))
			assert.Equal(t, value, got, "earlier values are kept")
		}
		missing(t, s, fmt.Sprint("k", written), "the refused write is not stored")
		clock.Advance(stateTTL + stateTTL/4)
		for i := range written {
			set(t, s, fmt.Sprint("j", i), value, 0, nil) // keys as long as before
		}
	})

	run(t, "malformed writes are MCP-001", quotas, func(t *testing.T, clock *Clock, s store.State) {
		for _, tt := range []struct {
			name, key, value string
			ttl              time.Duration
		}{
			{"empty key", "", `1`, 0},
			{"negative ttl", "k", `1`, -time.Second},
			{"not JSON", "k", `{"a":`, 0},
		} {
			_, err := s.Set(ctx, tt.key, json.RawMessage(tt.value), tt.ttl, nil)
			code(t, err, mcperr.CodeInvalidArgs, tt.name)
		}
		missing(t, s, "k", "nothing written")
	})

	run(t, "a cancelled context is an error of the context", quotas, func(t *testing.T, clock *Clock, s store.State) {
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		_, err := s.Set(cancelled, "k", json.RawMessage(`1`), 0, nil)
		assert.ErrorIs(t, err, context.Canceled)
		_, _, err = s.Get(cancelled, "k")
		assert.ErrorIs(t, err, context.Canceled)
	})

	run(t, "concurrent writes get versions of their own, and one compare-and-set wins", quotas, func(t *testing.T, clock *Clock, s store.State) {
		var mu sync.Mutex
		versions := map[int64]bool{}
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := range 20 {
					v, err := s.Set(ctx, fmt.Sprintf("w%d:k%d", w, i%5), json.RawMessage(fmt.Sprint(i)), 0, nil)
					if !assert.NoError(t, err) {
						return
					}
					mu.Lock()
					assert.False(t, versions[v], "version %d handed out twice", v)
					versions[v] = true
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		assert.Len(t, versions, 160)

		_, current := get(t, s, "w0:k0")
		var won []int
		for w := range 8 {
			wg.Go(func() {
				_, err := s.Set(ctx, "w0:k0", json.RawMessage(fmt.Sprint(w)), 0, &current)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					won = append(won, w)
				} else {
					assert.Equal(t, mcperr.CodeIdempotencyConflict, mcperr.AsError(err).Code)
				}
			})
		}
		wg.Wait()
		require.Len(t, won, 1, "exactly one writer holding the current version wins")
		value, _ := get(t, s, "w0:k0")
		assert.Equal(t, fmt.Sprint(won[0]), value)
	})
}
