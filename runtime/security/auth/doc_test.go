package auth

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the generated example in docs/hmac-v1.md")

const docPath = "../../../docs/hmac-v1.md"

// The worked example of docs/hmac-v1.md.
var (
	docKey  = Key{ID: "desk-a-2026", Secret: "mcpgen-example-secret-do-not-use-0001"}
	docSign = SignParams{
		Method:         "POST",
		URL:            "https://mcp.example.com/mcp?tenant=desk+a&dry_run=1",
		ContentType:    "application/json",
		Body:           []byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"execution.sim_quote","arguments":{"symbol":"EURUSD","side":"buy","qty":"1000.00"}}}`),
		APIVersion:     "1.0.0",
		IdempotencyKey: "order-2026-0001",
		Nonce:          "3q2-7wFh0gJm9sKcYpXv1A",
		Time:           time.Unix(1_767_225_600, 0),
	}
)

const (
	beginExample = "<!-- BEGIN GENERATED EXAMPLE (go test ./runtime/security/auth -run TestDocExample -update) -->\n"
	endExample   = "<!-- END GENERATED EXAMPLE -->\n"
)

// docExample renders the example section from what SignRequestHeaders
// computes, so the document can only say what the code does.
func docExample(t *testing.T) string {
	t.Helper()
	h, canonical, err := SignRequestHeaders(docKey, docSign)
	require.NoError(t, err)
	lines := strings.Split(canonical, "\n")
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	w("| input | value |\n|---|---|\n")
	w("| key ID | `%s` |\n", docKey.ID)
	w("| secret | `%s` (the bytes of this ASCII string) |\n", docKey.Secret)
	w("| time | %s, Unix `%d` |\n", docSign.Time.UTC().Format(time.RFC3339), docSign.Time.Unix())
	w("| nonce | `%s` |\n", docSign.Nonce)
	w("| Idempotency-Key | `%s` |\n", docSign.IdempotencyKey)
	w("| X-API-Version | `%s` |\n", docSign.APIVersion)
	w("| request | `%s %s` |\n", docSign.Method, docSign.URL)
	w("| Content-Type | `%s` |\n", docSign.ContentType)
	w("\nThe body, %d bytes, no trailing newline:\n\n```json\n%s\n```\n", len(docSign.Body), docSign.Body)
	w("\nIts SHA-256, in lower-case hex:\n\n```text\n%s\n```\n", lines[len(lines)-1])
	w("\nThe canonical string, %d lines joined by LF (`\\n`, 0x0A), with no LF after the last:\n\n```text\n%s\n```\n",
		len(lines), canonical)
	w("\nThe signature, HMAC-SHA256 of those bytes under the secret, in lower-case hex:\n\n```text\n%s\n```\n", h.Get(HeaderSignature))
	w("\nThe request as sent:\n\n```http\n%s %s HTTP/1.1\nHost: mcp.example.com\n", docSign.Method, strings.TrimPrefix(docSign.URL, "https://mcp.example.com"))
	for _, name := range []string{"Content-Type", HeaderKeyID, HeaderTimestamp, HeaderNonce, HeaderIdempotencyKey, HeaderAPIVersion, HeaderSignature} {
		w("%s: %s\n", name, h.Get(name))
	}
	w("\n%s\n```\n", docSign.Body)
	w("\nTo check an implementation with nothing but a shell:\n\n```sh\nprintf '%%b' '%s' \\\n  | openssl dgst -sha256 -hmac '%s'\n```\n",
		strings.ReplaceAll(canonical, "\n", `\n`), docKey.Secret)
	return b.String()
}

func TestDocExample(t *testing.T) {
	raw, err := os.ReadFile(docPath)
	require.NoError(t, err)
	doc := string(raw)
	begin, end := strings.Index(doc, beginExample), strings.Index(doc, endExample)
	require.True(t, begin >= 0 && end > begin, "%s has no generated example section", docPath)
	want := docExample(t)
	if *update {
		doc = doc[:begin+len(beginExample)] + want + doc[end:]
		require.NoError(t, os.WriteFile(docPath, []byte(doc), 0o644))
		return
	}
	assert.Equal(t, want, doc[begin+len(beginExample):end],
		"docs/hmac-v1.md is stale: go test ./runtime/security/auth -run TestDocExample -update")
}

// TestDocExampleVerifies sends the documented request, headers and all, to
// a server holding the documented key at the documented time.
func TestDocExampleVerifies(t *testing.T) {
	a, err := New(Config{Mode: ModeHMAC, Keys: []Key{docKey}}, Options{Now: func() time.Time { return docSign.Time }})
	require.NoError(t, err)
	h, _, err := SignRequestHeaders(docKey, docSign)
	require.NoError(t, err)
	req := httptest.NewRequest(docSign.Method, docSign.URL, strings.NewReader(string(docSign.Body)))
	req.Header = h
	w := httptest.NewRecorder()
	handler(a)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).ServeHTTP(w, req)
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
}

// TestDocPythonClient runs the document's Python reference client on the
// worked example and checks it computes the same signature, so that what a
// reader copies into another language is right.
func TestDocPythonClient(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	raw, err := os.ReadFile(docPath)
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)<!-- python client -->\n```python\n(.*?)```").FindSubmatch(raw)
	require.NotNil(t, m, "%s has no python client block", docPath)
	args, err := json.Marshal(map[string]any{
		"key_id": docKey.ID, "secret": docKey.Secret, "method": docSign.Method, "url": docSign.URL,
		"body": string(docSign.Body), "content_type": docSign.ContentType, "api_version": docSign.APIVersion,
		"idempotency_key": docSign.IdempotencyKey, "nonce": docSign.Nonce, "timestamp": docSign.Time.Unix(),
	})
	require.NoError(t, err)
	script := string(m[1]) + fmt.Sprintf(`
import json, sys
a = json.loads(%q)
a["body"] = a["body"].encode()
print(json.dumps(sign_headers(**a)))
`, args)
	file := filepath.Join(t.TempDir(), "client.py")
	require.NoError(t, os.WriteFile(file, []byte(script), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, file).CombinedOutput()
	require.NoError(t, err, "%s", out)
	var got map[string]string
	require.NoError(t, json.Unmarshal(out, &got), "%s", out)

	want, _, err := SignRequestHeaders(docKey, docSign)
	require.NoError(t, err)
	for _, name := range []string{HeaderKeyID, HeaderTimestamp, HeaderNonce, HeaderIdempotencyKey, HeaderAPIVersion, HeaderSignature} {
		assert.Equal(t, want.Get(name), got[name], name)
	}
}

// TestDocShellCheck runs the document's openssl one-liner and checks that it
// prints the documented signature.
func TestDocShellCheck(t *testing.T) {
	for _, tool := range []string{"bash", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " is not installed")
		}
	}
	raw, err := os.ReadFile(docPath)
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)```sh\n(printf .*?)```").FindSubmatch(raw)
	require.NotNil(t, m, "%s has no shell check", docPath)
	out, err := exec.Command("bash", "-c", string(m[1])).CombinedOutput()
	require.NoError(t, err, "%s", out)
	h, _, err := SignRequestHeaders(docKey, docSign)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(strings.TrimSpace(string(out)), " "+h.Get(HeaderSignature)), "%s", out)
}
