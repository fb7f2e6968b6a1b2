package ratelimit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/memstore"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// body is the part of the runtime error body the tests look at.
type body struct {
	Error   bool           `json:"error"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

func get(t *testing.T, url string) (*http.Response, body) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var b body
	if resp.StatusCode != http.StatusOK {
		require.NoError(t, json.Unmarshal(raw, &b), "%s", raw)
	}
	return resp, b
}

func TestMiddlewareHeaders(t *testing.T) {
	clock := newFakeClock()
	start := clock.Now()
	served := 0
	mw, err := Middleware(Config{
		Limiter: memstore.NewLimiter(memstore.LimiterOptions{Now: clock.Now}),
		Rule:    Rule{Limit: 2, Window: time.Minute},
	})
	require.NoError(t, err)
	srv := httptest.NewServer(mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served++ })))
	defer srv.Close()
	reset := strconv.FormatInt(start.Add(2*time.Minute).Unix(), 10)

	tests := []struct {
		name       string
		advance    time.Duration
		status     int
		remaining  string
		retryAfter string
		reset      string
	}{
		{"first", 0, http.StatusOK, "1", "", reset},
		{"second", 10 * time.Second, http.StatusOK, "0", "", reset},
		{"over the limit", 10 * time.Second, http.StatusTooManyRequests, "0", "41", reset},
		{"still over", 30 * time.Second, http.StatusTooManyRequests, "0", "11", reset},
		{"previous window weighs less", 40 * time.Second, http.StatusOK, "0", "", strconv.FormatInt(start.Add(3*time.Minute).Unix(), 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock.Add(tt.advance)
			resp, b := get(t, srv.URL)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, "2", resp.Header.Get("X-RateLimit-Limit"))
			assert.Equal(t, tt.remaining, resp.Header.Get("X-RateLimit-Remaining"))
			assert.Equal(t, tt.reset, resp.Header.Get("X-RateLimit-Reset"))
			assert.Equal(t, tt.retryAfter, resp.Header.Get("Retry-After"))
			if tt.status == http.StatusTooManyRequests {
				assert.Equal(t, "MCP-006", b.Code)
				assert.Equal(t, "rate limit of 2 requests per 1m0s exceeded; retry after "+tt.retryAfter+" s", b.Message)
				assert.Equal(t, map[string]any{"limit": 2.0, "window_seconds": 60.0, "retry_after_seconds": mustFloat(tt.retryAfter)}, b.Details)
			}
		})
	}
	assert.Equal(t, 3, served)
}

func mustFloat(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

func TestMiddlewareCountsClientsApart(t *testing.T) {
	clock := newFakeClock()
	var rejected []string
	mw, err := Middleware(Config{
		Limiter: memstore.NewLimiter(memstore.LimiterOptions{Now: clock.Now}),
		Rule:    Rule{Limit: 1, Window: time.Minute},
		OnReject: func(r *http.Request, status int, e *mcperr.Error, event string) {
			rejected = append(rejected, fmt.Sprint(status, " ", e.Code, " ", event))
		},
	})
	require.NoError(t, err)
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	call := func(client string) int {
		r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
		r = r.WithContext(principal.WithClientID(r.Context(), client))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	assert.Equal(t, http.StatusOK, call("desk-a"))
	assert.Equal(t, http.StatusOK, call("desk-b"))
	assert.Equal(t, http.StatusTooManyRequests, call("desk-a"))
	assert.Equal(t, []string{"429 MCP-006 rate_limit"}, rejected)
}

type brokenLimiter struct{}

func (brokenLimiter) Allow(context.Context, string, int, time.Duration) (store.Decision, error) {
	return store.Decision{}, errors.New("redis: connection refused")
}

func TestMiddlewareFailsClosed(t *testing.T) {
	var rejected []string
	mw, err := Middleware(Config{
		Limiter: brokenLimiter{},
		OnReject: func(r *http.Request, status int, e *mcperr.Error, event string) {
			rejected = append(rejected, fmt.Sprint(status, " ", e.Code, " ", event))
		},
	})
	require.NoError(t, err)
	srv := httptest.NewServer(mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the handler ran without a rate-limit decision")
	})))
	defer srv.Close()
	resp, b := get(t, srv.URL)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	assert.Equal(t, "MCP-003", b.Code)
	assert.Equal(t, "the rate limiter is unavailable; retry shortly", b.Message)
	assert.Equal(t, []string{"503 MCP-003 "}, rejected, "a store down is no security event")
}

func TestMiddlewareRefusesABadRule(t *testing.T) {
	_, err := Middleware(Config{Rule: Rule{Limit: -1, Window: time.Minute}})
	assert.EqualError(t, err, "ratelimit: a rule needs a positive limit and window, got -1 per 1m0s")
}

func TestClientKey(t *testing.T) {
	proxies, err := ParsePrefixes("10.0.0.0/8, 192.0.2.1, ::ffff:172.16.0.0/108")
	require.NoError(t, err)
	tests := []struct {
		name    string
		client  string // set by authentication
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"authenticated client first", "desk-a", "203.0.113.7:5000", nil, nil, "desk-a"},
		{"peer address", "", "203.0.113.7:5000", nil, nil, "ip:203.0.113.7"},
		{"mapped IPv4 peer", "", "[::ffff:203.0.113.7]:5000", nil, nil, "ip:203.0.113.7"},
		{"IPv6 peer by its /64", "", "[2001:db8:1:2:3:4:5:6]:5000", nil, nil, "ip:2001:db8:1:2::/64"},
		{"X-Forwarded-For ignored without trusted proxies", "", "203.0.113.7:5000", []string{"198.51.100.1"}, nil, "ip:203.0.113.7"},
		{"X-Forwarded-For ignored from an untrusted peer", "", "203.0.113.7:5000", []string{"198.51.100.1"}, proxies, "ip:203.0.113.7"},
		{"client behind a trusted proxy", "", "10.1.2.3:5000", []string{"198.51.100.1"}, proxies, "ip:198.51.100.1"},
		{"rightmost untrusted hop wins over a forged left entry", "", "10.1.2.3:5000", []string{"6.6.6.6, 198.51.100.1", "192.0.2.1"}, proxies, "ip:198.51.100.1"},
		{"every hop trusted", "", "10.1.2.3:5000", []string{"10.9.9.9"}, proxies, "ip:10.9.9.9"},
		{"garbled hop stops the walk", "", "10.1.2.3:5000", []string{"198.51.100.1, bogus"}, proxies, "ip:10.1.2.3"},
		{"hop with a port", "", "10.1.2.3:5000", []string{"198.51.100.1:443"}, proxies, "ip:198.51.100.1"},
		{"mapped trusted proxy", "", "[::ffff:172.16.0.9]:5000", []string{"198.51.100.1"}, proxies, "ip:198.51.100.1"},
		{"not TCP", "", "@", nil, nil, "ip:@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if tt.client != "" {
				r = r.WithContext(principal.WithClientID(r.Context(), tt.client))
			}
			assert.Equal(t, tt.want, ClientKey(tt.trusted)(r))
		})
	}
}

func TestParsePrefixes(t *testing.T) {
	got, err := ParsePrefixes(" 10.0.0.0/8 ,192.0.2.1,2001:db8::/32,,::ffff:10.0.0.0/104")
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("192.0.2.1/32"),
		netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("10.0.0.0/8"),
	}, got)
	_, err = ParsePrefixes("10.0.0.0/33")
	assert.Error(t, err)
}

// fakeClock is a settable clock for tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	// An epoch-aligned start makes window boundaries easy to reason about.
	return &fakeClock{t: time.Unix(1_700_000_040, 0)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
