// Package ratelimit limits how many requests a client makes per window.
//
// # Window semantics
//
// A Limiter counts requests per key in fixed windows of the rule's length,
// aligned to the Unix epoch ([kW, (k+1)W)), and estimates the sliding window
// that ends now from two of them, the current and the previous, weighting the
// previous by the share of it the sliding window still covers:
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
// Each tracked key costs a constant amount of memory (two counters and a
// window start), whatever the limit: no log of timestamps. Keys idle for two
// windows are evicted, and the number of tracked keys is capped.
//
// The Limiter interface is the seam for a shared store (Redis) when several
// replicas serve one set of clients; Memory is the in-process implementation.
package ratelimit
