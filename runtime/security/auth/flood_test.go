package auth

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/store/memstore"

	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
)

// A client flooding the server is refused by its rate limit before its
// nonces are recorded, so the nonce store keeps room for everyone else.
func TestFloodRefusedByTheRateLimitUsesNoNonces(t *testing.T) {
	clock := newFakeClock()
	// No per-client quota to speak of: the order of the layers alone keeps
	// the store from filling up.
	nonces := memstore.NewNonces(memstore.NonceOptions{MaxEntries: 8, MaxPerClient: 8, Now: clock.Now})
	mw, err := Middleware(Config{
		Mode: ModeHMAC, Keys: []Key{keyA, keyB}, Now: clock.Now, Nonces: nonces,
		RateLimit:   ratelimit.Rule{Limit: 3, Window: time.Minute},
		RateLimiter: memstore.NewLimiter(memstore.LimiterOptions{Now: clock.Now}),
	})
	require.NoError(t, err)
	srv, d := serve(t, mw)

	for i := range 50 {
		resp := do(t, nil, signed(t, keyA, clock, srv.URL, rpcBody, nil))
		if i < 3 {
			require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
			continue
		}
		require.Equal(t, http.StatusTooManyRequests, resp.status, "%s", resp.body)
		b := resp.error(t)
		assert.Equal(t, "MCP-006", b.Code)
		assert.Equal(t, "rate limit of 3 requests per 1m0s exceeded; retry after 61 s", b.Message)
	}
	assert.Equal(t, 3, nonces.Len(), "only the admitted requests' nonces are kept")

	resp := do(t, nil, signed(t, keyB, clock, srv.URL, rpcBody, nil))
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	assert.Equal(t, "desk-b", resp.seen(t).Client)
	assert.Equal(t, int64(4), d.runs.Load())
}

// With no rate limit in front (or a generous one), the per-client quota
// of the nonce store refuses the flooding client alone.
func TestFloodStopsAtTheClientsNonceQuota(t *testing.T) {
	clock := newFakeClock()
	nonces := memstore.NewNonces(memstore.NonceOptions{MaxEntries: 8, MaxPerClient: 4, Now: clock.Now})
	mw, err := Middleware(Config{
		Mode: ModeHMAC, Keys: []Key{keyA, keyB}, Now: clock.Now, Nonces: nonces,
		RateLimit: ratelimit.Rule{Limit: -1},
	})
	require.NoError(t, err)
	srv, d := serve(t, mw)

	for i := range 20 {
		clock.Add(time.Second)
		resp := do(t, nil, signed(t, keyA, clock, srv.URL, rpcBody, nil))
		if i < 4 {
			require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
			continue
		}
		require.Equal(t, http.StatusTooManyRequests, resp.status, "%s", resp.body)
		assert.Empty(t, resp.header.Get("WWW-Authenticate"))
		b := resp.error(t)
		assert.Equal(t, "MCP-006", b.Code)
		// The client's oldest nonce was recorded at second 1 and expires
		// at second 601.
		retry := 601 - (i + 1)
		assert.Equal(t, strconv.Itoa(retry), resp.header.Get("Retry-After"))
		assert.Equal(t, "this client has made 4 signed requests in the last 600 s, as many as the replay-protection store keeps for one client; retry after "+strconv.Itoa(retry)+" s", b.Message)
		assert.Equal(t, map[string]any{"limit": 4.0, "window_seconds": 600.0, "retry_after_seconds": float64(retry)}, b.Details)
	}

	// Another client is served, up to its own quota.
	for range 3 {
		resp := do(t, nil, signed(t, keyB, clock, srv.URL, rpcBody, nil))
		require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
		assert.Equal(t, "desk-b", resp.seen(t).Client)
	}
	req := signed(t, keyB, clock, srv.URL, rpcBody, nil)
	again := req.Clone(req.Context())
	again.Body = bodyReader(rpcBody)
	require.Equal(t, http.StatusOK, do(t, nil, req).status)

	// At its quota, a replay is still refused as a replay.
	resp := do(t, nil, again)
	require.Equal(t, http.StatusUnauthorized, resp.status, "%s", resp.body)
	assert.Equal(t, "X-Nonce was already used; sign every request with a new nonce", resp.error(t).Message)

	// Once the flooding client's nonces expire, it is served again.
	clock.Add(NonceTTL)
	resp = do(t, nil, signed(t, keyA, clock, srv.URL, rpcBody, nil))
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	assert.Equal(t, int64(9), d.runs.Load())
}

// A store that is full in all (many clients, each within its quota) still
// refuses with 503.
func TestNonceStoreFull(t *testing.T) {
	clock := newFakeClock()
	nonces := memstore.NewNonces(memstore.NonceOptions{MaxEntries: 2, MaxPerClient: 2, Now: clock.Now})
	a, err := New(Config{Mode: ModeHMAC, Keys: []Key{keyA, keyB}, Nonces: nonces, Now: clock.Now})
	require.NoError(t, err)
	srv, _ := serve(t, a.Handler)
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
