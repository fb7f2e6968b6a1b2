package redisstore

import (
	"context"
	"fmt"

	"github.com/mcpgen/mcpgen/runtime/store"
)

// Check decides a request's client limit, nonce and tool limit in one
// script, so in one round trip and atomically, on Redis's clock: what two
// calls of Allow and one of Remember decide one after another, with the
// same keys, so Check and those methods share their counts and nonces
// (store.Checker). Every limit's key must belong to req.Client
// (Options.Principal), so that all of them sit in its Cluster slot.
func (s *Store) Check(ctx context.Context, req store.CheckRequest) (store.CheckResult, error) {
	keys := make([]string, 3, 6)
	keys[0], keys[1], keys[2] = s.principalKey(req.Client, "n"), s.principalKey(req.Client, "rl:"), s.principalKey(req.Client, "rl:")
	args := make([]any, 0, 15)
	if req.Nonce != "" {
		args = append(args, "1", nonceMember(req.Nonce), req.NonceTTL.Microseconds(), s.maxNonces)
	} else {
		args = append(args, "0", "", 0, 0)
	}
	var ws [2]int64
	for i, l := range []*store.Limit{req.ClientLimit, req.ToolLimit} {
		if l == nil {
			args = append(args, "0", 0, 0)
			continue
		}
		w, err := checkRule(l.Limit, l.Window)
		if err != nil {
			return store.CheckResult{}, err
		}
		if p := s.principal(l.Key); p != req.Client {
			return store.CheckResult{}, fmt.Errorf("redisstore: Check of client %q with the limit key %q of principal %q", req.Client, l.Key, p)
		}
		ws[i] = w
		keys[1+i] = s.limiterKey(l.Key)
		args = append(args, "1", l.Limit, w)
	}
	if c := req.Claim; c != nil {
		if c.Key.Client != req.Client {
			return store.CheckResult{}, fmt.Errorf("redisstore: Check of client %q with a claim of client %q", req.Client, c.Key.Client)
		}
		keys = append(keys, s.recordKeys(req.Client)...)
		args = append(args, "1", escape(c.Key.Key), c.Fingerprint[:], c.Lease.Microseconds(), s.maxRecords)
	} else {
		args = append(args, "0", "", "", 0, 0)
	}
	r, err := s.run(ctx, checkScript, keys, args...)
	if err != nil {
		return store.CheckResult{}, err
	}
	if len(r) != 13 {
		return store.CheckResult{}, fmt.Errorf("redisstore: Check answered %d values, not 13", len(r))
	}
	v, err := ints(r[:12], 12)
	if err != nil {
		return store.CheckResult{}, err
	}
	var res store.CheckResult
	now := v[10]
	if v[2] != -2 {
		d := decision(v[2] == 1, v[3], v[4], int64(req.ClientLimit.Limit), ws[0], v[5], now)
		res.Client = &d
	}
	if v[0] != -2 {
		res.NonceChecked = true
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
	if v[11] != -2 {
		blob, _ := r[12].(string)
		state, resp, err := beginResult(v[11], blob)
		res.Claim = &store.ClaimResult{State: state, Response: resp, Err: err}
	}
	return res, nil
}
