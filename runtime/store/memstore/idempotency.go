package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/mcpgen/mcpgen/runtime/store"
)

// Defaults of IdempotencyOptions.
const (
	DefaultMaxRecords     = 100_000
	DefaultMaxRecordBytes = 64 << 20
)

// IdempotencyOptions configures NewIdempotency.
type IdempotencyOptions struct {
	// MaxEntries caps the number of records (DefaultMaxRecords when zero).
	MaxEntries int
	// MaxBytes caps the stored responses' bodies and headers
	// (DefaultMaxRecordBytes when zero).
	MaxBytes int64
	// MaxEntriesPerClient and MaxBytesPerClient cap one client's records
	// (an eighth of MaxEntries and MaxBytes when zero). A client at its cap
	// makes room by dropping its own oldest completed records, never
	// another client's, so one client cannot push the others' records out.
	MaxEntriesPerClient int
	MaxBytesPerClient   int64
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Idempotency is an in-process store.Idempotency with bounded memory. Expired records
// are dropped as new ones arrive; when a cap is reached, the oldest
// completed records go first, so a retry arriving after that runs again:
// the client's own when it is at its per-client cap, anyone's when the
// whole store is full. Records in flight are never dropped: a store or a
// client full of them refuses new ones with store.ErrFull.
type Idempotency struct {
	now              func() time.Time
	maxEntries       int
	maxBytes         int64
	clientMaxEntries int
	clientMaxBytes   int64

	mu      sync.Mutex
	records map[store.RecordKey]*record
	order   recordList // by claim, then by completion; oldest first
	bytes   int64
	clients map[string]*clientRecords
}

// clientRecords are one client's records, in the order of s.order.
type clientRecords struct {
	order recordList
	bytes int64
}

type record struct {
	key      store.RecordKey
	fp       store.Fingerprint
	inFlight bool
	resp     *store.Response
	expires  time.Time
	size     int64
	client   *clientRecords
	// The record's neighbours in the store's order (allRecords) and its
	// client's (clientOrder): the lists are threaded through the records,
	// so a record is one allocation.
	prev, next [2]*record
}

// The two orders a record is in.
const (
	allRecords = iota
	clientOrder
)

// recordList is a doubly linked list of records through their links of
// one order.
type recordList struct {
	which       int
	front, back *record
	n           int
}

func (l *recordList) Len() int { return l.n }

func (l *recordList) pushBack(r *record) {
	r.prev[l.which], r.next[l.which] = l.back, nil
	if l.back != nil {
		l.back.next[l.which] = r
	} else {
		l.front = r
	}
	l.back = r
	l.n++
}

func (l *recordList) remove(r *record) {
	prev, next := r.prev[l.which], r.next[l.which]
	if prev != nil {
		prev.next[l.which] = next
	} else {
		l.front = next
	}
	if next != nil {
		next.prev[l.which] = prev
	} else {
		l.back = prev
	}
	r.prev[l.which], r.next[l.which] = nil, nil
	l.n--
}

func (l *recordList) moveToBack(r *record) {
	if l.back != r {
		l.remove(r)
		l.pushBack(r)
	}
}

// NewIdempotency returns an empty in-process Idempotency.
func NewIdempotency(opts IdempotencyOptions) *Idempotency {
	s := &Idempotency{now: opts.Now, maxEntries: opts.MaxEntries, maxBytes: opts.MaxBytes,
		clientMaxEntries: opts.MaxEntriesPerClient, clientMaxBytes: opts.MaxBytesPerClient,
		records: make(map[store.RecordKey]*record), clients: make(map[string]*clientRecords)}
	s.order.which = allRecords
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxEntries <= 0 {
		s.maxEntries = DefaultMaxRecords
	}
	if s.maxBytes <= 0 {
		s.maxBytes = DefaultMaxRecordBytes
	}
	if s.clientMaxEntries <= 0 {
		s.clientMaxEntries = max(s.maxEntries/8, 1)
	}
	if s.clientMaxBytes <= 0 {
		s.clientMaxBytes = max(s.maxBytes/8, 1)
	}
	return s
}

// Begin implements store.Idempotency.
func (s *Idempotency) Begin(_ context.Context, k store.RecordKey, fp store.Fingerprint, lease time.Duration) (store.RecordState, *store.Response, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now, 2)
	if rec, ok := s.records[k]; ok {
		switch {
		case !now.Before(rec.expires):
			s.remove(rec)
		case rec.fp != fp:
			return store.Mismatch, nil, nil
		case rec.inFlight:
			return store.InFlight, nil, nil
		default:
			return store.Completed, rec.resp, nil
		}
	}
	c := s.clients[k.Client]
	if c != nil && c.order.Len() >= s.clientMaxEntries &&
		!s.evictClient(c, now, func() bool { return c.order.Len() < s.clientMaxEntries }) {
		return 0, nil, store.ErrFull
	}
	if len(s.records) >= s.maxEntries && !s.evict(now, func() bool { return len(s.records) < s.maxEntries }) {
		return 0, nil, store.ErrFull
	}
	c = s.clients[k.Client] // evicting may have dropped it
	if c == nil {
		c = &clientRecords{order: recordList{which: clientOrder}}
		s.clients[k.Client] = c
	}
	rec := &record{key: k, fp: fp, inFlight: true, expires: now.Add(lease), client: c}
	c.order.pushBack(rec)
	s.order.pushBack(rec)
	s.records[k] = rec
	return store.Started, nil, nil
}

