package auth

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	sdkauth "github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/mcpgen/mcpgen/runtime/security/internal/oauthtest"
)

const metadataURL = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"

// rejection is one refusal as OnReject heard it.
type rejection struct {
	status  int
	code    mcperr.Code
	event   string
	message string
}

// oauthFixture is an Authenticator in oauth mode over a test
// authorization server, on a fake clock, with what it refused and what it
// let through.
type oauthFixture struct {
	as      *oauthtest.Server
	clock   *fakeClock
	a       *Authenticator
	mu      sync.Mutex
	refused []rejection
	seen    *http.Request // the last request let through
}

func newOAuthFixture(t *testing.T, edit func(*OAuthConfig)) *oauthFixture {
	t.Helper()
	f := &oauthFixture{as: oauthtest.NewServer(t), clock: newFakeClock()}
	cfg := OAuthConfig{Issuer: f.as.Issuer, Audience: oauthtest.Audience, JWKSURL: f.as.JWKSURL}
	if edit != nil {
		edit(&cfg)
	}
	a, err := New(Config{Mode: ModeOAuth, OAuth: cfg}, Options{Now: f.clock.Now,
		OnReject: func(r *http.Request, status int, err *mcperr.Error, event string) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.refused = append(f.refused, rejection{status, err.Code, event, err.Message})
		}})
	require.NoError(t, err)
	f.a = a
	return f
}

