package store

import (
	"context"
	"encoding/json"
	"time"
)

// State keeps JSON values by key for tools that share state between calls
// (the trading example's storage.shared_state tools). The memory store is
// memstore.State; a networked store implements the same two methods for
// several replicas.
//
// Versions are unique across the store and grow with every write, so a
// key's version never repeats, not even after it expires and is written
// again: a writer holding an old version cannot overwrite a newer value by
// accident.
//
// Failures are *mcperr.Error values: MCP-001 for an empty key, a negative
// ttl or a value that is not JSON; MCP-005 for a stale ifVersion; MCP-013
// for a key that is absent or expired; MCP-014 for a value over the
// per-value cap or a write the store's quota has no room for. A refused
// write changes nothing. An error of the context (cancelled, past its
// deadline) is returned as it is.
type State interface {
	// Get returns the value stored under key and its version, or MCP-013
	// when there is none (or it has expired). The value is the caller's
	// own copy.
	Get(ctx context.Context, key string) (value json.RawMessage, version int64, err error)
	// Set stores a copy of value under key and returns its new version.
	// ttl 0 means no expiry (and removes an earlier one, as Redis SET
	// does). With ifVersion set, it writes only when the stored version is
	// *ifVersion, 0 meaning absent, and fails with MCP-005 otherwise.
	Set(ctx context.Context, key string, value json.RawMessage, ttl time.Duration, ifVersion *int64) (version int64, err error)
}
