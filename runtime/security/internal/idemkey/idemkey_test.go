package idemkey

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValid(t *testing.T) {
	long := string(make([]byte, 129))
	for _, tt := range []struct {
		key  string
		want bool
	}{
		{"a", true},
		{"order-2024.01:42_x", true},
		{"", false},
		{"has space", false},
		{"new\nline", false},
		{"ünïcode", false},
		{long, false},
	} {
		assert.Equal(t, tt.want, Valid(tt.key), "%q", tt.key)
	}
}

func TestNewFingerprintSeparatesFields(t *testing.T) {
	body := sha256.Sum256(nil)
	a := NewFingerprint("POST", "h", "/mcp", "a=b", "application/json", "1.0.0", body)
	assert.Equal(t, a, NewFingerprint("POST", "h", "/mcp", "a=b", "application/json", "1.0.0", body))
	assert.NotEqual(t, a, NewFingerprint("POST", "h", "/mcpa", "=b", "application/json", "1.0.0", body), "a byte moved from one field to the next")
	assert.NotEqual(t, a, NewFingerprint("POST", "h", "/mcp", "a=b", "application/json", "1.0.1", body))
	assert.NotEqual(t, a, NewFingerprint("POST", "h", "/mcp", "a=b", "application/json", "1.0.0", sha256.Sum256([]byte("x"))))
}
