package store

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strconv"
	"time"
)

// Idempotency keeps idempotency records: for each client and
// Idempotency-Key, the fingerprint of the request that used the key and,
// once it completed, its response. Begin is an atomic check-and-claim, so
// that of two concurrent requests with one key exactly one runs.
type Idempotency interface {
	// Begin claims k for a request with fingerprint fp, or reports what
	// holds it: Started (the caller now holds the claim and must Complete
	// or Release it), InFlight, Mismatch or Completed (with the stored
	// response). A claim whose holder never completes (a crashed replica)
	// lapses after lease; a completed record lapses after the ttl given
	// to Complete. ErrFull when no record can be added without dropping
	// one in flight.
	Begin(ctx context.Context, k RecordKey, fp Fingerprint, lease time.Duration) (RecordState, *Response, error)
	// Complete stores the response of the request that claimed k with fp,
	// kept for ttl. A claim that has lapsed or is held under another
	// fingerprint is left alone.
	Complete(ctx context.Context, k RecordKey, fp Fingerprint, resp *Response, ttl time.Duration) error
	// Release gives up the claim on k held under fp, so that a retry runs
	// afresh. A record held under another fingerprint, or completed, is
	// left alone.
	Release(ctx context.Context, k RecordKey, fp Fingerprint) error
}

// RecordKey names an idempotency record: the client (the authenticated
// client ID) and the Idempotency-Key it sent. Two clients never see each
// other's records.
type RecordKey struct {
	Client string
	Key    string
}

// Fingerprint identifies a request for idempotency: a SHA-256 over the
// parts of it that a retry repeats.
type Fingerprint [sha256.Size]byte

// Response is a stored HTTP response.
type Response struct {
	Status int
	Header http.Header // only the headers that are replayed
	Body   []byte
	// Dropped is set when the response was larger than the cap and not
	// kept: the request took effect, but a retry cannot be answered.
	Dropped bool
}

// RecordState is what Idempotency.Begin found under a key.
type RecordState int

const (
	// Started: the key was free and is now claimed by the caller, who must
	// Complete or Release it.
	Started RecordState = iota
	// InFlight: a request with the same fingerprint holds the key.
	InFlight
	// Mismatch: the key is held or was used by a request with another
	// fingerprint.
	Mismatch
	// Completed: a request with the same fingerprint completed; its
	// response is returned.
	Completed
)

func (s RecordState) String() string {
	switch s {
	case Started:
		return "Started"
	case InFlight:
		return "InFlight"
	case Mismatch:
		return "Mismatch"
	case Completed:
		return "Completed"
	}
	return "RecordState(" + strconv.Itoa(int(s)) + ")"
}
