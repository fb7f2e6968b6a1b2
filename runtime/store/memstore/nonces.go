package memstore

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/mcpgen/mcpgen/runtime/store"
)

// DefaultMaxNonces is how many nonces a Nonces holds unless told
// otherwise: ten minutes of about 400 signed requests a second, in roughly
// 25 MB.
const DefaultMaxNonces = 1 << 18

// NonceOptions configures NewNonces.
type NonceOptions struct {
	MaxEntries int // DefaultMaxNonces when zero
	// MaxPerClient caps the unexpired nonces of one client (MaxEntries/8
	// when zero: 32768 by default, about 55 signed requests a second
	// sustained over the 600 s nonces are kept, well above the default
	// client rate limit of 1000 a minute). It keeps one client from filling
	// the store and locking every other client out.
	MaxPerClient int
	Now          func() time.Time // time.Now when nil
}

// Nonces is an in-process store.Nonces with bounded memory: each nonce
// costs a fixed-size hash and an expiry, expired nonces are dropped oldest
// first as new ones arrive, and the number held is capped, in all
// (store.ErrFull) and per client (*store.NonceQuotaError).
//
// Nonces must be remembered with one TTL (the HMAC layer's is fixed), so
// that they expire in the order they were recorded.
type Nonces struct {
	now       func() time.Time
	max       int
	perClient int

	mu      sync.Mutex
	seen    map[nonceID]int64 // expiry, Unix nanoseconds
	queue   []nonceEntry      // in order of recording; queue[head:] is live
	head    int
	clients map[string]*nonceClient
}

// nonceID is a 128-bit hash of a client ID and a nonce: a fixed size
// whatever the nonce's length, and no collision short of 2^64 work.
type nonceID [16]byte

type nonceEntry struct {
	id      nonceID
	expires int64
	client  *nonceClient
}

// nonceClient is one client's share of the queue: the expiries of its
// entries, in order, so its count and its oldest expiry are at hand.
type nonceClient struct {
	id      string
	expires []int64 // expires[head:] are the client's live entries
	head    int
}

func (c *nonceClient) count() int { return len(c.expires) - c.head }

// NewNonces returns an empty in-process Nonces.
func NewNonces(opts NonceOptions) *Nonces {
	s := &Nonces{now: opts.Now, max: opts.MaxEntries, perClient: opts.MaxPerClient,
		seen: make(map[nonceID]int64), clients: make(map[string]*nonceClient)}
	if s.now == nil {
		s.now = time.Now
	}
	if s.max <= 0 {
		s.max = DefaultMaxNonces
	}
	if s.perClient <= 0 {
		s.perClient = max(s.max/8, 1)
	}
	return s
}

// Remember implements store.Nonces.
func (s *Nonces) Remember(_ context.Context, clientID, nonce string, ttl time.Duration) (bool, error) {
	// The hash of the client ID, a NUL (which no client ID holds) and the
	// nonce, from a buffer on the stack for the usual lengths.
	var buf [192]byte
	sum := sha256.Sum256(append(append(append(buf[:0], clientID...), 0), nonce...))
	id := nonceID(sum[:16])
	now := s.now().UnixNano()

	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	if exp, ok := s.seen[id]; ok && now < exp {
		return false, nil
	}
	c := s.clients[clientID]
	if c != nil && c.count() >= s.perClient {
		return false, &store.NonceQuotaError{Limit: s.perClient, RetryAfter: time.Duration(c.expires[c.head] - now)}
	}
	if len(s.seen) >= s.max {
		return false, store.ErrFull
	}
	if c == nil {
		c = &nonceClient{id: clientID}
		s.clients[clientID] = c
	}
	exp := now + int64(ttl)
	s.seen[id] = exp
	s.queue = append(s.queue, nonceEntry{id, exp, c})
	c.expires = append(c.expires, exp)
	return true, nil
}

// Len returns the number of unexpired nonces held.
func (s *Nonces) Len() int {
	now := s.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	return len(s.seen)
}

// expire drops expired nonces from the front of the queue. Nonces are
// recorded with one TTL, so the queue is in order of expiry, and so is
// each client's share of it; an entry whose nonce was recorded again later
// only leaves the map with the later entry.
func (s *Nonces) expire(now int64) {
	for s.head < len(s.queue) && s.queue[s.head].expires <= now {
		e := s.queue[s.head]
		if s.seen[e.id] == e.expires {
			delete(s.seen, e.id)
		}
		s.queue[s.head].client = nil // let a departed client be collected
		s.head++
		c := e.client
		c.head++
		if c.count() == 0 {
			delete(s.clients, c.id)
		} else if c.head > len(c.expires)/2 {
			c.expires = append(c.expires[:0], c.expires[c.head:]...)
			c.head = 0
		}
	}
	// Compact once the dead prefix is half the slice, so it never grows
	// beyond twice the live nonces.
	if s.head > len(s.queue)/2 {
		s.queue = append(s.queue[:0], s.queue[s.head:]...)
		s.head = 0
	}
}
