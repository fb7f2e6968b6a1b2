package memstore

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/store"
)

// Remembering a nonce allocates nothing beyond the store's own growth.
func TestRememberAllocations(t *testing.T) {
	n := NewNonces(NonceOptions{})
	ctx := context.Background()
	nonces := make([]string, 2000)
	for i := range nonces {
		nonces[i] = "nonce-" + strconv.Itoa(i) + "-abcdefghijklmnopqrstuvwxyz"
	}
	for _, x := range nonces[:1000] { // grow the map and queues first
		n.Remember(ctx, "desk-a", x, time.Minute)
	}
	i := 1000
	allocs := testing.AllocsPerRun(500, func() {
		n.Remember(ctx, "desk-a", nonces[i], time.Minute)
		i++
	})
	if allocs > 0.1 {
		t.Errorf("Remember allocates %.2f times per call, want none", allocs)
	}
}

// A claim is one allocation: the record, its orders threaded through it.
func TestBeginAllocations(t *testing.T) {
	s := NewIdempotency(IdempotencyOptions{})
	ctx := context.Background()
	keys := make([]store.RecordKey, 2000)
	for i := range keys {
		keys[i] = store.RecordKey{Client: "desk-a", Key: "order-" + strconv.Itoa(i)}
	}
	for _, k := range keys[:1000] { // grow the map first
		s.Begin(ctx, k, store.Fingerprint{1}, time.Minute)
	}
	i := 1000
	allocs := testing.AllocsPerRun(500, func() {
		s.Begin(ctx, keys[i], store.Fingerprint{1}, time.Minute)
		i++
	})
	if allocs > 1.1 {
		t.Errorf("Begin allocates %.2f times per claim, want 1", allocs)
	}
}
