package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	sdkauth "github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/mcpgen/mcpgen/runtime/security/internal/event"
)

// ModeOAuth authenticates requests with OAuth 2.1 access tokens
// (Authorization: Bearer <access token>) issued by an authorization
// server: the server is an OAuth resource server, as the MCP
// specification's authorization for HTTP transports has it.
const ModeOAuth Mode = "oauth"

// The defaults of OAuthConfig.
var (
	// DefaultOAuthAlgorithms are the JWS algorithms a JWT access token may
	// be signed with when OAuthConfig.Algorithms is empty: every asymmetric
	// algorithm. "none" and the HMAC algorithms (HS256…) are never
	// accepted: a resource server holds no shared secret with the
	// authorization server, and accepting HS256 would let anyone holding
	// the public key sign tokens.
	DefaultOAuthAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
	// DefaultJWTTypes are the JWT typ header values accepted when
	// OAuthConfig.JWTTypes is empty: "at+jwt", the access-token type of
	// RFC 9068 ("application/at+jwt" is the same).
	DefaultJWTTypes = []string{"at+jwt"}
)

// Timing defaults of OAuthConfig.
const (
	// DefaultOAuthClockSkew is how far exp, nbf and iat may be off the
	// server's clock.
	DefaultOAuthClockSkew = 60 * time.Second
	// DefaultKeySetMaxAge is how long a fetched JWKS is used before it is
	// fetched again (so a key the authorization server withdrew stops
	// verifying within it).
	DefaultKeySetMaxAge = 10 * time.Minute
	// DefaultKeySetMinRefresh is the shortest time between two fetches of
	// the JWKS: a token signed by an unknown key triggers a fetch at most
	// this often, so tokens with made-up key IDs cannot make the server
	// hammer the authorization server.
	DefaultKeySetMinRefresh = 30 * time.Second
	// DefaultIntrospectionCacheTTL is how long an introspection answer is
	// reused for the same token (never past the token's exp).
	DefaultIntrospectionCacheTTL = 60 * time.Second
	// MaxAccessTokenBytes caps the access token a request may carry.
	MaxAccessTokenBytes = 16 << 10
)

// OAuthConfig is the setup of ModeOAuth: whom tokens come from, whom they
// are for, and how they are verified, either as JWTs signed by a key of
// the authorization server's JWKS (RFC 9068) or by asking the
// authorization server (token introspection, RFC 7662). runtime/security
// reads it from the OAUTH_ variables.
type OAuthConfig struct {
	// Issuer is the authorization server's issuer identifier (OAUTH_ISSUER):
	// a JWT's iss, and an introspection answer's when it has one, must be
	// exactly it. It is published as the authorization server in the
	// protected-resource metadata.
	Issuer string
	// Audience is the server's resource identifier (OAUTH_AUDIENCE), the
	// URL clients reach the MCP endpoint at, such as
	// https://mcp.example.com/mcp: a token's aud must hold it (RFC 8707).
	// The protected-resource metadata is published for it.
	Audience string

	// JWKSURL is the authorization server's JSON Web Key Set
	// (OAUTH_JWKS_URL), for JWT access tokens.
	JWKSURL string
	// Algorithms are the accepted JWS algorithms (OAUTH_ALGORITHMS;
	// DefaultOAuthAlgorithms when empty), asymmetric ones only.
	Algorithms []string
	// JWTTypes are the accepted values of a JWT's typ header
	// (OAUTH_JWT_TYPES; DefaultJWTTypes when empty), compared without case
	// and without an "application/" prefix. Authorization servers that do
	// not follow RFC 9068 write "JWT" (or nothing, which "JWT" accepts):
	// list it for them.
	JWTTypes []string

	// IntrospectionURL is the authorization server's token introspection
	// endpoint (OAUTH_INTROSPECTION_URL), for opaque tokens. Set it or
	// JWKSURL, not both.
	IntrospectionURL string
	// ClientID and ClientSecret are the server's client credentials at the
	// introspection endpoint (OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET or
	// ENCRYPTED_OAUTH_CLIENT_SECRET), sent as HTTP Basic authentication.
	ClientID     string
	ClientSecret string `json:"-"` // never written, not even by a JSON log handler

	// ListByScope makes tools/list show only the tools the token's scopes
	// allow (OAUTH_FILTER_TOOLS_LIST=true); see security.Stack.ToolVisible.
	ListByScope bool

	// ClockSkew bounds how far exp, nbf and iat may be off
	// (DefaultOAuthClockSkew when zero).
	ClockSkew time.Duration
	// KeySetMaxAge and KeySetMinRefresh time the JWKS fetches
	// (DefaultKeySetMaxAge and DefaultKeySetMinRefresh when zero).
	KeySetMaxAge     time.Duration
	KeySetMinRefresh time.Duration
	// IntrospectionCacheTTL is how long an introspection answer is kept
	// (DefaultIntrospectionCacheTTL when zero; negative keeps none).
	IntrospectionCacheTTL time.Duration
	// HTTPClient fetches the JWKS and calls the introspection endpoint
	// (when nil, a client with a 10 s timeout that follows no redirects).
	// Both endpoints are the operator's and trusted; they must be https,
	// or http on a loopback address.
	HTTPClient *http.Client `json:"-"`
}