// send sends a request with the Authorization header value (none when
// empty) through Authenticate.
func (f *oauthFixture) send(authorization string) *httptest.ResponseRecorder {
	h := f.a.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seen = r
		f.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{}`))
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func (f *oauthFixture) lastRefusal(t *testing.T) rejection {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(t, f.refused)
	return f.refused[len(f.refused)-1]
}

func invalidToken(message string) string {
	return `Bearer realm="mcp", error="invalid_token", error_description="` + message + `", resource_metadata="` + metadataURL + `"`
}

func TestOAuthJWT(t *testing.T) {
	f := newOAuthFixture(t, nil)
	now := f.clock.Now()
	k1 := f.as.Key("k1")
	rsa := oauthtest.NewKey(t, "r1", jose.RS256)
	ps := oauthtest.NewKey(t, "p1", jose.PS256)
	ed := oauthtest.NewKey(t, "e1", jose.EdDSA)
	f.as.Publish(k1, rsa, ps, ed)
	stranger := oauthtest.NewKey(t, "k9", jose.ES256) // never published
	claims := func(edit func(map[string]any)) map[string]any {
		c := f.as.Claims(now, "alice", "market:read", "state:read")
		if edit != nil {
			edit(c)
		}
		return c
	}
	valid := k1.Token(t, claims(nil))

	tests := []struct {
		name      string
		header    string
		challenge string // "" for a token let through
		message   string
	}{
		{"ES256", "Bearer " + valid, "", ""},
		{"RS256", "Bearer " + rsa.Token(t, claims(nil)), "", ""},
		{"PS256", "Bearer " + ps.Token(t, claims(nil)), "", ""},
		{"EdDSA", "Bearer " + ed.Token(t, claims(nil)), "", ""},
		{"scheme in lower case", "bearer " + valid, "", ""},
		{"aud as a list", "Bearer " + k1.Token(t, claims(func(c map[string]any) { c["aud"] = []string{"https://other.example.com", oauthtest.Audience} })), "", ""},
		{"expired within the skew", "Bearer " + k1.Token(t, claims(func(c map[string]any) { c["exp"] = now.Add(-30 * time.Second).Unix() })), "", ""},
		{"application/at+jwt", "Bearer " + k1.TokenTyped(t, "application/at+jwt", claims(nil)), "", ""},

		{"missing", "",
			`Bearer realm="mcp", resource_metadata="` + metadataURL + `"`,
			"missing Authorization header: send Authorization: Bearer <access token>"},
		{"another scheme", "Basic " + valid,
			`Bearer realm="mcp", error="invalid_request", error_description="the Authorization header must be one 'Bearer <access token>'", resource_metadata="` + metadataURL + `"`,
			`the Authorization header must be one "Bearer <access token>"`},
		{"too long", "Bearer " + strings.Repeat("a", MaxAccessTokenBytes+1),
			`Bearer realm="mcp", error="invalid_request", error_description="the access token is longer than 16384 bytes", resource_metadata="` + metadataURL + `"`,
			"the access token is longer than 16384 bytes"},
		{"not a JWT", "Bearer opaque-token-0123456789", invalidToken("the access token is not a signed JWT"), "the access token is not a signed JWT"},
		{"an encrypted JWT (five parts)", "Bearer a.b.c.d.e", invalidToken("the access token is not a signed JWT"), "the access token is not a signed JWT"},
		{"expired", "Bearer " + k1.Token(t, claims(func(c map[string]any) { c["exp"] = now.Add(-2 * time.Minute).Unix() })),
			invalidToken("the access token has expired"), "the access token has expired"},
		{"no exp", "Bearer " + k1.Token(t, claims(func(c map[string]any) { delete(c, "exp") })),
			invalidToken("the access token has no expiry (exp)"), "the access token has no expiry (exp)"},
		{"not yet valid", "Bearer " + k1.Token(t, claims(func(c map[string]any) { c["nbf"] = now.Add(5 * time.Minute).Unix() })),
			invalidToken("the access token is not valid yet (nbf)"), "the access token is not valid yet (nbf)"},
		{"issued in the future", "Bearer " + k1.Token(t, claims(func(c map[string]any) { c["iat"] = now.Add(5 * time.Minute).Unix() })),
			invalidToken("the access token was issued in the future (iat)"), "the access token was issued in the future (iat)"},
		{"no iat", "Bearer " + k1.Token(t, claims(func(c map[string]any) { delete(c, "iat") })),
			invalidToken("the access token has no issue time (iat)"), "the access token has no issue time (iat)"},
		{"wrong issuer", "Bearer " + k1.Token(t, claims(func(c map[string]any) { c["iss"] = "https://evil.example.com" })),
			invalidToken("the access token was issued by another issuer"), "the access token was issued by another issuer"},
		{"wrong audience", "Bearer " + k1.Token(t, claims(func(c map[string]any) { c["aud"] = "https://other.example.com/mcp" })),
			invalidToken("the access token is not for this server (its aud does not hold https://mcp.example.com/mcp)"),
			"the access token is not for this server (its aud does not hold https://mcp.example.com/mcp)"},
		{"no aud", "Bearer " + k1.Token(t, claims(func(c map[string]any) { delete(c, "aud") })),
			invalidToken("the access token is not for this server (its aud does not hold https://mcp.example.com/mcp)"),
			"the access token is not for this server (its aud does not hold https://mcp.example.com/mcp)"},
		{"no sub", "Bearer " + k1.Token(t, claims(func(c map[string]any) { delete(c, "sub") })),
			invalidToken("the access token has no subject (sub)"), "the access token has no subject (sub)"},
		{"alg none", "Bearer " + oauthtest.NoneToken("k1", claims(nil)),
			invalidToken(`the access token is signed with 'none', which is not accepted (accepted: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)`),
			`the access token is signed with "none", which is not accepted (accepted: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)`},
		{"HS256 signed with the public key", "Bearer " + oauthtest.HS256WithPublicKey(t, rsa, claims(nil)),
			invalidToken(`the access token is signed with 'HS256', which is not accepted (accepted: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)`),
			`the access token is signed with "HS256", which is not accepted (accepted: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)`},
		{"unknown kid", "Bearer " + stranger.Token(t, claims(nil)),
			invalidToken(`the access token is signed by key 'k9' that the authorization server's key set does not hold for ES256`),
			`the access token is signed by key "k9" that the authorization server's key set does not hold for ES256`},
		{"the kid of a key of another type", "Bearer " + oauthtest.NewKey(t, "r1", jose.ES256).Token(t, claims(nil)),
			invalidToken(`the access token is signed by key 'r1' that the authorization server's key set does not hold for ES256`),
			`the access token is signed by key "r1" that the authorization server's key set does not hold for ES256`},
		{"tampered payload", "Bearer " + oauthtest.Tamper(valid, claims(func(c map[string]any) { c["scope"] = "market:read state:read state:write admin" })),
			invalidToken("the access token's signature does not verify"), "the access token's signature does not verify"},
		{"typ JWT", "Bearer " + k1.TokenTyped(t, "JWT", claims(nil)),
			invalidToken("the access token's typ is not one of at+jwt (RFC 9068)"), "the access token's typ is not one of at+jwt (RFC 9068)"},
		{"no typ", "Bearer " + k1.TokenTyped(t, "", claims(nil)),
			invalidToken("the access token's typ is not one of at+jwt (RFC 9068)"), "the access token's typ is not one of at+jwt (RFC 9068)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.send(tt.header)
			token := strings.TrimPrefix(tt.header, "Bearer ")
			if tt.challenge == "" {
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				return
			}
			require.Equal(t, http.StatusUnauthorized, w.Code)
			assert.Equal(t, tt.challenge, w.Header().Get("WWW-Authenticate"))
			assert.Contains(t, w.Body.String(), `"code":"MCP-002"`)
			got := f.lastRefusal(t)
			assert.Equal(t, rejection{http.StatusUnauthorized, mcperr.CodeUnauthorized, "auth_failure", tt.message}, got)
			if len(token) > 8 {
				assert.NotContains(t, w.Body.String()+w.Header().Get("WWW-Authenticate")+got.message, token, "the token is echoed")
			}
		})
	}
}

