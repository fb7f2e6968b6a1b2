package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/mcpgen/mcpgen/runtime/security/internal/idemkey"
)

// Signer is an http.RoundTripper that signs every request with HMAC v1:
// it reads the body, sets X-Key-Id, X-Timestamp, a fresh X-Nonce,
// Idempotency-Key, X-API-Version and X-Signature, and hands the request to
// Base. Plug it into the MCP SDK's client transport:
//
//	transport := &mcp.StreamableClientTransport{
//		Endpoint:   "https://mcp.example.com/mcp",
//		HTTPClient: &http.Client{Transport: &auth.Signer{Key: key}},
//	}
//
// Each request gets the Idempotency-Key it already has, or else the one of
// its context (WithIdempotencyKey), or else a fresh random one. To retry a request safely, send it again
// through the Signer under the same key: it is signed anew (a nonce is
// good for one request), and the server replays the first response.
type Signer struct {
	Key Key
	// APIVersion is sent as X-API-Version (DefaultAPIVersions[0] when "").
	APIVersion string
	// Base sends the signed requests (http.DefaultTransport when nil).
	Base http.RoundTripper
	// Now is the clock for X-Timestamp (time.Now when nil).
	Now func() time.Time
}

type idempotencyKeyKey struct{}

// WithIdempotencyKey returns ctx carrying the Idempotency-Key that Signer
// sends with requests made under it.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKeyKey{}, key)
}

