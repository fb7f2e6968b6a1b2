package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/mcpgen/mcpgen/runtime/store"
)

// Limit is one rate limit of a CheckRequest: Limit requests per Window
// under Key, a key as store.Limiter takes it.
type Limit struct {
	Key    string
	Limit  int
	Window time.Duration
}

// CheckRequest is what Check decides for one request: its nonce, its
// client's limit and the limit of the tool it calls, each optional.
type CheckRequest struct {
	// Client is the authenticated principal: the nonce is its own, and
	// every key of the request must be its (Options.Principal of each
	// limit's key), so all of them sit in its Cluster slot.
	Client string
	// Nonce, when not empty, is remembered for NonceTTL as Remember does.
	Nonce    string
	NonceTTL time.Duration
	// ClientLimit and ToolLimit, when set, are decided as Allow does.
	ClientLimit *Limit
	ToolLimit   *Limit
}

// CheckResult is what Check decided. The parts are decided in the order
// of the request path, nonce, client limit, tool limit, and the first
// refusal stops the rest, which are then neither decided nor counted
// (their Decision is nil).
type CheckResult struct {
	// Replayed: the nonce is held already (nothing else was decided).
	Replayed bool
	// NonceQuota: the client holds its cap of nonces (nothing else was
	// decided).
	NonceQuota *store.NonceQuotaError
	// Client and Tool are the decisions of the limits, nil when a limit
	// was not given or not reached.
	Client *store.Decision
	Tool   *store.Decision
}

// Allowed reports whether the request passed every check it was given.
func (r CheckResult) Allowed() bool {
	return !r.Replayed && r.NonceQuota == nil &&
		(r.Client == nil || r.Client.Allowed) && (r.Tool == nil || r.Tool.Allowed)
}

// Check decides a request's nonce, client limit and tool limit in one
// script, so in one round trip and atomically, on Redis's clock: what
// Remember and two calls of Allow decide one after another, with the same
// keys, so Check and those methods share their counts and nonces. A nonce
// that is not fresh, or a client limit that refuses, stops the checks
// after it, as the request path would.
func (s *Store) Check(ctx context.Context, req CheckRequest) (CheckResult, error) {
	keys := []string{s.principalKey(req.Client, "n"), s.principalKey(req.Client, "rl:"), s.principalKey(req.Client, "rl:")}
	args := make([]any, 0, 10)
	if req.Nonce != "" {
		args = append(args, "1", nonceMember(req.Nonce), req.NonceTTL.Microseconds(), s.maxNonces)
	} else {
		args = append(args, "0", "", 0, 0)
	}
	var ws [2]int64
	for i, l := range []*Limit{req.ClientLimit, req.ToolLimit} {
		if l == nil {
			args = append(args, "0", 0, 0)
			continue
		}
		w, err := checkRule(l.Limit, l.Window)
		if err != nil {
			return CheckResult{}, err
		}
		if p := s.principal(l.Key); p != req.Client {
			return CheckResult{}, fmt.Errorf("redisstore: Check of client %q with the limit key %q of principal %q", req.Client, l.Key, p)
		}
		ws[i] = w
		keys[1+i] = s.limiterKey(l.Key)
		args = append(args, "1", l.Limit, w)
	}
	r, err := s.run(ctx, checkScript, keys, args...)
	if err != nil {
		return CheckResult{}, err
	}
	v, err := ints(r, 11)
	if err != nil {
		return CheckResult{}, err
	}
	var res CheckResult
	if req.Nonce != "" {
		fresh, err := nonceResult(v[0], v[1], s.maxNonces)
		if err != nil {
			res.NonceQuota = err.(*store.NonceQuotaError)
			return res, nil
		}
		if !fresh {
			res.Replayed = true
			return res, nil
		}
	}
	now := v[10]
	if v[2] != -2 {
		d := decision(v[2] == 1, v[3], v[4], int64(req.ClientLimit.Limit), ws[0], v[5], now)
		res.Client = &d
	}
	if v[6] != -2 {
		d := decision(v[6] == 1, v[7], v[8], int64(req.ToolLimit.Limit), ws[1], v[9], now)
		res.Tool = &d
	}
	return res, nil
}
