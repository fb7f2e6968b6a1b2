// Package store defines the stores that hold the runtime's state: rate-limit
// windows (Limiter), the nonces of signed requests (Nonces), idempotency
// records (Idempotency) and the shared values of tools (State).
//
// Every stateful part of a server talks to its state through one of these
// interfaces, so one server can keep everything in memory
// (runtime/store/memstore, the default) and several replicas can share a
// networked store instead, without a change to what clients see. The
// behaviour every implementation must have is written down here and tested
// by runtime/store/storetest, which each implementation's tests run.
//
// Who imports it: the security packages (runtime/security and its
// children) and the handlers that keep shared state take these interfaces;
// store implementations implement them; a server's main only names them to
// pass a store other than the default (runtime/security.Options).
//
// A store may also implement Pinger, so a readiness check can tell that it
// answers.
package store

import (
	"context"
	"errors"
)

// ErrFull is returned by a store that cannot take a new entry without
// dropping one it must keep: a nonce still inside its window, an
// idempotency record still in flight. The request is refused (503) rather
// than let the store forget what protects it.
var ErrFull = errors.New("store: full")

// Pinger is implemented by stores that can be unreachable (a networked
// store). Ping returns nil when the store answers.
type Pinger interface {
	Ping(ctx context.Context) error
}
