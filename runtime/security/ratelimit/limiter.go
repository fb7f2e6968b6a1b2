package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// Limiter decides whether a request under key is admitted by a limit of
// limit requests per window, and counts it when it is. Implementations are
// safe for concurrent use and follow the window semantics of the package
// documentation, so a shared store can replace Memory without changing what
// clients see.
type Limiter interface {
	Allow(ctx context.Context, key string, limit int, window time.Duration) (Decision, error)
}

// Decision is a Limiter's answer for one request, with what the rate-limit
// response headers report.
type Decision struct {
	Allowed bool
	// Limit is the limit the request was checked against.
	Limit int
	// Remaining is how many more requests would be admitted now.
	Remaining int
	// ResetAt is when the count runs down to zero if no further request is
	// admitted, so Remaining is back to Limit.
	ResetAt time.Time
	// RetryAfter is, for a refused request, how long until a request would
	// be admitted; zero for an admitted one.
	RetryAfter time.Duration
}

// Rule is a limit of Limit requests per Window.
type Rule struct {
	Limit  int
	Window time.Duration
}

// DefaultRule is the per-client limit of the HTTP layer when none is
// configured: the seed's 1000 requests per minute.
var DefaultRule = Rule{Limit: 1000, Window: time.Minute}

// String returns the rule as "1000 per 1m0s".
func (r Rule) String() string { return fmt.Sprintf("%d per %s", r.Limit, r.Window) }

// Validate returns an error unless the limit and the window are positive.
func (r Rule) Validate() error {
	if r.Limit <= 0 || r.Window <= 0 {
		return fmt.Errorf("ratelimit: a rule needs a positive limit and window, got %d per %s", r.Limit, r.Window)
	}
	return nil
}
