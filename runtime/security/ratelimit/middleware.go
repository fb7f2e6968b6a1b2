package ratelimit

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/httperr"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store"
	"github.com/mcpgen/mcpgen/runtime/store/memstore"

	"github.com/mcpgen/mcpgen/runtime/security/internal/event"
)

// Config configures Middleware.
type Config struct {
	// Limiter counts the requests (a fresh memstore.Limiter when nil).
	Limiter store.Limiter
	// Rule is the limit per client (DefaultRule when zero).
	Rule Rule
	// Key names the client a request counts against (ClientKey(nil) when
	// nil: the authenticated client, else the peer's address).
	Key KeyFunc
	// OnReject, when set, is told about every refused request, for security
	// events; err never holds a secret. event is "rate_limit" for a client
	// over its limit (429), and "" when the Limiter failed (503), which is
	// no security event.
	OnReject func(r *http.Request, status int, err *mcperr.Error, event string)
}

// Middleware returns the client rate limit of the HTTP request path. Every
// response carries X-RateLimit-Limit, X-RateLimit-Remaining and
// X-RateLimit-Reset (Unix seconds); a request over the limit is refused with
// 429, MCP-006 and Retry-After (seconds) without reaching next. If the
// Limiter fails (a shared store is down), requests are refused with 503 and
// MCP-003 rather than let through unlimited.
//
// It belongs after authentication, so that clients are told apart by who
// they are and no state is written for unauthenticated requests.
func Middleware(cfg Config) (func(http.Handler) http.Handler, error) {
	if cfg.Rule == (Rule{}) {
		cfg.Rule = DefaultRule
	}
	if err := cfg.Rule.Validate(); err != nil {
		return nil, err
	}
	if cfg.Limiter == nil {
		cfg.Limiter = memstore.NewLimiter(memstore.LimiterOptions{})
	}
	if cfg.Key == nil {
		cfg.Key = ClientKey(nil)
	}
	limitValue := strconv.Itoa(cfg.Rule.Limit)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d, err := cfg.Limiter.Allow(r.Context(), cfg.Key(r), cfg.Rule.Limit, cfg.Rule.Window)
			if err != nil {
				w.Header().Set("Retry-After", "1")
				reject(w, r, cfg.OnReject, http.StatusServiceUnavailable, "",
					mcperr.Errorf(mcperr.CodeBackendUnavailable, "the rate limiter is unavailable; retry shortly"))
				return
			}
			setHeaders(w.Header(), d, limitValue, cfg.Rule.Limit)
			h := w.Header()
			if !d.Allowed {
				retry := ceilSeconds(d.RetryAfter)
				h.Set("Retry-After", strconv.FormatInt(retry, 10))
				reject(w, r, cfg.OnReject, http.StatusTooManyRequests, event.RateLimit, &mcperr.Error{
					Code:    mcperr.CodeRateLimitExceeded,
					Message: fmt.Sprintf("rate limit of %d requests per %s exceeded; retry after %d s", cfg.Rule.Limit, cfg.Rule.Window, retry),
					Details: map[string]any{
						"limit":               cfg.Rule.Limit,
						"window_seconds":      cfg.Rule.Window.Seconds(),
						"retry_after_seconds": retry,
					},
				})
				return
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

// The rate-limit headers, in canonical form (what Header.Set writes), so
// they are set without canonicalizing each name per request.
const (
	headerLimit     = "X-Ratelimit-Limit"
	headerRemaining = "X-Ratelimit-Remaining"
	headerReset     = "X-Ratelimit-Reset"
)

// setHeaders sets the three rate-limit headers of d as Header.Set would,
// in two allocations: one array for the three values, one string for the
// two numbers that change (limitValue is the rule's limit, written once).
func setHeaders(h http.Header, d store.Decision, limitValue string, limit int) {
	if d.Limit != limit {
		limitValue = strconv.Itoa(d.Limit)
	}
	var buf [40]byte
	b := strconv.AppendInt(buf[:0], int64(d.Remaining), 10)
	cut := len(b)
	numbers := string(strconv.AppendInt(b, ceilUnix(d.ResetAt), 10))
	values := [3]string{limitValue, numbers[:cut], numbers[cut:]}
	all := values[:] // escapes: one array for the three
	h[headerLimit] = all[0:1:1]
	h[headerRemaining] = all[1:2:2]
	h[headerReset] = all[2:3:3]
}

func reject(w http.ResponseWriter, r *http.Request, hook func(*http.Request, int, *mcperr.Error, string), status int, ev string, e *mcperr.Error) {
	if hook != nil {
		hook(r, status, e, ev)
	}
	httperr.Write(w, status, e)
}

// ceilSeconds rounds d up to whole seconds, at least one: Retry-After has
// no fractions, and "0" invites an immediate retry that would be refused.
func ceilSeconds(d time.Duration) int64 {
	s := int64(math.Ceil(d.Seconds()))
	return max(s, 1)
}

// ceilUnix returns t in Unix seconds, rounded up so a client that waits
// until then finds the count reset.
func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}
