package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/security/auth"
	"github.com/mcpgen/mcpgen/runtime/security/secrets"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestTokenPrintsAFreshSecret(t *testing.T) {
	code, out1, _ := runCLI(t, "token")
	require.Equal(t, 0, code)
	_, out2, _ := runCLI(t, "token")
	assert.Len(t, strings.TrimSpace(out1), 43) // 32 bytes, URL-safe base64 without padding
	assert.NotEqual(t, out1, out2)

	code, _, stderr := runCLI(t, "token", "-bytes", "8")
	assert.Equal(t, 2, code)
	assert.Equal(t, "mcpgen: -bytes must be at least 32\n", stderr)
}

func TestKeygenWritesOnceAndEncryptRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fernet.key")
	code, stdout, _ := runCLI(t, "keygen", "-file", path)
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "wrote a new key to "+path+" (mode 0600)")
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	before, _ := os.ReadFile(path)
	code, _, stderr := runCLI(t, "keygen", "-file", path)
	assert.Equal(t, 1, code, "an existing key file must never be overwritten")
	assert.NotEmpty(t, stderr)
	after, _ := os.ReadFile(path)
	assert.Equal(t, before, after)

	t.Setenv("MCP_ENCRYPTION_KEY_FILE", path)
	var out, errOut bytes.Buffer
	require.Equal(t, 0, encrypt(nil, strings.NewReader("hunter2\n"), &out, &errOut), errOut.String())
	env := map[string]string{"MCP_ENCRYPTION_KEY_FILE": path, "ENCRYPTED_DB_PASSWORD": strings.TrimSpace(out.String())}
	plain, err := secrets.Decrypt(func(k string) string { return env[k] }, "ENCRYPTED_DB_PASSWORD")
	require.NoError(t, err)
	assert.Equal(t, "hunter2", plain)

	code, _, stderr = runCLI(t, "keygen")
	assert.Equal(t, 2, code)
	assert.Equal(t, "mcpgen: give exactly one of -file PATH and -print\n", stderr)
}

// TestSignHeadersPassTheVerifier signs a request with mcpgen sign and sends
// it, with those headers, to a server running the HMAC verifier.
func TestSignHeadersPassTheVerifier(t *testing.T) {
	secret := strings.Repeat("s", 40)
	t.Setenv("API_KEY_HMAC_SECRET", secret)
	a, err := auth.New(auth.Config{Mode: auth.ModeHMAC, Keys: []auth.Key{{ID: auth.DefaultKeyID, Secret: secret}}}, auth.Options{})
	require.NoError(t, err)
	reached := 0
	ts := httptest.NewServer(a.Authenticate(a.Replay(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++ }))))
	defer ts.Close()

	body := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	bodyFile := filepath.Join(t.TempDir(), "body.json")
	require.NoError(t, os.WriteFile(bodyFile, []byte(body), 0o600))
	code, stdout, stderr := runCLI(t, "sign", "-url", ts.URL+"/mcp", "-body", bodyFile)
	require.Equal(t, 0, code, stderr)

	req, err := http.NewRequest("POST", ts.URL+"/mcp", strings.NewReader(body))
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		h := strings.TrimSuffix(strings.TrimPrefix(line, "-H '"), "'")
		name, value, ok := strings.Cut(h, ": ")
		require.True(t, ok, line)
		req.Header.Set(name, value)
	}
	assert.NotContains(t, stdout, secret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 1, reached)

	t.Setenv("API_KEY_HMAC_SECRET", "")
	code, _, stderr = runCLI(t, "sign", "-url", ts.URL+"/mcp")
	assert.Equal(t, 2, code)
	assert.Equal(t, "mcpgen: MCP-011: set API_KEY_HMAC_SECRET to the HMAC secret to sign with\n", stderr)
}
