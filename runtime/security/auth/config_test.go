package auth

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

func TestReadKeysFile(t *testing.T) {
	keys, err := ReadKeysFile(writeFile(t, `{"keys":[{"id":"desk-a-2025","client":"desk-a","secret":"`+goodSecret+`"},{"id":"desk-a-2026","client":"desk-a","secret":"`+goodSecret+`x"}]}`))
	require.NoError(t, err)
	assert.Equal(t, []Key{{ID: "desk-a-2025", Client: "desk-a", Secret: goodSecret}, {ID: "desk-a-2026", Client: "desk-a", Secret: goodSecret + "x"}}, keys)

	tests := []struct {
		name, content string
		want          []string
	}{
		{"unknown field", `{"keys":[{"id":"a","secret":"` + goodSecret + `","secrte":"x"}]}`, []string{`is not valid: json: unknown field "secrte"`}},
		{"data after the object", `{"keys":[]} {}`, []string{"is not valid: data after the JSON object"}},
		{"empty", `{"keys":[]}`, []string{"no keys"}},
		{"every problem", `{"keys":[{"id":"a b","secret":"` + goodSecret + `"},{"id":"k","client":"x:y","secret":"short"},{"id":"k","secret":"` + goodSecret + `"}]}`, []string{
			`keys[0] id must be 1 to 64 characters of A-Z a-z 0-9 _ . -, got "a b"`,
			`keys[1] client must be 1 to 64 characters of A-Z a-z 0-9 _ . -, got "x:y"`,
			"keys[1] secret must be at least 32 bytes, got 5 (generate one with: openssl rand -hex 32)",
			`keys[2] id "k" is used twice`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadKeysFile(writeFile(t, tt.content))
			require.Error(t, err)
			assert.Equal(t, strings.Join(tt.want, "\n"), err.Error())
			assert.NotContains(t, err.Error(), goodSecret)
		})
	}
	_, err = ReadKeysFile("/nonexistent/keys.json")
	assert.EqualError(t, err, "cannot be read: no such file or directory")
}

func TestReadTokensFile(t *testing.T) {
	tokens, err := ReadTokensFile(writeFile(t, `{"tokens":[{"id":"ci","token":"`+goodToken+`"},{"token":"`+goodToken+`x"}]}`))
	require.NoError(t, err)
	assert.Equal(t, []Token{{ID: "ci", Token: goodToken}, {Token: goodToken + "x"}}, tokens)
	_, err = ReadTokensFile(writeFile(t, `{"tokens":[{"token":"`+goodToken+`"},{"id":"b","token":"`+goodToken+`"},{"id":"c","token":"hunter2"}]}`))
	assert.EqualError(t, err, "tokens[1] token is listed twice\ntokens[2] token must be at least 32 characters, got 7 (generate one with: openssl rand -hex 32)")
	assert.NotContains(t, err.Error(), goodToken)
}

func TestChecks(t *testing.T) {
	assert.NoError(t, CheckSecret(goodSecret))
	assert.EqualError(t, CheckSecret("hunter2"), "must be at least 32 bytes, got 7 (generate one with: openssl rand -hex 32)")
	assert.NoError(t, CheckToken(goodToken))
	assert.EqualError(t, CheckToken("hunter2"), "must be at least 32 characters, got 7 (generate one with: openssl rand -hex 32)")
	assert.EqualError(t, CheckToken(strings.Repeat("é", 20)), "must be characters of A-Z a-z 0-9 - . _ ~ + / with optional trailing =")
	assert.NoError(t, CheckAPIVersion("1.1.0"))
	assert.EqualError(t, CheckAPIVersion("v 2"), `must be 1 to 32 characters of A-Z a-z 0-9 . -, got "v 2"`)
}

func TestNewProblems(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"hmac without keys", Config{Mode: ModeHMAC}, "auth: no keys"},
		{"bearer without tokens", Config{Mode: ModeBearer}, "auth: no tokens"},
		{"unknown mode", Config{Mode: "kerberos"}, `auth: mode must be "none", "bearer", "hmac" or "oauth", got "kerberos"`},
		{"bad API version", Config{Mode: ModeHMAC, Keys: []Key{keyA}, APIVersions: []string{"1.0.0", "v 2"}},
			`auth: API version must be 1 to 32 characters of A-Z a-z 0-9 . -, got "v 2"`},
		{"negative body cap", Config{Mode: ModeHMAC, Keys: []Key{keyA}, MaxBodyBytes: -1},
			"auth: the signed body cap must not be negative, got -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, Options{})
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

// Every mode of the table is one New accepts, and nothing else is.
func TestModes(t *testing.T) {
	assert.Equal(t, []Mode{ModeNone, ModeBearer, ModeHMAC, ModeOAuth}, Modes())
	creds := map[Mode]Config{
		ModeNone:   {},
		ModeBearer: {Tokens: []Token{tokenA}},
		ModeHMAC:   {Keys: []Key{keyA}},
		ModeOAuth:  {OAuth: OAuthConfig{Issuer: "https://as.example.com", Audience: "https://mcp.example.com/mcp", JWKSURL: "https://as.example.com/jwks"}},
	}
	for _, m := range Modes() {
		cfg := creds[m]
		cfg.Mode = m
		a, err := New(cfg, Options{})
		require.NoError(t, err, m)
		assert.Equal(t, m, a.Mode())
	}
	a, err := New(Config{}, Options{})
	require.NoError(t, err)
	assert.Equal(t, ModeNone, a.Mode(), "no mode is none")
	for _, m := range []Mode{"kerberos", "HMAC", " hmac"} {
		_, err := New(Config{Mode: m, Keys: []Key{keyA}}, Options{})
		require.Error(t, err, m)
		assert.Equal(t, mcperr.CodeMissingConfiguration, mcperr.AsError(err).Code)
		assert.Equal(t, `auth: mode must be "none", "bearer", "hmac" or "oauth", got "`+string(m)+`"`, mcperr.AsError(err).Message)
	}
}