// A token let through carries its principal and scopes, for the stack and
// for the SDK (TokenInfo), which binds sessions to it.
func TestOAuthGrant(t *testing.T) {
	f := newOAuthFixture(t, nil)
	now := f.clock.Now()
	k1 := f.as.Key("k1")
	c := f.as.Claims(now, "alice", "market:read", "state:read")
	require.Equal(t, http.StatusOK, f.send("Bearer "+k1.Token(t, c)).Code)
	ctx := f.seen.Context()
	assert.Equal(t, "oauth/alice/desk-app", principal.ClientID(ctx))
	scopes, ok := Scopes(ctx)
	assert.True(t, ok)
	assert.Equal(t, []string{"market:read", "state:read"}, scopes)
	info := sdkauth.TokenInfoFromContext(ctx)
	require.NotNil(t, info, "the SDK sees the token")
	assert.Equal(t, "oauth/alice/desk-app", info.UserID)
	assert.Equal(t, []string{"market:read", "state:read"}, info.Scopes)
	assert.Equal(t, map[string]any{"sub": "alice", "client_id": "desk-app", "exp": now.Add(time.Hour).Unix()}, info.Extra)

	// A call's context gets the scopes from the SDK's RequestExtra.
	callCtx := WithTokenInfo(context.Background(), info)
	scopes, ok = Scopes(callCtx)
	assert.True(t, ok)
	assert.Equal(t, []string{"market:read", "state:read"}, scopes)
	_, ok = Scopes(WithTokenInfo(context.Background(), nil))
	assert.False(t, ok)

	// scp as a list; azp for the client; a subject that is its own client.
	delete(c, "scope")
	delete(c, "client_id")
	c["scp"] = []string{"market:read", "trade"}
	c["azp"] = "alice"
	require.Equal(t, http.StatusOK, f.send("Bearer "+k1.Token(t, c)).Code)
	assert.Equal(t, "oauth/alice", principal.ClientID(f.seen.Context()))
	scopes, _ = Scopes(f.seen.Context())
	assert.Equal(t, []string{"market:read", "trade"}, scopes)

	// No scope at all is no scope, not a failure.
	delete(c, "scp")
	require.Equal(t, http.StatusOK, f.send("Bearer "+k1.Token(t, c)).Code)
	scopes, ok = Scopes(f.seen.Context())
	assert.True(t, ok)
	assert.Empty(t, scopes)

	c["scope"] = 7
	assert.Equal(t, http.StatusUnauthorized, f.send("Bearer "+k1.Token(t, c)).Code)
	assert.Equal(t, "the access token's scope is neither a string nor a list of strings", f.lastRefusal(t).message)
}

