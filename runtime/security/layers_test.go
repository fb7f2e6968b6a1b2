package security_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/store/memstore"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/security"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
)

// One client through the layers: authentication, rate limit, replay check
// and idempotency, in that order.
func TestLayers(t *testing.T) {
	f := serve(t, security.Config{
		Auth:            auth.Config{Mode: auth.ModeHMAC, Keys: []auth.Key{keyA, keyA2}},
		ClientRateLimit: ratelimit.Rule{Limit: 5, Window: time.Minute},
	}, security.Options{})
	order := func(key auth.Key, idemKey, body string) *http.Request {
		return signed(t, key, f.clock, f.url, body, func(p *auth.SignParams) { p.IdempotencyKey = idemKey })
	}
	first := order(keyA, "order-1", `{"qty":1}`)
	forged := order(keyA, "order-9", `{"qty":9}`)
	forged.Header.Set("X-Signature", strings.Repeat("0", 64))

	steps := []struct {
		name      string
		req       *http.Request
		status    int
		code      string
		remaining string // X-RateLimit-Remaining, "" when the rate limit was not reached
		replayed  bool
	}{
		{"bad signatures are refused before the rate limit counts them", forged, 401, "MCP-002", "", false},
		{"again", again(forged, `{"qty":9}`), 401, "MCP-002", "", false},
		{"an order", first, 200, "", "4", false},
		// The rate limit runs before the nonce is recorded, so a replay
		// counts against its client before it is refused.
		{"the same signed request again is a replay attack", again(first, `{"qty":1}`), 401, "MCP-002", "3", false},
		{"a retry signed afresh, with the rotated key, is replayed", order(keyA2, "order-1", `{"qty":1}`), 200, "", "2", true},
		{"another order under a used key", order(keyA, "order-1", `{"qty":2}`), 422, "MCP-005", "1", false},
		{"a new order", order(keyA, "order-2", `{"qty":2}`), 200, "", "0", false},
		{"over the limit", order(keyA, "order-3", `{"qty":3}`), 429, "MCP-006", "0", false},
	}
	for _, st := range steps {
		resp := do(t, st.req)
		assert.Equal(t, st.status, resp.status, "%s: %s", st.name, resp.body)
		if st.code != "" {
			assert.Equal(t, st.code, resp.error(t).Code, st.name)
		}
		assert.Equal(t, st.remaining, resp.header.Get("X-RateLimit-Remaining"), st.name)
		if st.replayed {
			assert.Equal(t, "true", resp.header.Get("Idempotent-Replayed"), st.name)
		}
	}
	assert.Equal(t, int64(2), f.d.runs.Load(), "two orders ran")
	var types []any
	for _, e := range f.events.all(t) {
		types = append(types, e["event_type"])
	}
	assert.Equal(t, []any{"auth_failure", "auth_failure", "replay", "idempotency_conflict", "rate_limit"}, types)
}

func TestLayersBearerAndNone(t *testing.T) {
	tests := []struct {
		name    string
		cfg     security.Config
		auth    string
		limit   string
		replays string
	}{
		{"bearer: records and limits per token", bearerConfig, "Bearer " + tokenA.Token, "1000", "true"},
		{"none: records and limits per address", security.Config{}, "", "1000", "true"},
		{"rate limit off", security.Config{ClientRateLimit: ratelimit.Rule{Limit: -1}}, "", "", "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := serve(t, tt.cfg, security.Options{})
			var last response
			for range 2 {
				h := http.Header{"Idempotency-Key": {"order-1"}}
				if tt.auth != "" {
					h.Set("Authorization", tt.auth)
				}
				last = post(t, f.url, `{"qty":1}`, h)
				require.Equal(t, http.StatusOK, last.status, "%s", last.body)
			}
			assert.Equal(t, tt.limit, last.header.Get("X-RateLimit-Limit"))
			assert.Equal(t, tt.replays, last.header.Get("Idempotent-Replayed"))
			assert.Equal(t, int64(1), f.d.runs.Load())
		})
	}
}

// A client flooding the server is refused by its rate limit before its
// nonces are recorded, so the nonce store keeps room for everyone else.
func TestFloodRefusedByTheRateLimitUsesNoNonces(t *testing.T) {
	clock := newFakeClock()
	// No per-client quota to speak of: the order of the layers alone keeps
	// the store from filling up.
	nonces := memstore.NewNonces(memstore.NonceOptions{MaxEntries: 8, MaxPerClient: 8, Now: clock.Now})
	f := serveOn(t, clock, security.Config{Auth: hmacConfig.Auth, ClientRateLimit: ratelimit.Rule{Limit: 3, Window: time.Minute}},
		security.Options{Nonces: nonces})
	for i := range 50 {
		resp := do(t, signed(t, keyA, f.clock, f.url, rpcBody, nil))
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

	resp := do(t, signed(t, keyB, f.clock, f.url, rpcBody, nil))
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	assert.JSONEq(t, `{"client":"desk-b"}`, string(resp.body))
	assert.Equal(t, int64(4), f.d.runs.Load())
}

// With no rate limit in front (or a generous one), the per-client quota
// of the nonce store refuses the flooding client alone.
func TestFloodStopsAtTheClientsNonceQuota(t *testing.T) {
	clock := newFakeClock()
	nonces := memstore.NewNonces(memstore.NonceOptions{MaxEntries: 8, MaxPerClient: 4, Now: clock.Now})
	f := serveOn(t, clock, security.Config{Auth: hmacConfig.Auth, ClientRateLimit: ratelimit.Rule{Limit: -1}}, security.Options{Nonces: nonces})

	for i := range 20 {
		f.clock.Add(time.Second)
		resp := do(t, signed(t, keyA, f.clock, f.url, rpcBody, nil))
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
		resp := do(t, signed(t, keyB, f.clock, f.url, rpcBody, nil))
		require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
		assert.JSONEq(t, `{"client":"desk-b"}`, string(resp.body))
	}
	req := signed(t, keyB, f.clock, f.url, rpcBody, nil)
	require.Equal(t, http.StatusOK, do(t, req).status)

	// At its quota, a replay is still refused as a replay.
	resp := do(t, again(req, rpcBody))
	require.Equal(t, http.StatusUnauthorized, resp.status, "%s", resp.body)
	assert.Equal(t, "X-Nonce was already used; sign every request with a new nonce", resp.error(t).Message)
	assert.Equal(t, "replay", f.events.last(t)["event_type"])

	// Once the flooding client's nonces expire, it is served again.
	f.clock.Add(auth.NonceTTL)
	resp = do(t, signed(t, keyA, f.clock, f.url, rpcBody, nil))
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	assert.Equal(t, int64(9), f.d.runs.Load())
}
