package security_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/principal"
	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/typed"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/security"
	"github.com/mcpgen/mcpgen/runtime/security/audit"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/ratelimit"
)

// writeAt writes content to dir/name and returns the path.
func writeAt(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func keysJSON(keys ...auth.Key) string {
	b, _ := json.MarshalIndent(map[string]any{"keys": keys}, "", "  ")
	return string(b)
}

// configChanges returns the config_change records written.
func configChanges(t *testing.T, e *events) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, ev := range e.all(t) {
		if ev["event_type"] == "config_change" {
			out = append(out, ev)
		}
	}
	return out
}

// noSecret fails when any secret appears in the events or the log.
func noSecret(t *testing.T, f *fixture, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		assert.NotContains(t, f.events.String(), s, "a secret in an audit event")
		assert.NotContains(t, f.log.String(), s, "a secret in the log")
	}
}

func TestReloadRotatesHMACKeys(t *testing.T) {
	dir := t.TempDir()
	keysFile := writeAt(t, dir, "keys.json", keysJSON(keyA))
	f := serve(t, security.Config{Auth: auth.Config{Mode: auth.ModeHMAC, Keys: []auth.Key{keyA}}, KeysFile: keysFile}, security.Options{})
	call := func(k auth.Key) int { return do(t, signed(t, k, f.clock, f.url, rpcBody, nil)).status }
	require.Equal(t, http.StatusOK, call(keyA))
	require.Equal(t, http.StatusUnauthorized, call(keyA2))

	// Add the new key: both work.
	writeAt(t, dir, "keys.json", keysJSON(keyA, keyA2))
	res, err := f.stack.Reload(security.ByAPI)
	require.NoError(t, err)
	assert.Equal(t, []audit.ConfigChange{{Setting: "auth.hmac", NewValue: "desk-a-2026 (client desk-a, fingerprint " + auth.Fingerprint(keyA2.Secret) + ")", ChangedBy: "api"}}, res.Changes)
	assert.Equal(t, http.StatusOK, call(keyA))
	assert.Equal(t, http.StatusOK, call(keyA2))

	// Remove the old one: refused from now on.
	writeAt(t, dir, "keys.json", keysJSON(keyA2))
	res, err = f.stack.Reload(security.BySignal)
	require.NoError(t, err)
	assert.Equal(t, []audit.ConfigChange{{Setting: "auth.hmac", OldValue: "desk-a-2025 (client desk-a, fingerprint " + auth.Fingerprint(keyA.Secret) + ")", ChangedBy: "signal"}}, res.Changes)
	assert.Equal(t, http.StatusUnauthorized, call(keyA))
	assert.Equal(t, http.StatusOK, call(keyA2))

	// A secret replaced under the same ID is one change, fingerprints differ.
	replaced := auth.Key{ID: keyA2.ID, Client: keyA2.Client, Secret: "test-secret-a3-0123456789abcdef012345678"}
	writeAt(t, dir, "keys.json", keysJSON(replaced))
	res, err = f.stack.Reload(security.ByAPI)
	require.NoError(t, err)
	require.Len(t, res.Changes, 1)
	assert.Contains(t, res.Changes[0].OldValue, auth.Fingerprint(keyA2.Secret))
	assert.Contains(t, res.Changes[0].NewValue, auth.Fingerprint(replaced.Secret))
	assert.Equal(t, http.StatusUnauthorized, call(keyA2))
	assert.Equal(t, http.StatusOK, call(replaced))

	// Nothing changed: no record.
	res, err = f.stack.Reload(security.ByAPI)
	require.NoError(t, err)
	assert.Empty(t, res.Changes)

	records := configChanges(t, f.events)
	require.Len(t, records, 3, "one record per change")
	for _, r := range records {
		assert.Equal(t, "config_changes", r["class"])
		assert.Equal(t, float64(2555), r["retention_days"])
		assert.Equal(t, "auth.hmac", r["setting"])
		assert.NotEqual(t, "[REDACTED]", r["old_value"], "IDs and fingerprints are no secrets")
	}
	assert.Equal(t, "signal", records[1]["changed_by"])
	noSecret(t, f, keyA.Secret, keyA2.Secret, replaced.Secret)
}

