package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

// MaxKeySetBytes caps the JWKS document read from the authorization server.
const MaxKeySetBytes = 1 << 20

// minRSABits is the smallest RSA key a token may be signed with.
const minRSABits = 2048

// jwtVerifier checks JWT access tokens (RFC 9068): a JWS in compact form,
// signed with an accepted algorithm by a key of the JWKS, of an accepted
// typ, from the issuer, for the audience, within its validity.
type jwtVerifier struct {
	cfg  *OAuthConfig
	keys *keySet
	now  func() time.Time
	o    *oauthState // for the challenges
}

// accessClaims are the claims of a JWT access token the server reads.
type accessClaims struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.Audience     `json:"aud"`
	Expiry    *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	ClientID  string           `json:"client_id"`
	AZP       string           `json:"azp"`
	Scope     any              `json:"scope"` // RFC 9068: a space-separated string
	SCP       any              `json:"scp"`   // some servers: a list, or a string
}

func (v *jwtVerifier) verify(ctx context.Context, token string) (*grant, *failure) {
	invalid := func(message string) (*grant, *failure) { return nil, v.o.failure("invalid_token", message) }

	peek, ok := peekHeader(token)
	if !ok {
		return invalid("the access token is not a signed JWT")
	}
	algs := make([]jose.SignatureAlgorithm, len(v.cfg.Algorithms))
	for i, a := range v.cfg.Algorithms {
		algs[i] = jose.SignatureAlgorithm(a)
	}
	if !slices.Contains(v.cfg.Algorithms, peek.Alg) {
		return invalid(fmt.Sprintf("the access token is signed with %s, which is not accepted (accepted: %s)",
			printable(peek.Alg, "an unnamed algorithm"), strings.Join(v.cfg.Algorithms, ", ")))
	}
	jws, err := jose.ParseSignedCompact(token, algs)
	if err != nil || len(jws.Signatures) != 1 {
		return invalid("the access token is not a well-formed signed JWT")
	}
	header := jws.Signatures[0].Protected
	if !v.typeAccepted(header.ExtraHeaders[jose.HeaderType]) {
		return invalid(fmt.Sprintf("the access token's typ is not one of %s (RFC 9068)", strings.Join(v.cfg.JWTTypes, ", ")))
	}
	key, f := v.keys.key(ctx, header.KeyID, header.Algorithm)
	if f != nil {
		if f.status == http.StatusServiceUnavailable {
			return nil, f
		}
		return invalid(f.err.Message)
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return invalid("the access token's signature does not verify")
	}
	var c accessClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return invalid("the access token's claims are not a valid JWT claims set")
	}
	now := v.now()
	skew := v.cfg.ClockSkew
	switch {
	case c.Issuer != v.cfg.Issuer:
		return invalid("the access token was issued by another issuer")
	case !slices.Contains([]string(c.Audience), v.cfg.Audience):
		return invalid("the access token is not for this server (its aud does not hold " + v.cfg.Audience + ")")
	case c.Expiry == nil:
		return invalid("the access token has no expiry (exp)")
	case !now.Before(c.Expiry.Time().Add(skew)):
		return invalid("the access token has expired")
	case c.NotBefore != nil && now.Add(skew).Before(c.NotBefore.Time()):
		return invalid("the access token is not valid yet (nbf)")
	case c.IssuedAt == nil:
		return invalid("the access token has no issue time (iat)")
	case c.IssuedAt.Time().After(now.Add(skew)):
		return invalid("the access token was issued in the future (iat)")
	case c.Subject == "":
		return invalid("the access token has no subject (sub)")
	}
	client := c.ClientID
	if client == "" {
		client = c.AZP
	}
	scopes, ok := scopeList(c.Scope)
	if c.Scope == nil {
		scopes, ok = scopeList(c.SCP)
	}
	if !ok {
		return invalid("the access token's scope is neither a string nor a list of strings")
	}
	return &grant{subject: c.Subject, client: client, scopes: scopes, expiry: c.Expiry.Time()}, nil
}

// typeAccepted reports whether a typ header value is one of JWTTypes,
// compared as RFC 7515 §4.1.9 says: without case, "application/"
// optional. A missing typ is accepted when JWTTypes lists "JWT".
func (v *jwtVerifier) typeAccepted(typ any) bool {
	norm := func(s string) string { return strings.TrimPrefix(strings.ToLower(s), "application/") }
	var got string
	switch t := typ.(type) {
	case nil:
		got = "jwt"
	case string:
		got = norm(t)
	default:
		return false
	}
	for _, want := range v.cfg.JWTTypes {
		if norm(want) == got {
			return true
		}
	}
	return false
}

// scopeList reads a scope claim: a space-separated string, or a list of
// strings. nil is no scope.
func scopeList(v any) ([]string, bool) {
	switch s := v.(type) {
	case nil:
		return []string{}, true
	case string:
		return strings.Fields(s), true
	case []any:
		out := make([]string, 0, len(s))
		for _, e := range s {
			str, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, strings.Fields(str)...)
		}
		return out, true
	}
	return nil, false
}

type joseHeader struct {
	Alg string `json:"alg"`
}

