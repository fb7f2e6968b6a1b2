package secrets

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// vector is one case of the Fernet specification's test files.
type vector struct {
	Desc   string    `json:"desc"`
	Token  string    `json:"token"`
	Now    time.Time `json:"now"`
	IVInts []int     `json:"iv"`
	TTLSec int       `json:"ttl_sec"`
	Src    string    `json:"src"`
	Secret string    `json:"secret"`
}

func vectors(t *testing.T, name string) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

func mustKey(t *testing.T, s string) *Key {
	t.Helper()
	k, err := ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestFernetGenerateVectors(t *testing.T) {
	for _, v := range vectors(t, "generate.json") {
		var iv [16]byte
		for i, n := range v.IVInts {
			iv[i] = byte(n)
		}
		if got := mustKey(t, v.Secret).encryptAt([]byte(v.Src), v.Now, iv); got != v.Token {
			t.Errorf("token\n got %s\nwant %s", got, v.Token)
		}
	}
}

func TestFernetVerifyVectors(t *testing.T) {
	for _, v := range vectors(t, "verify.json") {
		got, err := mustKey(t, v.Secret).decryptAt(v.Token, time.Duration(v.TTLSec)*time.Second, v.Now)
		if err != nil || string(got) != v.Src {
			t.Errorf("decrypt = %q, %v; want %q", got, err, v.Src)
		}
	}
}

func TestFernetInvalidVectors(t *testing.T) {
	want := map[string]string{
		"incorrect mac":  "invalid Fernet token: signature does not match (wrong key, or the token was altered)",
		"too short":      "invalid Fernet token: wrong length",
		"invalid base64": "invalid Fernet token: not URL-safe base64",
		"payload size not multiple of block size": "invalid Fernet token: wrong length",
		"payload padding error":                   "invalid Fernet token: bad padding",
		"far-future TS (unacceptable clock skew)": "invalid Fernet token: timestamp is in the future",
		"expired TTL":                           "invalid Fernet token: expired",
		"incorrect IV (causes padding error)":   "invalid Fernet token: bad padding",
		"trailing characters after b64 padding": "invalid Fernet token: not URL-safe base64",
		"invalid characters in b64":             "invalid Fernet token: not URL-safe base64",
		"invalid non-urlsafe characters in b64": "invalid Fernet token: not URL-safe base64",
	}
	vs := vectors(t, "invalid.json")
	if len(vs) != len(want) {
		t.Fatalf("%d vectors, %d expectations", len(vs), len(want))
	}
	for _, v := range vs {
		t.Run(v.Desc, func(t *testing.T) {
			_, err := mustKey(t, v.Secret).decryptAt(v.Token, time.Duration(v.TTLSec)*time.Second, v.Now)
			if err == nil || err.Error() != want[v.Desc] || !errors.Is(err, ErrInvalidToken) {
				t.Errorf("got %v, want %s", err, want[v.Desc])
			}
		})
	}
}

func TestFernetRoundTripAndAge(t *testing.T) {
	k := NewKey()
	for _, msg := range []string{"", "x", "exactly 16 bytes", strings.Repeat("long ", 100)} {
		got, err := k.Decrypt(k.Encrypt([]byte(msg)), 0)
		if err != nil || string(got) != msg {
			t.Errorf("round trip of %q = %q, %v", msg, got, err)
		}
	}
	old := k.encryptAt([]byte("v"), time.Now().Add(-48*time.Hour), [16]byte{})
	if _, err := k.Decrypt(old, 0); err != nil {
		t.Errorf("ttl 0 refused an old token: %v", err)
	}
	if _, err := k.Decrypt(old, time.Hour); err == nil || err.Error() != "invalid Fernet token: expired" {
		t.Errorf("ttl 1h on a 48h-old token: %v", err)
	}
	if _, err := NewKey().Decrypt(old, 0); err == nil ||
		err.Error() != "invalid Fernet token: signature does not match (wrong key, or the token was altered)" {
		t.Errorf("another key: %v", err)
	}
}

// TestFernetPythonInterop exchanges tokens with Python's
// cryptography.fernet, when it is installed.
func TestFernetPythonInterop(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil || exec.Command(py, "-c", "import cryptography.fernet").Run() != nil {
		t.Skip("python3 with the cryptography package is not installed")
	}
	k := NewKey()
	out, err := exec.Command(py, "-c", `import sys
from cryptography.fernet import Fernet
f = Fernet(sys.argv[1].encode())
print(f.decrypt(sys.argv[2].encode()).decode())
print(f.encrypt(b"from python").decode())`, k.Encode(), k.Encrypt([]byte("from go"))).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[0] != "from go" {
		t.Fatalf("python decrypted %q", out)
	}
	if got, err := k.Decrypt(lines[1], 0); err != nil || string(got) != "from python" {
		t.Errorf("decrypting Python's token: %q, %v", got, err)
	}
}
