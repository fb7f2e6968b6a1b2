package market

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

// StateStore keeps JSON values by key for the shared_state tools. The
// example uses MemoryState; a Redis-backed store implements the same two
// methods for several replicas.
//
// Versions are unique across the store and grow with every write, so a
// key's version never repeats, not even after it expires and is written
// again: a writer holding an old version cannot overwrite a newer value by
// accident.
type StateStore interface {
	// Get returns the value stored under key and its version, or MCP-013
	// when there is none (or it has expired).
	Get(ctx context.Context, key string) (value json.RawMessage, version int64, err error)
	// Set stores value under key and returns its new version. ttl 0 means
	// no expiry (and removes an earlier one, as Redis SET does). With
	// ifVersion set, it writes only when the stored version is *ifVersion,
	// 0 meaning absent, and fails with MCP-005 otherwise. MCP-014 when the
	// value or the store would go over its quota.
	Set(ctx context.Context, key string, value json.RawMessage, ttl time.Duration, ifVersion *int64) (version int64, err error)
}

// EntryOverhead is the bytes MemoryState charges each entry on top of its
// key and value, so that a flood of tiny values still meets the quota
// before it exhausts memory.
const EntryOverhead = 64

// MemoryState is a StateStore in memory with a per-value size cap and a
// total quota over keys, values and EntryOverhead. Expired entries are
// dropped when touched and swept before a write is refused for lack of
// room, so they never hold quota a live write needs. It is safe for
// concurrent use.
type MemoryState struct {
	maxValueBytes int
	maxTotalBytes int
	now           func() time.Time

	mu      sync.Mutex
	entries map[string]stateEntry
	used    int   // bytes charged for entries, expired ones included until dropped
	version int64 // last version handed out
}

type stateEntry struct {
	value   json.RawMessage
	version int64
	expires time.Time // zero: never
}

func (e stateEntry) cost(key string) int { return len(key) + len(e.value) + EntryOverhead }

// MemoryOption configures a MemoryState.
type MemoryOption func(*MemoryState)

// WithClock makes the store read the time from now instead of time.Now,
// so tests can move time to expire entries.
func WithClock(now func() time.Time) MemoryOption {
	return func(s *MemoryState) { s.now = now }
}

// NewMemoryState returns an empty store that takes values of at most
// maxValueBytes and holds at most maxTotalBytes in all.
func NewMemoryState(maxValueBytes, maxTotalBytes int, opts ...MemoryOption) *MemoryState {
	s := &MemoryState{maxValueBytes: maxValueBytes, maxTotalBytes: maxTotalBytes, now: time.Now, entries: map[string]stateEntry{}}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// Usage returns the number of entries and the bytes charged for them,
// expired entries not yet dropped included.
func (s *MemoryState) Usage() (entries, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries), s.used
}

// live returns the entry under key, dropping it if it has expired. The
// caller holds mu.
func (s *MemoryState) live(key string, now time.Time) (stateEntry, bool) {
	e, ok := s.entries[key]
	if ok && !e.expires.IsZero() && !now.Before(e.expires) {
		s.drop(key, e)
		return stateEntry{}, false
	}
	return e, ok
}

func (s *MemoryState) drop(key string, e stateEntry) {
	delete(s.entries, key)
	s.used -= e.cost(key)
}

// sweep drops every expired entry. It is linear in the entries, so it runs
// only when a write would otherwise be refused. The caller holds mu.
func (s *MemoryState) sweep(now time.Time) {
	for key, e := range s.entries {
		if !e.expires.IsZero() && !now.Before(e.expires) {
			s.drop(key, e)
		}
	}
}

// Get implements StateStore. The value returned is the caller's own copy.
func (s *MemoryState) Get(ctx context.Context, key string) (json.RawMessage, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(key, s.now())
	if !ok {
		return nil, 0, &mcperr.Error{
			Code:    mcperr.CodeKeyNotFound,
			Message: fmt.Sprintf("no value stored under key %q", key),
			Details: map[string]any{"key": key},
		}
	}
	return append(json.RawMessage(nil), e.value...), e.version, nil
}

// Set implements StateStore. It stores a copy of value, which must be valid
// JSON (MCP-001 otherwise), under a non-empty key; a negative ttl is
// MCP-001 too.
func (s *MemoryState) Set(ctx context.Context, key string, value json.RawMessage, ttl time.Duration, ifVersion *int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	switch {
	case key == "":
		return 0, mcperr.Errorf(mcperr.CodeInvalidArgs, "key must not be empty")
	case ttl < 0:
		return 0, mcperr.Errorf(mcperr.CodeInvalidArgs, "ttl must not be negative, got %s", ttl)
	case len(value) > s.maxValueBytes:
		return 0, &mcperr.Error{
			Code:    mcperr.CodeStorageQuotaExceeded,
			Message: fmt.Sprintf("value of %d bytes exceeds the limit of %d bytes per value", len(value), s.maxValueBytes),
			Details: map[string]any{"key": key, "bytes": len(value), "max_value_bytes": s.maxValueBytes},
		}
	case !json.Valid(value):
		return 0, mcperr.Errorf(mcperr.CodeInvalidArgs, "value under key %q is not valid JSON", key)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	old, exists := s.live(key, now)
	if ifVersion != nil && *ifVersion != old.version {
		msg := fmt.Sprintf("version conflict on key %q: ifVersion is %d but the stored version is %d", key, *ifVersion, old.version)
		if !exists {
			msg = fmt.Sprintf("version conflict on key %q: ifVersion is %d but the key is absent", key, *ifVersion)
		}
		return 0, &mcperr.Error{
			Code:    mcperr.CodeIdempotencyConflict,
			Message: msg,
			Details: map[string]any{"key": key, "if_version": *ifVersion, "stored_version": old.version},
		}
	}

	e := stateEntry{value: append(json.RawMessage(nil), value...)}
	if ttl > 0 {
		e.expires = now.Add(ttl)
	}
	need := e.cost(key)
	if exists {
		need -= old.cost(key)
	}
	if s.used+need > s.maxTotalBytes {
		s.sweep(now)
	}
	if free := s.maxTotalBytes - s.used; need > free {
		return 0, &mcperr.Error{
			Code:    mcperr.CodeStorageQuotaExceeded,
			Message: fmt.Sprintf("state store full: writing key %q needs %d more bytes, %d of %d are free", key, need, free, s.maxTotalBytes),
			Details: map[string]any{"key": key, "needed_bytes": need, "free_bytes": free, "max_total_bytes": s.maxTotalBytes},
		}
	}
	s.version++
	e.version = s.version
	s.entries[key] = e
	s.used += need
	return e.version, nil
}
