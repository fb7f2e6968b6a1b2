package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"hash"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/mcpgen/mcpgen/runtime/security/internal/idemkey"
)

// Scheme is the tag that starts every HMAC v1 canonical string, and the
// scheme name of its WWW-Authenticate challenge. A later version of the
// scheme gets a new tag, so a v1 signature can never verify as another.
const Scheme = "MCP-HMAC-SHA256-V1"

// Header names of HMAC v1.
const (
	HeaderKeyID          = "X-Key-Id"
	HeaderTimestamp      = "X-Timestamp"
	HeaderNonce          = "X-Nonce"
	HeaderSignature      = "X-Signature"
	HeaderAPIVersion     = "X-API-Version"
	HeaderIdempotencyKey = idemkey.Header
)

// canonical holds the signed fields of a request, each already in its
// canonical form, none containing a line feed.
type canonical struct {
	keyID, timestamp, nonce, method, host, path, query  string
	apiVersion, idempotencyKey, contentType, bodySHA256 string
}

// String returns the canonical string: the scheme tag and the fields,
// joined by line feeds, without a final one.
func (c *canonical) String() string { return string(c.appendTo(nil)) }

// appendTo appends the canonical string to b.
func (c *canonical) appendTo(b []byte) []byte {
	for i, f := range [...]string{
		Scheme, c.keyID, c.timestamp, c.nonce, c.method, c.host, c.path, c.query,
		c.apiVersion, c.idempotencyKey, c.contentType, c.bodySHA256,
	} {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, f...)
	}
	return b
}

// macs keeps HMAC-SHA256 states keyed with one secret, so that verifying a
// request neither keys a new state nor allocates the canonical string.
type macs struct{ pool sync.Pool }

type macState struct {
	mac hash.Hash
	buf []byte // the canonical string
}

func newMACs(secret []byte) *macs {
	m := &macs{}
	m.pool.New = func() any { return &macState{mac: hmac.New(sha256.New, secret)} }
	return m
}

// sum returns the HMAC-SHA256 of c's canonical string.
func (m *macs) sum(c *canonical) [sha256.Size]byte {
	st := m.pool.Get().(*macState)
	st.mac.Reset()
	st.buf = c.appendTo(st.buf[:0])
	st.mac.Write(st.buf)
	var out [sha256.Size]byte
	st.buf = st.mac.Sum(st.buf[:0])
	copy(out[:], st.buf)
	if cap(st.buf) <= 4096 { // a huge query's buffer is not kept
		m.pool.Put(st)
	}
	return out
}

// canonicalHost returns a Host header value in lower case; host names are
// case-insensitive, and a port stays as sent.
func canonicalHost(host string) string { return strings.ToLower(host) }

// canonicalPath percent-encodes a decoded path (url.URL.Path): every byte
// except the unreserved characters and "/" becomes %XX, upper-case hex.
// Signing the decoded path matches what the server routes on, whatever
// escaping the client or a proxy chose.
func canonicalPath(path string) string {
	if path == "" {
		return "/"
	}
	return escape(path, true)
}

var errQuery = errors.New("query is not valid percent-encoding")

// canonicalQuery returns a raw query in canonical form: split on "&",
// empty parts dropped, each part split at its first "=" into name and value
// ("" when there is none), both decoded as a form decodes them ("+" is a
// space), re-encoded with escape, sorted by name and then value, and joined
// as name=value with "&".
func canonicalQuery(raw string) (string, error) {
	var pairs []string
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		n, err1 := url.QueryUnescape(name)
		v, err2 := url.QueryUnescape(value)
		if err1 != nil || err2 != nil {
			return "", errQuery
		}
		pairs = append(pairs, escape(n, false)+"="+escape(v, false))
	}
	// By name, then value: comparing the joined strings would not do, as
	// "=" sorts after the digits ("a0=1" before "a=1").
	slices.SortFunc(pairs, func(a, b string) int {
		an, av, _ := strings.Cut(a, "=")
		bn, bv, _ := strings.Cut(b, "=")
		if c := strings.Compare(an, bn); c != 0 {
			return c
		}
		return strings.Compare(av, bv)
	})
	return strings.Join(pairs, "&"), nil
}

// escape percent-encodes every byte of s except the RFC 3986 unreserved
// characters (A-Z a-z 0-9 - . _ ~), and "/" when keepSlash is set.
func escape(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (keepSlash && c == '/') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
