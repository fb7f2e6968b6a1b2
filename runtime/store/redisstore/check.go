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
// of the request path (runtime/security): the client limit, then the
// nonce (written only for a request the client limit admits), then the
// tool limit; the first refusal stops the rest, which are then neither
// decided nor counted.
type CheckResult struct {
	// Client and Tool are the decisions of the limits, nil when a limit
	// was not given or not reached.
	Client *store.Decision
	Tool   *store.Decision
	// Replayed: the nonce is held already (the tool limit was not
	// reached).
	Replayed bool
	// NonceQuota: the client holds its cap of nonces (the tool limit was
	// not reached).
	NonceQuota *store.NonceQuotaError
}

// Allowed reports whether the request passed every check it was given.
func (r CheckResult) Allowed() bool {
	return !r.Replayed && r.NonceQuota == nil &&
		(r.Client == nil || r.Client.Allowed) && (r.Tool == nil || r.Tool.Allowed)
}

// Check decides a request's client limit, nonce and tool limit in one
// script, so in one round trip and atomically, on Redis's clock: what two
// calls of Allow and one of Remember decide one after another, with the
// same keys, so Check and those methods share their counts and nonces.
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
	now := v[10]
	if v[2] != -2 {
		d := decision(v[2] == 1, v[3], v[4], int64(req.ClientLimit.Limit), ws[0], v[5], now)
		res.Client = &d
	}
	if v[0] != -2 {
		fresh, err := nonceResult(v[0], v[1], s.maxNonces)
		if err != nil {
			res.NonceQuota = err.(*store.NonceQuotaError)
		}
		res.Replayed = err == nil && !fresh
	}
	if v[6] != -2 {
		d := decision(v[6] == 1, v[7], v[8], int64(req.ToolLimit.Limit), ws[1], v[9], now)
		res.Tool = &d
	}
	return res, nil
}
