package redisstore

import (
	"context"
	"time"

	"github.com/mcpgen/mcpgen/runtime/store"
)

// Remember implements store.Nonces: one script checks and records the
// nonce on Redis's clock, a replay is reported before the client's cap
// (Options.MaxNoncesPerClient, a *store.NonceQuotaError) is looked at,
// and a nonce's 128-bit hash is kept for ttl. The store as a whole has
// no cap of its own but Redis's memory: a Redis at its maxmemory with the
// noeviction policy makes Remember fail with store.ErrFull. One round
// trip.
func (s *Store) Remember(ctx context.Context, clientID, nonce string, ttl time.Duration) (bool, error) {
	r, err := s.run(ctx, rememberScript, []string{s.principalKey(clientID, "n")},
		nonceMember(nonce), ttl.Microseconds(), s.maxNonces)
	if err != nil {
		return false, err
	}
	v, err := ints(r, 2)
	if err != nil {
		return false, err
	}
	return nonceResult(v[0], v[1], s.maxNonces)
}

// nonceResult reads the status and retry of the script's remember.
func nonceResult(status, retry int64, limit int) (bool, error) {
	switch status {
	case 1:
		return true, nil
	case -1:
		return false, &store.NonceQuotaError{Limit: limit, RetryAfter: time.Duration(retry) * time.Microsecond}
	}
	return false, nil
}
