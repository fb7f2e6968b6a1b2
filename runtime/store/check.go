package store

import (
	"context"
	"time"
)

// Checker is implemented by a store that is a Limiter, Nonces and
// Idempotency at once and can decide a request's checks together: its
// client's limit, its nonce, the limit of the tool it calls and the claim
// of its idempotency record, in one step (for a store on a server, one
// round trip). The security layers of the HTTP request path ask it once
// per request when the store they were given is one; what it decides is
// what two calls of Allow, one of Remember and one of Begin would decide
// one after another, with the same keys, so it shares their counts,
// nonces and records.
type Checker interface {
	Check(ctx context.Context, req CheckRequest) (CheckResult, error)
}

// Limit is one rate limit of a CheckRequest: Limit requests per Window
// under Key, a key as Limiter.Allow takes it.
type Limit struct {
	Key    string
	Limit  int
	Window time.Duration
}

// CheckRequest is what Check decides for one request: its nonce, its
// client's limit and the limit of the tool it calls, each optional.
type CheckRequest struct {
	// Client is the authenticated principal: the nonce is its own, and
	// every limit's key is one of its keys (a store may keep a principal's
	// keys together, and refuse a request whose keys are not).
	Client string
	// Nonce, when not empty, is remembered for NonceTTL as Remember does.
	Nonce    string
	NonceTTL time.Duration
	// ClientLimit and ToolLimit, when set, are decided as Allow does.
	ClientLimit *Limit
	ToolLimit   *Limit
	// Claim, when set, is claimed as Begin does; its Key.Client is Client.
	Claim *Claim
}

// Claim is the idempotency record a CheckRequest claims, as
// Idempotency.Begin takes it.
type Claim struct {
	Key         RecordKey
	Fingerprint Fingerprint
	Lease       time.Duration
}

// ClaimResult is what Begin would have returned for a Claim: the state and
// the stored response, or ErrFull.
type ClaimResult struct {
	State    RecordState
	Response *Response
	Err      error
}

// CheckResult is what Check decided. The parts are decided in the order
// of the request path (runtime/security): the client limit, then the
// nonce (written only for a request the client limit admits), then the
// tool limit, then the claim; the first refusal stops the rest, which are
// then neither decided nor counted.
type CheckResult struct {
	// Client and Tool are the decisions of the limits, nil when a limit
	// was not given or not reached.
	Client *Decision
	Tool   *Decision
	// NonceChecked: the nonce was reached, and remembered unless Replayed
	// or NonceQuota says otherwise.
	NonceChecked bool
	// Replayed: the nonce is held already (the tool limit was not
	// reached).
	Replayed bool
	// NonceQuota: the client holds its cap of nonces (the tool limit was
	// not reached).
	NonceQuota *NonceQuotaError
	// Claim is the claim's result, nil when no claim was given or it was
	// not reached.
	Claim *ClaimResult
}

// Allowed reports whether the request passed the limits and the nonce
// check it was given (what a claim found is in Claim).
func (r CheckResult) Allowed() bool {
	return !r.Replayed && r.NonceQuota == nil &&
		(r.Client == nil || r.Client.Allowed) && (r.Tool == nil || r.Tool.Allowed)
}
