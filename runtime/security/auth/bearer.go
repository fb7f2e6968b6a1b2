package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/mcpgen/mcpgen/runtime/security/internal/event"
)

// bearer authenticates r by its Authorization header (RFC 6750).
func (a *Authenticator) bearer(r *http.Request) (*http.Request, *failure) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		// RFC 6750 §3.1: no error code when no credentials were sent.
		return r, bearerFailure("", "missing Authorization header: send Authorization: Bearer <token>")
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	token = strings.TrimLeft(token, " ")
	if len(values) > 1 || !ok || !strings.EqualFold(scheme, "Bearer") || !validToken(token) {
		return r, bearerFailure("invalid_request", `the Authorization header must be one "Bearer <token>"`)
	}
	// Compare fixed-length digests, so the time taken says nothing about
	// the token's length, and compare with every token, so it says nothing
	// about which one (or whether any) matched.
	digest := sha256.Sum256([]byte(token))
	tokens := a.creds.Load().tokens // one set for the whole check, even during a rotation
	match := -1
	for i := range tokens {
		eq := subtle.ConstantTimeCompare(digest[:], tokens[i].digest[:])
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	if match < 0 {
		return r, bearerFailure("invalid_token", "the token is not valid")
	}
	return r.WithContext(principal.WithClientID(r.Context(), tokens[match].client)), nil
}

func bearerFailure(code, message string) *failure {
	challenge := `Bearer realm="` + Realm + `"`
	if code != "" {
		challenge += `, error="` + code + `"`
	}
	return &failure{
		status:    http.StatusUnauthorized,
		err:       mcperr.Errorf(mcperr.CodeUnauthorized, "%s", message),
		event:     event.AuthFailure,
		challenge: challenge,
	}
}
