package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCanonicalPath(t *testing.T) {
	tests := []struct{ path, want string }{
		{"", "/"},
		{"/", "/"},
		{"/mcp", "/mcp"},
		{"/a b/ü", "/a%20b/%C3%BC"},
		{"/~user/a-b_c.d", "/~user/a-b_c.d"},
		{"/a+b", "/a%2Bb"},
		{"/100%", "/100%25"},
		{"/a?b#c", "/a%3Fb%23c"}, // a decoded path can hold them
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, canonicalPath(tt.path), "%q", tt.path)
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"", ""},
		{"b=2&a=1", "a=1&b=2"},
		{"a=2&a=1", "a=1&a=2"},
		{"a=1&a0=1", "a=1&a0=1"},               // by name first, though "0" < "="
		{"flag", "flag="},                      // a name without "=" has an empty value
		{"a=&&b", "a=&b="},                     // empty parts dropped
		{"q=x+y", "q=x%20y"},                   // "+" is a space, as forms have it
		{"q=x%2By", "q=x%2By"},                 // and an escaped "+" stays a plus
		{"q=%7e%41", "q=~A"},                   // unreserved bytes decoded, hex case irrelevant
		{"q=a=b", "q=a%3Db"},                   // split at the first "="
		{"k%20y=%E2%82%AC", "k%20y=%E2%82%AC"}, // upper-case hex
		{"q=a;b", "q=a%3Bb"},                   // ";" is data, not a separator
	}
	for _, tt := range tests {
		got, err := canonicalQuery(tt.raw)
		require.NoError(t, err, "%q", tt.raw)
		assert.Equal(t, tt.want, got, "%q", tt.raw)
	}
	for _, raw := range []string{"a=%zz", "a=%4", "%=1"} {
		_, err := canonicalQuery(raw)
		assert.EqualError(t, err, "query is not valid percent-encoding", "%q", raw)
	}
}

func TestCanonicalString(t *testing.T) {
	c := canonical{
		keyID: "k", timestamp: "1", nonce: "n", method: "POST", host: "h", path: "/p", query: "",
		apiVersion: "1.0.0", idempotencyKey: "i", contentType: "", bodySHA256: "e3b0",
	}
	assert.Equal(t, "MCP-HMAC-SHA256-V1\nk\n1\nn\nPOST\nh\n/p\n\n1.0.0\ni\n\ne3b0", c.String(),
		"twelve lines, empty fields kept, no final line feed")
}
