package ratelimit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/memstore"
)

func TestSetHeadersIsHeaderSet(t *testing.T) {
	for _, d := range []store.Decision{
		{Allowed: true, Limit: 1000, Remaining: 999, ResetAt: time.Unix(1_767_225_720, 1)},
		{Limit: 7, Remaining: 0, ResetAt: time.Unix(1_767_225_720, 0), RetryAfter: time.Second},
	} {
		want := http.Header{}
		want.Set("X-RateLimit-Limit", "1000")
		if d.Limit != 1000 {
			want.Set("X-RateLimit-Limit", "7")
		}
		want.Set("X-RateLimit-Remaining", map[int]string{999: "999", 0: "0"}[d.Remaining])
		want.Set("X-RateLimit-Reset", map[bool]string{true: "1767225721", false: "1767225720"}[d.ResetAt.Nanosecond() > 0])
		got := http.Header{}
		setHeaders(got, d, "1000", 1000)
		assert.Equal(t, want, got)
		got.Add("X-RateLimit-Limit", "again") // the values share no slice
		assert.Equal(t, want.Get("X-RateLimit-Remaining"), got.Get("X-RateLimit-Remaining"))
		assert.Len(t, got.Values("X-RateLimit-Limit"), 2)
		assert.Len(t, got.Values("X-RateLimit-Remaining"), 1)
	}
}

func BenchmarkMiddleware(b *testing.B) {
	mw, err := Middleware(Config{
		Limiter: memstore.NewLimiter(memstore.LimiterOptions{}),
		Rule:    Rule{Limit: 1 << 30, Window: time.Minute},
		Key:     func(*http.Request) string { return "desk-a" },
	})
	require.NoError(b, err)
	h := mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest(http.MethodPost, "http://localhost/mcp", nil).WithContext(context.Background())
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		clear(w.Header())
		h.ServeHTTP(w, r)
	}
}

func TestClientKeyOfAnAddressAllocatesItsString(t *testing.T) {
	key := ClientKey(nil)
	for _, c := range []struct{ remote, want string }{
		{"203.0.113.7:4000", "ip:203.0.113.7"},
		{"[2001:db8:1:2:3:4:5:6]:4000", "ip:2001:db8:1:2::/64"},
		{"[::ffff:203.0.113.7]:4000", "ip:203.0.113.7"},
	} {
		r := httptest.NewRequest(http.MethodPost, "http://localhost/mcp", nil)
		r.RemoteAddr = c.remote
		assert.Equal(t, c.want, key(r))
		assert.LessOrEqual(t, testing.AllocsPerRun(100, func() { key(r) }), 1.0, c.remote)
	}
}
