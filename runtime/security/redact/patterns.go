package redact

import (
	"regexp"
	"strings"
)

// Placeholders for values recognised by their shape, which say what was
// there without saying what it was.
const (
	emailPlaceholder = "[REDACTED_EMAIL]"
	cardPlaceholder  = "[REDACTED_CARD]"
)

var (
	// userinfoRE matches the user:password@ part of a URL.
	userinfoRE = regexp.MustCompile(`\b([A-Za-z][A-Za-z0-9+.\-]*://)[^\s/?#@]+@`)
	// authRE matches an HTTP credential after its scheme word.
	authRE = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*`)
	// jwtRE matches a JWS in compact form: base64url JSON header, payload
	// and signature.
	jwtRE = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
	// apiKeyRE matches key formats that announce themselves: AWS access
	// key IDs, GitHub, Slack, Stripe and GitLab tokens.
	apiKeyRE = regexp.MustCompile(`\b(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|xox[abprs]-[A-Za-z0-9-]{10,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|glpat-[A-Za-z0-9_-]{20,})`)
	emailRE  = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	// cardRE matches 13 to 19 digits, optionally grouped by spaces or
	// dashes; a match is only redacted when it passes the Luhn check.
	cardRE = regexp.MustCompile(`\b\d(?:[ -]?\d){12,18}\b`)
)

// String returns s with the secrets the pattern rules find replaced. Strings
// without any of the characters the patterns need come back unchanged without
// being scanned by a regular expression.
func (r *Redactor) String(s string) string {
	var at, sep bool
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '@':
			at = true
		case c == '=' || c == ':':
			sep = true
		case '0' <= c && c <= '9':
			digits++
		}
	}
	if at && strings.Contains(s, "://") {
		s = userinfoRE.ReplaceAllString(s, "${1}"+Placeholder+"@")
	}
	if containsFold(s, "bearer") || containsFold(s, "basic") {
		s = authRE.ReplaceAllString(s, "${1} "+Placeholder)
	}
	if strings.Contains(s, "eyJ") {
		s = jwtRE.ReplaceAllString(s, Placeholder)
	}
	if mayHoldAPIKey(s) {
		s = apiKeyRE.ReplaceAllString(s, Placeholder)
	}
	if sep {
		s = r.pairs(s)
	}
	if at {
		s = emailRE.ReplaceAllString(s, emailPlaceholder)
	}
	if digits >= 13 {
		s = cardRE.ReplaceAllStringFunc(s, func(m string) string {
			if isCardNumber(m) {
				return cardPlaceholder
			}
			return m
		})
	}
	return s
}

// pairs replaces the values of name=value and name: value pairs whose name
// is sensitive, as in query strings, headers, JSON and configuration text.
// The name and the value may be quoted.
func (r *Redactor) pairs(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '=' && s[i] != ':' {
			continue
		}
		end := i
		for end > last && isSpace(s[end-1]) {
			end--
		}
		if end > last && (s[end-1] == '"' || s[end-1] == '\'') {
			end--
		}
		start := end
		for start > last && isNameByte(s[start-1]) {
			start--
		}
		if start == end || !r.SensitiveKey(s[start:end]) {
			continue
		}
		v := i + 1
		for v < len(s) && isSpace(s[v]) {
			v++
		}
		vend := valueEnd(s, v)
		if containsFold(s[start:end], "cookie") {
			// A cookie header holds several name=value pairs, to the end
			// of the line.
			vend = v + strings.IndexAny(s[v:]+"\n", "\r\n")
		}
		if vend == v {
			continue
		}
		b.WriteString(s[last:v])
		switch s[v] {
		case '"', '\'':
			b.WriteByte(s[v])
			b.WriteString(Placeholder)
			b.WriteByte(s[v])
		default:
			b.WriteString(Placeholder)
		}
		last = vend
		i = vend - 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// valueEnd returns where the value starting at s[i] ends: after its closing
// quote (or at the end of s when it has none), after the credential of a
// "Bearer x" or "Basic x" value, or at the first space or delimiter.
func valueEnd(s string, i int) int {
	if i == len(s) {
		return i
	}
	if q := s[i]; q == '"' || q == '\'' {
		for j := i + 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				j++
			case q:
				return j + 1
			}
		}
		return len(s)
	}
	for _, w := range [...]string{"bearer", "basic"} {
		if n := len(w); len(s) > i+n && isSpace(s[i+n]) && strings.EqualFold(s[i:i+n], w) {
			j := i + n
			for j < len(s) && isSpace(s[j]) {
				j++
			}
			if j < len(s) {
				i = j
			}
			break
		}
	}
	j := i
	for j < len(s) && !isSpace(s[j]) && !strings.ContainsRune("&,;\"'<>", rune(s[j])) {
		j++
	}
	return j
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isNameByte(c byte) bool {
	return isLower(c) || isUpper(c) || isDigit(c) || c == '_' || c == '-' || c == '.'
}

// containsFold reports whether s contains the lowercase ASCII word w in any
// case.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i]|0x20 == w[0] && strings.EqualFold(s[i:i+len(w)], w) {
			return true
		}
	}
	return false
}

// mayHoldAPIKey is a cheap test for the prefixes apiKeyRE looks for.
func mayHoldAPIKey(s string) bool {
	if len(s) < 20 {
		return false
	}
	if strings.Contains(s, "AKIA") || strings.Contains(s, "xox") || strings.Contains(s, "glpat-") {
		return true
	}
	return strings.IndexByte(s, '_') >= 0 &&
		(strings.Contains(s, "gh") || strings.Contains(s, "k_live_") || strings.Contains(s, "k_test_"))
}

// isCardNumber reports whether m, digits grouped by spaces or dashes, is a
// payment card number: 13 to 19 digits, a first digit that card networks use
// (2 to 6), and a valid Luhn check digit.
func isCardNumber(m string) bool {
	var d [19]byte
	n := 0
	for i := 0; i < len(m); i++ {
		if c := m[i]; '0' <= c && c <= '9' {
			if n == len(d) {
				return false
			}
			d[n] = c - '0'
			n++
		}
	}
	if n < 13 || d[0] < 2 || d[0] > 6 {
		return false
	}
	sum := 0
	for i := 0; i < n; i++ {
		v := int(d[n-1-i])
		if i%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}
