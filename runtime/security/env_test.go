package security_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/security"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
	"github.com/mcpgen/mcpgen/runtime/security/secrets"
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

// encrypted returns the environment of an encrypted secret: the Fernet
// key and name=value encrypted under it.
func encrypted(name, value string) map[string]string {
	key := secrets.NewKey()
	return map[string]string{secrets.EnvEncryptionKey: key.Encode(), name: key.Encrypt([]byte(value))}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestConfigFromEnv(t *testing.T) {
	keys := writeFile(t, `{"keys":[{"id":"desk-a-2025","client":"desk-a","secret":"`+goodSecret+`"},{"id":"desk-a-2026","client":"desk-a","secret":"`+goodSecret+`x"}]}`)
	tokens := writeFile(t, `{"tokens":[{"id":"ci","token":"`+goodToken+`"},{"token":"`+goodToken+`x"}]}`)
	bearer := func(tokens ...auth.Token) security.Config {
		return security.Config{Auth: auth.Config{Mode: auth.ModeBearer, Tokens: tokens}}
	}
	hmac := func(keys ...auth.Key) security.Config {
		return security.Config{Auth: auth.Config{Mode: auth.ModeHMAC, Keys: keys}}
	}
	none := security.Config{Auth: auth.Config{Mode: auth.ModeNone}}
	tests := []struct {
		name string
		env  map[string]string
		want security.Config
	}{
		{"nothing set: no authentication", nil, none},
		{"AUTH_TOKEN implies bearer", map[string]string{"AUTH_TOKEN": goodToken}, bearer(auth.Token{Token: goodToken})},
		{"API_KEY_HMAC_SECRET implies hmac", map[string]string{"API_KEY_HMAC_SECRET": " " + goodSecret + "\n"},
			hmac(auth.Key{ID: "default", Secret: goodSecret})},
		{"explicit mode, any case", map[string]string{"AUTH_MODE": "HMAC", "MCP_HMAC_KEYS_FILE": keys},
			withKeysFile(keys, hmac(auth.Key{ID: "desk-a-2025", Client: "desk-a", Secret: goodSecret}, auth.Key{ID: "desk-a-2026", Client: "desk-a", Secret: goodSecret + "x"}))},
		{"tokens file", map[string]string{"MCP_AUTH_TOKENS_FILE": tokens},
			withTokensFile(tokens, bearer(auth.Token{ID: "ci", Token: goodToken}, auth.Token{Token: goodToken + "x"}))},
		{"an encrypted token", encrypted("ENCRYPTED_AUTH_TOKEN", goodToken), bearer(auth.Token{Token: goodToken})},
		{"an encrypted secret", encrypted("ENCRYPTED_API_KEY_HMAC_SECRET", goodSecret), hmac(auth.Key{ID: "default", Secret: goodSecret})},
		{"API versions", map[string]string{"API_KEY_HMAC_SECRET": goodSecret, "MCP_API_VERSIONS": "1.0.0, 1.1.0"},
			security.Config{Auth: auth.Config{Mode: auth.ModeHMAC, Keys: []auth.Key{{ID: "default", Secret: goodSecret}}, APIVersions: []string{"1.0.0", "1.1.0"}}}},
		{"rate limit and proxies", map[string]string{"MCP_CLIENT_RATE_LIMIT": "100/30s", "MCP_TRUSTED_PROXIES": "10.0.0.0/8"},
			security.Config{Auth: none.Auth, ClientRateLimit: ratelimit.Rule{Limit: 100, Window: 30 * time.Second}, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}},
		{"rate limit off", map[string]string{"MCP_CLIENT_RATE_LIMIT": "off"},
			security.Config{Auth: none.Auth, ClientRateLimit: ratelimit.Rule{Limit: -1}}},
		{"audit log and a gateway in front", map[string]string{"MCP_AUDIT_LOG": "/var/log/mcp/audit.jsonl", "MCP_ALLOW_UNAUTHENTICATED": "true"},
			security.Config{Auth: none.Auth, AuditLog: "/var/log/mcp/audit.jsonl", AllowUnauthenticated: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := security.ConfigFromEnv(func(name string) string { return tt.env[name] })
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func withKeysFile(path string, c security.Config) security.Config   { c.KeysFile = path; return c }
func withTokensFile(path string, c security.Config) security.Config { c.TokensFile = path; return c }

func TestConfigFromEnvProblems(t *testing.T) {
	unknownField := writeFile(t, `{"keys":[{"id":"a","secret":"`+goodSecret+`","secrte":"x"}]}`)
	trailing := writeFile(t, `{"keys":[]} {}`)
	badKeys := writeFile(t, `{"keys":[{"id":"a b","secret":"`+goodSecret+`"},{"id":"k","client":"x:y","secret":"short"},{"id":"k","secret":"`+goodSecret+`"}]}`)
	noKeys := writeFile(t, `{"keys":[]}`)
	twiceTokens := writeFile(t, `{"tokens":[{"token":"`+goodToken+`"},{"id":"b","token":"`+goodToken+`"}]}`)
	wrongKey := encrypted("ENCRYPTED_AUTH_TOKEN", goodToken)
	wrongKey[secrets.EnvEncryptionKey] = secrets.NewKey().Encode()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"unknown mode", map[string]string{"AUTH_MODE": "kerberos"},
			`AUTH_MODE must be "none", "bearer", "hmac" or "oauth", got "kerberos"`},
		{"bearer without a token", map[string]string{"AUTH_MODE": "bearer"},
			"AUTH_MODE is bearer but no token is set: set AUTH_TOKEN (generate one with: openssl rand -hex 32) or MCP_AUTH_TOKENS_FILE"},
		{"hmac without a key", map[string]string{"AUTH_MODE": "hmac"},
			"AUTH_MODE is hmac but no key is set: set API_KEY_HMAC_SECRET (generate one with: openssl rand -hex 32) or MCP_HMAC_KEYS_FILE"},
		{"both kinds of credentials", map[string]string{"AUTH_TOKEN": goodToken, "API_KEY_HMAC_SECRET": goodSecret},
			"AUTH_MODE is not set, and credentials of more than one mode are: bearer (AUTH_TOKEN), hmac (API_KEY_HMAC_SECRET); set AUTH_MODE"},
		{"credentials unused by the mode", map[string]string{"AUTH_MODE": "none", "AUTH_TOKEN": goodToken},
			"AUTH_TOKEN is set but AUTH_MODE is none: remove it, or set AUTH_MODE to the mode it belongs to"},
		{"API versions outside hmac mode", map[string]string{"AUTH_TOKEN": goodToken, "MCP_API_VERSIONS": "1.0.0"},
			"MCP_API_VERSIONS is set but AUTH_MODE is bearer: remove it, or set AUTH_MODE to the mode it belongs to"},
		{"short secret", map[string]string{"API_KEY_HMAC_SECRET": "hunter2"},
			"API_KEY_HMAC_SECRET must be at least 32 bytes, got 7 (generate one with: openssl rand -hex 32)"},
		{"short token", map[string]string{"AUTH_TOKEN": "hunter2"},
			"AUTH_TOKEN must be at least 32 characters, got 7 (generate one with: openssl rand -hex 32)"},
		{"short encrypted token", encrypted("ENCRYPTED_AUTH_TOKEN", "hunter2"),
			"ENCRYPTED_AUTH_TOKEN must be at least 32 characters, got 7 (generate one with: openssl rand -hex 32)"},
		{"token outside the RFC 6750 alphabet", map[string]string{"AUTH_TOKEN": strings.Repeat("é", 20)},
			"AUTH_TOKEN must be characters of A-Z a-z 0-9 - . _ ~ + / with optional trailing ="},
		{"a secret both plain and encrypted", merge(encrypted("ENCRYPTED_API_KEY_HMAC_SECRET", goodSecret), map[string]string{"API_KEY_HMAC_SECRET": goodSecret}),
			"set one of API_KEY_HMAC_SECRET and ENCRYPTED_API_KEY_HMAC_SECRET, not both"},
		{"an encrypted secret without the key", map[string]string{"ENCRYPTED_AUTH_TOKEN": "gAAAAAB-not-checked"},
			"no encryption key: set MCP_ENCRYPTION_KEY or MCP_ENCRYPTION_KEY_FILE"},
		{"an encrypted secret under another key", wrongKey,
			"secret ENCRYPTED_AUTH_TOKEN could not be decrypted: invalid Fernet token: signature does not match (wrong key, or the token was altered)"},
		{"bad API version", map[string]string{"API_KEY_HMAC_SECRET": goodSecret, "MCP_API_VERSIONS": "1.0.0,v 2"},
			`MCP_API_VERSIONS entries must be 1 to 32 characters of A-Z a-z 0-9 . -, got "v 2"`},
		{"secret and keys file", map[string]string{"API_KEY_HMAC_SECRET": goodSecret, "MCP_HMAC_KEYS_FILE": "/x"},
			"set one of API_KEY_HMAC_SECRET and MCP_HMAC_KEYS_FILE, not both"},
		{"missing keys file", map[string]string{"MCP_HMAC_KEYS_FILE": "/nonexistent/keys.json"},
			"MCP_HMAC_KEYS_FILE /nonexistent/keys.json: cannot be read: no such file or directory"},
		{"unknown field", map[string]string{"MCP_HMAC_KEYS_FILE": unknownField},
			"MCP_HMAC_KEYS_FILE " + unknownField + `:1: is not valid: json: unknown field "secrte"`},
		{"data after the object", map[string]string{"MCP_HMAC_KEYS_FILE": trailing},
			"MCP_HMAC_KEYS_FILE " + trailing + ":1: is not valid: data after the JSON object"},
		{"every problem of a keys file", map[string]string{"MCP_HMAC_KEYS_FILE": badKeys},
			"MCP_HMAC_KEYS_FILE " + badKeys + `:1: keys[0] id must be 1 to 64 characters of A-Z a-z 0-9 _ . -, got "a b"; ` +
				"MCP_HMAC_KEYS_FILE " + badKeys + `:1: keys[1] client must be 1 to 64 characters of A-Z a-z 0-9 _ . -, got "x:y"; ` +
				"MCP_HMAC_KEYS_FILE " + badKeys + ":1: keys[1] secret must be at least 32 bytes, got 5 (generate one with: openssl rand -hex 32); " +
				"MCP_HMAC_KEYS_FILE " + badKeys + `:1: keys[2] id "k" is used twice`},
		{"empty keys file", map[string]string{"MCP_HMAC_KEYS_FILE": noKeys},
			"MCP_HMAC_KEYS_FILE " + noKeys + ": no keys"},
		{"token listed twice", map[string]string{"MCP_AUTH_TOKENS_FILE": twiceTokens},
			"MCP_AUTH_TOKENS_FILE " + twiceTokens + ":1: tokens[1] token is listed twice"},
		{"bad rate limit", map[string]string{"MCP_CLIENT_RATE_LIMIT": "100 per minute"},
			`MCP_CLIENT_RATE_LIMIT must be "N/duration" with positive N and duration, like "1000/1m", or "off", got "100 per minute"`},
		{"bad proxy", map[string]string{"MCP_TRUSTED_PROXIES": "10.0.0.0/33"},
			`MCP_TRUSTED_PROXIES must be comma-separated CIDR prefixes or addresses like 10.0.0.0/8, got "10.0.0.0/33"`},
		{"bad switch", map[string]string{"MCP_ALLOW_UNAUTHENTICATED": "yes"},
			`MCP_ALLOW_UNAUTHENTICATED must be "true" or "false", got "yes"`},
		{"several problems at once", map[string]string{"AUTH_MODE": "bearer", "API_KEY_HMAC_SECRET": goodSecret, "MCP_CLIENT_RATE_LIMIT": "x"},
			"API_KEY_HMAC_SECRET is set but AUTH_MODE is bearer: remove it, or set AUTH_MODE to the mode it belongs to; " +
				"AUTH_MODE is bearer but no token is set: set AUTH_TOKEN (generate one with: openssl rand -hex 32) or MCP_AUTH_TOKENS_FILE; " +
				`MCP_CLIENT_RATE_LIMIT must be "N/duration" with positive N and duration, like "1000/1m", or "off", got "x"`},
		{"a missing key is reported once", merge(map[string]string{"AUTH_MODE": "bearer", "ENCRYPTED_AUTH_TOKEN": "x", "ENCRYPTED_API_KEY_HMAC_SECRET": "y"}),
			"ENCRYPTED_API_KEY_HMAC_SECRET is set but AUTH_MODE is bearer: remove it, or set AUTH_MODE to the mode it belongs to; " +
				"no encryption key: set MCP_ENCRYPTION_KEY or MCP_ENCRYPTION_KEY_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := security.ConfigFromEnv(func(name string) string { return tt.env[name] })
			require.Error(t, err)
			e := mcperr.AsError(err)
			assert.Equal(t, mcperr.CodeMissingConfiguration, e.Code)
			assert.Equal(t, tt.want, e.Message)
			for _, secret := range []string{goodSecret, goodToken, "hunter2"} {
				assert.NotContains(t, e.Message, secret)
			}
		})
	}
}

// EnvUsage names every variable ConfigFromEnv reads, and nothing else.
func TestEnvUsage(t *testing.T) {
	var usage []string
	for _, line := range security.EnvUsage() {
		name, text, ok := strings.Cut(line, ": ")
		require.True(t, ok, line)
		assert.NotEmpty(t, text, name)
		usage = append(usage, name)
	}
	read := map[string]bool{}
	for _, env := range []map[string]string{
		{"AUTH_MODE": "hmac", "ENCRYPTED_API_KEY_HMAC_SECRET": "x", secrets.EnvEncryptionKeyFile: "/nonexistent"},
		{"AUTH_MODE": "bearer", "ENCRYPTED_AUTH_TOKEN": "x", secrets.EnvEncryptionKey: "k"},
		{"AUTH_MODE": "hmac", "MCP_HMAC_KEYS_FILE": "/nonexistent", "MCP_API_VERSIONS": "1"},
		{"AUTH_MODE": "bearer", "MCP_AUTH_TOKENS_FILE": "/nonexistent"},
		{"AUTH_TOKEN": goodToken},
		{"API_KEY_HMAC_SECRET": goodSecret},
		{},
	} {
		security.ConfigFromEnv(func(name string) string { read[name] = true; return env[name] })
	}
	for name := range read {
		assert.Contains(t, usage, name, "read but not in EnvUsage")
	}
	for _, name := range usage {
		assert.True(t, read[name], "%s is in EnvUsage but never read", name)
	}
	assert.Equal(t, "AUTH_MODE", usage[0])
}

// Every authentication mode can be chosen from the environment: a mode
// added to auth without its variables fails here.
func TestEveryModeFromEnv(t *testing.T) {
	credentials := map[auth.Mode]map[string]string{
		auth.ModeNone:   {},
		auth.ModeBearer: {"AUTH_TOKEN": goodToken},
		auth.ModeHMAC:   {"API_KEY_HMAC_SECRET": goodSecret},
		auth.ModeOAuth: {"OAUTH_ISSUER": "https://as.example.com", "OAUTH_AUDIENCE": "https://mcp.example.com/mcp",
			"OAUTH_JWKS_URL": "https://as.example.com/jwks"},
	}
	for _, m := range auth.Modes() {
		env, ok := credentials[m]
		require.True(t, ok, "no credentials for mode %s in this test", m)
		env = merge(env, map[string]string{"AUTH_MODE": string(m)})
		cfg, err := security.ConfigFromEnv(func(name string) string { return env[name] })
		require.NoError(t, err, m)
		assert.Equal(t, m, cfg.Auth.Mode)
		_, err = security.New(cfg, security.Options{AuditSink: &events{}})
		assert.NoError(t, err, m)
	}
}
