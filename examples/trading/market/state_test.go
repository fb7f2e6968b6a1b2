package market

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The shared state behaves as every store.State does (runtime/store/storetest);
// what is the example's own is the quotas it is made with, and what a
// caller of the shared_state tools reads when they bind.
func TestMemoryStateQuotas(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryState(16, 150)
	v, err := s.Set(ctx, "desk:limits", json.RawMessage(`{"max":1}`), time.Minute, nil)
	require.NoError(t, err)
	value, version, err := s.Get(ctx, "desk:limits")
	require.NoError(t, err)
	assert.JSONEq(t, `{"max":1}`, string(value))
	assert.Equal(t, v, version)

	_, err = s.Set(ctx, "k", json.RawMessage(`"`+strings.Repeat("x", 15)+`"`), 0, nil)
	assertCode(t, err, mcperr.CodeStorageQuotaExceeded, "value of 17 bytes exceeds the limit of 16 bytes per value")

	// Each entry is charged key + value + 64: 84 of the 150 are used.
	_, err = s.Set(ctx, "other", json.RawMessage(`"yyyyyyyyyy"`), 0, nil)
	assertCode(t, err, mcperr.CodeStorageQuotaExceeded, `state store full: writing key "other" needs 81 more bytes, 66 of 150 are free`)

	_, _, err = s.Get(ctx, "nope")
	assertCode(t, err, mcperr.CodeKeyNotFound, `no value stored under key "nope"`)
	stale := v - 1
	_, err = s.Set(ctx, "desk:limits", json.RawMessage(`{"max":2}`), 0, &stale)
	assertCode(t, err, mcperr.CodeIdempotencyConflict, `version conflict on key "desk:limits": ifVersion is 0 but the stored version is 1`)
}