// peekHeader decodes the protected header of a compact JWS, for messages
// only (the JOSE library parses it for the checks): whether token has the
// three parts of a JWS (a JWE has five) and its alg.
func peekHeader(token string) (joseHeader, bool) {
	var h joseHeader
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(parts[0]) > 8<<10 {
		return h, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(raw, &h) != nil {
		return h, false
	}
	return h, true
}

// printable returns s quoted when it is a short name, and otherwise
// instead, so that no message echoes arbitrary text from a request.
func printable(s, instead string) string {
	if len(s) >= 1 && len(s) <= 32 && allBytes(s, func(c byte) bool { return isAlnum(c) || strings.IndexByte("_.+-", c) >= 0 }) {
		return `"` + s + `"`
	}
	return instead
}

// keySet is the authorization server's JWKS, fetched when first needed,
// again once it is older than maxAge, and again when a token names a key
// it does not hold, but never twice within minRefresh: so a rotated-in key
// is picked up at once, and tokens naming made-up keys cost at most one
// fetch per minRefresh. While a fetch fails, the keys fetched before keep
// verifying.
type keySet struct {
	url                string
	client             *http.Client
	now                func() time.Time
	maxAge, minRefresh time.Duration

	mu       sync.Mutex
	keys     []jose.JSONWebKey // the usable public signing keys
	fetched  time.Time         // when keys were fetched; zero before the first success
	tried    time.Time         // when the last fetch started
	inflight chan struct{}     // closed when the fetch under way ends
}

func newKeySet(url string, client *http.Client, now func() time.Time, maxAge, minRefresh time.Duration) *keySet {
	return &keySet{url: url, client: client, now: now, maxAge: maxAge, minRefresh: minRefresh}
}

// errNoKeySet is what a request gets while no key set could ever be
// fetched.
const errNoKeySet = "the authorization server's key set (OAUTH_JWKS_URL) cannot be fetched"

// key returns the key a token with header kid and alg is verified with,
// or the failure: unknown key (401) or no key set (503).
func (k *keySet) key(ctx context.Context, kid, alg string) (*jose.JSONWebKey, *failure) {
	k.mu.Lock()
	stale := k.fetched.IsZero() || k.now().Sub(k.fetched) >= k.maxAge
	k.mu.Unlock()
	if stale {
		k.refresh(ctx)
	}
	keys, ok := k.current()
	if !ok {
		return nil, unavailable(errNoKeySet)
	}
	if key := pick(keys, kid, alg); key != nil {
		return key, nil
	}
	if k.refresh(ctx) {
		keys, _ = k.current()
		if key := pick(keys, kid, alg); key != nil {
			return key, nil
		}
	}
	what := "an unnamed key"
	if kid != "" {
		what = "a key"
		if p := printable(kid, ""); p != "" { // only a short name is echoed
			what = "key " + p
		}
	}
	return nil, &failure{status: http.StatusUnauthorized, err: mcperr.Errorf(mcperr.CodeUnauthorized,
		"the access token is signed by %s that the authorization server's key set does not hold for %s", what, alg)}
}

func (k *keySet) current() ([]jose.JSONWebKey, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys, !k.fetched.IsZero()
}

// ping reports whether the set holds keys, fetching them when it has none
// (within minRefresh).
func (k *keySet) ping(ctx context.Context) error {
	if _, ok := k.current(); ok {
		return nil
	}
	k.refresh(ctx)
	if _, ok := k.current(); !ok {
		return errors.New("auth: " + errNoKeySet)
	}
	return nil
}

// refresh fetches the key set unless a fetch started less than minRefresh
// ago; when one is under way it waits for it. It reports whether the set
// may have changed (a fetch ran or was waited for).
func (k *keySet) refresh(ctx context.Context) bool {
	k.mu.Lock()
	if ch := k.inflight; ch != nil {
		k.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
		return true
	}
	now := k.now()
	if !k.tried.IsZero() && now.Sub(k.tried) < k.minRefresh {
		k.mu.Unlock()
		return false
	}
	k.tried = now
	ch := make(chan struct{})
	k.inflight = ch
	k.mu.Unlock()

	// The fetch is the set's, not the request's: a client that goes away
	// does not cancel it for the others waiting.
	keys, err := k.fetch()
	k.mu.Lock()
	if err == nil {
		k.keys, k.fetched = keys, k.now()
	}
	k.inflight = nil
	close(ch)
	k.mu.Unlock()
	return true
}

// fetch reads the key set and keeps its public signing keys; keys of a
// type the library does not know, and secret keys, are left out.
func (k *keySet) fetch() ([]jose.JSONWebKey, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxKeySetBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxKeySetBytes {
		return nil, errors.New("key set too large")
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	var keys []jose.JSONWebKey
	for _, raw := range doc.Keys {
		var key jose.JSONWebKey
		if key.UnmarshalJSON(raw) != nil || !key.IsPublic() || !key.Valid() {
			continue
		}
		if key.Use != "" && key.Use != "sig" {
			continue
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return nil, errors.New("no public signing keys")
	}
	return keys, nil
}

// pick returns the key of keys a token with header kid and alg is
// verified with: the one with that kid (any key, when the token names
// none and the set holds exactly one that fits), whose alg, when the key
// states one, is the token's, and whose type and size fit alg.
func pick(keys []jose.JSONWebKey, kid, alg string) *jose.JSONWebKey {
	var found *jose.JSONWebKey
	n := 0
	for i := range keys {
		key := &keys[i]
		if kid != "" && key.KeyID != kid {
			continue
		}
		if (key.Algorithm != "" && key.Algorithm != alg) || !fits(key.Key, alg) {
			continue
		}
		if found == nil {
			found = key
		}
		n++
	}
	if kid == "" && n != 1 {
		return nil
	}
	return found
}

// fits reports whether a public key can verify signatures of alg.
func fits(key any, alg string) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return (strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")) && k.N.BitLen() >= minRSABits
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return k.Curve == elliptic.P256()
		case "ES384":
			return k.Curve == elliptic.P384()
		case "ES512":
			return k.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}