func TestOAuthClientIDs(t *testing.T) {
	for _, tt := range []struct {
		sub, client, want string
	}{
		{"alice", "", "oauth/alice"},
		{"alice", "alice", "oauth/alice"},
		{"alice", "desk-app", "oauth/alice/desk-app"},
		{"auth0|5f7c8ec7c33c6c004bbafe82", "", "oauth/auth0|5f7c8ec7c33c6c004bbafe82"},
		{"alice@example.com", "", "oauth/alice@example.com"},
		// Anything else is hashed: no ':' (an address key), no '/', nothing
		// a log must escape, and no way to forge another's ID.
		{"urn:user:1", "", "oauth/~" + hashPart("urn:user:1")},
		{"a/b", "c", "oauth/~" + hashPart("a/b") + "/c"},
		{"a", "b/c", "oauth/a/~" + hashPart("b/c")},
		{strings.Repeat("x", 129), "", "oauth/~" + hashPart(strings.Repeat("x", 129))},
		{"~0123", "", "oauth/~" + hashPart("~0123")},
	} {
		got := (&grant{subject: tt.sub, client: tt.client}).clientID()
		assert.Equal(t, tt.want, got, "%q %q", tt.sub, tt.client)
		assert.NotContains(t, got, ":")
	}
}

func hashPart(s string) string { return idPart(s)[1:] }

// Keys the authorization server rotates in are picked up without a
// restart: an unknown kid fetches the key set again, at most once per
// KeySetMinRefresh however many tokens name unknown keys.
func TestOAuthKeyRotation(t *testing.T) {
	f := newOAuthFixture(t, nil)
	k1 := f.as.Key("k1")
	token := func(k *oauthtest.Key) string { return "Bearer " + k.Token(t, f.as.Claims(f.clock.Now(), "alice")) }

	require.Equal(t, http.StatusOK, f.send(token(k1)).Code)
	require.Equal(t, 1, f.as.Fetches(), "fetched when first needed")
	require.Equal(t, http.StatusOK, f.send(token(k1)).Code)
	require.Equal(t, 1, f.as.Fetches(), "then kept")

	k2 := oauthtest.NewKey(t, "k2", jose.ES256)
	f.as.Publish(k1, k2)
	f.clock.Add(DefaultKeySetMinRefresh)
	assert.Equal(t, http.StatusOK, f.send(token(k2)).Code, "a new key is picked up on its first token")
	assert.Equal(t, 2, f.as.Fetches())

	// Tokens naming made-up keys: one fetch per KeySetMinRefresh, even
	// when they arrive together.
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			made := oauthtest.NewKey(t, fmt.Sprintf("made-up-%d", i), jose.ES256)
			assert.Equal(t, http.StatusUnauthorized, f.send(token(made)).Code)
		}()
	}
	wg.Wait()
	assert.Equal(t, 2, f.as.Fetches(), "within KeySetMinRefresh of the last fetch, none")
	f.clock.Add(DefaultKeySetMinRefresh)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			made := oauthtest.NewKey(t, fmt.Sprintf("made-up-again-%d", i), jose.ES256)
			assert.Equal(t, http.StatusUnauthorized, f.send(token(made)).Code)
		}()
	}
	wg.Wait()
	assert.Equal(t, 3, f.as.Fetches(), "one fetch for all of them")

	// A key rotated in while the last fetch is recent waits for the next
	// window: refused until then, accepted after.
	k3 := oauthtest.NewKey(t, "k3", jose.ES256)
	f.as.Publish(k1, k2, k3)
	assert.Equal(t, http.StatusUnauthorized, f.send(token(k3)).Code)
	f.clock.Add(DefaultKeySetMinRefresh)
	assert.Equal(t, http.StatusOK, f.send(token(k3)).Code)

	// A withdrawn key stops verifying once the set is older than
	// KeySetMaxAge.
	f.as.Publish(k2, k3)
	assert.Equal(t, http.StatusOK, f.send(token(k1)).Code, "k1 is still cached")
	f.clock.Add(DefaultKeySetMaxAge)
	assert.Equal(t, http.StatusUnauthorized, f.send(token(k1)).Code)
	assert.Equal(t, http.StatusOK, f.send(token(k2)).Code)

	// While the key set cannot be fetched, the keys fetched before verify.
	f.as.FailJWKS(http.StatusServiceUnavailable)
	f.clock.Add(DefaultKeySetMaxAge)
	assert.Equal(t, http.StatusOK, f.send(token(k2)).Code)
	assert.NoError(t, f.a.Ping(context.Background()))
}