// String returns the configuration without the client secret.
func (c OAuthConfig) String() string {
	secret := ""
	if c.ClientSecret != "" {
		secret = "[REDACTED]"
	}
	return fmt.Sprintf("{Issuer:%s Audience:%s JWKSURL:%s IntrospectionURL:%s ClientID:%s ClientSecret:%s}",
		c.Issuer, c.Audience, c.JWKSURL, c.IntrospectionURL, c.ClientID, secret)
}

// GoString is String, for %#v.
func (c OAuthConfig) GoString() string { return "auth.OAuthConfig" + c.String() }

// LogValue logs the configuration without the client secret.
func (c OAuthConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("issuer", c.Issuer), slog.String("audience", c.Audience),
		slog.String("jwks_url", c.JWKSURL), slog.String("introspection_url", c.IntrospectionURL),
		slog.String("client_id", c.ClientID))
}

// MetadataPath returns the path of the protected-resource metadata of the
// Audience (RFC 9728 §3.1): /.well-known/oauth-protected-resource followed
// by the audience's path, such as
// /.well-known/oauth-protected-resource/mcp.
func (c OAuthConfig) MetadataPath() string {
	u, err := url.Parse(c.Audience)
	if err != nil {
		return WellKnownResourcePath
	}
	return WellKnownResourcePath + strings.TrimSuffix(u.EscapedPath(), "/")
}

// MetadataURL returns the URL of the protected-resource metadata, which
// 401 and 403 challenges carry as resource_metadata: the Audience's
// origin and MetadataPath.
func (c OAuthConfig) MetadataURL() string {
	u, err := url.Parse(c.Audience)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host + c.MetadataPath()
}

// WellKnownResourcePath is where protected-resource metadata is published
// (RFC 9728).
const WellKnownResourcePath = "/.well-known/oauth-protected-resource"

// jwsAlgorithms are the algorithms Algorithms may list.
var jwsAlgorithms = DefaultOAuthAlgorithms