func TestReloadRefusesABrokenKeysFile(t *testing.T) {
	dir := t.TempDir()
	keysFile := writeAt(t, dir, "keys.json", keysJSON(keyA))
	f := serve(t, security.Config{Auth: auth.Config{Mode: auth.ModeHMAC, Keys: []auth.Key{keyA}}, KeysFile: keysFile}, security.Options{})
	call := func(k auth.Key) int { return do(t, signed(t, k, f.clock, f.url, rpcBody, nil)).status }

	broken := []string{
		"{\n  \"keys\": [\n    {\"id\": \"desk-a-2026\", \"secret\": \"" + keyA2.Secret + "\"},\n    {\"id\": \"short\", \"secret\": \"hunter2\"}\n  ]\n}\n",
		"{\n  \"keys\": [\n    {\"id\": \"desk-a-2026\", \"secret\": \"" + keyA2.Secret + "\"\n  ]\n}\n", // a syntax error
		"",
	}
	wantLine := []string{keysFile + ":4: keys[1] secret must be at least 32 bytes", keysFile + ":4: is not valid:", keysFile + ":1: is not valid: unexpected end of the file"}
	for i, content := range broken {
		writeAt(t, dir, "keys.json", content)
		res, err := f.stack.Reload(security.BySignal)
		require.Error(t, err)
		assert.Equal(t, mcperr.CodeMissingConfiguration, mcperr.AsError(err).Code)
		assert.Contains(t, err.Error(), "MCP_HMAC_KEYS_FILE "+wantLine[i])
		require.NotEmpty(t, res.Problems)
		assert.Empty(t, res.Changes)
		ev := f.events.last(t)
		assert.Equal(t, "config_rejected", ev["event_type"])
		assert.Equal(t, "security_events", ev["class"])
		assert.Contains(t, ev["reason"], wantLine[i])
		assert.Equal(t, "signal", ev["details"].(map[string]any)["changed_by"])

		assert.Equal(t, http.StatusOK, call(keyA), "the old key still works")
		assert.Equal(t, http.StatusUnauthorized, call(keyA2), "the new one was not taken")
	}
	assert.Empty(t, configChanges(t, f.events))
	assert.Contains(t, f.log.String(), "configuration reload refused")
	noSecret(t, f, keyA.Secret, keyA2.Secret, "hunter2")

	require.NoError(t, os.Remove(keysFile))
	_, err := f.stack.Reload(security.ByAPI)
	assert.ErrorContains(t, err, "MCP_HMAC_KEYS_FILE "+keysFile+": cannot be read: no such file or directory")
	assert.Equal(t, http.StatusOK, call(keyA))
}

func TestReloadRotatesBearerTokens(t *testing.T) {
	dir := t.TempDir()
	tokenB := auth.Token{ID: "ci-2026", Client: "ci", Token: "test-token-b-0123456789abcdef0123456789"}
	unnamed := auth.Token{Token: "test-token-c-0123456789abcdef0123456789"}
	tokens := func(ts ...auth.Token) string {
		b, _ := json.Marshal(map[string]any{"tokens": ts})
		return string(b)
	}
	file := writeAt(t, dir, "tokens.json", tokens(tokenA))
	f := serve(t, security.Config{Auth: auth.Config{Mode: auth.ModeBearer, Tokens: []auth.Token{tokenA}}, TokensFile: file}, security.Options{})
	call := func(tok auth.Token) int {
		return post(t, f.url, rpcBody, http.Header{"Authorization": {"Bearer " + tok.Token}}).status
	}
	writeAt(t, dir, "tokens.json", tokens(tokenB, unnamed))
	res, err := f.stack.Reload(security.ByAPI)
	require.NoError(t, err)
	assert.Equal(t, []audit.ConfigChange{
		{Setting: "auth.bearer", NewValue: "ci-2026 (client ci, fingerprint " + auth.Fingerprint(tokenB.Token) + ")", ChangedBy: "api"},
		{Setting: "auth.bearer", NewValue: "unnamed token (fingerprint " + auth.Fingerprint(unnamed.Token) + ")", ChangedBy: "api"},
		{Setting: "auth.bearer", OldValue: "ci (fingerprint " + auth.Fingerprint(tokenA.Token) + ")", ChangedBy: "api"},
	}, res.Changes)
	assert.Equal(t, http.StatusUnauthorized, call(tokenA))
	assert.Equal(t, http.StatusOK, call(tokenB))
	assert.Equal(t, http.StatusOK, call(unnamed))
	for _, r := range configChanges(t, f.events) {
		assert.Equal(t, "auth.bearer", r["setting"])
		assert.NotEqual(t, "[REDACTED]", r["new_value"])
	}
	noSecret(t, f, tokenA.Token, tokenB.Token, unnamed.Token)
}

