package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpgen/mcpgen/runtime"
	"github.com/mcpgen/mcpgen/runtime/idempotency"
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

// hmac authenticates r by its HMAC v1 signature, then checks its nonce.
func (a *Authenticator) hmac(r *http.Request) (*http.Request, *failure) {
	h := r.Header
	required := []string{HeaderSignature, HeaderTimestamp, HeaderNonce, HeaderIdempotencyKey, HeaderAPIVersion}
	if a.onlyKey == nil {
		required = append([]string{HeaderKeyID}, required...)
	}
	var missing []string
	for _, name := range required {
		if len(h.Values(name)) == 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		f := hmacFailure("missing HMAC v1 header(s) %s; every request must carry %s",
			strings.Join(missing, ", "), strings.Join(required, ", "))
		f.err.Details = map[string]any{"missing": missing}
		return r, f
	}
	for _, name := range append(required, HeaderKeyID, "Content-Type") {
		if len(h.Values(name)) > 1 {
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
	case !idempotency.ValidKey(idemKey):
		return r, hmacFailure("%s must be %s", HeaderIdempotencyKey, idempotency.KeyGrammar)
	case !validSignature(sig):
		return r, hmacFailure("%s must be %s", HeaderSignature, signatureGrammar)
	case !slices.Contains(a.versions, version):
		f := hmacFailure("%s is not a supported version; supported: %s", HeaderAPIVersion, strings.Join(a.versions, ", "))
		f.err.Details = map[string]any{"supported_versions": a.versions}
		return r, f
	case !validContentType(contentType):
		return r, hmacFailure("Content-Type must be printable ASCII")
	}

	key := a.onlyKey
	if keyID != "" {
		key = a.keys[keyID]
	}
	if key == nil {
		return r, hmacFailure("%s %q is not a known key", HeaderKeyID, keyID)
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
		return r, f
	}
	query, err := canonicalQuery(r.URL.RawQuery)
	if err != nil {
		return r, hmacFailure("the request's %s", err)
	}
	body, f := a.readBody(r)
	if f != nil {
		return r, f
	}
	bodySum := sha256.Sum256(body)
	c := &canonical{
		keyID: key.id, timestamp: ts, nonce: nonce, method: r.Method,
		host: canonicalHost(r.Host), path: canonicalPath(r.URL.Path), query: query,
		apiVersion: version, idempotencyKey: idemKey, contentType: contentType,
		bodySHA256: hex.EncodeToString(bodySum[:]),
	}
	if !hmac.Equal([]byte(c.signature(key.secret)), []byte(sig)) {
		f := hmacFailure("%s does not match the request; details.string_to_sign is the canonical string the server signed (docs/hmac-v1.md)", HeaderSignature)
		// Nothing in it is secret, and comparing it with the client's
		// own is the quickest way to find what differs.
		f.err.Details = map[string]any{"string_to_sign": c.String()}
		return r, f
	}

	// Only now, with the signature verified, is anything written.
	fresh, err := a.nonces.Remember(r.Context(), key.client, nonce, NonceTTL)
	if err != nil {
		return r, &failure{status: http.StatusServiceUnavailable,
			err: runtime.Errorf(runtime.CodeBackendUnavailable, "the replay-protection store cannot take the request now; retry shortly")}
	}
	if !fresh {
		return r, hmacFailure("%s was already used; sign every request with a new nonce", HeaderNonce)
	}

	ctx := runtime.WithClientID(r.Context(), key.client)
	// The fingerprint is the signed request without key, timestamp and
	// nonce, so a retry signed afresh, even with a rotated key, matches.
	ctx = idempotency.WithFingerprint(ctx, idempotency.NewFingerprint(
		c.method, c.host, c.path, c.query, c.contentType, c.apiVersion, bodySum))
	r = r.WithContext(ctx)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return r, nil
}

// readBody reads the whole body, which the signature covers, up to the cap.
func (a *Authenticator) readBody(r *http.Request) ([]byte, *failure) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, a.maxBody+1))
	switch {
	case int64(len(body)) > a.maxBody:
		return nil, &failure{status: http.StatusRequestEntityTooLarge, err: &runtime.Error{
			Code:    runtime.CodePayloadTooLarge,
			Message: fmt.Sprintf("request body is larger than %d bytes", a.maxBody),
			Details: map[string]any{"limit_bytes": a.maxBody},
		}}
	case err != nil:
		return nil, &failure{status: http.StatusBadRequest, err: runtime.Errorf(runtime.CodeInvalidArgs, "could not read the request body")}
	}
	return body, nil
}

func hmacFailure(format string, args ...any) *failure {
	return &failure{
		status:    http.StatusUnauthorized,
		err:       runtime.Errorf(runtime.CodeUnauthorized, format, args...),
		challenge: Scheme + ` realm="` + Realm + `"`,
	}
}
