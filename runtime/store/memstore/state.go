package memstore

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/internal/stateerr"
)

// Defaults of StateOptions.
const (
	DefaultMaxValueBytes = 64 << 10
	DefaultMaxStateBytes = 16 << 20
)

// StateEntryOverhead is the bytes a State charges each entry on top of its
// key and value, so that a flood of tiny values still meets the quota
// before it exhausts memory.
const StateEntryOverhead = 64

// StateOptions configures NewState.
type StateOptions struct {
	// MaxValueBytes caps one value (DefaultMaxValueBytes, 64 KiB, when
	// zero).
	MaxValueBytes int
	// MaxTotalBytes caps the keys, values and StateEntryOverhead of all
	// entries together (DefaultMaxStateBytes, 16 MiB, when zero).
	MaxTotalBytes int
	// Now is the clock entries expire by (time.Now when nil).
	Now func() time.Time
}

// State is an in-process store.State with a per-value size cap and a total
// quota over keys, values and StateEntryOverhead. Expired entries are
// dropped when touched and swept before a write is refused for lack of
// room, so they never hold quota a live write needs. It is safe for
// concurrent use.
type State struct {
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

func (e stateEntry) cost(key string) int { return len(key) + len(e.value) + StateEntryOverhead }

// NewState returns an empty State.
func NewState(opts StateOptions) *State {
	s := &State{maxValueBytes: opts.MaxValueBytes, maxTotalBytes: opts.MaxTotalBytes, now: opts.Now, entries: map[string]stateEntry{}}
	if s.maxValueBytes <= 0 {
		s.maxValueBytes = DefaultMaxValueBytes
	}
	if s.maxTotalBytes <= 0 {
		s.maxTotalBytes = DefaultMaxStateBytes
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Usage returns the number of entries and the bytes charged for them,
// expired entries not yet dropped included.
func (s *State) Usage() (entries, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries), s.used
}

// live returns the entry under key, dropping it if it has expired. The
// caller holds mu.
func (s *State) live(key string, now time.Time) (stateEntry, bool) {
	e, ok := s.entries[key]
	if ok && !e.expires.IsZero() && !now.Before(e.expires) {
		s.drop(key, e)
		return stateEntry{}, false
	}
	return e, ok
}

func (s *State) drop(key string, e stateEntry) {
	delete(s.entries, key)
	s.used -= e.cost(key)
}

// sweep drops every expired entry. It is linear in the entries, so it runs
// only when a write would otherwise be refused. The caller holds mu.
func (s *State) sweep(now time.Time) {
	for key, e := range s.entries {
		if !e.expires.IsZero() && !now.Before(e.expires) {
			s.drop(key, e)
		}
	}
}

// Get implements store.State.
func (s *State) Get(ctx context.Context, key string) (json.RawMessage, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(key, s.now())
	if !ok {
		return nil, 0, stateerr.NotFound(key)
	}
	return append(json.RawMessage(nil), e.value...), e.version, nil
}

// Set implements store.State.
func (s *State) Set(ctx context.Context, key string, value json.RawMessage, ttl time.Duration, ifVersion *int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := stateerr.CheckSet(key, value, ttl, s.maxValueBytes); err != nil {
		return 0, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	old, exists := s.live(key, now)
	if ifVersion != nil && *ifVersion != old.version {
		return 0, stateerr.VersionConflict(key, *ifVersion, old.version, exists)
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
		return 0, stateerr.Full(key, need, free, s.maxTotalBytes)
	}
	s.version++
	e.version = s.version
	s.entries[key] = e
	s.used += need
	return e.version, nil
}

// The memory stores implement the store interfaces.
var (
	_ store.Limiter     = (*Limiter)(nil)
	_ store.Nonces      = (*Nonces)(nil)
	_ store.Idempotency = (*Idempotency)(nil)
	_ store.State       = (*State)(nil)
)