func TestReloadLimitsFromTheSettingsFile(t *testing.T) {
	dir := t.TempDir()
	settings := writeAt(t, dir, "settings.env", "# limits\nMCP_CLIENT_RATE_LIMIT=3/1m\n")
	tools := map[string]int{"quote.get": 500, "book.read": 0}
	f := serve(t, security.Config{SettingsFile: settings, ToolRateLimits: map[string]ratelimit.Rule{"book.read": {Limit: 5, Window: time.Minute}}}, security.Options{Tools: tools})
	for i := range 3 {
		require.Equal(t, http.StatusOK, post(t, f.url, rpcBody, nil).status, "request %d", i)
	}
	require.Equal(t, http.StatusTooManyRequests, post(t, f.url, rpcBody, nil).status, "the settings file's limit, not the default")

	ctx := principal.WithClientID(context.Background(), "desk-a")
	callTool := func(tool string, perMinute int) error { return f.stack.ToolLimit(ctx, tool, perMinute) }
	// The environment's override holds at start: 5 a minute, not unlimited.
	for range 5 {
		require.NoError(t, callTool("book.read", 0))
	}
	assert.Error(t, callTool("book.read", 0))

	writeAt(t, dir, "settings.env", `
export MCP_CLIENT_RATE_LIMIT="5/1m"
MCP_TOOL_RATE_LIMITS=quote.get=2/10s, book.read=off
`)
	res, err := f.stack.Reload(security.ByFileWatch)
	require.NoError(t, err)
	assert.Equal(t, []audit.ConfigChange{
		{Setting: "MCP_CLIENT_RATE_LIMIT", OldValue: "3/1m", NewValue: "5/1m", ChangedBy: "file_watch"},
		{Setting: "MCP_TOOL_RATE_LIMITS/book.read", OldValue: "5/1m", NewValue: "off", ChangedBy: "file_watch"},
		{Setting: "MCP_TOOL_RATE_LIMITS/quote.get", OldValue: "500/1m (x-rate-limit)", NewValue: "2/10s", ChangedBy: "file_watch"},
	}, res.Changes)
	assert.Equal(t, http.StatusOK, post(t, f.url, rpcBody, nil).status, "the count carries on under the new limit")
	assert.Equal(t, http.StatusOK, post(t, f.url, rpcBody, nil).status)
	assert.Equal(t, http.StatusTooManyRequests, post(t, f.url, rpcBody, nil).status)
	assert.NoError(t, callTool("book.read", 0), "off")
	require.NoError(t, callTool("quote.get", 500))
	require.NoError(t, callTool("quote.get", 500))
	err = callTool("quote.get", 500)
	require.Error(t, err)
	e := mcperr.AsError(err)
	assert.Equal(t, mcperr.CodeRateLimitExceeded, e.Code)
	assert.Contains(t, e.Message, `rate limit of tool "quote.get" exceeded: 2 calls per 10s; retry in `)
	f.clock.Add(20 * time.Second)
	assert.NoError(t, callTool("quote.get", 500), "a new window")

	// A setting the file drops is the environment's again (here, the
	// default); one it gives replaces the environment's whole (book.read's
	// override was the environment's MCP_TOOL_RATE_LIMITS).
	writeAt(t, dir, "settings.env", "MCP_TOOL_RATE_LIMITS=quote.get=2/10s\n")
	res, err = f.stack.Reload(security.ByAPI)
	require.NoError(t, err)
	assert.Equal(t, []audit.ConfigChange{
		{Setting: "MCP_CLIENT_RATE_LIMIT", OldValue: "5/1m", NewValue: "1000/1m", ChangedBy: "api"},
		{Setting: "MCP_TOOL_RATE_LIMITS/book.read", OldValue: "off", NewValue: "none (x-rate-limit)", ChangedBy: "api"},
	}, res.Changes)
	writeAt(t, dir, "settings.env", "")
	res, err = f.stack.Reload(security.ByAPI)
	require.NoError(t, err)
	assert.Equal(t, []audit.ConfigChange{
		{Setting: "MCP_TOOL_RATE_LIMITS/book.read", OldValue: "none (x-rate-limit)", NewValue: "5/1m", ChangedBy: "api"},
		{Setting: "MCP_TOOL_RATE_LIMITS/quote.get", OldValue: "2/10s", NewValue: "500/1m (x-rate-limit)", ChangedBy: "api"},
	}, res.Changes)
}