// CheckOAuth returns what is wrong with c, each problem naming the
// variable runtime/security reads the setting from; none holds the client
// secret.
func CheckOAuth(c OAuthConfig) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if c.Issuer == "" {
		bad("OAUTH_ISSUER is not set: set it to the authorization server's issuer identifier")
	} else if p := urlProblem(c.Issuer); p != "" {
		bad("OAUTH_ISSUER %s, got %q", p, c.Issuer)
	}
	if c.Audience == "" {
		bad("OAUTH_AUDIENCE is not set: set it to the URL of this server's MCP endpoint, such as https://mcp.example.com/mcp")
	} else if p := urlProblem(c.Audience); p != "" {
		bad("OAUTH_AUDIENCE %s, got %q", p, c.Audience)
	}
	switch {
	case c.JWKSURL != "" && c.IntrospectionURL != "":
		bad("set one of OAUTH_JWKS_URL and OAUTH_INTROSPECTION_URL, not both")
	case c.JWKSURL == "" && c.IntrospectionURL == "":
		bad("AUTH_MODE is oauth but tokens cannot be verified: set OAUTH_JWKS_URL (JWT access tokens) or OAUTH_INTROSPECTION_URL (token introspection)")
	}
	if c.JWKSURL != "" {
		if p := urlProblem(c.JWKSURL); p != "" {
			bad("OAUTH_JWKS_URL %s, got %q", p, c.JWKSURL)
		}
	} else {
		if len(c.Algorithms) > 0 {
			bad("OAUTH_ALGORITHMS applies to JWT access tokens only: set OAUTH_JWKS_URL or remove it")
		}
		if len(c.JWTTypes) > 0 {
			bad("OAUTH_JWT_TYPES applies to JWT access tokens only: set OAUTH_JWKS_URL or remove it")
		}
	}
	for _, alg := range c.Algorithms {
		switch {
		case strings.EqualFold(alg, "none") || strings.HasPrefix(strings.ToUpper(alg), "HS"):
			bad("OAUTH_ALGORITHMS must not list %q: only asymmetric algorithms are accepted (%s)", alg, strings.Join(jwsAlgorithms, ", "))
		case !slices.Contains(jwsAlgorithms, alg):
			bad("OAUTH_ALGORITHMS entries must be %s, got %q", strings.Join(jwsAlgorithms, ", "), alg)
		}
	}
	for _, typ := range c.JWTTypes {
		if typ == "" || strings.ContainsAny(typ, " \t,\"") {
			bad("OAUTH_JWT_TYPES entries must be media types such as at+jwt, got %q", typ)
		}
	}
	if c.IntrospectionURL != "" {
		if p := urlProblem(c.IntrospectionURL); p != "" {
			bad("OAUTH_INTROSPECTION_URL %s, got %q", p, c.IntrospectionURL)
		}
		if c.ClientID == "" || c.ClientSecret == "" {
			bad("OAUTH_INTROSPECTION_URL needs the server's client credentials: set OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET")
		}
	} else if c.ClientID != "" || c.ClientSecret != "" {
		bad("OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET are for token introspection: set OAUTH_INTROSPECTION_URL or remove them")
	}
	if c.ClockSkew < 0 || c.KeySetMaxAge < 0 || c.KeySetMinRefresh < 0 {
		bad("the OAuth clock skew and key set timings must not be negative")
	}
	return problems
}

// urlProblem says what keeps s from being an OAuth endpoint or identifier:
// an absolute https URL, or http on a loopback host, with no query, no
// fragment and no user information.
func urlProblem(s string) string {
	const want = "must be an https URL (or http on a loopback address) without query, fragment or user information"
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") {
		return want
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		if loopbackHost(u.Hostname()) {
			return ""
		}
	}
	return want
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func checkOAuth(c *Config) []string { return CheckOAuth(c.OAuth) }

// oauthState is what an Authenticator keeps in oauth mode.
type oauthState struct {
	cfg         OAuthConfig
	metadataURL string
	verify      func(ctx context.Context, token string) (*grant, *failure)
	keys        *keySet // nil with introspection
}