// Without a key set ever fetched, requests get 503 and MCP-003 (no
// security event: the authorization server is down, not the client
// wrong), and readiness fails; both recover when it answers.
func TestOAuthKeySetUnavailable(t *testing.T) {
	f := newOAuthFixture(t, nil)
	f.as.FailJWKS(http.StatusInternalServerError)
	token := "Bearer " + f.as.Key("k1").Token(t, f.as.Claims(f.clock.Now(), "alice"))
	w := f.send(token)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Empty(t, w.Header().Get("WWW-Authenticate"))
	assert.Equal(t, rejection{http.StatusServiceUnavailable, mcperr.CodeBackendUnavailable, "", errNoKeySet}, f.lastRefusal(t))
	assert.EqualError(t, f.a.Ping(context.Background()), "auth: "+errNoKeySet)
	assert.Equal(t, 1, f.as.Fetches(), "Ping within KeySetMinRefresh fetches nothing")

	f.as.FailJWKS(0)
	f.clock.Add(DefaultKeySetMinRefresh)
	assert.NoError(t, f.a.Ping(context.Background()))
	assert.Equal(t, http.StatusOK, f.send(token).Code)
}

func TestOAuthJWTTypes(t *testing.T) {
	f := newOAuthFixture(t, func(c *OAuthConfig) { c.JWTTypes = []string{"at+jwt", "JWT"} })
	k1 := f.as.Key("k1")
	c := f.as.Claims(f.clock.Now(), "alice")
	for _, typ := range []string{"at+jwt", "JWT", "jwt", "application/jwt", ""} {
		assert.Equal(t, http.StatusOK, f.send("Bearer "+k1.TokenTyped(t, typ, c)).Code, typ)
	}
	assert.Equal(t, http.StatusUnauthorized, f.send("Bearer "+k1.TokenTyped(t, "id+jwt", c)).Code)

	// An allowlist of one algorithm refuses the others.
	f = newOAuthFixture(t, func(c *OAuthConfig) { c.Algorithms = []string{"RS256"} })
	w := f.send("Bearer " + f.as.Key("k1").Token(t, c))
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Equal(t, `the access token is signed with "ES256", which is not accepted (accepted: RS256)`, f.lastRefusal(t).message)
}

func introspectionFixture(t *testing.T, edit func(*OAuthConfig)) *oauthFixture {
	return newOAuthFixture(t, func(c *OAuthConfig) {
		c.JWKSURL = ""
		c.IntrospectionURL = strings.TrimSuffix(c.Issuer, "/") + "/introspect"
		c.ClientID, c.ClientSecret = oauthtest.ClientID, oauthtest.ClientSecret
		if edit != nil {
			edit(c)
		}
	})
}

