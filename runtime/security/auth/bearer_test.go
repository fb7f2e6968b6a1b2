package auth

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func bearerServer(t *testing.T) (string, *downstream) {
	t.Helper()
	a, err := New(Config{Mode: ModeBearer, Tokens: []Token{tokenA, tokenB}}, Options{
		OnReject: func(r *http.Request, status int, e *mcperr.Error, event string) {
			if event != "auth_failure" {
				t.Errorf("a bearer refusal is event %q, want auth_failure", event)
			}
		}})
	require.NoError(t, err)
	srv, d := serve(t, handler(a))
	return srv.URL, d
}

func TestBearerFailures(t *testing.T) {
	url, d := bearerServer(t)
	tests := []struct {
		name      string
		header    []string // Authorization values
		challenge string
		message   string
	}{
		{"missing header", nil, `Bearer realm="mcp"`,
			"missing Authorization header: send Authorization: Bearer <token>"},
		{"other scheme", []string{"Basic dXNlcjpwYXNz"}, `Bearer realm="mcp", error="invalid_request"`,
			`the Authorization header must be one "Bearer <token>"`},
		{"no token", []string{"Bearer"}, `Bearer realm="mcp", error="invalid_request"`,
			`the Authorization header must be one "Bearer <token>"`},
		{"token with a space", []string{"Bearer abc def"}, `Bearer realm="mcp", error="invalid_request"`,
			`the Authorization header must be one "Bearer <token>"`},
		{"two headers", []string{"Bearer " + tokenA.Token, "Bearer " + tokenB.Token}, `Bearer realm="mcp", error="invalid_request"`,
			`the Authorization header must be one "Bearer <token>"`},
		{"wrong token", []string{"Bearer " + strings.Repeat("x", 40)}, `Bearer realm="mcp", error="invalid_token"`,
			"the token is not valid"},
		{"a valid token's prefix", []string{"Bearer " + tokenA.Token[:30]}, `Bearer realm="mcp", error="invalid_token"`,
			"the token is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{}`))
			require.NoError(t, err)
			for _, v := range tt.header {
				req.Header.Add("Authorization", v)
			}
			resp := do(t, nil, req)
			assert.Equal(t, http.StatusUnauthorized, resp.status)
			assert.Equal(t, tt.challenge, resp.header.Get("WWW-Authenticate"))
			b := resp.error(t)
			assert.Equal(t, "MCP-002", b.Code)
			assert.Equal(t, tt.message, b.Message)
			assert.True(t, b.SecurityEvent)
			assert.NotContains(t, string(resp.body), "test-token", "no token in the body")
		})
	}
	assert.Zero(t, d.runs.Load())
}

func TestBearerClientIDs(t *testing.T) {
	url, d := bearerServer(t)
	tests := []struct {
		name, authorization string
		client              *regexp.Regexp
	}{
		{"named token", "Bearer " + tokenA.Token, regexp.MustCompile(`^ci$`)},
		{"scheme is case-insensitive", "bearer " + tokenA.Token, regexp.MustCompile(`^ci$`)},
		{"unnamed token: keyed hash", "Bearer " + tokenB.Token, regexp.MustCompile(`^[0-9a-f]{32}$`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"x":1}`))
			require.NoError(t, err)
			req.Header.Set("Authorization", tt.authorization)
			resp := do(t, nil, req)
			require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
			got := resp.seen(t)
			assert.Regexp(t, tt.client, got.Client)
			assert.Equal(t, `{"x":1}`, got.Body)
		})
	}
	assert.Equal(t, int64(3), d.runs.Load())
}

func TestTokenHash(t *testing.T) {
	assert.Equal(t, tokenHash(tokenB.Token), tokenHash(tokenB.Token), "stable within a process")
	assert.NotEqual(t, tokenHash(tokenB.Token), tokenHash(tokenB.Token+"x"), "covers the whole token")
	assert.NotEqual(t, tokenHash(tokenB.Token)[:8], tokenB.Token[:8])
}