func setupOAuth(a *Authenticator, cfg *Config) {
	c := cfg.OAuth
	if c.ClockSkew == 0 {
		c.ClockSkew = DefaultOAuthClockSkew
	}
	if c.KeySetMaxAge == 0 {
		c.KeySetMaxAge = DefaultKeySetMaxAge
	}
	if c.KeySetMinRefresh == 0 {
		c.KeySetMinRefresh = DefaultKeySetMinRefresh
	}
	if c.IntrospectionCacheTTL == 0 {
		c.IntrospectionCacheTTL = DefaultIntrospectionCacheTTL
	}
	if len(c.Algorithms) == 0 {
		c.Algorithms = DefaultOAuthAlgorithms
	}
	if len(c.JWTTypes) == 0 {
		c.JWTTypes = DefaultJWTTypes
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	o := &oauthState{cfg: c, metadataURL: c.MetadataURL()}
	if c.JWKSURL != "" {
		o.keys = newKeySet(c.JWKSURL, c.HTTPClient, a.now, c.KeySetMaxAge, c.KeySetMinRefresh)
		v := &jwtVerifier{cfg: &o.cfg, keys: o.keys, now: a.now, o: o}
		o.verify = v.verify
	} else {
		in := newIntrospector(o, a.now)
		o.verify = in.verify
	}
	a.oa = o
}

// grant is what a verified access token grants.
type grant struct {
	subject string
	client  string // the OAuth client (client_id), "" when the token names none
	scopes  []string
	expiry  time.Time // zero when the token has none (introspection)
}

// clientID returns the principal of g: "oauth/" and the subject, followed
// by "/" and the OAuth client when the token names one other than the
// subject. Parts outside [A-Za-z0-9_.@+|-]{1,128} are written as "~" and
// 32 hex digits of their SHA-256, so the ID holds no ':' (which marks an
// address key), no '/' inside a part, nothing a log must escape, and can
// equal no bearer or HMAC client ID (which have no '/').
func (g *grant) clientID() string {
	id := "oauth/" + idPart(g.subject)
	if g.client != "" && g.client != g.subject {
		id += "/" + idPart(g.client)
	}
	return id
}

func idPart(s string) string {
	if len(s) >= 1 && len(s) <= 128 && allBytes(s, func(c byte) bool { return isAlnum(c) || strings.IndexByte("_.@+|-", c) >= 0 }) {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "~" + hex.EncodeToString(sum[:16])
}

// oauth authenticates r by its access token.
func (a *Authenticator) oauth(r *http.Request) (*http.Request, *failure) {
	o := a.oa
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return r, o.failure("", "missing Authorization header: send Authorization: Bearer <access token>")
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	token = strings.TrimLeft(token, " ")
	if len(values) > 1 || !ok || !strings.EqualFold(scheme, "Bearer") || !validToken(token) {
		return r, o.failure("invalid_request", `the Authorization header must be one "Bearer <access token>"`)
	}
	if len(token) > MaxAccessTokenBytes {
		return r, o.failure("invalid_request", fmt.Sprintf("the access token is longer than %d bytes", MaxAccessTokenBytes))
	}
	g, f := o.verify(r.Context(), token)
	if f != nil {
		return r, f
	}
	id := g.clientID()
	info := &sdkauth.TokenInfo{
		Scopes: g.scopes,
		UserID: id,
		Extra:  map[string]any{"sub": g.subject, "client_id": g.client},
	}
	if !g.expiry.IsZero() {
		info.Extra["exp"] = g.expiry.Unix()
	}
	ctx := context.WithValue(r.Context(), tokenInfoKey{}, info)
	return r.WithContext(principal.WithClientID(ctx, id)), nil
}

// failure returns the 401 of a refused token: the challenge names the
// error (none for a request without credentials, RFC 6750 §3.1) and the
// protected-resource metadata, so a client can find the authorization
// server.
func (o *oauthState) failure(code, message string) *failure {
	challenge := `Bearer realm="` + Realm + `"`
	if code != "" {
		challenge += `, error="` + code + `", error_description="` + quotable(message) + `"`
	}
	challenge += `, resource_metadata="` + o.metadataURL + `"`
	return &failure{
		status:    http.StatusUnauthorized,
		err:       mcperr.Errorf(mcperr.CodeUnauthorized, "%s", message),
		event:     event.AuthFailure,
		challenge: challenge,
	}
}

// unavailable is the 503 of a token that could not be checked because the
// authorization server did not answer: no security event (the Stack logs
// it as a warning), no challenge.
func unavailable(message string) *failure {
	return &failure{
		status: http.StatusServiceUnavailable,
		err:    mcperr.Errorf(mcperr.CodeBackendUnavailable, "%s", message),
	}
}

// quotable returns s fit for a quoted-string parameter of a challenge:
// printable ASCII without '"' and '\' (RFC 6750 §3 error_description).
func quotable(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			b[i] = '\''
		}
	}
	return string(b)
}

// wrapOAuth puts the request's TokenInfo where the MCP SDK looks for it
// (sdkauth.TokenInfoFromContext), so that the SDK binds each session to
// the token's principal and passes the TokenInfo to every request's
// handlers in RequestExtra.TokenInfo. RequireBearerToken is the SDK's only
// way to set it; its verifier here returns what oauth verified.
func wrapOAuth(a *Authenticator, next http.Handler) http.Handler {
	verified := func(ctx context.Context, _ string, _ *http.Request) (*sdkauth.TokenInfo, error) {
		if info, ok := ctx.Value(tokenInfoKey{}).(*sdkauth.TokenInfo); ok {
			return info, nil
		}
		return nil, sdkauth.ErrInvalidToken // unreachable: oauth ran first
	}
	return sdkauth.RequireBearerToken(verified, &sdkauth.RequireBearerTokenOptions{AllowMissingExpiration: true})(next)
}

