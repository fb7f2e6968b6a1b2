package auth

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/store/memstore"

	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
)

// TestMiddlewareLayers walks one client through the assembled layers:
// authentication, rate limit, replay check and idempotency, in that order.
func TestMiddlewareLayers(t *testing.T) {
	clock := newFakeClock()
	mw, err := Middleware(Config{
		Mode:        ModeHMAC,
		Keys:        []Key{keyA, keyA2},
		Now:         clock.Now,
		RateLimit:   ratelimit.Rule{Limit: 5, Window: time.Minute},
		RateLimiter: memstore.NewLimiter(memstore.LimiterOptions{Now: clock.Now}),
	})
	require.NoError(t, err)
	srv, d := serve(t, mw)
	order := func(key Key, idemKey, body string) *http.Request {
		return signed(t, key, clock, srv.URL+"/mcp", body, func(p *SignParams) { p.IdempotencyKey = idemKey })
	}
	first := order(keyA, "order-1", `{"qty":1}`)
	replayed := first.Clone(first.Context())
	replayed.Body = bodyReader(`{"qty":1}`)
	forged := order(keyA, "order-9", `{"qty":9}`)
	forged.Header.Set("X-Signature", strings.Repeat("0", 64))

	steps := []struct {
		name      string
		req       *http.Request
		status    int
		code      string
		remaining string // X-RateLimit-Remaining, "" when the rate limit was not reached
		replay    bool
	}{
		{"bad signatures are refused before the rate limit counts them", forged, 401, "MCP-002", "", false},
		{"again", forged, 401, "MCP-002", "", false},
		{"an order", first, 200, "", "4", false},
		// The rate limit runs before the nonce is recorded, so a replay
		// counts against its client before it is refused.
		{"the same signed request again is a replay attack", replayed, 401, "MCP-002", "3", false},
		{"a retry signed afresh, with the rotated key, is replayed", order(keyA2, "order-1", `{"qty":1}`), 200, "", "2", true},
		{"another order under a used key", order(keyA, "order-1", `{"qty":2}`), 422, "MCP-005", "1", false},
		{"a new order", order(keyA, "order-2", `{"qty":2}`), 200, "", "0", false},
		{"over the limit", order(keyA, "order-3", `{"qty":3}`), 429, "MCP-006", "0", false},
	}
	for _, st := range steps {
		resp := do(t, nil, st.req)
		assert.Equal(t, st.status, resp.status, "%s: %s", st.name, resp.body)
		if st.code != "" {
			assert.Equal(t, st.code, resp.error(t).Code, st.name)
		}
		assert.Equal(t, st.remaining, resp.header.Get("X-RateLimit-Remaining"), st.name)
		if st.replay {
			assert.Equal(t, "true", resp.header.Get("Idempotent-Replayed"), st.name)
		}
	}
	assert.Equal(t, int64(2), d.runs.Load(), "two orders ran")
}

func TestMiddlewareBearerAndNone(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		auth    string
		limit   string
		runs    int64
		replays string
	}{
		{"bearer: records and limits per token", Config{Mode: ModeBearer, Tokens: []Token{tokenA}}, "Bearer " + tokenA.Token, "1000", 1, "true"},
		{"none: records and limits per address", Config{}, "", "1000", 1, "true"},
		{"rate limit off", Config{RateLimit: ratelimit.Rule{Limit: -1}}, "", "", 1, "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mw, err := Middleware(tt.cfg)
			require.NoError(t, err)
			srv, d := serve(t, mw)
			var last response
			for range 2 {
				req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"qty":1}`))
				require.NoError(t, err)
				req.Header.Set("Idempotency-Key", "order-1")
				if tt.auth != "" {
					req.Header.Set("Authorization", tt.auth)
				}
				last = do(t, nil, req)
				require.Equal(t, http.StatusOK, last.status, "%s", last.body)
			}
			assert.Equal(t, tt.limit, last.header.Get("X-RateLimit-Limit"))
			assert.Equal(t, tt.replays, last.header.Get("Idempotent-Replayed"))
			assert.Equal(t, tt.runs, d.runs.Load())
		})
	}
}
