// Package idempotency makes a POST that carries an Idempotency-Key take
// effect at most once: a retry of the same request gets the stored response
// without running the handler again.
//
// Records are keyed by the client and the key, and hold a fingerprint of the
// request: under HMAC v1 the signed request without its timestamp and nonce,
// so a retry signed afresh matches. A request whose key is known:
//
//   - with the same fingerprint, completed: the stored response is replayed
//     (status, the headers that matter, body, JSON or an SSE stream alike),
//     marked with Idempotent-Replayed: true. The fingerprint leaves out the
//     MCP session, so a retry after a reconnect is answered too, without
//     the first attempt's Mcp-Session-Id;
//   - with another fingerprint: refused with 422 and MCP-005, since the key
//     was used for a different request;
//   - with the same fingerprint, still running: refused with 409 and
//     MCP-005 (retry once it completes).
//
// Only 2xx responses are kept. Any other status means the request was
// refused before it took effect (a bad session, a malformed message), so
// the key is released and a corrected retry runs. Nor are MCP tool results
// that report a passing failure (isError with a code in
// Config.RetryableCodes: MCP-003, MCP-004, MCP-006, MCP-999 by default),
// found in the response body, JSON or SSE: the key is released, and a
// retry once the cause has gone runs again.
//
// The fingerprint covers the bytes of the HTTP request, including the
// JSON-RPC id: a retry must resend the same message. A new JSON-RPC request
// under an old key is a different request (422).
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"net/http"
	"time"
)

// Fingerprint identifies a request for idempotency: a SHA-256 over the
// parts of it that a retry repeats.
type Fingerprint [sha256.Size]byte

// NewFingerprint returns the fingerprint of a request from its parts, the
// fields HMAC v1 signs other than the key, timestamp and nonce. The
// Idempotency-Key is not among them, as it is part of the record's key.
func NewFingerprint(method, host, path, query, contentType, apiVersion string, bodySHA256 [sha256.Size]byte) Fingerprint {
	h := sha256.New()
	// Length prefixes keep the encoding unambiguous whatever the fields hold.
	for _, f := range []string{"mcpgen-idempotency-v1", method, host, path, query, contentType, apiVersion} {
		h.Write(binary.AppendUvarint(nil, uint64(len(f))))
		h.Write([]byte(f))
	}
	h.Write(bodySHA256[:])
	var fp Fingerprint
	h.Sum(fp[:0])
	return fp
}

type fingerprintKey struct{}

// WithFingerprint returns ctx carrying the fingerprint of the request it
// belongs to. The authentication layer sets it from the verified signature
// so Middleware need not read the body again; without it, Middleware
// computes RequestFingerprint.
func WithFingerprint(ctx context.Context, fp Fingerprint) context.Context {
	return context.WithValue(ctx, fingerprintKey{}, fp)
}

func fingerprintFrom(ctx context.Context) (Fingerprint, bool) {
	fp, ok := ctx.Value(fingerprintKey{}).(Fingerprint)
	return fp, ok
}

// Key names a record: the client (the authenticated client ID) and the
// Idempotency-Key it sent. Two clients never see each other's records.
type Key struct {
	Client string
	Key    string
}

// Response is a stored response.
type Response struct {
	Status int
	Header http.Header // only the headers in ReplayedHeaders
	Body   []byte
	// Dropped is set when the response was larger than the cap and not
	// kept: the request took effect, but a retry cannot be answered.
	Dropped bool
}

// size is what a response costs a store's byte budget.
func (r *Response) size() int64 {
	n := int64(len(r.Body))
	for k, vs := range r.Header {
		for _, v := range vs {
			n += int64(len(k) + len(v))
		}
	}
	return n
}

// State is what Begin found under a key.
type State int

const (
	// Started: the key was free and is now claimed by the caller, who must
	// Complete or Release it.
	Started State = iota
	// InFlight: a request with the same fingerprint holds the key.
	InFlight
	// Mismatch: the key is held or was used by a request with another
	// fingerprint.
	Mismatch
	// Completed: a request with the same fingerprint completed; its
	// response is returned.
	Completed
)

// ErrFull is returned by a store that cannot take a new record without
// dropping one still in flight.
var ErrFull = errors.New("idempotency: store is full")

// Store keeps idempotency records. Begin is an atomic check-and-claim, so
// that of two concurrent requests with one key exactly one runs. A shared
// store (Redis) implements the same three steps when several replicas serve
// one set of clients.
type Store interface {
	// Begin claims k for a request with fingerprint fp, or reports what
	// holds it. A claim whose holder never completes (a crashed replica)
	// lapses after lease. For Completed it returns the stored response.
	Begin(ctx context.Context, k Key, fp Fingerprint, lease time.Duration) (State, *Response, error)
	// Complete stores the response of the request that claimed k, kept for
	// ttl.
	Complete(ctx context.Context, k Key, fp Fingerprint, resp *Response, ttl time.Duration) error
	// Release gives up the claim on k, so that a retry runs afresh.
	Release(ctx context.Context, k Key, fp Fingerprint) error
}
