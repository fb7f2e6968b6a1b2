package security_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sdkauth "github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/mcpgen/mcpgen/runtime/security"
	"github.com/mcpgen/mcpgen/runtime/security/audit"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/internal/oauthtest"
)

const resourceMetadata = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"

// The scopes of the tools the oauth tests register, as x-scopes declares
// them.
var toolScopes = map[string][]string{
	"quote.get": {"market:read"},
	"state.set": {"state:read", "state:write"},
	"ping":      nil,
}

// oauthFixture is a stack in oauth mode over a test authorization
// server, serving an echoing handler over loopback HTTP, with its events
// and log kept.
type oauthFixture struct {
	as     *oauthtest.Server
	stack  *security.Stack
	url    string
	clock  *fakeClock
	events *events
	log    *bytes.Buffer

	mu   sync.Mutex
	seen []*http.Request // the requests that reached the handler
	body []string        // and their bodies
}

func newOAuthStack(t *testing.T, edit func(*auth.OAuthConfig)) *oauthFixture {
	t.Helper()
	f := &oauthFixture{as: oauthtest.NewServer(t), clock: newFakeClock(), events: &events{}, log: &bytes.Buffer{}}
	cfg := auth.OAuthConfig{Issuer: f.as.Issuer, Audience: oauthtest.Audience, JWKSURL: f.as.JWKSURL}
	if edit != nil {
		edit(&cfg)
	}
	stack, err := security.New(security.Config{Auth: auth.Config{Mode: auth.ModeOAuth, OAuth: cfg}},
		security.Options{Now: f.clock.Now, AuditSink: f.events, Stderr: f.log, ToolScopes: toolScopes})
	require.NoError(t, err)
	t.Cleanup(func() { stack.Close() })
	f.stack = stack
	srv := httptest.NewServer(stack.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.seen, f.body = append(f.seen, r), append(f.body, string(body))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"client": principal.ClientID(r.Context())})
	})))
	t.Cleanup(srv.Close)
	f.url = srv.URL + "/mcp"
	return f
}

func (f *oauthFixture) token(t *testing.T, sub string, scopes ...string) string {
	return f.as.Key("k1").Token(t, f.as.Claims(f.clock.Now(), sub, scopes...))
}

func (f *oauthFixture) last() (*http.Request, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.seen) == 0 {
		return nil, ""
	}
	return f.seen[len(f.seen)-1], f.body[len(f.body)-1]
}

func (f *oauthFixture) reached() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.seen)
}

func call(tool string) string {
	return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `","arguments":{}}}`
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"application/json"}}
}

