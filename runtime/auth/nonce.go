package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"time"
)

// NonceStore remembers the nonces of verified requests, so that a request
// replayed within the timestamp window is refused.
type NonceStore interface {
	// Remember records nonce for clientID for ttl and reports whether it
	// was fresh: not recorded before, or recorded and expired. Check and
	// record are one atomic step, so of two concurrent requests with one
	// nonce exactly one is fresh.
	Remember(ctx context.Context, clientID, nonce string, ttl time.Duration) (fresh bool, err error)
}

// DefaultMaxNonces is how many nonces a MemoryNonceStore holds unless told
// otherwise: ten minutes of about 400 signed requests a second, in roughly
// 20 MB.
const DefaultMaxNonces = 1 << 18

// ErrNonceStoreFull is returned when a MemoryNonceStore holds its maximum
// of unexpired nonces. Dropping one would let its request be replayed, so
// the store refuses the new one instead, and the request fails with 503.
var ErrNonceStoreFull = errors.New("auth: nonce store is full")

// MemoryNonceOptions configures NewMemoryNonceStore.
type MemoryNonceOptions struct {
	MaxEntries int              // DefaultMaxNonces when zero
	Now        func() time.Time // time.Now when nil
}

// MemoryNonceStore is an in-process NonceStore with bounded memory: each
// nonce costs a fixed-size hash and an expiry, expired nonces are dropped
// oldest first as new ones arrive, and the number held is capped.
type MemoryNonceStore struct {
	now func() time.Time
	max int

	mu    sync.Mutex
	seen  map[nonceID]int64 // expiry, Unix nanoseconds
	queue []nonceEntry      // in order of recording; queue[head:] is live
	head  int
}

// nonceID is a 128-bit hash of a client ID and a nonce: a fixed size
// whatever the nonce's length, and no collision short of 2^64 work.
type nonceID [16]byte

type nonceEntry struct {
	id      nonceID
	expires int64
}

// NewMemoryNonceStore returns an empty in-process NonceStore.
func NewMemoryNonceStore(opts MemoryNonceOptions) *MemoryNonceStore {
	s := &MemoryNonceStore{now: opts.Now, max: opts.MaxEntries, seen: make(map[nonceID]int64)}
	if s.now == nil {
		s.now = time.Now
	}
	if s.max <= 0 {
		s.max = DefaultMaxNonces
	}
	return s
}

// Remember implements NonceStore.
func (s *MemoryNonceStore) Remember(_ context.Context, clientID, nonce string, ttl time.Duration) (bool, error) {
	sum := sha256.Sum256([]byte(clientID + "\x00" + nonce)) // client IDs hold no NUL
	id := nonceID(sum[:16])
	now := s.now().UnixNano()

	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	if exp, ok := s.seen[id]; ok && now < exp {
		return false, nil
	}
	if len(s.seen) >= s.max {
		return false, ErrNonceStoreFull
	}
	exp := now + int64(ttl)
	s.seen[id] = exp
	s.queue = append(s.queue, nonceEntry{id, exp})
	return true, nil
}

// Len returns the number of unexpired nonces held.
func (s *MemoryNonceStore) Len() int {
	now := s.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	return len(s.seen)
}

// expire drops expired nonces from the front of the queue. Nonces are
// recorded with one TTL, so the queue is in order of expiry; an entry
// whose nonce was recorded again later only leaves the map with the later
// entry.
func (s *MemoryNonceStore) expire(now int64) {
	for s.head < len(s.queue) && s.queue[s.head].expires <= now {
		e := s.queue[s.head]
		if s.seen[e.id] == e.expires {
			delete(s.seen, e.id)
		}
		s.head++
	}
	// Compact once the dead prefix is half the slice, so it never grows
	// beyond twice the live nonces.
	if s.head > len(s.queue)/2 {
		s.queue = append(s.queue[:0], s.queue[s.head:]...)
		s.head = 0
	}
}
