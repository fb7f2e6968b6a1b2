// Package event names the security events, so that the layers that refuse
// requests (auth, ratelimit, idempotency) and the audit package that writes
// the events agree on them without importing one another. audit.SecurityType
// gives them their class and severity.
package event

// The security event types, as their events' event_type holds them.
const (
	AuthFailure         = "auth_failure"         // bad, missing or unknown credentials
	StaleTimestamp      = "stale_timestamp"      // a signed request outside the ±300 s window
	Replay              = "replay"               // a nonce used before
	RateLimit           = "rate_limit"           // a client over its rate limit or nonce quota
	PayloadTooLarge     = "payload_too_large"    // a body over the cap
	IdempotencyConflict = "idempotency_conflict" // an Idempotency-Key used for another request, or still running
	InputValidation     = "input_validation"     // a malformed request or arguments
	SSRFBlocked         = "ssrf_blocked"         // an outbound URL or address refused
	InsufficientScope   = "insufficient_scope"   // an access token without a scope the call needs
)