func TestOAuthStack(t *testing.T) {
	f := newOAuthStack(t, nil)
	reader := f.token(t, "alice", "market:read", "state:read")
	writer := f.token(t, "bob", "market:read", "state:read", "state:write")

	// A token with the tool's scopes: through, with its principal, the
	// body handed on unchanged, and the answer private to caches.
	resp := post(t, f.url, call("quote.get"), bearer(reader))
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	assert.JSONEq(t, `{"client":"oauth/alice/desk-app"}`, string(resp.body))
	assert.Equal(t, "private", resp.header.Get("Cache-Control"))
	r, body := f.last()
	assert.Equal(t, call("quote.get"), body)
	assert.Equal(t, "oauth/alice/desk-app", sdkauth.TokenInfoFromContext(r.Context()).UserID)
	for _, body := range []string{call("ping"), call("unknown.tool"), `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, `not json`} {
		assert.Equal(t, http.StatusOK, post(t, f.url, body, bearer(reader)).status, body)
	}
	assert.Equal(t, http.StatusOK, post(t, f.url, call("state.set"), bearer(writer)).status)

	// Without a scope of the tool: 403 with every scope the call needs in
	// one challenge (SEP-2350), before the protocol layer.
	before := f.reached()
	resp = post(t, f.url, call("state.set"), bearer(reader))
	require.Equal(t, http.StatusForbidden, resp.status)
	assert.Equal(t, `Bearer realm="mcp", error="insufficient_scope", scope="state:read state:write", error_description="the access token lacks a scope this request needs", resource_metadata="`+resourceMetadata+`"`,
		resp.header.Get("WWW-Authenticate"))
	e := resp.error(t)
	assert.Equal(t, "MCP-002", e.Code)
	assert.Equal(t, "the access token lacks the scope the tool state.set needs: state:write", e.Message)
	assert.Equal(t, map[string]any{"error": "insufficient_scope", "scope": "state:read state:write", "tool": "state.set",
		"required_scopes": []any{"state:read", "state:write"}, "missing_scopes": []any{"state:write"}}, e.Details)
	assert.Equal(t, before, f.reached(), "the handler never saw it")
	ev := f.events.last(t)
	assert.Equal(t, "insufficient_scope", ev["event_type"])
	assert.Equal(t, "auth_events", ev["class"])
	assert.Equal(t, "state.set", ev["tool"])
	assert.Equal(t, "oauth/alice/desk-app", ev["client_id"])
	assert.Equal(t, "MCP-002", ev["code"])
	assert.Equal(t, []any{"state:write"}, ev["details"].(map[string]any)["missing_scopes"])

	// A batch needs the scopes of all its calls.
	batch := "[" + call("quote.get") + "," + call("state.set") + "]"
	resp = post(t, f.url, batch, bearer(f.token(t, "carol", "state:read", "state:write")))
	require.Equal(t, http.StatusForbidden, resp.status)
	assert.Contains(t, resp.header.Get("WWW-Authenticate"), `scope="market:read state:read state:write"`)
	assert.Equal(t, http.StatusOK, post(t, f.url, batch, bearer(writer)).status)

	// Refused tokens: 401 with resource_metadata, and an auth_failure event.
	resp = post(t, f.url, call("quote.get"), http.Header{"Content-Type": {"application/json"}})
	require.Equal(t, http.StatusUnauthorized, resp.status)
	assert.Equal(t, `Bearer realm="mcp", resource_metadata="`+resourceMetadata+`"`, resp.header.Get("WWW-Authenticate"))
	assert.Equal(t, "auth_failure", f.events.last(t)["event_type"])
	expired := f.as.Key("k1").Token(t, f.as.Claims(f.clock.Now().Add(-3*time.Hour), "alice", "market:read"))
	resp = post(t, f.url, call("quote.get"), bearer(expired))
	require.Equal(t, http.StatusUnauthorized, resp.status)
	assert.Contains(t, resp.header.Get("WWW-Authenticate"), `error="invalid_token", error_description="the access token has expired"`)
	ev = f.events.last(t)
	assert.Equal(t, "auth_failure", ev["event_type"])
	assert.Equal(t, "the access token has expired", ev["reason"])

	// No token, valid or not, in any event or log line.
	for _, token := range []string{reader, writer, expired} {
		assert.NotContains(t, f.events.String(), token)
		assert.NotContains(t, f.log.String(), token)
		assert.NotContains(t, f.events.String(), strings.Split(token, ".")[2], "a signature")
	}
}

// The tool gate, for calls that reach a tool however the HTTP layer read
// their body: the call's context gets the token from the SDK's
// RequestExtra.TokenInfo (auth.WithTokenInfo).
func TestOAuthToolScopes(t *testing.T) {
	f := newOAuthStack(t, nil)
	require.Equal(t, http.StatusOK, post(t, f.url, call("quote.get"), bearer(f.token(t, "alice", "market:read", "state:read"))).status)
	r, _ := f.last()
	ctx := auth.WithTokenInfo(context.Background(), sdkauth.TokenInfoFromContext(r.Context()))

	assert.NoError(t, f.stack.ToolScopes(ctx, "quote.get", []string{"market:read"}))
	assert.NoError(t, f.stack.ToolScopes(ctx, "ping", nil))
	err := f.stack.ToolScopes(ctx, "state.set", []string{"state:read", "state:write"})
	require.Error(t, err)
	e := mcperr.AsError(err)
	assert.Equal(t, mcperr.CodeUnauthorized, e.Code)
	assert.Equal(t, []string{"state:write"}, e.Details["missing_scopes"])
	assert.Equal(t, "state:read state:write", e.Details["scope"])

	err = f.stack.ToolScopes(context.Background(), "quote.get", []string{"market:read"})
	require.Error(t, err, "no token: refused")
	assert.Equal(t, "MCP-002 UNAUTHORIZED: the call to the tool quote.get carries no access token", err.Error())

	// The stack records the call's refusal as an insufficient_scope event.
	f.stack.Record(principal.WithClientID(ctx, "oauth/alice/desk-app"), audit.Call{Tool: "state.set", Err: e})
	ev := f.events.last(t)
	assert.Equal(t, "insufficient_scope", ev["event_type"])
	assert.Equal(t, "oauth/alice/desk-app", ev["client_id"])

	// Other modes have no scopes: every call passes.
	other, err2 := security.New(security.Config{Auth: auth.Config{Mode: auth.ModeBearer, Tokens: []auth.Token{tokenA}}},
		security.Options{AuditSink: &events{}, ToolScopes: toolScopes})
	require.NoError(t, err2)
	assert.NoError(t, other.ToolScopes(context.Background(), "state.set", []string{"state:write"}))
	assert.True(t, other.ToolVisible(context.Background(), []string{"state:write"}))
	assert.Empty(t, other.Endpoints("/mcp"))
}

func TestOAuthToolVisible(t *testing.T) {
	f := newOAuthStack(t, nil)
	info := &sdkauth.TokenInfo{Scopes: []string{"market:read"}}
	ctx := auth.WithTokenInfo(context.Background(), info)
	assert.True(t, f.stack.ToolVisible(ctx, []string{"state:write"}), "unfiltered unless configured")

	f = newOAuthStack(t, func(c *auth.OAuthConfig) { c.ListByScope = true })
	assert.True(t, f.stack.ToolVisible(ctx, []string{"market:read"}))
	assert.True(t, f.stack.ToolVisible(ctx, nil))
	assert.False(t, f.stack.ToolVisible(ctx, []string{"state:read", "state:write"}))
	assert.False(t, f.stack.ToolVisible(context.Background(), []string{"market:read"}), "no token sees no scoped tool")
	assert.True(t, f.stack.ToolVisible(context.Background(), nil))
}

func TestOAuthEndpoints(t *testing.T) {
	f := newOAuthStack(t, nil)
	eps := f.stack.Endpoints("/mcp")
	assert.ElementsMatch(t, []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"}, keys(eps))
	assert.ElementsMatch(t, []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/v1/mcp",
		"/.well-known/oauth-protected-resource/mcp"}, keys(f.stack.Endpoints("/v1/mcp")), "the audience's path too")

	mux := http.NewServeMux()
	for path, h := range eps {
		mux.Handle(path, h)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, path := range keys(eps) {
		resp := do(t, mustRequest(t, http.MethodGet, srv.URL+path))
		require.Equal(t, http.StatusOK, resp.status, path)
		assert.Equal(t, "application/json", resp.header.Get("Content-Type"))
		assert.Equal(t, "*", resp.header.Get("Access-Control-Allow-Origin"))
		assert.JSONEq(t, `{"resource":"https://mcp.example.com/mcp","authorization_servers":["`+f.as.Issuer+`"],
			"scopes_supported":["market:read","state:read","state:write"],"bearer_methods_supported":["header"]}`, string(resp.body))
	}
	assert.Equal(t, http.StatusNoContent, do(t, mustRequest(t, http.MethodOptions, srv.URL+"/.well-known/oauth-protected-resource")).status)
	resp := do(t, mustRequest(t, http.MethodPost, srv.URL+"/.well-known/oauth-protected-resource"))
	assert.Equal(t, http.StatusMethodNotAllowed, resp.status)
	assert.Equal(t, "GET, HEAD, OPTIONS", resp.header.Get("Allow"))
}

func TestOAuthReady(t *testing.T) {
	f := newOAuthStack(t, nil)
	f.as.FailJWKS(http.StatusBadGateway)
	err := f.stack.Ready(context.Background())
	require.Error(t, err)
	assert.Equal(t, "security: the OAuth key set (OAUTH_JWKS_URL) store does not answer: auth: the authorization server's key set (OAUTH_JWKS_URL) cannot be fetched", err.Error())
	f.as.FailJWKS(0)
	f.clock.Add(auth.DefaultKeySetMinRefresh)
	assert.NoError(t, f.stack.Ready(context.Background()))
}

func TestOAuthFromEnv(t *testing.T) {
	base := map[string]string{"OAUTH_ISSUER": "https://as.example.com", "OAUTH_AUDIENCE": "https://mcp.example.com/mcp"}
	jwks := merge(base, map[string]string{"OAUTH_JWKS_URL": "https://as.example.com/jwks"})
	read := func(env map[string]string) (security.Config, error) {
		return security.ConfigFromEnv(func(name string) string { return env[name] })
	}
	cfg, err := read(jwks)
	require.NoError(t, err)
	assert.Equal(t, auth.Config{Mode: auth.ModeOAuth, OAuth: auth.OAuthConfig{Issuer: "https://as.example.com",
		Audience: "https://mcp.example.com/mcp", JWKSURL: "https://as.example.com/jwks"}}, cfg.Auth, "the mode follows the settings")

	cfg, err = read(merge(jwks, map[string]string{"AUTH_MODE": "oauth", "OAUTH_ALGORITHMS": "ES256, RS256", "OAUTH_JWT_TYPES": "at+jwt,JWT",
		"OAUTH_FILTER_TOOLS_LIST": "true"}))
	require.NoError(t, err)
	assert.Equal(t, []string{"ES256", "RS256"}, cfg.Auth.OAuth.Algorithms)
	assert.Equal(t, []string{"at+jwt", "JWT"}, cfg.Auth.OAuth.JWTTypes)
	assert.True(t, cfg.Auth.OAuth.ListByScope)

	introspection := merge(base, map[string]string{"OAUTH_INTROSPECTION_URL": "https://as.example.com/introspect", "OAUTH_CLIENT_ID": "mcp"})
	cfg, err = read(merge(introspection, encrypted("ENCRYPTED_OAUTH_CLIENT_SECRET", "introspection-secret")))
	require.NoError(t, err)
	assert.Equal(t, "introspection-secret", cfg.Auth.OAuth.ClientSecret)
	assert.Equal(t, "mcp", cfg.Auth.OAuth.ClientID)

	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"oauth without settings", map[string]string{"AUTH_MODE": "oauth"},
			"OAUTH_ISSUER is not set: set it to the authorization server's issuer identifier; OAUTH_AUDIENCE is not set: set it to the URL of this server's MCP endpoint, such as https://mcp.example.com/mcp; AUTH_MODE is oauth but tokens cannot be verified: set OAUTH_JWKS_URL (JWT access tokens) or OAUTH_INTROSPECTION_URL (token introspection)"},
		{"HS256", merge(jwks, map[string]string{"OAUTH_ALGORITHMS": "HS256"}),
			`OAUTH_ALGORITHMS must not list "HS256": only asymmetric algorithms are accepted (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)`},
		{"a bad filter value", merge(jwks, map[string]string{"OAUTH_FILTER_TOOLS_LIST": "yes"}),
			`OAUTH_FILTER_TOOLS_LIST must be "true" or "false", got "yes"`},
		{"introspection without a secret", introspection,
			"OAUTH_INTROSPECTION_URL needs the server's client credentials: set OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET"},
		{"a secret that does not decrypt", merge(introspection, map[string]string{"ENCRYPTED_OAUTH_CLIENT_SECRET": "not-fernet", "MCP_ENCRYPTION_KEY": "bad"}),
			"MCP_ENCRYPTION_KEY is not a Fernet key (32 bytes in URL-safe base64, 44 characters)"},
		{"oauth settings in another mode", map[string]string{"AUTH_MODE": "bearer", "AUTH_TOKEN": goodToken, "OAUTH_AUDIENCE": "https://mcp.example.com/mcp"},
			"OAUTH_AUDIENCE is set but AUTH_MODE is bearer: remove it, or set AUTH_MODE to the mode it belongs to"},
		{"two modes' credentials", merge(jwks, map[string]string{"AUTH_TOKEN": goodToken}),
			"AUTH_MODE is not set, and credentials of more than one mode are: bearer (AUTH_TOKEN), oauth (OAUTH_ISSUER, OAUTH_JWKS_URL); set AUTH_MODE"},
	} {
		_, err := read(tt.env)
		require.Error(t, err, tt.name)
		assert.Equal(t, mcperr.CodeMissingConfiguration, mcperr.AsError(err).Code)
		assert.Equal(t, tt.want, mcperr.AsError(err).Message, tt.name)
	}
	usage := strings.Join(security.EnvUsage(), "\n")
	for _, name := range []string{"OAUTH_ISSUER", "OAUTH_AUDIENCE", "OAUTH_JWKS_URL", "OAUTH_ALGORITHMS", "OAUTH_JWT_TYPES", "OAUTH_INTROSPECTION_URL",
		"OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET", "ENCRYPTED_OAUTH_CLIENT_SECRET", "OAUTH_FILTER_TOOLS_LIST"} {
		assert.Contains(t, usage, "\n"+name+": ")
	}
}

// With the MCP SDK behind the stack: the tool sees the token's scopes in
// RequestExtra.TokenInfo, the gate refuses a call whose token lacks them
// (the isError result the client gets when the HTTP layer did not refuse
// it first), and a session belongs to the principal that opened it.
func TestOAuthWithTheSDK(t *testing.T) {
	f := &oauthFixture{as: oauthtest.NewServer(t), clock: newFakeClock(), events: &events{}, log: &bytes.Buffer{}}
	stack, err := security.New(security.Config{Auth: auth.Config{Mode: auth.ModeOAuth,
		OAuth: auth.OAuthConfig{Issuer: f.as.Issuer, Audience: oauthtest.Audience, JWKSURL: f.as.JWKSURL}}},
		security.Options{AuditSink: f.events, Stderr: f.log}) // no ToolScopes: only the gate decides
	require.NoError(t, err)
	srv := mcp.NewServer(&mcp.Implementation{Name: "desk", Version: "1.0.0"}, nil)
	srv.AddTool(&mcp.Tool{Name: "state.set", InputSchema: json.RawMessage(`{"type":"object"}`)},
		func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			ctx = auth.WithTokenInfo(ctx, req.Extra.TokenInfo)
			if err := stack.ToolScopes(ctx, "state.set", []string{"state:write"}); err != nil {
				return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: err.Error()}}}, nil
			}
			scopes, _ := auth.Scopes(ctx)
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: strings.Join(scopes, " ")}}}, nil
		})
	hs := httptest.NewServer(stack.HTTP(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil)))
	t.Cleanup(hs.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	connect := func(token string) *mcp.ClientSession {
		client := mcp.NewClient(&mcp.Implementation{Name: "desk", Version: "1.0.0"}, nil)
		session, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hs.URL + "/mcp",
			HTTPClient: &http.Client{Transport: bearerTransport(token)}}, nil)
		require.NoError(t, err)
		t.Cleanup(func() { session.Close() })
		return session
	}
	text := func(res *mcp.CallToolResult) string { return res.Content[0].(*mcp.TextContent).Text }
	now := time.Now()
	k1 := f.as.Key("k1")
	writer := connect(k1.Token(t, f.as.Claims(now, "bob", "state:read", "state:write")))
	res, err := writer.CallTool(ctx, &mcp.CallToolParams{Name: "state.set", Arguments: map[string]any{}})
	require.NoError(t, err)
	assert.False(t, res.IsError)
	assert.Equal(t, "state:read state:write", text(res))

	reader := k1.Token(t, f.as.Claims(now, "alice", "state:read"))
	res, err = connect(reader).CallTool(ctx, &mcp.CallToolParams{Name: "state.set", Arguments: map[string]any{}})
	require.NoError(t, err)
	assert.True(t, res.IsError)
	assert.Equal(t, "MCP-002 UNAUTHORIZED: the access token lacks the scope the tool state.set needs: state:write", text(res))

	// The SDK's event stream answers stay private to caches.
	req, err := http.NewRequest(http.MethodPost, hs.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":9,"method":"tools/list"}`))
	require.NoError(t, err)
	req.Header = bearer(k1.Token(t, f.as.Claims(now, "bob", "state:read", "state:write")))
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", writer.ID())
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	resp := do(t, req)
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	assert.Equal(t, "text/event-stream", resp.header.Get("Content-Type"))
	assert.Equal(t, "no-cache, no-transform, private", resp.header.Get("Cache-Control"))

	// Bob's session, used with Alice's token: the SDK refuses it.
	req, err = http.NewRequest(http.MethodPost, hs.URL+"/mcp", strings.NewReader(call("state.set")))
	require.NoError(t, err)
	req.Header = bearer(reader)
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", writer.ID())
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	resp = do(t, req)
	assert.Equal(t, http.StatusForbidden, resp.status, "%s", resp.body)
}

type bearerTransport string

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

func keys(m map[string]http.Handler) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	return req
}
