package typed

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"
)

// RuneCount returns the length of s in code points, as minLength and
// maxLength count it.
func RuneCount(s string) int { return utf8.RuneCountInString(s) }

// TrimSpace trims leading and trailing white space from b (x-normalize trim).
func TrimSpace(b []byte) []byte { return bytes.TrimSpace(b) }

// Upper maps the ASCII letters a-z of b to A-Z (x-normalize upper), copying
// only when something changes. Every other byte stays as it is: Unicode case
// mapping would widen an allowlist or a pattern, since it maps U+017F (ſ) to
// S and U+0131 (ı) to I, so "ſpy" would pass as "SPY".
func Upper(b []byte) []byte { return mapASCII(b, 'a', 'z', 'A'-'a') }

// Lower maps the ASCII letters A-Z of b to a-z (x-normalize lower), copying
// only when something changes; every other byte stays as it is, so the
// Kelvin sign U+212A does not become k.
func Lower(b []byte) []byte { return mapASCII(b, 'A', 'Z', 'a'-'A') }

// Upper is Upper for bytes StringBytes returned: what it copies goes to a
// buffer r keeps, so the result is valid until the next read, as those
// bytes are, and costs no allocation.
func (r *Reader) Upper(b []byte) []byte {
	return mapASCIIInto(&r.scratch, b, 'a', 'z', 'A'-'a')
}

// Lower is Lower for bytes StringBytes returned, into r's buffer as Upper.
func (r *Reader) Lower(b []byte) []byte { return mapASCIIInto(&r.scratch, b, 'A', 'Z', 'a'-'A') }

func mapASCII(b []byte, lo, hi byte, delta int) []byte { return mapASCIIInto(nil, b, lo, hi, delta) }

// mapASCIIInto maps the bytes lo..hi of b by delta, returning b when none
// is, and otherwise a copy: in *buf when buf is not nil.
func mapASCIIInto(buf *[]byte, b []byte, lo, hi byte, delta int) []byte {
	i := 0
	for i < len(b) && (b[i] < lo || b[i] > hi) {
		i++
	}
	if i == len(b) {
		return b
	}
	var out []byte
	if buf != nil {
		out = append((*buf)[:0], b...) // b may be *buf already
		*buf = out
	} else {
		out = bytes.Clone(b)
	}
	for ; i < len(out); i++ {
		if c := out[i]; c >= lo && c <= hi {
			out[i] = byte(int(c) + delta)
		}
	}
	return out
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// ParseDateTime parses an RFC 3339 date-time (format "date-time"), for
// checks on values without a Go type. Leap seconds do not parse.
func ParseDateTime(s string) (time.Time, bool) {
	if !IsDateTime(s) {
		return time.Time{}, false
	}
	return parseDateTime(s)
}