// tokenInfoKey is the context key of the TokenInfo of a verified access
// token.
type tokenInfoKey struct{}

// Scopes returns the scopes of the access token that the request or tool
// call ctx belongs to was authenticated with (oauth mode), and whether
// there is one. A request's context carries it from Authenticate on; a
// tool call's once the server has passed the call's RequestExtra.TokenInfo
// to WithTokenInfo.
func Scopes(ctx context.Context) ([]string, bool) {
	if info, ok := ctx.Value(tokenInfoKey{}).(*sdkauth.TokenInfo); ok && info != nil {
		return info.Scopes, true
	}
	return nil, false
}

// WithTokenInfo returns ctx carrying info, the TokenInfo the MCP SDK gives
// a request's handlers (RequestExtra.TokenInfo), so that Scopes finds the
// call's scopes; a nil info leaves ctx as it is. The SDK copies the
// TokenInfo from each HTTP request, and only oauth mode puts one there, so
// a client cannot forge it.
func WithTokenInfo(ctx context.Context, info *sdkauth.TokenInfo) context.Context {
	if info == nil {
		return ctx
	}
	return context.WithValue(ctx, tokenInfoKey{}, info)
}

// MissingScopes returns the scopes of required that granted lacks, in the
// order of required, or nil.
func MissingScopes(granted, required []string) []string {
	var missing []string
	for _, s := range required {
		if !slices.Contains(granted, s) && !slices.Contains(missing, s) {
			missing = append(missing, s)
		}
	}
	return missing
}

// InsufficientScope is the OAuth error of a token that lacks scopes
// (RFC 6750 §3.1), and the details member "error" of ScopeError's errors.
const InsufficientScope = "insufficient_scope"

// ScopeError returns the error of a call to tool (or of a request whose
// calls need required) made with a token that has the scopes granted, or
// nil when granted holds every scope of required: MCP-002, whose details
// say "error": "insufficient_scope", "scope": the required scopes as one
// space-separated string (as a challenge carries them), "required_scopes"
// and "missing_scopes" as lists, and the tool.
func ScopeError(tool string, required, granted []string) *mcperr.Error {
	missing := MissingScopes(granted, required)
	if len(missing) == 0 {
		return nil
	}
	details := map[string]any{
		"error":           InsufficientScope,
		"scope":           strings.Join(required, " "),
		"required_scopes": slices.Clone(required),
		"missing_scopes":  missing,
	}
	if tool != "" {
		details["tool"] = tool
	}
	return &mcperr.Error{
		Code:    mcperr.CodeUnauthorized,
		Message: fmt.Sprintf("the access token lacks the scope %s needs: %s", describeTool(tool), strings.Join(missing, " ")),
		Details: details,
	}
}

func describeTool(tool string) string {
	if tool == "" {
		return "this request"
	}
	return "the tool " + tool
}

// ScopeChallenge returns the WWW-Authenticate challenge of a 403 for a
// request that needs the scopes required (SEP-2350: every scope of the
// operation, not only those the token lacks, nor those it has beyond
// them), with the protected-resource metadata. "" outside oauth mode.
func (a *Authenticator) ScopeChallenge(required []string) string {
	if a.oa == nil {
		return ""
	}
	return `Bearer realm="` + Realm + `", error="` + InsufficientScope + `", scope="` + quotable(strings.Join(required, " ")) +
		`", error_description="the access token lacks a scope this request needs", resource_metadata="` + a.oa.metadataURL + `"`
}

// OAuth returns the configuration of oauth mode with its defaults filled
// in, and false in another mode.
func (a *Authenticator) OAuth() (OAuthConfig, bool) {
	if a.oa == nil {
		return OAuthConfig{}, false
	}
	return a.oa.cfg, true
}

// Ping reports whether the Authenticator can verify tokens: in oauth mode
// with a JWKS, whether it holds the key set or can fetch it now (at most
// as often as KeySetMinRefresh allows); nil in every other mode. It is
// for readiness checks.
func (a *Authenticator) Ping(ctx context.Context) error {
	if a.oa == nil || a.oa.keys == nil {
		return nil
	}
	return a.oa.keys.ping(ctx)
}
