package store

import (
	"context"
	"time"
)

// Limiter decides whether a request under key is admitted by a limit of
// limit requests per window, and counts it when it is. A limit or window
// that is not positive is an error. Implementations are safe for
// concurrent use, and check and count in one atomic step, so that of many
// concurrent requests exactly as many are admitted as the limit allows.
//
// # Window semantics
//
// A Limiter counts requests per key in fixed windows of the rule's length,
// aligned to the Unix epoch ([kW, (k+1)W)), and estimates the sliding window
// that ends now from two of them, the current and the previous, weighting
// the previous by the share of it the sliding window still covers:
//
//	count = previous × (1 − elapsed/W) + current
//
// A request is admitted when count < limit before it, and then counted. So:
//
//   - the estimated count never exceeds limit+1 (it is below limit before an
//     admission, which adds one);
//   - no fixed window ever admits more than limit requests;
//   - under steady demand above the limit, each window admits the full limit
//     (the previous window's weight runs down to zero as the current one
//     fills up), and any span of length W holds at most limit+1;
//   - the estimate assumes the previous window's requests were spread evenly.
//     A client that bursts at the very end of one window and again at the
//     end of the next can get up to 2×limit within one window's length; any
//     span of length W holds at most 2×limit admissions.
//
// Each tracked key costs a constant amount of state (two counters and a
// window start), whatever the limit: no log of timestamps. Every
// implementation follows these semantics, so replacing one with another
// changes nothing a client sees.
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
