// Package idemkey is what the authentication and idempotency layers share
// about a request's Idempotency-Key: the header, its grammar, and the
// fingerprint of a verified request, which the HMAC layer computes from the
// signed fields and passes on in the request's context, so the idempotency
// layer need not read the body again.
package idemkey

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"strings"

	"github.com/mcpgen/mcpgen/runtime/store"
)

// Header is the request header that carries the idempotency key.
const Header = "Idempotency-Key"

// Grammar says what a valid Idempotency-Key is, for error messages.
const Grammar = "1 to 128 characters of A-Z a-z 0-9 _ . : -"

// Valid reports whether s is a valid Idempotency-Key (Grammar). The
// grammar keeps keys printable and free of separators, so they can be
// stored, logged and signed as they are.
func Valid(s string) bool {
	if len(s) < 1 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_.:-", c) >= 0) {
			return false
		}
	}
	return true
}

// NewFingerprint returns the fingerprint of a request from its parts, the
// fields HMAC v1 signs other than the key, timestamp and nonce. The
// Idempotency-Key is not among them, as it is part of the record's key.
func NewFingerprint(method, host, path, query, contentType, apiVersion string, bodySHA256 [sha256.Size]byte) store.Fingerprint {
	h := sha256.New()
	// Length prefixes keep the encoding unambiguous whatever the fields hold.
	for _, f := range []string{"mcpgen-idempotency-v1", method, host, path, query, contentType, apiVersion} {
		h.Write(binary.AppendUvarint(nil, uint64(len(f))))
		h.Write([]byte(f))
	}
	h.Write(bodySHA256[:])
	var fp store.Fingerprint
	h.Sum(fp[:0])
	return fp
}

type fingerprintKey struct{}

// WithFingerprint returns ctx carrying the fingerprint of the request it
// belongs to.
func WithFingerprint(ctx context.Context, fp store.Fingerprint) context.Context {
	return context.WithValue(ctx, fingerprintKey{}, fp)
}

// Fingerprint returns the fingerprint ctx carries, if any.
func Fingerprint(ctx context.Context) (store.Fingerprint, bool) {
	fp, ok := ctx.Value(fingerprintKey{}).(store.Fingerprint)
	return fp, ok
}
