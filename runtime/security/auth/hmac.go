package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/internal/reqbody"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/store"

	"github.com/mcpgen/mcpgen/runtime/security/internal/event"
	"github.com/mcpgen/mcpgen/runtime/security/internal/idemkey"
)

// The grammars of the HMAC v1 headers, as error messages state them. None
// admits a line feed, so no field of the canonical string can forge
// another.
const (
	timestampGrammar = "Unix seconds: 1 to 12 decimal digits without a leading zero"
	nonceGrammar     = "16 to 128 characters of A-Z a-z 0-9 _ -"
	signatureGrammar = "64 lower-case hex digits (HMAC-SHA256)"
	versionGrammar   = "1 to 32 characters of A-Z a-z 0-9 . -"
)

func validTimestamp(s string) bool {
	return len(s) >= 1 && len(s) <= 12 && s[0] != '0' && allBytes(s, isDigit)
}

func validNonce(s string) bool {
	return len(s) >= 16 && len(s) <= 128 && allBytes(s, func(c byte) bool { return isAlnum(c) || c == '_' || c == '-' })
}

func validSignature(s string) bool {
	return len(s) == 64 && allBytes(s, func(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' })
}

func validVersion(s string) bool {
	return len(s) >= 1 && len(s) <= 32 && allBytes(s, func(c byte) bool { return isAlnum(c) || c == '.' || c == '-' })
}

// validContentType admits visible ASCII, spaces and tabs: what a media
// type with parameters needs, and no line feed.
func validContentType(s string) bool {
	return allBytes(s, func(c byte) bool { return c == '\t' || ' ' <= c && c <= '~' })
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// hmac authenticates r by its HMAC v1 signature. Its nonce is left for
// the replay layer to record.
func (a *Authenticator) hmac(r *http.Request) (*http.Request, *failure) {
	h := r.Header
	creds := a.creds.Load() // one set of keys for the whole check, even during a rotation
	required := requiredOneKey
	if creds.onlyKey == nil {
		required = requiredKeyID
	}
	var missing []string
	for _, name := range required {
		if len(h[headerKeys[name]]) == 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		f := hmacFailure("missing HMAC v1 header(s) %s; every request must carry %s",
			strings.Join(missing, ", "), strings.Join(required, ", "))
		f.err.Details = map[string]any{"missing": missing}
		return r, f
	}
	for _, name := range onceHeaders {
		if len(h[headerKeys[name]]) > 1 {
			return r, hmacFailure("%s must appear once", name)
		}
	}
	keyID, ts, nonce := h.Get(HeaderKeyID), h.Get(HeaderTimestamp), h.Get(HeaderNonce)
	idemKey, sig, version := h.Get(HeaderIdempotencyKey), h.Get(HeaderSignature), h.Get(HeaderAPIVersion)
	contentType := h.Get("Content-Type")
	switch {
	case keyID != "" && !validID(keyID):
		return r, hmacFailure("%s must be %s", HeaderKeyID, idGrammar)
	case !validTimestamp(ts):
		return r, hmacFailure("%s must be %s", HeaderTimestamp, timestampGrammar)
	case !validNonce(nonce):
		return r, hmacFailure("%s must be %s", HeaderNonce, nonceGrammar)
	case !idemkey.Valid(idemKey):
		return r, hmacFailure("%s must be %s", HeaderIdempotencyKey, idemkey.Grammar)
	case !validSignature(sig):
		return r, hmacFailure("%s must be %s", HeaderSignature, signatureGrammar)
	case !slices.Contains(a.versions, version):
		f := hmacFailure("%s is not a supported version; supported: %s", HeaderAPIVersion, strings.Join(a.versions, ", "))
		f.err.Details = map[string]any{"supported_versions": a.versions}
		return r, f
	case !validContentType(contentType):
		return r, hmacFailure("Content-Type must be printable ASCII")
	}

	key := creds.onlyKey
	if keyID != "" {
		key = creds.keys[keyID]
	}
	// An unknown key ID goes through the same steps as a known one, with a
	// random secret, and fails as a wrong signature does: no answer tells
	// a caller which key IDs exist.
	known := key != nil
	signedID, macs := keyID, a.decoy
	if known {
		signedID, macs = key.id, key.macs
	}
	t, _ := strconv.ParseInt(ts, 10, 64) // 12 digits always fit
	now := a.now().Unix()
	skew := int64(Skew.Seconds())
	if d := now - t; d > skew || d < -skew {
		side, n := "behind", d
		if d < 0 {
			side, n = "ahead of", -d
		}
		f := hmacFailure("%s is %d s %s the server's clock; signatures are accepted within %d s of the server's time, which is %d",
			HeaderTimestamp, n, side, skew, now)
		f.err.Details = map[string]any{"server_time": now}
		f.event = event.StaleTimestamp
		return r, f
	}
	query, err := canonicalQuery(r.URL.RawQuery)
	if err != nil {
		return r, hmacFailure("the request's %s", err)
	}
	// Up to here nothing was read; the body is buffered only within the
	// server-wide budget of bytes not yet authenticated, held until the
	// signature is checked.
	need := a.maxBody + 1
	if r.ContentLength >= 0 && r.ContentLength < need {
		need = r.ContentLength
	}
	if !a.pending.TryAcquire(need) {
		return r, &failure{status: http.StatusServiceUnavailable, retryAfter: 1, err: &mcperr.Error{
			Code:    mcperr.CodeBackendUnavailable,
			Message: "too many signed request bodies are being received at once; retry shortly",
		}}
	}
	defer a.pending.Release(need)
	body, f := a.readBody(r)
	if f != nil {
		return r, f
	}
	bodySum := sha256.Sum256(body)
	c := &canonical{
		keyID: signedID, timestamp: ts, nonce: nonce, method: r.Method,
		host: canonicalHost(r.Host), path: canonicalPath(r.URL.Path), query: query,
		apiVersion: version, idempotencyKey: idemKey, contentType: contentType,
		bodySHA256: hex.EncodeToString(bodySum[:]),
	}
	want := macs.sum(c)
	var got [sha256.Size]byte
	hex.Decode(got[:], []byte(sig)) // 64 lower-case hex digits, checked above
	if !hmac.Equal(want[:], got[:]) || !known {
		f := hmacFailure("%s does not match the request, or %s names no key of this server; details.string_to_sign is the canonical string the server signed (docs/hmac-v1.md)",
			HeaderSignature, HeaderKeyID)
		// Nothing in it is secret, and comparing it with the client's
		// own is the quickest way to find what differs.
		f.err.Details = map[string]any{"string_to_sign": c.String()}
		return r, f
	}

	ctx := principal.WithClientID(r.Context(), key.client)
	// The fingerprint is the signed request without key, timestamp and
	// nonce, so a retry signed afresh, even with a rotated key, matches.
	ctx = idemkey.WithFingerprint(ctx, idemkey.NewFingerprint(
		c.method, c.host, c.path, c.query, c.contentType, c.apiVersion, bodySum))
	// The nonce is recorded by Replay, once the client's rate limit has
	// admitted the request.
	ctx = context.WithValue(ctx, pendingNonceKey{}, &pendingNonce{client: key.client, nonce: nonce})
	r = r.WithContext(ctx)
	r.Body = reqbody.New(body, r.Body)
	return r, nil
}

// The headers every signed request carries, with X-Key-Id when the server
// holds more than one key; the headers that may appear at most once; and
// the keys of all of them in an http.Header.
var (
	requiredOneKey = []string{HeaderSignature, HeaderTimestamp, HeaderNonce, HeaderIdempotencyKey, HeaderAPIVersion}
	requiredKeyID  = append([]string{HeaderKeyID}, requiredOneKey...)
	onceHeaders    = append(slices.Clone(requiredKeyID), "Content-Type")
	headerKeys     = func() map[string]string {
		keys := make(map[string]string, len(onceHeaders))
		for _, name := range onceHeaders {
			keys[name] = textproto.CanonicalMIMEHeaderKey(name)
		}
		return keys
	}()
)

// pendingNonce is the nonce of a request whose signature verified, for the
// replay layer to record.
type pendingNonce struct{ client, nonce string }

type pendingNonceKey struct{}

// PendingNonce returns the nonce of a request in ctx whose signature
// verified, and the client it is that of, for Replay to record: so that a
// layer in front of Replay can check it together with other checks
// (store.Checker) and hand Replay the answer through the Nonces store.
func PendingNonce(ctx context.Context) (clientID, nonce string, ok bool) {
	p, ok := ctx.Value(pendingNonceKey{}).(*pendingNonce)
	if !ok {
		return "", "", false
	}
	return p.client, p.nonce, true
}

// Replay returns next behind the replay check of hmac mode: the verified
// request's nonce is recorded, and a request whose nonce was already used
// is refused (401, MCP-002), as is one whose client holds its quota of
// nonces (429, MCP-006), or all of them when the store cannot take it
// (503, MCP-003). It belongs behind Authenticate, so nothing is written
// for a forged request; a request that did not pass Authenticate is
// refused (500). In the other modes every request passes untouched.
func (a *Authenticator) Replay(next http.Handler) http.Handler {
	if !a.scheme.nonces {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := r.Context().Value(pendingNonceKey{}).(*pendingNonce)
		if !ok { // not behind Authenticate: a wiring mistake, refused
			a.reject(w, r, &failure{status: http.StatusInternalServerError,
				err: mcperr.Errorf(mcperr.CodeInternal, "the request was not authenticated")})
			return
		}
		if f := a.remember(r, p); f != nil {
			a.reject(w, r, f)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// remember records a verified request's nonce.
func (a *Authenticator) remember(r *http.Request, p *pendingNonce) *failure {
	fresh, err := a.nonces.Remember(r.Context(), p.client, p.nonce, NonceTTL)
	var quota *store.NonceQuotaError
	switch {
	case errors.As(err, &quota):
		retry := max(int64(math.Ceil(quota.RetryAfter.Seconds())), 1)
		return &failure{status: http.StatusTooManyRequests, retryAfter: retry, event: event.RateLimit, err: &mcperr.Error{
			Code: mcperr.CodeRateLimitExceeded,
			Message: fmt.Sprintf("this client has made %d signed requests in the last %d s, as many as the replay-protection store keeps for one client; retry after %d s",
				quota.Limit, int64(NonceTTL.Seconds()), retry),
			Details: map[string]any{"limit": quota.Limit, "window_seconds": NonceTTL.Seconds(), "retry_after_seconds": retry},
		}}
	case err != nil:
		return &failure{status: http.StatusServiceUnavailable, retryAfter: 1,
			err: mcperr.Errorf(mcperr.CodeBackendUnavailable, "the replay-protection store cannot take the request now; retry shortly")}
	case !fresh:
		f := hmacFailure("%s was already used; sign every request with a new nonce", HeaderNonce)
		f.event = event.Replay
		return f
	}
	return nil
}

// readBody reads the whole body, which the signature covers, up to the cap:
// Config.MaxBodyBytes, DefaultMaxSignedBodyBytes by default. It is read
// before the signature is checked, so the cap is what anyone who knows the
// time can make the server buffer.
func (a *Authenticator) readBody(r *http.Request) ([]byte, *failure) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := reqbody.ReadAtMost(r.Body, r.ContentLength, a.maxBody+1)
	switch {
	case int64(len(body)) > a.maxBody:
		return nil, &failure{status: http.StatusRequestEntityTooLarge, event: event.PayloadTooLarge, err: &mcperr.Error{
			Code:    mcperr.CodePayloadTooLarge,
			Message: fmt.Sprintf("request body is larger than %d bytes", a.maxBody),
			Details: map[string]any{"limit_bytes": a.maxBody},
		}}
	case err != nil:
		return nil, &failure{status: http.StatusBadRequest, err: mcperr.Errorf(mcperr.CodeInvalidArgs, "could not read the request body")}
	}
	return body, nil
}

func hmacFailure(format string, args ...any) *failure {
	return &failure{
		status:    http.StatusUnauthorized,
		err:       mcperr.Errorf(mcperr.CodeUnauthorized, format, args...),
		event:     event.AuthFailure,
		challenge: Scheme + ` realm="` + Realm + `"`,
	}
}