func TestOAuthIntrospection(t *testing.T) {
	f := introspectionFixture(t, nil)
	now := f.clock.Now()
	answer := func(edit func(map[string]any)) map[string]any {
		a := map[string]any{"active": true, "sub": "bob", "client_id": "desk-app", "scope": "market:read state:write",
			"aud": oauthtest.Audience, "iss": f.as.Issuer, "exp": now.Add(time.Hour).Unix(), "token_type": "Bearer"}
		if edit != nil {
			edit(a)
		}
		return a
	}
	f.as.Answer("active-token-0123456789", answer(nil))
	w := f.send("Bearer active-token-0123456789")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "oauth/bob/desk-app", principal.ClientID(f.seen.Context()))
	scopes, _ := Scopes(f.seen.Context())
	assert.Equal(t, []string{"market:read", "state:write"}, scopes)
	assert.Equal(t, 1, f.as.Introspections())

	// The answer is kept for IntrospectionCacheTTL, then asked again.
	require.Equal(t, http.StatusOK, f.send("Bearer active-token-0123456789").Code)
	assert.Equal(t, 1, f.as.Introspections())
	f.clock.Add(DefaultIntrospectionCacheTTL)
	require.Equal(t, http.StatusOK, f.send("Bearer active-token-0123456789").Code)
	assert.Equal(t, 2, f.as.Introspections())

	// A client acting for itself (client credentials) has no sub.
	f.as.Answer("service-token-0123456789", answer(func(a map[string]any) { delete(a, "sub") }))
	require.Equal(t, http.StatusOK, f.send("Bearer service-token-0123456789").Code)
	assert.Equal(t, "oauth/desk-app", principal.ClientID(f.seen.Context()))

	for _, tt := range []struct {
		token   string
		answer  map[string]any
		message string
	}{
		{"inactive-token-0123456789", map[string]any{"active": false}, "the access token is not active"},
		{"unknown-token-0123456789", nil, "the access token is not active"},
		{"other-aud-token-0123456789", answer(func(a map[string]any) { a["aud"] = []string{"https://other.example.com"} }),
			"the access token is not for this server (its aud does not hold https://mcp.example.com/mcp)"},
		{"no-aud-token-0123456789", answer(func(a map[string]any) { delete(a, "aud") }),
			"the access token is not for this server (its aud does not hold https://mcp.example.com/mcp)"},
		{"other-iss-token-0123456789", answer(func(a map[string]any) { a["iss"] = "https://evil.example.com" }),
			"the access token was issued by another issuer"},
		{"expired-token-0123456789", answer(func(a map[string]any) { a["exp"] = now.Add(-time.Hour).Unix() }),
			"the access token has expired"},
		{"refresh-token-0123456789", answer(func(a map[string]any) { a["token_type"] = "refresh_token" }),
			"the token is a refresh token, not an access token"},
		{"nobody-token-0123456789", answer(func(a map[string]any) { delete(a, "sub"); delete(a, "client_id") }),
			"the access token names no subject (sub) and no client (client_id)"},
	} {
		if tt.answer != nil {
			f.as.Answer(tt.token, tt.answer)
		}
		w := f.send("Bearer " + tt.token)
		assert.Equal(t, http.StatusUnauthorized, w.Code, tt.token)
		assert.Equal(t, invalidToken(tt.message), w.Header().Get("WWW-Authenticate"), tt.token)
		assert.Equal(t, rejection{http.StatusUnauthorized, mcperr.CodeUnauthorized, "auth_failure", tt.message}, f.lastRefusal(t))
	}
	before := f.as.Introspections()
	assert.Equal(t, http.StatusUnauthorized, f.send("Bearer inactive-token-0123456789").Code)
	assert.Equal(t, before, f.as.Introspections(), "inactive answers are kept too")
}

