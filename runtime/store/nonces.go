package store

import (
	"context"
	"fmt"
	"time"
)

// Nonces remembers the nonces of verified requests, so that a request
// replayed within the timestamp window is refused.
type Nonces interface {
	// Remember records nonce for clientID for ttl and reports whether it
	// was fresh: not recorded before, or recorded and expired. Check and
	// record are one atomic step, so of two concurrent requests with one
	// nonce exactly one is fresh. A nonce already held is reported as not
	// fresh before any cap is checked, so a replay is always refused as
	// one. Nonces of different clients never meet.
	//
	// A store that caps what one client may hold returns a
	// *NonceQuotaError when clientID is at its cap, so that the client is
	// refused with 429 and others are not; ErrFull when the whole store
	// is full; any other error when it cannot answer. Both of the latter
	// refuse the request with 503.
	Remember(ctx context.Context, clientID, nonce string, ttl time.Duration) (fresh bool, err error)
}

// NonceQuotaError is returned when one client holds as many unexpired
// nonces as a store allows a single client. Only that client is refused
// (429, MCP-006), until its oldest nonces expire.
type NonceQuotaError struct {
	Limit      int           // the nonces one client may hold
	RetryAfter time.Duration // until the client's oldest nonce expires
}

func (e *NonceQuotaError) Error() string {
	return fmt.Sprintf("store: client holds %d unexpired nonces, its quota", e.Limit)
}
