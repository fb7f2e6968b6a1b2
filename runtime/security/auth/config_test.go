package auth

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
)

const (
	goodSecret = "env-secret-0123456789abcdef0123456789"
	goodToken  = "env-token-0123456789abcdef0123456789"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "creds.json")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestConfigFromEnv(t *testing.T) {
	keys := writeFile(t, `{"keys":[{"id":"desk-a-2025","client":"desk-a","secret":"`+goodSecret+`"},{"id":"desk-a-2026","client":"desk-a","secret":"`+goodSecret+`x"}]}`)
	tokens := writeFile(t, `{"tokens":[{"id":"ci","token":"`+goodToken+`"},{"token":"`+goodToken+`x"}]}`)
	tests := []struct {
		name string
		env  map[string]string
		want Config
	}{
		{"nothing set: no authentication", nil, Config{Mode: ModeNone}},
		{"AUTH_TOKEN implies bearer", map[string]string{"AUTH_TOKEN": goodToken},
			Config{Mode: ModeBearer, Tokens: []Token{{Token: goodToken}}}},
		{"API_KEY_HMAC_SECRET implies hmac", map[string]string{"API_KEY_HMAC_SECRET": " " + goodSecret + "\n"},
			Config{Mode: ModeHMAC, Keys: []Key{{ID: "default", Secret: goodSecret}}}},
		{"explicit mode, any case", map[string]string{"AUTH_MODE": "HMAC", "MCP_HMAC_KEYS_FILE": keys},
			Config{Mode: ModeHMAC, Keys: []Key{
				{ID: "desk-a-2025", Client: "desk-a", Secret: goodSecret},
				{ID: "desk-a-2026", Client: "desk-a", Secret: goodSecret + "x"},
			}}},
		{"tokens file", map[string]string{"MCP_AUTH_TOKENS_FILE": tokens},
			Config{Mode: ModeBearer, Tokens: []Token{{ID: "ci", Token: goodToken}, {Token: goodToken + "x"}}}},
		{"rate limit and proxies", map[string]string{"MCP_CLIENT_RATE_LIMIT": "100/30s", "MCP_TRUSTED_PROXIES": "10.0.0.0/8"},
			Config{Mode: ModeNone, RateLimit: ratelimit.Rule{Limit: 100, Window: 30 * time.Second}, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}},
		{"rate limit off", map[string]string{"MCP_CLIENT_RATE_LIMIT": "off"},
			Config{Mode: ModeNone, RateLimit: ratelimit.Rule{Limit: -1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(name string) string { return tt.env[name] })
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestConfigFromEnvProblems(t *testing.T) {
	unknownField := writeFile(t, `{"keys":[{"id":"a","secret":"`+goodSecret+`","secrte":"x"}]}`)
	trailing := writeFile(t, `{"keys":[]} {}`)
	badKeys := writeFile(t, `{"keys":[{"id":"a b","secret":"`+goodSecret+`"},{"id":"k","client":"x:y","secret":"short"},{"id":"k","secret":"`+goodSecret+`"}]}`)
	noKeys := writeFile(t, `{"keys":[]}`)
	twiceTokens := writeFile(t, `{"tokens":[{"token":"`+goodToken+`"},{"id":"b","token":"`+goodToken+`"}]}`)
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"unknown mode", map[string]string{"AUTH_MODE": "oauth"},
			`AUTH_MODE must be "none", "bearer" or "hmac", got "oauth"`},
		{"bearer without a token", map[string]string{"AUTH_MODE": "bearer"},
			"AUTH_MODE is bearer but no token is set: set AUTH_TOKEN (generate one with: openssl rand -hex 32) or MCP_AUTH_TOKENS_FILE"},
		{"hmac without a key", map[string]string{"AUTH_MODE": "hmac"},
			"AUTH_MODE is hmac but no key is set: set API_KEY_HMAC_SECRET (generate one with: openssl rand -hex 32) or MCP_HMAC_KEYS_FILE"},
		{"both kinds of credentials", map[string]string{"AUTH_TOKEN": goodToken, "API_KEY_HMAC_SECRET": goodSecret},
			"AUTH_MODE is not set, and both bearer (AUTH_TOKEN, MCP_AUTH_TOKENS_FILE) and HMAC (API_KEY_HMAC_SECRET, MCP_HMAC_KEYS_FILE) credentials are: set AUTH_MODE"},
		{"credentials unused by the mode", map[string]string{"AUTH_MODE": "none", "AUTH_TOKEN": goodToken},
			"AUTH_TOKEN is set but AUTH_MODE is none: remove it, or set AUTH_MODE to the mode it belongs to"},
		{"short secret", map[string]string{"API_KEY_HMAC_SECRET": "hunter2"},
			"API_KEY_HMAC_SECRET must be at least 32 bytes, got 7 (generate one with: openssl rand -hex 32)"},
		{"short token", map[string]string{"AUTH_TOKEN": "hunter2"},
			"AUTH_TOKEN must be at least 32 characters, got 7 (generate one with: openssl rand -hex 32)"},
		{"token outside the RFC 6750 alphabet", map[string]string{"AUTH_TOKEN": strings.Repeat("é", 20)},
			"AUTH_TOKEN must be characters of A-Z a-z 0-9 - . _ ~ + / with optional trailing ="},
		{"secret and keys file", map[string]string{"API_KEY_HMAC_SECRET": goodSecret, "MCP_HMAC_KEYS_FILE": "/x"},
			"set one of API_KEY_HMAC_SECRET and MCP_HMAC_KEYS_FILE, not both"},
		{"missing keys file", map[string]string{"MCP_HMAC_KEYS_FILE": "/nonexistent/keys.json"},
			"MCP_HMAC_KEYS_FILE /nonexistent/keys.json: cannot be read: no such file or directory"},
		{"unknown field", map[string]string{"MCP_HMAC_KEYS_FILE": unknownField},
			"MCP_HMAC_KEYS_FILE " + unknownField + `: is not valid: json: unknown field "secrte"`},
		{"data after the object", map[string]string{"MCP_HMAC_KEYS_FILE": trailing},
			"MCP_HMAC_KEYS_FILE " + trailing + ": is not valid: data after the JSON object"},
		{"every problem of a keys file", map[string]string{"MCP_HMAC_KEYS_FILE": badKeys},
			"MCP_HMAC_KEYS_FILE " + badKeys + `: keys[0] id must be 1 to 64 characters of A-Z a-z 0-9 _ . -, got "a b"; ` +
				"MCP_HMAC_KEYS_FILE " + badKeys + `: keys[1] client must be 1 to 64 characters of A-Z a-z 0-9 _ . -, got "x:y"; ` +
				"MCP_HMAC_KEYS_FILE " + badKeys + ": keys[1] secret must be at least 32 bytes, got 5 (generate one with: openssl rand -hex 32); " +
				"MCP_HMAC_KEYS_FILE " + badKeys + `: keys[2] id "k" is used twice`},
		{"empty keys file", map[string]string{"MCP_HMAC_KEYS_FILE": noKeys},
			"MCP_HMAC_KEYS_FILE " + noKeys + ": no keys"},
		{"token listed twice", map[string]string{"MCP_AUTH_TOKENS_FILE": twiceTokens},
			"MCP_AUTH_TOKENS_FILE " + twiceTokens + ": tokens[1] token is listed twice"},
		{"bad rate limit", map[string]string{"MCP_CLIENT_RATE_LIMIT": "100 per minute"},
			`MCP_CLIENT_RATE_LIMIT must be "N/duration" with positive N and duration, like "1000/1m", or "off", got "100 per minute"`},
		{"bad proxy", map[string]string{"MCP_TRUSTED_PROXIES": "10.0.0.0/33"},
			`MCP_TRUSTED_PROXIES must be comma-separated CIDR prefixes or addresses like 10.0.0.0/8, got "10.0.0.0/33"`},
		{"several problems at once", map[string]string{"AUTH_MODE": "bearer", "API_KEY_HMAC_SECRET": goodSecret, "MCP_CLIENT_RATE_LIMIT": "x"},
			"API_KEY_HMAC_SECRET is set but AUTH_MODE is bearer: remove it, or set AUTH_MODE to the mode it belongs to; " +
				"AUTH_MODE is bearer but no token is set: set AUTH_TOKEN (generate one with: openssl rand -hex 32) or MCP_AUTH_TOKENS_FILE; " +
				`MCP_CLIENT_RATE_LIMIT must be "N/duration" with positive N and duration, like "1000/1m", or "off", got "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ConfigFromEnv(func(name string) string { return tt.env[name] })
			require.Error(t, err)
			e := mcperr.AsError(err)
			assert.Equal(t, mcperr.CodeMissingConfiguration, e.Code)
			assert.Equal(t, tt.want, e.Message)
			assert.NotContains(t, e.Message, goodSecret)
			assert.NotContains(t, e.Message, goodToken)
			assert.NotContains(t, e.Message, "hunter2")
		})
	}
}

func TestNewProblems(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"hmac without keys", Config{Mode: ModeHMAC}, "auth: no keys"},
		{"bearer without tokens", Config{Mode: ModeBearer}, "auth: no tokens"},
		{"unknown mode", Config{Mode: "oauth"}, `auth: mode must be "none", "bearer" or "hmac", got "oauth"`},
		{"bad API version", Config{Mode: ModeHMAC, Keys: []Key{keyA}, APIVersions: []string{"1.0.0", "v 2"}},
			`auth: API version must be 1 to 32 characters of A-Z a-z 0-9 . -, got "v 2"`},
		{"bad rate limit", Config{RateLimit: ratelimit.Rule{Limit: 5}},
			"auth: rate limit must have a positive limit and window, got 5 per 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			require.Error(t, err)
			assert.Equal(t, mcperr.CodeMissingConfiguration, mcperr.AsError(err).Code)
			assert.Equal(t, tt.want, mcperr.AsError(err).Message)
		})
	}
}

func TestCredentialsNeverPrint(t *testing.T) {
	cfg := Config{Mode: ModeHMAC, Keys: []Key{keyA}, Tokens: []Token{tokenA}}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "key", keyA, "token", tokenA)
	for _, s := range []string{
		fmt.Sprintf("%v %+v %#v %s", keyA, keyA, keyA, keyA),
		fmt.Sprintf("%v %+v %#v %s", tokenA, tokenA, tokenA, tokenA),
		fmt.Sprintf("%v %+v", cfg, cfg),
		logged.String(),
	} {
		assert.NotContains(t, s, keyA.Secret)
		assert.NotContains(t, s, tokenA.Token)
	}
	assert.Equal(t, "{ID:desk-a-2025 Client:desk-a Secret:[REDACTED]}", fmt.Sprint(keyA))
	assert.Contains(t, logged.String(), `"key":{"id":"desk-a-2025","client":"desk-a"}`)
}

func TestEnvUsage(t *testing.T) {
	usage := EnvUsage()
	require.Len(t, usage, 7)
	assert.Equal(t, `AUTH_MODE: "none", "bearer" or "hmac" (default: from the credentials set, else none)`, usage[0])
}

// Every mode of the table is one New accepts, and nothing else is.
func TestModes(t *testing.T) {
	assert.Equal(t, []Mode{ModeNone, ModeBearer, ModeHMAC}, Modes())
	creds := map[Mode]Config{
		ModeNone:   {},
		ModeBearer: {Tokens: []Token{tokenA}},
		ModeHMAC:   {Keys: []Key{keyA}},
	}
	for _, m := range Modes() {
		cfg := creds[m]
		cfg.Mode = m
		a, err := New(cfg)
		require.NoError(t, err, m)
		assert.Equal(t, m, a.Mode())
	}
	a, err := New(Config{})
	require.NoError(t, err)
	assert.Equal(t, ModeNone, a.Mode(), "no mode is none")
	for _, m := range []Mode{"oauth", "HMAC", " hmac"} {
		_, err := New(Config{Mode: m, Keys: []Key{keyA}})
		require.Error(t, err, m)
		assert.Equal(t, mcperr.CodeMissingConfiguration, mcperr.AsError(err).Code)
		assert.Equal(t, `auth: mode must be "none", "bearer" or "hmac", got "`+string(m)+`"`, mcperr.AsError(err).Message)
	}
}
