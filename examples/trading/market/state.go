package market

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/mcpgen/mcpgen/runtime"
)

// StateStore keeps JSON values by key for the shared_state tools. The
// example uses MemoryState; a Redis-backed store implements the same
// interface for several replicas.
type StateStore interface {
	// Get returns the value and its version, or MCP-013.
	Get(ctx context.Context, key string) (json.RawMessage, int64, error)
	// Set stores value and returns its new version. With ifVersion set, it
	// only writes when the stored version is that one (0: absent). ttl 0
	// means no expiry.
	Set(ctx context.Context, key string, value json.RawMessage, ttl time.Duration, ifVersion *int64) (int64, error)
}

// MemoryState is a StateStore in memory with per-value and total quotas.
type MemoryState struct {
	MaxValueBytes int
	MaxTotalBytes int
	Now           func() time.Time

	mu      sync.Mutex
	entries map[string]stateEntry
	total   int
}

type stateEntry struct {
	value   json.RawMessage
	version int64
	expires time.Time
}

// NewMemoryState returns a store with the given quotas.
func NewMemoryState(maxValueBytes, maxTotalBytes int) *MemoryState {
	return &MemoryState{MaxValueBytes: maxValueBytes, MaxTotalBytes: maxTotalBytes, Now: time.Now, entries: map[string]stateEntry{}}
}

func (s *MemoryState) live(key string) (stateEntry, bool) {
	e, ok := s.entries[key]
	if ok && !e.expires.IsZero() && !s.Now().Before(e.expires) {
		delete(s.entries, key)
		s.total -= len(key) + len(e.value)
		return stateEntry{}, false
	}
	return e, ok
}

// Get implements StateStore.
func (s *MemoryState) Get(_ context.Context, key string) (json.RawMessage, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(key)
	if !ok {
		return nil, 0, runtime.Errorf(runtime.CodeKeyNotFound, "no value stored under key %q", key)
	}
	return e.value, e.version, nil
}

// Set implements StateStore.
func (s *MemoryState) Set(_ context.Context, key string, value json.RawMessage, ttl time.Duration, ifVersion *int64) (int64, error) {
	if len(value) > s.MaxValueBytes {
		return 0, &runtime.Error{Code: runtime.CodeStorageQuotaExceeded,
			Message: "value is larger than the per-value quota",
			Details: map[string]any{"bytes": len(value), "max_bytes": s.MaxValueBytes}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, exists := s.live(key)
	if ifVersion != nil && *ifVersion != old.version {
		return 0, &runtime.Error{Code: runtime.CodeIdempotencyConflict,
			Message: "stored version does not match ifVersion",
			Details: map[string]any{"stored_version": old.version}}
	}
	total := s.total + len(value) - len(old.value)
	if !exists {
		total += len(key)
	}
	if total > s.MaxTotalBytes {
		return 0, &runtime.Error{Code: runtime.CodeStorageQuotaExceeded,
			Message: "the shared state store is full",
			Details: map[string]any{"max_total_bytes": s.MaxTotalBytes}}
	}
	e := stateEntry{value: append(json.RawMessage(nil), value...), version: old.version + 1}
	if ttl > 0 {
		e.expires = s.Now().Add(ttl)
	}
	s.entries[key] = e
	s.total = total
	return e.version, nil
}
