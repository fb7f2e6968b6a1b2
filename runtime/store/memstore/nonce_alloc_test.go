package memstore

import (
	"context"
	"strconv"
	"testing"
	"time"
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