func TestOAuthIntrospectionUnavailable(t *testing.T) {
	f := introspectionFixture(t, func(c *OAuthConfig) { c.ClientSecret = "not-the-secret" })
	w := f.send("Bearer some-token-0123456789")
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, rejection{http.StatusServiceUnavailable, mcperr.CodeBackendUnavailable, "", errNoIntrospection}, f.lastRefusal(t))

	f = introspectionFixture(t, func(c *OAuthConfig) { c.IntrospectionCacheTTL = -1 })
	f.as.Answer("active-token-0123456789", map[string]any{"active": true, "sub": "bob", "aud": oauthtest.Audience})
	for range 3 {
		require.Equal(t, http.StatusOK, f.send("Bearer active-token-0123456789").Code)
	}
	assert.Equal(t, 3, f.as.Introspections(), "a negative TTL keeps nothing")
}

func TestCheckOAuth(t *testing.T) {
	good := OAuthConfig{Issuer: "https://as.example.com", Audience: "https://mcp.example.com/mcp", JWKSURL: "https://as.example.com/jwks"}
	assert.Empty(t, CheckOAuth(good))
	loopback := OAuthConfig{Issuer: "http://127.0.0.1:9000", Audience: "http://localhost:8080/mcp", JWKSURL: "http://[::1]:9000/jwks"}
	assert.Empty(t, CheckOAuth(loopback), "http on loopback")
	urlRule := "must be an https URL (or http on a loopback address) without query, fragment or user information"
	for _, tt := range []struct {
		name string
		edit func(*OAuthConfig)
		want []string
	}{
		{"nothing", func(c *OAuthConfig) { *c = OAuthConfig{} }, []string{
			"OAUTH_ISSUER is not set: set it to the authorization server's issuer identifier",
			"OAUTH_AUDIENCE is not set: set it to the URL of this server's MCP endpoint, such as https://mcp.example.com/mcp",
			"AUTH_MODE is oauth but tokens cannot be verified: set OAUTH_JWKS_URL (JWT access tokens) or OAUTH_INTROSPECTION_URL (token introspection)",
		}},
		{"http beyond loopback", func(c *OAuthConfig) { c.Issuer, c.JWKSURL = "http://as.example.com", "http://as.example.com/jwks" }, []string{
			`OAUTH_ISSUER ` + urlRule + `, got "http://as.example.com"`,
			`OAUTH_JWKS_URL ` + urlRule + `, got "http://as.example.com/jwks"`,
		}},
		{"an audience with a query or a fragment", func(c *OAuthConfig) { c.Audience = "https://mcp.example.com/mcp?x=1" }, []string{
			`OAUTH_AUDIENCE ` + urlRule + `, got "https://mcp.example.com/mcp?x=1"`,
		}},
		{"a relative audience", func(c *OAuthConfig) { c.Audience = "api://trading" }, []string{
			`OAUTH_AUDIENCE ` + urlRule + `, got "api://trading"`,
		}},
		{"both ways of verifying", func(c *OAuthConfig) { c.IntrospectionURL = "https://as.example.com/introspect" }, []string{
			"set one of OAUTH_JWKS_URL and OAUTH_INTROSPECTION_URL, not both",
			"OAUTH_INTROSPECTION_URL needs the server's client credentials: set OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET",
		}},
		{"symmetric and unknown algorithms", func(c *OAuthConfig) { c.Algorithms = []string{"HS256", "none", "RS1"} }, []string{
			`OAUTH_ALGORITHMS must not list "HS256": only asymmetric algorithms are accepted (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)`,
			`OAUTH_ALGORITHMS must not list "none": only asymmetric algorithms are accepted (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)`,
			`OAUTH_ALGORITHMS entries must be RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, got "RS1"`,
		}},
		{"JWT settings with introspection", func(c *OAuthConfig) {
			c.JWKSURL, c.IntrospectionURL, c.ClientID, c.ClientSecret = "", "https://as.example.com/introspect", "id", "secret"
			c.Algorithms, c.JWTTypes = []string{"ES256"}, []string{"JWT"}
		}, []string{
			"OAUTH_ALGORITHMS applies to JWT access tokens only: set OAUTH_JWKS_URL or remove it",
			"OAUTH_JWT_TYPES applies to JWT access tokens only: set OAUTH_JWKS_URL or remove it",
		}},
		{"client credentials without introspection", func(c *OAuthConfig) { c.ClientID, c.ClientSecret = "id", "hunter2-secret" }, []string{
			"OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET are for token introspection: set OAUTH_INTROSPECTION_URL or remove them",
		}},
	} {
		c := good
		tt.edit(&c)
		got := CheckOAuth(c)
		assert.Equal(t, tt.want, got, tt.name)
		assert.NotContains(t, strings.Join(got, " "), "hunter2", tt.name)
	}
	_, err := New(Config{Mode: ModeOAuth, OAuth: OAuthConfig{Issuer: "https://as.example.com"}}, Options{})
	require.Error(t, err)
	assert.Equal(t, mcperr.CodeMissingConfiguration, mcperr.AsError(err).Code)
}

