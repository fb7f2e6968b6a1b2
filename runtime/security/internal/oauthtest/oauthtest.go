// Package oauthtest is a test authorization server for the oauth mode's
// tests: signing keys generated at test time, a JWKS and a token
// introspection endpoint served on loopback (httptest), and access tokens
// minted with chosen claims, well-formed or broken on purpose (alg none,
// HS256 signed with the public key, a tampered payload). Only tests
// import it.
package oauthtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Audience is the resource the tests' tokens are for.
const Audience = "https://mcp.example.com/mcp"

// Client credentials the introspection endpoint accepts.
const (
	ClientID     = "mcp-server"
	ClientSecret = "test-introspection-secret-0123456789"
)

// Server is a test authorization server. Its issuer is its URL.
type Server struct {
	srv              *httptest.Server
	Issuer           string
	JWKSURL          string
	IntrospectionURL string

	mu             sync.Mutex
	published      []*Key
	fetches        int
	introspections int
	answers        map[string]map[string]any // token → introspection answer
	jwksStatus     int                       // 0 for 200
}

// Key is a signing key of the server.
type Key struct {
	ID   string
	Alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

// NewServer starts a server publishing one ES256 key, "k1"; it stops when
// the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{answers: make(map[string]map[string]any)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", s.jwks)
	mux.HandleFunc("POST /introspect", s.introspect)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	s.Issuer = s.srv.URL
	s.JWKSURL = s.srv.URL + "/jwks"
	s.IntrospectionURL = s.srv.URL + "/introspect"
	s.Publish(NewKey(t, "k1", jose.ES256))
	return s
}

// NewKey generates a key of alg (ES256, ES384, RS256, PS256, EdDSA…).
func NewKey(t testing.TB, id string, alg jose.SignatureAlgorithm) *Key {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.ES384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.RS256, jose.PS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("oauthtest: no key for %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return &Key{ID: id, Alg: alg, priv: priv}
}

// Publish replaces the keys of the JWKS.
func (s *Server) Publish(keys ...*Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.published = keys
}

// Key returns the published key with that ID, or nil.
func (s *Server) Key(id string) *Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.published {
		if k.ID == id {
			return k
		}
	}
	return nil
}

// FailJWKS makes the JWKS endpoint answer status (0 to answer again).
func (s *Server) FailJWKS(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jwksStatus = status
}

// Fetches returns how often the JWKS was fetched.
func (s *Server) Fetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// Introspections returns how often the introspection endpoint was asked.
func (s *Server) Introspections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.introspections
}

// Answer makes the introspection endpoint answer for token with answer;
// unknown tokens are {"active": false}.
func (s *Server) Answer(token string, answer map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[token] = answer
}

func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.fetches++
	status := s.jwksStatus
	var set jose.JSONWebKeySet
	for _, k := range s.published {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.ID, Algorithm: string(k.Alg), Use: "sig"})
	}
	s.mu.Unlock()
	if status != 0 {
		http.Error(w, "unavailable", status)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	json.NewEncoder(w).Encode(set)
}

func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.introspections++
	s.mu.Unlock()
	id, secret, ok := r.BasicAuth()
	if !ok || id != ClientID || secret != ClientSecret {
		w.Header().Set("WWW-Authenticate", `Basic realm="as"`)
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	answer, ok := s.answers[r.PostForm.Get("token")]
	s.mu.Unlock()
	if !ok {
		answer = map[string]any{"active": false}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(answer)
}

// Claims returns the claims of a valid access token issued at now for
// Audience, with subject sub and the scopes (space-separated in "scope").
func (s *Server) Claims(now time.Time, sub string, scopes ...string) map[string]any {
	return map[string]any{
		"iss":       s.Issuer,
		"sub":       sub,
		"aud":       Audience,
		"client_id": "desk-app",
		"iat":       now.Unix(),
		"nbf":       now.Unix(),
		"exp":       now.Add(time.Hour).Unix(),
		"jti":       "jti-" + sub,
		"scope":     strings.Join(scopes, " "),
	}
}

// Token returns claims signed by k as a JWT of typ at+jwt.
func (k *Key) Token(t testing.TB, claims map[string]any) string {
	return k.TokenTyped(t, "at+jwt", claims)
}

// TokenTyped returns claims signed by k with the typ header typ ("" for
// none).
func (k *Key) TokenTyped(t testing.TB, typ string, claims map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.Alg, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.ID}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// NoneToken returns claims as an unsecured JWT (alg none), naming kid.
func NoneToken(kid string, claims map[string]any) string {
	return segment(map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}) + "." + segment(claims) + "."
}

// HS256WithPublicKey returns claims "signed" with HS256 using k's public
// key, in PEM, as the HMAC secret: the algorithm-confusion attack on
// verifiers that take the algorithm from the token.
func HS256WithPublicKey(t testing.TB, k *Key, claims map[string]any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	input := segment(map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": k.ID}) + "." + segment(claims)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Tamper returns token with its payload replaced by claims, the header
// and signature kept.
func Tamper(token string, claims map[string]any) string {
	parts := strings.Split(token, ".")
	return parts[0] + "." + segment(claims) + "." + parts[2]
}

func segment(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}