func TestReloadRefusesBadSettings(t *testing.T) {
	dir := t.TempDir()
	settings := writeAt(t, dir, "settings.env", "MCP_CLIENT_RATE_LIMIT=3/1m\n")
	f := serve(t, security.Config{SettingsFile: settings}, security.Options{Tools: map[string]int{"quote.get": 0}})
	tests := []struct{ name, content, want string }{
		{"bad client limit", "\nMCP_CLIENT_RATE_LIMIT=lots\n",
			`MCP_SETTINGS_FILE ` + settings + `:2: MCP_CLIENT_RATE_LIMIT must be "N/duration" with positive N and duration, like "1000/1m", or "off", got "lots"`},
		{"unknown tool", "MCP_TOOL_RATE_LIMITS=quote.gte=1/1m\n",
			`MCP_SETTINGS_FILE ` + settings + `:1: MCP_TOOL_RATE_LIMITS names quote.gte, which is not a tool of this server; its tools: quote.get`},
		{"bad tool rule", "MCP_TOOL_RATE_LIMITS=quote.get=1/0s\n",
			`MCP_SETTINGS_FILE ` + settings + `:1: MCP_TOOL_RATE_LIMITS entry for quote.get must be "N/duration" with positive N and duration, like "100/1m", or "off", got "1/0s"`},
		{"unknown setting", "AUTH_TOKEN=x\n",
			`MCP_SETTINGS_FILE ` + settings + `:1: "AUTH_TOKEN" is not a setting of this file, which holds MCP_CLIENT_RATE_LIMIT, MCP_TOOL_RATE_LIMITS, MCP_ALLOWLIST_FILES`},
		{"twice", "MCP_CLIENT_RATE_LIMIT=3/1m\nMCP_CLIENT_RATE_LIMIT=4/1m\n",
			`MCP_SETTINGS_FILE ` + settings + `:2: MCP_CLIENT_RATE_LIMIT is set twice, first on line 1`},
		{"not a setting line", "MCP_CLIENT_RATE_LIMIT 3/1m\n",
			`MCP_SETTINGS_FILE ` + settings + `:1: lines must be NAME=value, a blank line or a # comment`},
		{"unknown allowlist", "MCP_ALLOWLIST_FILES=nothing-declares-this=x.txt\n",
			`MCP_SETTINGS_FILE ` + settings + `:1: MCP_ALLOWLIST_FILES names the allowlist nothing-declares-this, which no definition of this program declares`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeAt(t, dir, "settings.env", tt.content)
			_, err := f.stack.Reload(security.ByAPI)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Equal(t, "config_rejected", f.events.last(t)["event_type"])
		})
	}
	assert.Empty(t, configChanges(t, f.events))
	for i := range 3 {
		require.Equal(t, http.StatusOK, post(t, f.url, rpcBody, nil).status, "request %d: the limit is still 3/1m", i)
	}
	require.Equal(t, http.StatusTooManyRequests, post(t, f.url, rpcBody, nil).status)
}

