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

// Upper returns b in upper case, copying only when something changes.
func Upper(b []byte) []byte {
	for _, c := range b {
		if c >= 'a' && c <= 'z' || c >= utf8.RuneSelf {
			return bytes.ToUpper(b)
		}
	}
	return b
}

// Lower returns b in lower case, copying only when something changes.
func Lower(b []byte) []byte {
	for _, c := range b {
		if c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf {
			return bytes.ToLower(b)
		}
	}
	return b
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