func TestOAuthConfigHidesTheSecret(t *testing.T) {
	c := OAuthConfig{Issuer: "https://as.example.com", IntrospectionURL: "https://as.example.com/introspect", ClientID: "mcp", ClientSecret: "hunter2-0123456789"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "oauth", c, "auth", Config{Mode: ModeOAuth, OAuth: c})
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", c, c, c, c), fmt.Sprintf("%+v", Config{OAuth: c}), logged.String()} {
		assert.NotContains(t, s, "hunter2")
	}
	assert.Contains(t, c.String(), "ClientSecret:[REDACTED]")
}

func TestOAuthMetadataURL(t *testing.T) {
	for _, tt := range []struct{ audience, path, url string }{
		{"https://mcp.example.com/mcp", "/.well-known/oauth-protected-resource/mcp", "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"},
		{"https://mcp.example.com/", "/.well-known/oauth-protected-resource", "https://mcp.example.com/.well-known/oauth-protected-resource"},
		{"https://mcp.example.com", "/.well-known/oauth-protected-resource", "https://mcp.example.com/.well-known/oauth-protected-resource"},
		{"http://127.0.0.1:8080/tenant/a/mcp/", "/.well-known/oauth-protected-resource/tenant/a/mcp", "http://127.0.0.1:8080/.well-known/oauth-protected-resource/tenant/a/mcp"},
	} {
		c := OAuthConfig{Audience: tt.audience}
		assert.Equal(t, tt.path, c.MetadataPath(), tt.audience)
		assert.Equal(t, tt.url, c.MetadataURL(), tt.audience)
	}
}

func TestScopeError(t *testing.T) {
	assert.Nil(t, ScopeError("state.set", []string{"state:write"}, []string{"state:write", "market:read"}))
	assert.Nil(t, ScopeError("state.set", nil, nil))
	e := ScopeError("state.set", []string{"state:read", "state:write"}, []string{"state:read"})
	require.NotNil(t, e)
	assert.Equal(t, mcperr.CodeUnauthorized, e.Code)
	assert.Equal(t, "the access token lacks the scope the tool state.set needs: state:write", e.Message)
	assert.Equal(t, map[string]any{"error": "insufficient_scope", "scope": "state:read state:write", "tool": "state.set",
		"required_scopes": []string{"state:read", "state:write"}, "missing_scopes": []string{"state:write"}}, e.Details)

	f := newOAuthFixture(t, nil)
	assert.Equal(t, `Bearer realm="mcp", error="insufficient_scope", scope="state:read state:write", error_description="the access token lacks a scope this request needs", resource_metadata="`+metadataURL+`"`,
		f.a.ScopeChallenge([]string{"state:read", "state:write"}))
	bearer, err := New(Config{Mode: ModeBearer, Tokens: []Token{tokenA}}, Options{})
	require.NoError(t, err)
	assert.Empty(t, bearer.ScopeChallenge([]string{"x"}))
	assert.NoError(t, bearer.Ping(context.Background()))
}
