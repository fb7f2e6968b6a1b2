package auth

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/store/memstore"
)

// A store that is full in all (many clients, each within its quota) still
// refuses with 503.
func TestNonceStoreFull(t *testing.T) {
	clock := newFakeClock()
	nonces := memstore.NewNonces(memstore.NonceOptions{MaxEntries: 2, MaxPerClient: 2, Now: clock.Now})
	a, err := New(Config{Mode: ModeHMAC, Keys: []Key{keyA, keyB}}, Options{Nonces: nonces, Now: clock.Now})
	require.NoError(t, err)
	srv, _ := serve(t, handler(a))
	url := srv.URL
	require.Equal(t, http.StatusOK, do(t, nil, signed(t, keyA, clock, url, rpcBody, nil)).status)
	require.Equal(t, http.StatusOK, do(t, nil, signed(t, keyA, clock, url, rpcBody, nil)).status)
	resp := do(t, nil, signed(t, keyB, clock, url, rpcBody, nil))
	assert.Equal(t, http.StatusServiceUnavailable, resp.status)
	assert.Equal(t, "1", resp.header.Get("Retry-After"))
	b := resp.error(t)
	assert.Equal(t, "MCP-003", b.Code)
	assert.Equal(t, "the replay-protection store cannot take the request now; retry shortly", b.Message)
}

// Replay mounted without Authenticate in front is a wiring mistake: it
// refuses every request rather than let it through unrecorded.
func TestReplayWithoutAuthenticate(t *testing.T) {
	a, err := New(Config{Mode: ModeHMAC, Keys: []Key{keyA}}, Options{})
	require.NoError(t, err)
	srv, d := serve(t, a.Replay)
	resp := do(t, nil, signed(t, keyA, newFakeClock(), srv.URL, rpcBody, nil))
	assert.Equal(t, http.StatusInternalServerError, resp.status)
	assert.Equal(t, "MCP-999", resp.error(t).Code)
	assert.Zero(t, d.runs.Load())
}
