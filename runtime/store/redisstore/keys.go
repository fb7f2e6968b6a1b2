package redisstore

import (
	"crypto/sha256"
	"strings"
)

// escape writes part so that it holds no '{', '}' or ':' (which delimit a
// key's hash tag and parts) and no control byte: those, and '%', become
// %XX. It is injective, so distinct parts stay distinct and, with the
// delimiters around them, no two keys of different principals or parts
// are ever equal.
func escape(part string) string {
	n := 0
	for i := 0; i < len(part); i++ {
		if mustEscape(part[i]) {
			n++
		}
	}
	if n == 0 {
		return part
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(part) + 2*n)
	for i := 0; i < len(part); i++ {
		c := part[i]
		if mustEscape(c) {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func mustEscape(c byte) bool {
	return c == '%' || c == '{' || c == '}' || c == ':' || c < 0x20 || c == 0x7f
}

// principalKey returns the key of one kind of a principal's state:
// <prefix>p{<principal>}:<kind>, in the principal's Cluster slot.
func (s *Store) principalKey(principal, kind string) string {
	return s.prefix + "p{" + tag(principal) + "}:" + kind
}

// tag is the hash tag of a principal: its escaped form, or "%" for the
// empty principal (Redis Cluster ignores an empty tag, "{}", and escape
// never yields a lone '%').
func tag(principal string) string {
	if principal == "" {
		return "%"
	}
	return escape(principal)
}

// limiterKey returns the key of a rate-limit window.
func (s *Store) limiterKey(key string) string {
	return s.principalKey(s.principal(key), "rl:"+escape(key))
}

// nonceMember is what a nonce is remembered as in its client's set: 128
// bits of its SHA-256, a fixed size whatever the nonce's length (as
// memstore keeps it).
func nonceMember(nonce string) string {
	sum := sha256.Sum256([]byte(nonce))
	return string(sum[:16])
}

// stateKey returns one of the keys of the shared values, all in the slot
// of the hash tag {state}. No principal's key starts with "s{".
func (s *Store) stateKey(kind string) string { return s.prefix + "s{state}:" + kind }
