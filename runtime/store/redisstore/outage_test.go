package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store"
)

// calls are one call of every kind a server makes, each on keys of its
// own principal (so that, on a cluster, they spread over the nodes).
func calls(s *Store, round int) map[string]func(ctx context.Context) error {
	fp := store.Fingerprint{byte(round)}
	return map[string]func(ctx context.Context) error{
		"Allow": func(ctx context.Context) error {
			_, err := s.Allow(ctx, "desk-a", 1000, time.Minute)
			return err
		},
		"Remember": func(ctx context.Context) error {
			_, err := s.Remember(ctx, "desk-b", fmt.Sprint("nonce-", round, "-", time.Now().UnixNano()), time.Minute)
			return err
		},
		"Begin": func(ctx context.Context) error {
			_, _, err := s.Begin(ctx, store.RecordKey{Client: "desk-c", Key: fmt.Sprint("k", round, time.Now().UnixNano())}, fp, time.Minute)
			return err
		},
		"Set": func(ctx context.Context) error {
			_, err := s.Set(ctx, "shared", json.RawMessage(`1`), 0, nil)
			return err
		},
		"Get": func(ctx context.Context) error {
			_, _, err := s.Get(ctx, "shared")
			return err
		},
		"Check": func(ctx context.Context) error {
			_, err := s.Check(ctx, store.CheckRequest{Client: "desk-d", Nonce: fmt.Sprint(time.Now().UnixNano()), NonceTTL: time.Minute,
				ClientLimit: &store.Limit{Key: "desk-d", Limit: 1000, Window: time.Minute}})
			return err
		},
		"Ping": s.Ping,
	}
}

// allSucceed waits until every call succeeds, and returns how long that
// took.
func allSucceed(t *testing.T, s *Store, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for round := 0; ; round++ {
		var failed []string
		for name, call := range calls(s, round) {
			if err := call(context.Background()); err != nil {
				failed = append(failed, fmt.Sprintf("%s: %v", name, err))
			}
		}
		if len(failed) == 0 {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("calls still fail %s on: %v", within, failed)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// allFailFast makes every call, from several goroutines at once, and
// wants each to fail within bound, as MCP-003.
func allFailFast(t *testing.T, s *Store, bound time.Duration, wantFailing map[string]bool) {
	t.Helper()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for name, call := range calls(s, 100+g) {
				start := time.Now()
				err := call(context.Background())
				elapsed := time.Since(start)
				assert.Less(t, elapsed, bound, "%s took %s", name, elapsed)
				if wantFailing != nil && !wantFailing[name] {
					continue
				}
				if !assert.Error(t, err, name) {
					continue
				}
				assert.ErrorIs(t, err, ErrUnavailable, name)
				assert.Equal(t, mcperr.CodeBackendUnavailable, mcperr.AsError(err).Code, "%s: %v", name, err)
			}
		})
	}
	wg.Wait()
}

// settledGoroutines waits for the goroutine count to come down to at
// most want, and returns it.
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(3 * time.Second); n > want && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(20 * time.Millisecond)
	}
	return n
}

// TestOutage stops redis-server under a Store, then freezes it (a host
// that no longer answers): every call fails within the timeout as
// MCP-003, Ping fails, and once the server is back every call succeeds
// again with the same Store. No goroutine is left behind.
func TestOutage(t *testing.T) {
	// Not parallel: it counts the goroutines of the whole process.
	srv, err := startRedis(t)
	require.NoError(t, err)
	t.Cleanup(srv.close)
	before := runtime.NumGoroutine()

	const timeout = 300 * time.Millisecond
	// A call must fail, not hang: the bound is far above the timeout, so a
	// loaded machine's scheduling delays do not count as a hang.
	bound := 10 * timeout
	s, err := New(context.Background(), "redis://"+srv.addr(), Options{Timeout: timeout, Prefix: "outage:"})
	require.NoError(t, err)
	allSucceed(t, s, time.Second)

	t.Run("stopped", func(t *testing.T) {
		srv.stop()
		allFailFast(t, s, bound, nil)
		require.NoError(t, srv.restart(t))
		took := allSucceed(t, s, 3*time.Second)
		t.Logf("calls succeed again %s after the restart", took)
	})

	t.Run("frozen", func(t *testing.T) {
		srv.mu.Lock()
		p := srv.cmd.Process
		srv.mu.Unlock()
		require.NoError(t, p.Signal(syscall.SIGSTOP))
		allFailFast(t, s, bound, nil)
		require.NoError(t, p.Signal(syscall.SIGCONT))
		took := allSucceed(t, s, 3*time.Second)
		t.Logf("calls succeed again %s after the server thawed", took)
	})

	t.Run("a cancelled call is the caller's", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := s.Allow(ctx, "desk-a", 1, time.Minute)
		assert.ErrorIs(t, err, context.Canceled)
		assert.NotErrorIs(t, err, ErrUnavailable)
	})

	require.NoError(t, s.Close())
	after := settledGoroutines(before + 2)
	assert.LessOrEqual(t, after, before+2, "goroutines before %d, after %d", before, after)
}

// TestClusterOutage stops one master of a cluster of its own: the calls
// whose keys it serves fail fast, the others go on, and all succeed once
// it is back.
func TestClusterOutage(t *testing.T) {
	// Not parallel: it counts the goroutines of the whole process.
	nodes, url, err := startCluster(t)
	require.NoError(t, err)
	t.Cleanup(func() {
		for _, n := range nodes {
			n.close()
		}
	})
	before := runtime.NumGoroutine()
	const timeout = 300 * time.Millisecond
	s, err := New(context.Background(), url, Options{Timeout: timeout, Prefix: "outage:"})
	require.NoError(t, err)
	allSucceed(t, s, time.Second)

	// Which calls does the first node serve?
	onNode := map[string]bool{}
	slots, err := s.client.ClusterSlots(context.Background()).Result()
	require.NoError(t, err)
	slotOf := func(key string) int64 {
		v, err := s.client.ClusterKeySlot(context.Background(), key).Result()
		require.NoError(t, err)
		return v
	}
	served := func(key string) bool {
		slot := slotOf(key)
		for _, r := range slots {
			if int64(r.Start) <= slot && slot <= int64(r.End) {
				return r.Nodes[0].Addr == nodes[0].addr()
			}
		}
		return false
	}
	onNode["Allow"] = served(s.limiterKey("desk-a"))
	onNode["Remember"] = served(s.principalKey("desk-b", "n"))
	onNode["Begin"] = served(s.principalKey("desk-c", "i"))
	onNode["Set"] = served(s.stateKey("d"))
	onNode["Get"] = onNode["Set"]
	onNode["Check"] = served(s.principalKey("desk-d", "n"))
	onNode["Ping"] = true // a master is down
	t.Logf("calls on the stopped node: %v", onNode)

	nodes[0].stop()
	allFailFast(t, s, 10*timeout, onNode)
	require.NoError(t, nodes[0].restart(t))
	took := allSucceed(t, s, 5*time.Second)
	t.Logf("calls succeed again %s after the restart", took)

	require.NoError(t, s.Close())
	after := settledGoroutines(before + 2)
	assert.LessOrEqual(t, after, before+2, "goroutines before %d, after %d", before, after)
}