func TestReloadReplacesAllowlists(t *testing.T) {
	list := typed.NewAllowlist("reload-test-symbols", "EURUSD", "GBPUSD", "IWM")
	dir := t.TempDir()
	symbols := writeAt(t, dir, "symbols.txt", "\ufeff# FX\nEURUSD\nGBPUSD\r\n\n  IWM  \n")
	f := serve(t, security.Config{AllowlistFiles: map[string]string{"reload-test-symbols": symbols}}, security.Options{})
	assert.Equal(t, []string{"EURUSD", "GBPUSD", "IWM"}, list.Values())

	writeAt(t, dir, "symbols.txt", "EURUSD\nGBPUSD\nSOL/USD\nDOGE, USD\n")
	res, err := f.stack.Reload(security.BySignal)
	require.NoError(t, err)
	assert.Equal(t, []audit.ConfigChange{{Setting: "allowlist/reload-test-symbols", OldValue: "3 values",
		NewValue: `4 values; added: "DOGE, USD", SOL/USD; removed: IWM`, ChangedBy: "signal"}}, res.Changes)
	assert.True(t, list.Contains("SOL/USD"))
	assert.False(t, list.Contains("IWM"))

	for _, tt := range []struct{ content, want string }{
		{"# nothing\n\n", symbols + ": allowlist reload-test-symbols: the file holds no values"},
		{"EURUSD\nbad\x01value\n", symbols + ":2: allowlist reload-test-symbols: the value holds a control character"},
		{"EURUSD\n\xff\n", symbols + ":2: allowlist reload-test-symbols: the value is not valid UTF-8"},
	} {
		writeAt(t, dir, "symbols.txt", tt.content)
		_, err := f.stack.Reload(security.ByAPI)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "MCP_ALLOWLIST_FILES "+tt.want)
		assert.True(t, list.Contains("SOL/USD"), "unchanged")
	}
	require.NoError(t, os.Remove(symbols))
	_, err = f.stack.Reload(security.ByAPI)
	assert.ErrorContains(t, err, "MCP_ALLOWLIST_FILES "+symbols+": allowlist reload-test-symbols: cannot be read: no such file or directory")

	// Closing the stack gives the list its definitions' values back.
	require.NoError(t, f.stack.Close())
	assert.Equal(t, []string{"EURUSD", "GBPUSD", "IWM"}, list.Values())
}

func TestReloadBindsAllowlistsFromTheSettingsFile(t *testing.T) {
	list := typed.NewAllowlist("reload-test-venues", "XNYS")
	dir := t.TempDir()
	writeAt(t, dir, "venues.txt", "XNYS\nXLON\n")
	settings := writeAt(t, dir, "settings.env", "")
	f := serve(t, security.Config{SettingsFile: settings}, security.Options{})
	writeAt(t, dir, "settings.env", "MCP_ALLOWLIST_FILES=reload-test-venues=venues.txt\n") // relative to the settings file
	res, err := f.stack.Reload(security.ByAPI)
	require.NoError(t, err)
	assert.Equal(t, []audit.ConfigChange{
		{Setting: "MCP_ALLOWLIST_FILES/reload-test-venues", OldValue: "definitions", NewValue: filepath.Join(dir, "venues.txt"), ChangedBy: "api"},
		{Setting: "allowlist/reload-test-venues", OldValue: "1 value", NewValue: "2 values; added: XLON", ChangedBy: "api"},
	}, res.Changes)
	assert.True(t, list.Contains("XLON"))

	writeAt(t, dir, "settings.env", "")
	res, err = f.stack.Reload(security.ByAPI)
	require.NoError(t, err)
	assert.Len(t, res.Changes, 2, "unbound: back to the definitions' values")
	assert.Equal(t, []string{"XNYS"}, list.Values())
}