// RoundTrip implements http.RoundTripper. It leaves req as it was and sends
// a signed copy.
func (s *Signer) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readAndClose(req.Body)
	if err != nil {
		return nil, fmt.Errorf("auth: signing %s %s: reading the body: %w", req.Method, req.URL.Redacted(), err)
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	idemKey := req.Header.Get(HeaderIdempotencyKey)
	if idemKey == "" {
		idemKey, _ = req.Context().Value(idempotencyKeyKey{}).(string)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	header, _, err := sign(s.Key, signInput{
		method: req.Method, host: host, path: req.URL.Path, query: req.URL.RawQuery,
		contentType: req.Header.Get("Content-Type"), body: body,
		apiVersion: s.APIVersion, idempotencyKey: idemKey, time: now(),
	})
	if err != nil {
		return nil, fmt.Errorf("auth: signing %s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	signed := req.Clone(req.Context())
	for name, vs := range header {
		signed.Header[name] = vs
	}
	signed.Body, signed.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	signed.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	if len(body) == 0 {
		signed.Body, signed.GetBody = http.NoBody, nil
	}
	base := s.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(signed)
}

func readAndClose(body io.ReadCloser) ([]byte, error) {
	if body == nil || body == http.NoBody {
		return nil, nil
	}
	defer body.Close()
	return io.ReadAll(body)
}

// SignParams are the inputs of SignRequestHeaders.
type SignParams struct {
	Method      string
	URL         string // absolute: scheme, host, path and query as sent
	ContentType string // "" when the request has none
	Body        []byte
	// APIVersion is DefaultAPIVersions[0] when "".
	APIVersion string
	// IdempotencyKey is a fresh random key when "".
	IdempotencyKey string
	// Nonce is a fresh random nonce when "". Set it only to reproduce a
	// signature: a nonce is good for one request.
	Nonce string
	// Time is the signing time (now when zero).
	Time time.Time
}

// SignRequestHeaders signs one request with HMAC v1 and returns the headers
// to send with it (Content-Type included when set) and the canonical string
// that was signed, for showing what was signed while debugging a client.
// mcpgen sign prints them for curl.
func SignRequestHeaders(key Key, p SignParams) (http.Header, string, error) {
	u, err := url.Parse(p.URL)
	if err != nil {
		return nil, "", fmt.Errorf("auth: %w", err)
	}
	if u.Host == "" {
		return nil, "", fmt.Errorf("auth: URL %q has no host: give an absolute URL like https://mcp.example.com/mcp", u.Redacted())
	}
	t := p.Time
	if t.IsZero() {
		t = time.Now()
	}
	header, canonical, err := sign(key, signInput{
		method: p.Method, host: u.Host, path: u.Path, query: u.RawQuery,
		contentType: p.ContentType, body: p.Body,
		apiVersion: p.APIVersion, idempotencyKey: p.IdempotencyKey, nonce: p.Nonce, time: t,
	})
	if err != nil {
		return nil, "", fmt.Errorf("auth: %w", err)
	}
	if p.ContentType != "" {
		header.Set("Content-Type", p.ContentType)
	}
	return header, canonical, nil
}

type signInput struct {
	method, host, path, query, contentType string
	body                                   []byte
	apiVersion, idempotencyKey, nonce      string
	time                                   time.Time
}

// sign checks the inputs against the grammars the server enforces, so a
// bad one fails here with a clear error rather than as a 401, and returns
// the HMAC v1 headers and the canonical string.
func sign(key Key, in signInput) (http.Header, string, error) {
	if in.apiVersion == "" {
		in.apiVersion = DefaultAPIVersions[0]
	}
	if in.idempotencyKey == "" {
		in.idempotencyKey = randomString(16, hex.EncodeToString)
	}
	if in.nonce == "" {
		in.nonce = randomString(24, base64.RawURLEncoding.EncodeToString)
	}
	if in.method == "" {
		in.method = http.MethodGet
	}
	query, err := canonicalQuery(in.query)
	var problem string
	switch {
	case !validID(key.ID):
		problem = fmt.Sprintf("key ID must be %s, got %q", idGrammar, key.ID)
	case key.Secret == "":
		problem = "the key has no secret"
	case !validNonce(in.nonce):
		problem = "nonce must be " + nonceGrammar
	case !idemkey.Valid(in.idempotencyKey):
		problem = "Idempotency-Key must be " + idemkey.Grammar
	case !validVersion(in.apiVersion):
		problem = "API version must be " + versionGrammar
	case !validContentType(in.contentType):
		problem = "Content-Type must be printable ASCII"
	case !allBytes(in.host, func(c byte) bool { return '!' <= c && c <= '~' }):
		problem = "host must be ASCII (a name in its punycode form)"
	case !validMethod(in.method):
		problem = fmt.Sprintf("method %q is not an HTTP token", in.method)
	case in.time.Unix() <= 0 || !validTimestamp(strconv.FormatInt(in.time.Unix(), 10)):
		problem = "time must be after 1970 and before the year 33658"
	case err != nil:
		problem = err.Error()
	}
	if problem != "" {
		return nil, "", errors.New(problem)
	}
	bodySum := sha256.Sum256(in.body)
	c := &canonical{
		keyID: key.ID, timestamp: strconv.FormatInt(in.time.Unix(), 10), nonce: in.nonce,
		method: in.method, host: canonicalHost(in.host), path: canonicalPath(in.path), query: query,
		apiVersion: in.apiVersion, idempotencyKey: in.idempotencyKey, contentType: in.contentType,
		bodySHA256: hex.EncodeToString(bodySum[:]),
	}
	str := c.appendTo(make([]byte, 0, 256))
	mac := hmac.New(sha256.New, []byte(key.Secret))
	mac.Write(str)
	var sum [sha256.Size]byte
	// The six values in one array, set as Header.Set would set them.
	values := [...]string{c.keyID, c.timestamp, c.nonce, c.idempotencyKey, c.apiVersion, hex.EncodeToString(mac.Sum(sum[:0]))}
	all := values[:]
	h := make(http.Header, 8)
	for i, name := range [...]string{HeaderKeyID, HeaderTimestamp, HeaderNonce, HeaderIdempotencyKey, HeaderAPIVersion, HeaderSignature} {
		h[headerKeys[name]] = all[i : i+1 : i+1]
	}
	return h, string(str), nil
}

// validMethod reports whether s is an RFC 9110 token.
func validMethod(s string) bool {
	return s != "" && allBytes(s, func(c byte) bool { return isAlnum(c) || bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0 })
}

func randomString(n int, encode func([]byte) string) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return encode(b)
}
