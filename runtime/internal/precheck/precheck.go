// Package precheck carries the answers of one combined store check
// (store.Checker: a request's client limit, nonce and tool limit decided
// and its idempotency record claimed together, in one round trip to a
// shared store) from the security layer
// that asks it to the layers and the tool gate that would otherwise each
// ask the store themselves. They keep asking the same questions of a
// Store, which answers from the request's context when the combined check
// answered that very question, and asks the store otherwise.
//
// The HTTP layers run in the request's goroutine and find the answers in
// its context; the tool gate runs where the protocol layer calls the tool,
// with only the request's headers, so the tool limit's answer travels in
// Header, which the security layer removes from every request before
// setting its own.
package precheck

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mcpgen/mcpgen/runtime/store"
)

// Answers are what one combined check of one request decided, each
// answer given once.
type Answers struct {
	req  store.CheckRequest
	res  store.CheckResult
	err  error
	used [4]bool // by part
}

// The parts of a check, in the order it decides them.
const (
	clientLimit = iota
	nonce
	toolLimit
	claim
)

type answersKey struct{}

// With returns ctx carrying what a check of req answered (res, or err).
func With(ctx context.Context, req store.CheckRequest, res store.CheckResult, err error) context.Context {
	return context.WithValue(ctx, answersKey{}, &Answers{req: req, res: res, err: err})
}

func from(ctx context.Context) *Answers {
	a, _ := ctx.Value(answersKey{}).(*Answers)
	return a
}

// Store is a store.Limiter, store.Nonces and store.Idempotency that
// answers from the Answers in a call's context when they hold the answer
// to the call, and asks Limiter, Nonces or Idempotency otherwise (which
// Complete and Release always do).
type Store struct {
	Limiter     store.Limiter
	Nonces      store.Nonces
	Idempotency store.Idempotency
}

// Allow answers as the check did for the same key, limit and window.
func (s Store) Allow(ctx context.Context, key string, limit int, window time.Duration) (store.Decision, error) {
	if a := from(ctx); a != nil {
		if d, ok, err := a.limit(clientLimit, a.req.ClientLimit, a.res.Client, key, limit, window); ok {
			return d, err
		}
		if d, ok, err := a.limit(toolLimit, a.req.ToolLimit, a.res.Tool, key, limit, window); ok {
			return d, err
		}
	}
	return s.Limiter.Allow(ctx, key, limit, window)
}

// limit answers for the limit l of part, decided as d, when it is the one
// asked for and its answer is still unused.
func (a *Answers) limit(part int, l *store.Limit, d *store.Decision, key string, limit int, window time.Duration) (store.Decision, bool, error) {
	if l == nil || a.used[part] || l.Key != key || l.Limit != limit || l.Window != window {
		return store.Decision{}, false, nil
	}
	switch {
	case a.err != nil:
		a.used[part] = true
		return store.Decision{}, true, a.err
	case d != nil:
		a.used[part] = true
		return *d, true, nil
	}
	return store.Decision{}, false, nil // not reached: ask the store
}

// Remember answers as the check did for the same client, nonce and ttl.
func (s Store) Remember(ctx context.Context, clientID, nonceValue string, ttl time.Duration) (bool, error) {
	if a := from(ctx); a != nil && !a.used[nonce] && a.req.Nonce != "" &&
		a.req.Client == clientID && a.req.Nonce == nonceValue && a.req.NonceTTL == ttl {
		switch {
		case a.err != nil:
			a.used[nonce] = true
			return false, a.err
		case a.res.NonceQuota != nil:
			a.used[nonce] = true
			return false, a.res.NonceQuota
		case a.res.NonceChecked:
			a.used[nonce] = true
			return !a.res.Replayed, nil
		}
	}
	return s.Nonces.Remember(ctx, clientID, nonceValue, ttl)
}

// Begin answers as the check did for the same record, fingerprint and
// lease.
func (s Store) Begin(ctx context.Context, k store.RecordKey, fp store.Fingerprint, lease time.Duration) (store.RecordState, *store.Response, error) {
	if a := from(ctx); a != nil && !a.used[claim] && a.req.Claim != nil && *a.req.Claim == (store.Claim{Key: k, Fingerprint: fp, Lease: lease}) {
		switch {
		case a.err != nil:
			a.used[claim] = true
			return 0, nil, a.err
		case a.res.Claim != nil:
			a.used[claim] = true
			return a.res.Claim.State, a.res.Claim.Response, a.res.Claim.Err
		}
	}
	return s.Idempotency.Begin(ctx, k, fp, lease)
}

// Complete asks Idempotency.
func (s Store) Complete(ctx context.Context, k store.RecordKey, fp store.Fingerprint, resp *store.Response, ttl time.Duration) error {
	return s.Idempotency.Complete(ctx, k, fp, resp, ttl)
}

// Release asks Idempotency.
func (s Store) Release(ctx context.Context, k store.RecordKey, fp store.Fingerprint) error {
	return s.Idempotency.Release(ctx, k, fp)
}

// Header carries the tool limit's answer from the security layer to the
// tool gate. No client can set it: the security layer removes it from
// every request (Strip), and only a Store consults what it carries.
const Header = "Mcpgen-Tool-Limit-Decision"

// Strip returns r without Header: r itself when it has none, or else a
// shallow copy with its own header map.
func Strip(r *http.Request) *http.Request {
	if _, ok := r.Header[Header]; !ok {
		return r
	}
	r2 := new(http.Request)
	*r2 = *r
	r2.Header = r.Header.Clone()
	delete(r2.Header, Header)
	return r2
}

// WithToolAnswer returns a shallow copy of r, with a header map of its
// own, whose Header carries the check's answer d for the tool limit l.
func WithToolAnswer(r *http.Request, l store.Limit, d store.Decision) *http.Request {
	r2 := new(http.Request)
	*r2 = *r
	r2.Header = r.Header.Clone()
	if r2.Header == nil {
		r2.Header = make(http.Header)
	}
	allowed := "0"
	if d.Allowed {
		allowed = "1"
	}
	r2.Header[Header] = []string{strings.Join([]string{
		strconv.Itoa(l.Limit), strconv.FormatInt(int64(l.Window), 10),
		allowed, strconv.Itoa(d.Limit), strconv.Itoa(d.Remaining),
		strconv.FormatInt(d.ResetAt.UnixNano(), 10), strconv.FormatInt(int64(d.RetryAfter), 10),
		strconv.Quote(l.Key),
	}, " ")}
	return r2
}

// FromHeader returns ctx carrying the tool limit's answer that h holds
// (Header), or ctx itself when h holds none or it does not parse.
func FromHeader(ctx context.Context, h http.Header) context.Context {
	v := h[Header]
	if len(v) != 1 {
		return ctx
	}
	f := strings.SplitN(v[0], " ", 8)
	if len(f) != 8 {
		return ctx
	}
	var n [7]int64
	for i := range n {
		x, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return ctx
		}
		n[i] = x
	}
	key, err := strconv.Unquote(f[7])
	if err != nil || (n[2] != 0 && n[2] != 1) {
		return ctx
	}
	l := &store.Limit{Key: key, Limit: int(n[0]), Window: time.Duration(n[1])}
	d := &store.Decision{Allowed: n[2] == 1, Limit: int(n[3]), Remaining: int(n[4]),
		ResetAt: time.Unix(0, n[5]), RetryAfter: time.Duration(n[6])}
	return context.WithValue(ctx, answersKey{}, &Answers{
		req: store.CheckRequest{ToolLimit: l}, res: store.CheckResult{Tool: d}, used: [4]bool{clientLimit: true, nonce: true, claim: true},
	})
}
