package runtime

import (
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// The format checkers below assert the formats mcpgen supports. Each takes
// the string exactly as sent: no trimming, ASCII digits only where the RFCs
// say DIGIT, and no allocation on the success path of the common formats.

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// digits parses n ASCII digits of s at i.
func digits(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// IsDate reports whether s is an RFC 3339 full-date (YYYY-MM-DD) that exists
// in the calendar.
func IsDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	y, ok1 := digits(s, 0, 4)
	m, ok2 := digits(s, 5, 2)
	d, ok3 := digits(s, 8, 2)
	return ok1 && ok2 && ok3 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m)
}

// IsDateTime reports whether s is an RFC 3339 date-time. "T" and "Z" may be
// lower case (RFC 3339 §5.6 note); a leap second (:60) is only accepted
// where it falls on 23:59:60 UTC, the only place one can occur.
func IsDateTime(s string) bool {
	if len(s) < 20 || !IsDate(s[:10]) || s[10] != 'T' && s[10] != 't' {
		return false
	}
	hh, ok1 := digits(s, 11, 2)
	mm, ok2 := digits(s, 14, 2)
	ss, ok3 := digits(s, 17, 2)
	if !ok1 || !ok2 || !ok3 || s[13] != ':' || s[16] != ':' || hh > 23 || mm > 59 || ss > 60 {
		return false
	}
	i := 19
	if s[i] == '.' {
		i++
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	if i >= len(s) {
		return false
	}
	offset := 0 // minutes east of UTC
	switch s[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		oh, ok1 := digits(s, i+1, 2)
		om, ok2 := digits(s, i+4, 2)
		if !ok1 || !ok2 || i+3 >= len(s) || s[i+3] != ':' || oh > 23 || om > 59 {
			return false
		}
		offset = oh*60 + om
		if s[i] == '-' {
			offset = -offset
		}
		i += 6
	default:
		return false
	}
	if i != len(s) {
		return false
	}
	if ss == 60 {
		utc := ((hh*60+mm-offset)%1440 + 1440) % 1440
		return utc == 23*60+59
	}
	return true
}

// IsUUID reports whether s is a UUID in its 8-4-4-4-12 hex form.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

// IsIPv4 reports whether s is an IPv4 address in dotted-quad form, without
// leading zeros (which some parsers read as octal).
func IsIPv4(s string) bool {
	parts := 0
	for i := 0; i < len(s); {
		start := i
		v := 0
		for i < len(s) && isDigit(s[i]) {
			v = v*10 + int(s[i]-'0')
			i++
			if i-start > 3 {
				return false
			}
		}
		n := i - start
		if n == 0 || v > 255 || n > 1 && s[start] == '0' {
			return false
		}
		parts++
		if i == len(s) {
			break
		}
		if s[i] != '.' || parts == 4 {
			return false
		}
		i++
		if i == len(s) {
			return false
		}
	}
	return parts == 4
}

// IsIPv6 reports whether s is an IPv6 address in RFC 4291 text form, with an
// optional embedded dotted quad and no zone.
func IsIPv6(s string) bool {
	if !strings.Contains(s, ":") || strings.ContainsAny(s, "%/[] \t\n") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	if j := strings.LastIndexByte(s, ':'); strings.Contains(s[j+1:], ".") && !IsIPv4(s[j+1:]) {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6() && a.Zone() == ""
}

// IsHostname reports whether s is an RFC 1123 host name: dot-separated
// labels of letters, digits and inner hyphens, 1 to 63 characters each and
// 253 in all. Labels starting "xn--" must be valid IDNA2008 A-labels.
func IsHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for {
		dot := strings.IndexByte(s, '.')
		if dot < 0 {
			return isLabel(s)
		}
		if !isLabel(s[:dot]) {
			return false
		}
		s = s[dot+1:]
	}
}

func isLabel(label string) bool {
	if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
		return false
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !(isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	if len(label) >= 4 && label[2] == '-' && label[3] == '-' {
		// RFC 5891 §4.2.3.1: "??--" is reserved for A-labels ("xn--").
		if !strings.EqualFold(label[:2], "xn") {
			return false
		}
		return isALabel(label)
	}
	return true
}

var idnaProfile = idna.New(idna.ValidateForRegistration(), idna.BidiRule(), idna.CheckJoiners(true), idna.StrictDomainName(true))

// isALabel checks an "xn--" label: it must decode (Punycode), be lower case
// as IDNA2008 registration requires, pass the IDNA2008 rules, and pass the
// contextual rules of RFC 5892 Appendix A that the idna package leaves out.
func isALabel(label string) bool {
	if label != strings.ToLower(label) {
		return false
	}
	u, err := idnaProfile.ToUnicode(label)
	if err != nil || u == label {
		return false
	}
	if back, err := idnaProfile.ToASCII(u); err != nil || back != label {
		return false
	}
	return contextOK([]rune(u))
}

// contextOK applies the exceptions of RFC 5892 §2.6 and the CONTEXTO rules
// of its Appendix A.
func contextOK(r []rune) bool {
	arabic, extended := false, false
	for _, c := range r {
		switch {
		case c >= 0x0660 && c <= 0x0669:
			arabic = true
		case c >= 0x06F0 && c <= 0x06F9:
			extended = true
		}
	}
	if arabic && extended {
		return false
	}
	for i, c := range r {
		switch c {
		case 0x0640, 0x07FA, 0x302E, 0x302F, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303B:
			return false // DISALLOWED by the exceptions of RFC 5892 §2.6
		case 0x00B7: // MIDDLE DOT: only between two l's (Catalan).
			if i == 0 || i == len(r)-1 || r[i-1] != 'l' || r[i+1] != 'l' {
				return false
			}
		case 0x0375: // GREEK KERAIA: followed by Greek.
			if i == len(r)-1 || !unicode.Is(unicode.Greek, r[i+1]) {
				return false
			}
		case 0x05F3, 0x05F4: // HEBREW GERESH, GERSHAYIM: preceded by Hebrew.
			if i == 0 || !unicode.Is(unicode.Hebrew, r[i-1]) {
				return false
			}
		case 0x30FB: // KATAKANA MIDDLE DOT: with Hiragana, Katakana or Han.
			ok := false
			for _, d := range r {
				if d != 0x30FB && (unicode.Is(unicode.Hiragana, d) || unicode.Is(unicode.Katakana, d) || unicode.Is(unicode.Han, d)) {
					ok = true
				}
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

// IsEmail reports whether s is an RFC 5321 mailbox: a dot-atom or quoted
// local part, "@", and a host name or an address literal ([IPv4] or
// [IPv6:...]).
func IsEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if !isLocalPart(local) {
		return false
	}
	if strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]") {
		lit := domain[1 : len(domain)-1]
		if v6, ok := strings.CutPrefix(lit, "IPv6:"); ok {
			return IsIPv6(v6)
		}
		return IsIPv4(lit)
	}
	return IsHostname(domain)
}

const atext = "!#$%&'*+-/=?^_`{|}~"

func isLocalPart(s string) bool {
	if len(s) > 64 {
		return false
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		q := s[1 : len(s)-1]
		for i := 0; i < len(q); i++ {
			c := q[i]
			switch {
			case c == '\\':
				i++
				if i == len(q) || q[i] < 32 || q[i] > 126 {
					return false
				}
			case c == '"' || c < 32 || c > 126:
				return false
			}
		}
		return true
	}
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || strings.IndexByte(atext, c) >= 0) {
			return false
		}
	}
	return true
}

// IsURI reports whether s is an absolute URI per RFC 3986: a scheme, ":",
// and a hier-part, query and fragment of allowed characters with valid
// percent-escapes; an authority's port is digits and its IP literal a valid
// IPv6 address.
func IsURI(s string) bool {
	colon := strings.IndexByte(s, ':')
	if colon <= 0 {
		return false
	}
	scheme := s[:colon]
	if !(scheme[0] >= 'a' && scheme[0] <= 'z' || scheme[0] >= 'A' && scheme[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(scheme); i++ {
		c := scheme[i]
		if !(isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	rest := s[colon+1:]
	if frag := strings.IndexByte(rest, '#'); frag >= 0 {
		if !uriChars(rest[frag+1:], "/?") {
			return false
		}
		rest = rest[:frag]
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		if !uriChars(rest[q+1:], "/?") {
			return false
		}
		rest = rest[:q]
	}
	if auth, ok := strings.CutPrefix(rest, "//"); ok {
		path := ""
		if slash := strings.IndexByte(auth, '/'); slash >= 0 {
			auth, path = auth[:slash], auth[slash:]
		}
		return isAuthority(auth) && uriChars(path, "/")
	}
	return uriChars(rest, "/")
}

const subDelims = "!$&'()*+,;="

// uriChars reports whether s holds only pchar (unreserved, sub-delims, ':',
// '@', percent-escapes) and the extra characters allowed.
func uriChars(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		case isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte("-._~:@", c) >= 0 ||
			strings.IndexByte(subDelims, c) >= 0 || strings.IndexByte(extra, c) >= 0:
		default:
			return false
		}
	}
	return true
}

func isAuthority(a string) bool {
	if at := strings.LastIndexByte(a, '@'); at >= 0 {
		if !uriChars(a[:at], "") || strings.Contains(a[:at], "@") {
			return false
		}
		a = a[at+1:]
	}
	host, port := a, ""
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 || !IsIPv6(a[1:end]) {
			return false
		}
		host, port = "", a[end+1:]
		if port != "" && port[0] != ':' {
			return false
		}
		port = strings.TrimPrefix(port, ":")
	} else if c := strings.LastIndexByte(a, ':'); c >= 0 {
		host, port = a[:c], a[c+1:]
	}
	for i := 0; i < len(port); i++ {
		if !isDigit(port[i]) {
			return false
		}
	}
	return uriChars(host, "") && !strings.ContainsAny(host, ":@")
}