func TestStartRefusesBadReloadableSettings(t *testing.T) {
	dir := t.TempDir()
	typed.NewAllowlist("reload-test-start", "A")
	tests := []struct {
		name string
		cfg  security.Config
		want string
	}{
		{"missing settings file", security.Config{SettingsFile: filepath.Join(dir, "none.env")},
			"MCP_SETTINGS_FILE " + filepath.Join(dir, "none.env") + ": cannot be read: no such file or directory"},
		{"empty allowlist", security.Config{AllowlistFiles: map[string]string{"reload-test-start": writeAt(t, dir, "empty.txt", "\n")}},
			"allowlist reload-test-start: the file holds no values"},
		{"unknown tool", security.Config{ToolRateLimits: map[string]ratelimit.Rule{"nope": {Limit: 1, Window: time.Second}}},
			"MCP_TOOL_RATE_LIMITS names nope, which is not a tool of this server; its tools: quote.get"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := security.New(tt.cfg, security.Options{AuditSink: &events{}, Stderr: &strings.Builder{}, Tools: map[string]int{"quote.get": 1}})
			require.Error(t, err)
			assert.Equal(t, mcperr.CodeMissingConfiguration, mcperr.AsError(err).Code)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestWatchReloadsChangedFiles(t *testing.T) {
	dir := t.TempDir()
	keysFile := writeAt(t, dir, "keys.json", keysJSON(keyA))
	f := serve(t, security.Config{Auth: auth.Config{Mode: auth.ModeHMAC, Keys: []auth.Key{keyA}}, KeysFile: keysFile,
		WatchInterval: 20 * time.Millisecond}, security.Options{})
	call := func(k auth.Key) int { return do(t, signed(t, k, f.clock, f.url, rpcBody, nil)).status }

	// Written elsewhere and renamed into place, as a deployment should.
	tmp := writeAt(t, dir, "keys.json.new", keysJSON(keyA, keyB))
	require.NoError(t, os.Rename(tmp, keysFile))
	require.Eventually(t, func() bool { return call(keyB) == http.StatusOK }, 5*time.Second, 20*time.Millisecond)
	records := configChanges(t, f.events)
	require.Len(t, records, 1)
	assert.Equal(t, "file_watch", records[0]["changed_by"])
	assert.Equal(t, http.StatusOK, call(keyA))

	// A broken file is refused once, not at every tick.
	writeAt(t, dir, "keys.json", "{")
	require.Eventually(t, func() bool { return strings.Contains(f.events.String(), "config_rejected") }, 5*time.Second, 20*time.Millisecond)
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, 1, strings.Count(f.events.String(), "config_rejected"))
	assert.Equal(t, http.StatusOK, call(keyB))
}

func TestConfigFromEnvReloadable(t *testing.T) {
	cfg, err := security.ConfigFromEnv(func(name string) string {
		return map[string]string{
			"MCP_TOOL_RATE_LIMITS": "risk.position_limits_check=100/1m, quote.get=off",
			"MCP_ALLOWLIST_FILES":  "symbols=/etc/desk/symbols.txt",
			"MCP_SETTINGS_FILE":    "/etc/desk/settings.env",
			"MCP_WATCH_INTERVAL":   "5s",
		}[name]
	})
	require.NoError(t, err)
	assert.Equal(t, map[string]ratelimit.Rule{"risk.position_limits_check": {Limit: 100, Window: time.Minute}, "quote.get": {Limit: -1}}, cfg.ToolRateLimits)
	assert.Equal(t, map[string]string{"symbols": "/etc/desk/symbols.txt"}, cfg.AllowlistFiles)
	assert.Equal(t, "/etc/desk/settings.env", cfg.SettingsFile)
	assert.Equal(t, 5*time.Second, cfg.WatchInterval)

	_, err = security.ConfigFromEnv(func(name string) string {
		return map[string]string{
			"MCP_TOOL_RATE_LIMITS": "a=1/1m,a=off,b=fast,=1/1m",
			"MCP_ALLOWLIST_FILES":  "symbols,x=/a,x=/b",
			"MCP_WATCH_INTERVAL":   "1ms",
		}[name]
	})
	require.Error(t, err)
	assert.Equal(t, `MCP_TOOL_RATE_LIMITS names a twice; `+
		`MCP_TOOL_RATE_LIMITS entry for b must be "N/duration" with positive N and duration, like "100/1m", or "off", got "fast"; `+
		`MCP_TOOL_RATE_LIMITS entries must be "tool=N/duration" or "tool=off" with a tool name of 1 to 128 characters of A-Z a-z 0-9 _ . -, got "=1/1m"; `+
		`MCP_ALLOWLIST_FILES entries must be "name=path", like "symbols=/etc/desk/symbols.txt", got "symbols"; `+
		`MCP_ALLOWLIST_FILES names the allowlist x twice; `+
		`MCP_WATCH_INTERVAL must be a Go duration of at least 100ms like "5s", or "off", got "1ms"`, mcperr.AsError(err).Message)
}
