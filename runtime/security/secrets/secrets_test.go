package secrets_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/mcperr"

	"github.com/mcpgen/mcpgen/runtime/security/secrets"
)

// The Fernet specification's key and its token for "hello".
const (
	specKey   = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
	specToken = "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=="
	otherKey  = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
)

type env map[string]string

func (e env) get(k string) string { return e[k] }

// result renders what a function returned as the user sees it: the value, or
// the error's text with the temporary directory written as DIR.
func result(t *testing.T, dir, v string, err error) string {
	t.Helper()
	if err == nil {
		return "ok " + v
	}
	var e *mcperr.Error
	if !errors.As(err, &e) || e.Code != mcperr.CodeMissingConfiguration {
		t.Errorf("error is not MCP-011: %#v", err)
	}
	if dir == "" {
		return err.Error()
	}
	return strings.ReplaceAll(err.Error(), dir, "DIR")
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	return path
}

func TestRequire(t *testing.T) {
	tests := []struct {
		env  env
		want string
	}{
		{env{"AUTH_TOKEN": "s3cret-value"}, "ok s3cret-value"},
		{env{}, "MCP-011 MISSING_CONFIGURATION: required secret AUTH_TOKEN is not set"},
		{env{"AUTH_TOKEN": ""}, "MCP-011 MISSING_CONFIGURATION: required secret AUTH_TOKEN is not set"},
	}
	for _, tt := range tests {
		v, err := secrets.Require(tt.env.get, "AUTH_TOKEN")
		if got := result(t, "", v, err); got != tt.want {
			t.Errorf("Require with %v\n got: %s\nwant: %s", tt.env, got, tt.want)
		}
	}
}

func TestDecrypt(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, filepath.Join(dir, "key"), specKey+"\n", 0o600)
	readOnly := writeFile(t, filepath.Join(dir, "key-ro"), specKey, 0o400)
	open := writeFile(t, filepath.Join(dir, "key-open"), specKey, 0o644)
	groupRead := writeFile(t, filepath.Join(dir, "key-group"), specKey, 0o640)
	garbage := writeFile(t, filepath.Join(dir, "key-garbage"), "not a key", 0o600)
	const name = "ENCRYPTED_DB_PASSWORD"
	tests := []struct {
		name string
		env  env
		want string
	}{
		{"key in the environment", env{name: specToken, "MCP_ENCRYPTION_KEY": specKey}, "ok hello"},
		{"key file", env{name: specToken, "MCP_ENCRYPTION_KEY_FILE": good}, "ok hello"},
		{"read-only key file", env{name: specToken, "MCP_ENCRYPTION_KEY_FILE": readOnly}, "ok hello"},
		{"value not set", env{"MCP_ENCRYPTION_KEY": specKey},
			"MCP-011 MISSING_CONFIGURATION: required secret ENCRYPTED_DB_PASSWORD is not set"},
		{"no key", env{name: specToken},
			"MCP-011 MISSING_CONFIGURATION: no encryption key: set MCP_ENCRYPTION_KEY or MCP_ENCRYPTION_KEY_FILE"},
		{"both keys", env{name: specToken, "MCP_ENCRYPTION_KEY": specKey, "MCP_ENCRYPTION_KEY_FILE": good},
			"MCP-011 MISSING_CONFIGURATION: set only one of MCP_ENCRYPTION_KEY and MCP_ENCRYPTION_KEY_FILE"},
		{"malformed key", env{name: specToken, "MCP_ENCRYPTION_KEY": "hunter2"},
			"MCP-011 MISSING_CONFIGURATION: MCP_ENCRYPTION_KEY is not a Fernet key (32 bytes in URL-safe base64, 44 characters)"},
		{"missing key file", env{name: specToken, "MCP_ENCRYPTION_KEY_FILE": filepath.Join(dir, "nokey")},
			"MCP-011 MISSING_CONFIGURATION: cannot read encryption key file DIR/nokey: no such file or directory"},
		{"world-readable key file", env{name: specToken, "MCP_ENCRYPTION_KEY_FILE": open},
			"MCP-011 MISSING_CONFIGURATION: encryption key file DIR/key-open has mode 0644; it must be readable by its owner only (chmod 600 DIR/key-open)"},
		{"group-readable key file", env{name: specToken, "MCP_ENCRYPTION_KEY_FILE": groupRead},
			"MCP-011 MISSING_CONFIGURATION: encryption key file DIR/key-group has mode 0640; it must be readable by its owner only (chmod 600 DIR/key-group)"},
		{"key file is a directory", env{name: specToken, "MCP_ENCRYPTION_KEY_FILE": dir},
			"MCP-011 MISSING_CONFIGURATION: encryption key file DIR is not a regular file"},
		{"key file without a key", env{name: specToken, "MCP_ENCRYPTION_KEY_FILE": garbage},
			"MCP-011 MISSING_CONFIGURATION: encryption key file DIR/key-garbage does not hold a Fernet key (32 bytes in URL-safe base64, 44 characters)"},
		{"wrong key", env{name: specToken, "MCP_ENCRYPTION_KEY": otherKey},
			"MCP-011 MISSING_CONFIGURATION: secret ENCRYPTED_DB_PASSWORD could not be decrypted: invalid Fernet token: signature does not match (wrong key, or the token was altered)"},
		{"plaintext instead of a token", env{name: "plain-password", "MCP_ENCRYPTION_KEY": specKey},
			"MCP-011 MISSING_CONFIGURATION: secret ENCRYPTED_DB_PASSWORD could not be decrypted: invalid Fernet token: not URL-safe base64"},
		{"token of another format", env{name: base64.URLEncoding.EncodeToString([]byte("\x81 some other format")), "MCP_ENCRYPTION_KEY": specKey},
			"MCP-011 MISSING_CONFIGURATION: secret ENCRYPTED_DB_PASSWORD could not be decrypted: invalid Fernet token: unknown version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := secrets.Decrypt(tt.env.get, name)
			got := result(t, dir, v, err)
			if got != tt.want {
				t.Errorf("\n got: %s\nwant: %s", got, tt.want)
			}
			if err != nil && (strings.Contains(got, "hunter2") || strings.Contains(got, "plain-password") || strings.Contains(got, specKey)) {
				t.Errorf("the message echoes a secret: %s", got)
			}
		})
	}
}

func TestGenerateKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mcp.key")
	k, err := secrets.GenerateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if string(b) != k.Encode()+"\n" || len(b) != 45 {
		t.Errorf("file holds %q, want the key and a newline", b)
	}
	token := k.Encrypt([]byte("pw"))
	if v, err := secrets.Decrypt(env{"ENCRYPTED_X": token, "MCP_ENCRYPTION_KEY_FILE": path}.get, "ENCRYPTED_X"); err != nil || v != "pw" {
		t.Errorf("Decrypt with the generated file = %q, %v", v, err)
	}

	_, err = secrets.GenerateKeyFile(path)
	want := "encryption key file DIR/mcp.key already exists; it is never replaced, since values encrypted with it would no longer decrypt"
	if got := strings.ReplaceAll(err.Error(), dir, "DIR"); got != want {
		t.Errorf("second GenerateKeyFile\n got: %s\nwant: %s", got, want)
	}
	if b2, _ := os.ReadFile(path); string(b2) != string(b) {
		t.Error("the existing key file was changed")
	}

	_, err = secrets.GenerateKeyFile(filepath.Join(dir, "missing", "mcp.key"))
	want = "cannot create encryption key file DIR/missing/mcp.key: no such file or directory"
	if got := strings.ReplaceAll(err.Error(), dir, "DIR"); got != want {
		t.Errorf("GenerateKeyFile in a missing directory\n got: %s\nwant: %s", got, want)
	}
}

func TestKeyFormatHidesKeyMaterial(t *testing.T) {
	k, _ := secrets.ParseKey(specKey)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		for _, v := range []any{k, *k} {
			if got := fmt.Sprintf(verb, v); got != "secrets.Key([REDACTED])" {
				t.Errorf("%s of %T printed %q", verb, v, got)
			}
		}
	}
	if k.Encode() != specKey {
		t.Errorf("Encode = %q, want %q", k.Encode(), specKey)
	}
}

func TestNewToken(t *testing.T) {
	for _, n := range []int{16, 32, 48} {
		tok := secrets.NewToken(n)
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(b) != n {
			t.Errorf("NewToken(%d) = %q: %d bytes, %v", n, tok, len(b), err)
		}
	}
	if secrets.NewToken(32) == secrets.NewToken(32) {
		t.Error("two tokens are equal")
	}
	defer func() {
		if r := recover(); r != "secrets: NewToken needs at least 16 bytes" {
			t.Errorf("NewToken(8) panicked with %v", r)
		}
	}()
	secrets.NewToken(8)
}