// Complete implements store.Idempotency.
func (s *Idempotency) Complete(_ context.Context, k store.RecordKey, fp store.Fingerprint, resp *store.Response, ttl time.Duration) error {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.records[k]
	if !ok || !rec.inFlight || rec.fp != fp {
		return nil
	}
	if responseSize(resp) > min(s.maxBytes, s.clientMaxBytes) {
		resp = &store.Response{Status: resp.Status, Dropped: true}
	}
	rec.inFlight, rec.resp, rec.expires, rec.size = false, resp, now.Add(ttl), responseSize(resp)
	s.bytes += rec.size
	rec.client.bytes += rec.size
	s.order.moveToBack(rec)
	rec.client.order.moveToBack(rec)
	c := rec.client
	s.evictClient(c, now, func() bool { return c.bytes <= s.clientMaxBytes })
	s.evict(now, func() bool { return s.bytes <= s.maxBytes })
	return nil
}

// Release implements store.Idempotency.
func (s *Idempotency) Release(_ context.Context, k store.RecordKey, fp store.Fingerprint) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec, ok := s.records[k]; ok && rec.inFlight && rec.fp == fp {
		s.remove(rec)
	}
	return nil
}

// Len returns the number of records, after dropping the expired ones.
func (s *Idempotency) Len() int {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now, len(s.records))
	return len(s.records)
}

// sweep looks at up to n of the oldest records and drops the expired ones.
func (s *Idempotency) sweep(now time.Time, n int) {
	for rec := s.order.front; rec != nil && n > 0; n-- {
		next := rec.next[allRecords]
		if !now.Before(rec.expires) {
			s.remove(rec)
		}
		rec = next
	}
}

// evict drops records that are expired or completed, oldest first, until
// done reports true, and reports whether it does. Records in flight stay.
// The order is by completion, so with one TTL the oldest completed records
// are also the first to expire.
func (s *Idempotency) evict(now time.Time, done func() bool) bool {
	for rec := s.order.front; rec != nil && !done(); {
		next := rec.next[allRecords]
		if !rec.inFlight || !now.Before(rec.expires) {
			s.remove(rec)
		}
		rec = next
	}
	return done()
}

// evictClient is evict over one client's records.
func (s *Idempotency) evictClient(c *clientRecords, now time.Time, done func() bool) bool {
	for rec := c.order.front; rec != nil && !done(); {
		next := rec.next[clientOrder]
		if !rec.inFlight || !now.Before(rec.expires) {
			s.remove(rec)
		}
		rec = next
	}
	return done()
}

func (s *Idempotency) remove(rec *record) {
	s.bytes -= rec.size
	delete(s.records, rec.key)
	s.order.remove(rec)
	c := rec.client
	c.bytes -= rec.size
	c.order.remove(rec)
	if c.order.Len() == 0 {
		delete(s.clients, rec.key.Client)
	}
}

// responseSize is what a response costs the byte budget: its body and
// headers.
func responseSize(r *store.Response) int64 {
	n := int64(len(r.Body))
	for k, vs := range r.Header {
		for _, v := range vs {
			n += int64(len(k) + len(v))
		}
	}
	return n
}
