package typed

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/bidi"
	"golang.org/x/text/unicode/norm"
)

// This file holds the checkers generated validators call for "format". Each
// takes the string exactly as sent: nothing is trimmed, the grammar's DIGIT,
// HEXDIG and ALPHA are ASCII only (RFC 5234 Appendix B.1), and none of them
// allocates, so checking a valid value costs no garbage.

// KnownFormat reports whether CheckFormat asserts the format called name:
// "date-time", "date", "email", "uri", "uuid", "ipv4", "ipv6" or "hostname".
func KnownFormat(name string) bool {
	switch name {
	case "date-time", "date", "email", "uri", "uuid", "ipv4", "ipv6", "hostname":
		return true
	}
	return false
}

// CheckFormat reports whether s is valid for the format called name. For a
// name KnownFormat does not know it returns true: under JSON Schema
// 2020-12's Format-Annotation vocabulary (Validation §7.2.1) a format an
// implementation does not support constrains nothing. Callers that must not
// let one pass silently check KnownFormat first.
func CheckFormat(name, s string) bool {
	switch name {
	case "date-time":
		return IsDateTime(s)
	case "date":
		return IsDate(s)
	case "email":
		return IsEmail(s)
	case "uri":
		return IsURI(s)
	case "uuid":
		return IsUUID(s)
	case "ipv4":
		return IsIPv4(s)
	case "ipv6":
		return IsIPv6(s)
	case "hostname":
		return IsHostname(s)
	}
	return true
}

func isDecDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHexDigit(c byte) bool {
	return isDecDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isASCIIAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// twoDigits parses the two ASCII digits of s at i, or returns -1.
func twoDigits(s string, i int) int {
	if i+2 > len(s) || !isDecDigit(s[i]) || !isDecDigit(s[i+1]) {
		return -1
	}
	return int(s[i]-'0')*10 + int(s[i+1]-'0')
}

// isFullDate checks s[:10] as an RFC 3339 full-date; len(s) >= 10.
func isFullDate(s string) bool {
	// full-date = date-fullyear "-" date-month "-" date-mday, with
	// date-fullyear = 4DIGIT and month and day 2DIGIT each (§5.6).
	if s[4] != '-' || s[7] != '-' {
		return false
	}
	hi, lo := twoDigits(s, 0), twoDigits(s, 2)
	month, day := twoDigits(s, 5), twoDigits(s, 8)
	if hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1 {
		return false
	}
	year := hi*100 + lo
	// §5.7: the last day depends on the month and, for February, on the
	// Gregorian leap-year rule spelled out in Appendix C.
	last := 31
	switch month {
	case 4, 6, 9, 11:
		last = 30
	case 2:
		last = 28
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			last = 29
		}
	}
	return day <= last
}

// IsDate reports whether s is an RFC 3339 full-date, "YYYY-MM-DD", naming
// a day that exists (RFC 3339 §5.6 grammar, §5.7 month lengths and leap
// years).
func IsDate(s string) bool {
	return len(s) == 10 && isFullDate(s)
}

// IsDateTime reports whether s is an RFC 3339 date-time:
// full-date "T" time-hour ":" time-minute ":" time-second ["." 1*DIGIT]
// followed by "Z" or a numeric offset ("+"/"-" hh ":" mm). "T" and "Z" may
// be lower case (§5.6 NOTE); hours run 00-23 in the time and in the offset,
// minutes 00-59 (§5.7: no hour "24"). A second of 60 is a leap second, and
// leap seconds are inserted at the end of a UTC day, so 60 is accepted only
// when the time, moved to UTC by its offset, is 23:59.
func IsDateTime(s string) bool {
	// The shortest form, "YYYY-MM-DDThh:mm:ssZ", has 20 characters.
	if len(s) < 20 || !isFullDate(s) || s[10] != 'T' && s[10] != 't' {
		return false
	}
	hour, minute, second := twoDigits(s, 11), twoDigits(s, 14), twoDigits(s, 17)
	if s[13] != ':' || s[16] != ':' || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60 {
		return false
	}
	i := 19
	if s[i] == '.' { // time-secfrac = "." 1*DIGIT
		i++
		start := i
		for i < len(s) && isDecDigit(s[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	if i == len(s) {
		return false // time-offset is required
	}
	offset := 0 // minutes east of UTC
	switch s[i] {
	case 'Z', 'z':
		if i+1 != len(s) {
			return false
		}
	case '+', '-':
		if len(s)-i != 6 || s[i+3] != ':' {
			return false
		}
		oh, om := twoDigits(s, i+1), twoDigits(s, i+4)
		if oh < 0 || oh > 23 || om < 0 || om > 59 {
			return false
		}
		offset = oh*60 + om
		if s[i] == '-' {
			offset = -offset
		}
	default:
		return false
	}
	if second == 60 {
		// Which days end with a leap second is announced by the IERS, not
		// computable, so only the UTC time of day is checked.
		utc := ((hour*60+minute-offset)%1440 + 1440) % 1440
		return utc == 23*60+59
	}
	return true
}

// IsUUID reports whether s is a UUID in the RFC 4122 §3 string form: 32 hex
// digits (either case) grouped 8-4-4-4-12 by hyphens. The version and
// variant bits are not checked: the grammar accepts any hex digit there.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return false
			}
		} else if !isHexDigit(s[i]) {
			return false
		}
	}
	return true
}

// IsIPv4 reports whether s is an IPv4 address in dotted-quad form (RFC 2673
// §3.2): four decimal octets, 0 to 255, joined by dots. An octet with a
// leading zero is refused because inet_aton and friends read it as octal,
// so "010.0.0.1" has no single meaning.
func IsIPv4(s string) bool {
	for part := 0; part < 4; part++ {
		if part > 0 {
			if s == "" || s[0] != '.' {
				return false
			}
			s = s[1:]
		}
		n, v := 0, 0
		for n < len(s) && n < 3 && isDecDigit(s[n]) {
			v = v*10 + int(s[n]-'0')
			n++
		}
		if n == 0 || v > 255 || n > 1 && s[0] == '0' {
			return false
		}
		s = s[n:]
	}
	return s == ""
}

// IsIPv6 reports whether s is an IPv6 address in one of the text forms of
// RFC 4291 §2.2: eight groups of 1 to 4 hex digits joined by colons, one
// "::" standing for one or more zero groups, and optionally the last two
// groups written as a dotted quad (checked as IsIPv4 does). Zone indices
// ("%eth0"), prefix lengths ("/64") and brackets are not part of an address.
func IsIPv6(s string) bool {
	groups := 0 // 16-bit groups written out
	elided := false
	i := 0
	if strings.HasPrefix(s, "::") {
		elided = true
		i = 2
		if i == len(s) {
			return true // "::" alone is the unspecified address
		}
	}
	for {
		start := i
		for i < len(s) && isHexDigit(s[i]) {
			i++
		}
		if i < len(s) && s[i] == '.' {
			// An embedded IPv4 address fills the last 32 bits: it must end s.
			if !IsIPv4(s[start:]) {
				return false
			}
			groups += 2
			break
		}
		if i == start || i-start > 4 {
			return false
		}
		groups++
		if i == len(s) {
			break
		}
		if s[i] != ':' || groups > 8 {
			return false
		}
		i++
		if i < len(s) && s[i] == ':' {
			if elided {
				return false // at most one "::"
			}
			elided = true
			i++
			if i == len(s) {
				break // trailing "::"
			}
		} else if i == len(s) {
			return false // a single trailing colon
		}
	}
	if elided {
		return groups <= 7 // "::" stands for at least one group
	}
	return groups == 8
}

// IsHostname reports whether s is an Internet host name: labels joined by
// dots, each 1 to 63 characters (RFC 1034 §3.1) of ASCII letters, digits and
// hyphens, not starting or ending with a hyphen, a digit allowed first (RFC
// 1123 §2.1), at most 253 characters in all (the 255-octet wire limit less
// the length octets). A trailing dot, as in "example.", is refused: the
// empty root label is DNS presentation syntax, not part of an RFC 1123 host
// name, and the JSON Schema Test Suite holds it invalid.
//
// A label with hyphens in its third and fourth places is reserved (RFC 5890
// §2.3.1): only "xn--" (in any case) is allowed, and such a label must be an
// IDNA2008 A-label (RFC 5890 §2.3.2.1, RFC 5891 §5.4): valid Punycode that
// re-encodes to itself, decoding to an NFC label of PVALID code points (RFC
// 5892) whose CONTEXTJ and CONTEXTO rules hold, without a leading combining
// mark or misplaced hyphens; when any label is right-to-left, every label
// must pass the Bidi rule of RFC 5893. Host names compare without regard to
// ASCII case (RFC 4343), so an A-label is checked in lower case.
func IsHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	idn := false
	for rest := s; ; {
		label, tail, more := strings.Cut(rest, ".")
		ace, ok := isLDHLabel(label)
		if !ok {
			return false
		}
		idn = idn || ace
		if !more {
			break
		}
		rest = tail
	}
	return !idn || idnHostnameOK(s)
}

// isLDHLabel checks label's RFC 1123 syntax and reports whether it has the
// "xn--" prefix of an A-label.
func isLDHLabel(label string) (ace, ok bool) {
	n := len(label)
	if n == 0 || n > 63 || label[0] == '-' || label[n-1] == '-' {
		return false, false
	}
	for i := 0; i < n; i++ {
		if c := label[i]; !isASCIIAlpha(c) && !isDecDigit(c) && c != '-' {
			return false, false
		}
	}
	if n >= 4 && label[2] == '-' && label[3] == '-' {
		if !strings.EqualFold(label[:2], "xn") {
			return false, false
		}
		return true, true
	}
	return false, true
}

// maxULabel bounds a decoded label. Every code point Punycode produces
// takes at least one of the at most 59 characters after "xn--", so 59 would
// do; the decoder checks the bound anyway.
const maxULabel = 63

// idnHostnameOK checks the A-labels of s, which has passed the LDH checks,
// and then the Bidi rule if s is a Bidi domain name.
func idnHostnameOK(s string) bool {
	var u [maxULabel]rune
	rtl := false
	for rest := s; ; {
		label, tail, more := strings.Cut(rest, ".")
		if isACELabel(label) {
			n, ok := decodeALabel(label[4:], &u)
			if !ok || !isULabel(u[:n]) {
				return false
			}
			rtl = rtl || isRTLLabel(u[:n])
		}
		if !more {
			break
		}
		rest = tail
	}
	if !rtl {
		return true
	}
	// RFC 5893 §2: in a Bidi domain name (one with at least one RTL label,
	// §1.4) the rule applies to every label, the ASCII ones included.
	for rest := s; ; {
		label, tail, more := strings.Cut(rest, ".")
		if isACELabel(label) {
			n, _ := decodeALabel(label[4:], &u)
			if !bidiRuleOK(u[:n]) {
				return false
			}
		} else if !isASCIIAlpha(label[0]) {
			// An LDH label is letters (L), digits (EN) and hyphens (ES),
			// never ending in a hyphen, so of the six conditions only the
			// first, a strong first character, can fail.
			return false
		}
		if !more {
			return true
		}
		rest = tail
	}
}

func isACELabel(label string) bool {
	return len(label) >= 4 && label[2] == '-' && label[3] == '-'
}

// Punycode parameters, RFC 3492 §5.
const (
	punyBase        = 36
	punyTMin        = 1
	punyTMax        = 26
	punySkew        = 38
	punyDamp        = 700
	punyInitialBias = 72
	punyInitialN    = 0x80
	// punyMaxI bounds the decoder's running index. A real label never
	// comes near it: i/(len+1) is added to a code point that must stay at
	// most 0x10FFFF, with len below maxULabel.
	punyMaxI = 1 << 30
)

func punyAdapt(delta, numPoints int, first bool) int {
	if first {
		delta /= punyDamp
	} else {
		delta /= 2
	}
	delta += delta / numPoints
	k := 0
	for delta > (punyBase-punyTMin)*punyTMax/2 {
		delta /= punyBase - punyTMin
		k += punyBase
	}
	return k + (punyBase-punyTMin+1)*delta/(delta+punySkew)
}

func punyThreshold(k, bias int) int {
	switch t := k - bias; {
	case t < punyTMin:
		return punyTMin
	case t > punyTMax:
		return punyTMax
	default:
		return t
	}
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// decodeALabel decodes the Punycode after "xn--" into u and checks that it
// is the one encoding of what it decodes to, holding at least one non-ASCII
// code point, as an A-label must (RFC 5890 §2.3.2.1).
func decodeALabel(enc string, u *[maxULabel]rune) (int, bool) {
	n, ok := punyDecode(enc, u)
	if !ok || n == 0 {
		return 0, false
	}
	ascii := true
	for _, r := range u[:n] {
		ascii = ascii && r < utf8.RuneSelf
	}
	return n, !ascii && punyEncodesTo(u[:n], enc)
}

// punyDecode is the decoding procedure of RFC 3492 §6.2. Digits are read
// without regard to case (§5); basic code points are lowered, the label
// being checked as its lower-case form.
func punyDecode(enc string, u *[maxULabel]rune) (int, bool) {
	out := 0
	// The basic code points are those before the last delimiter; with
	// none, the delimiter (if any, at the start) is not consumed and fails
	// as a digit below.
	pos := 0
	if b := strings.LastIndexByte(enc, '-'); b > 0 {
		if b > len(u) {
			return 0, false
		}
		for j := 0; j < b; j++ {
			u[j] = rune(lowerASCII(enc[j]))
		}
		out, pos = b, b+1
	}
	n, i, bias := punyInitialN, 0, punyInitialBias
	for pos < len(enc) {
		oldi, w := i, 1
		for k := punyBase; ; k += punyBase {
			if pos == len(enc) {
				return 0, false // truncated variable-length integer
			}
			c := enc[pos]
			pos++
			var digit int
			switch {
			case 'a' <= c && c <= 'z':
				digit = int(c - 'a')
			case 'A' <= c && c <= 'Z':
				digit = int(c - 'A')
			case '0' <= c && c <= '9':
				digit = int(c-'0') + 26
			default:
				return 0, false
			}
			if digit > (punyMaxI-i)/w {
				return 0, false
			}
			i += digit * w
			t := punyThreshold(k, bias)
			if digit < t {
				break
			}
			if w > punyMaxI/(punyBase-t) {
				return 0, false
			}
			w *= punyBase - t
		}
		if out == len(u) {
			return 0, false
		}
		bias = punyAdapt(i-oldi, out+1, oldi == 0)
		n += i / (out + 1)
		i %= out + 1
		// §6.2: decoding to a basic code point is an error; so is
		// leaving Unicode's scalar values.
		if n < punyInitialN || n > unicode.MaxRune || 0xD800 <= n && n <= 0xDFFF {
			return 0, false
		}
		copy(u[i+1:out+1], u[i:out])
		u[i] = rune(n)
		out++
		i++
	}
	return out, true
}

// punyEncodesTo reports whether the encoding procedure of RFC 3492 §6.3
// turns u into enc, ignoring ASCII case. Comparing as it emits saves a
// buffer.
func punyEncodesTo(u []rune, enc string) bool {
	o := 0
	emit := func(c byte) bool {
		if o == len(enc) || lowerASCII(enc[o]) != c {
			return false
		}
		o++
		return true
	}
	basic := 0
	for _, r := range u {
		if r < punyInitialN {
			if !emit(byte(r)) {
				return false
			}
			basic++
		}
	}
	if basic > 0 && !emit('-') {
		return false
	}
	n, delta, bias := punyInitialN, 0, punyInitialBias
	for h := basic; h < len(u); {
		m := rune(unicode.MaxRune + 1)
		for _, r := range u {
			if r >= rune(n) && r < m {
				m = r
			}
		}
		delta += (int(m) - n) * (h + 1)
		n = int(m)
		for _, r := range u {
			if int(r) < n {
				delta++
			}
			if int(r) != n {
				continue
			}
			q := delta
			for k := punyBase; ; k += punyBase {
				t := punyThreshold(k, bias)
				if q < t {
					break
				}
				if !emit(punyDigit(t + (q-t)%(punyBase-t))) {
					return false
				}
				q = (q - t) / (punyBase - t)
			}
			if !emit(punyDigit(q)) {
				return false
			}
			bias = punyAdapt(delta, h+1, h == basic)
			delta = 0
			h++
		}
		delta++
		n++
	}
	return o == len(enc)
}

func punyDigit(d int) byte {
	if d < 26 {
		return byte('a' + d)
	}
	return byte('0' + d - 26)
}

// normScratch holds the UTF-8 of a decoded label for the checks of
// golang.org/x/text/unicode/norm. Its IsNormal lets its argument escape, so
// a stack buffer would be moved to the heap on every call; pooled buffers
// keep the check allocation-free once warm.
var normScratch = sync.Pool{New: func() any { return new([maxULabel * utf8.UTFMax]byte) }}

// isULabel applies the checks RFC 5891 §5.4 (and §4.2.3) makes of a label
// decoded from an A-label.
func isULabel(u []rune) bool {
	buf := normScratch.Get().(*[maxULabel * utf8.UTFMax]byte)
	defer normScratch.Put(buf)
	m := 0
	for _, r := range u {
		m += utf8.EncodeRune(buf[m:], r)
	}
	// The label must be in Normalization Form C.
	if !norm.NFC.IsNormal(buf[:m]) {
		return false
	}
	// §4.2.3.1: no hyphen first or last, nor in both the third and fourth
	// positions.
	n := len(u)
	if u[0] == '-' || u[n-1] == '-' || n >= 4 && u[2] == '-' && u[3] == '-' {
		return false
	}
	// §4.2.3.2: the label must not begin with a combining mark.
	if unicode.Is(unicode.M, u[0]) {
		return false
	}
	// §4.2.3.3: every code point PVALID, or CONTEXTJ/CONTEXTO with its
	// rule from RFC 5892 Appendix A satisfied.
	off := 0
	for i, r := range u {
		size := utf8.RuneLen(r)
		class := idnaProperty(r, buf[off:off+size])
		off += size
		switch class {
		case idnaPValid:
		case idnaContextJ:
			if !contextJOK(u, i) {
				return false
			}
		case idnaContextO:
			if !contextOOK(u, i) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

type idnaClass uint8

const (
	idnaDisallowed idnaClass = iota // DISALLOWED or UNASSIGNED
	idnaPValid
	idnaContextJ
	idnaContextO
)

// letterDigits is category (A) of RFC 5892 §2.1, the code points that can
// be PVALID.
var letterDigits = [...]*unicode.RangeTable{unicode.Ll, unicode.Lu, unicode.Lo, unicode.Nd, unicode.Lm, unicode.Mn, unicode.Mc}

// idnaProperty derives r's IDNA2008 property by the rules of RFC 5892 §3,
// taken in an order that returns as early as possible: every rule after the
// join controls (H) yields DISALLOWED except LetterDigits (A), so (A) is
// tested first and the others only subtract from it. enc is r in UTF-8, in
// memory that may escape (see normScratch).
func idnaProperty(r rune, enc []byte) idnaClass {
	if r < utf8.RuneSelf {
		// (K) LDH: lower-case letters, digits and hyphen. Upper case is
		// Unstable (B); the rest of ASCII is not LetterDigits.
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' {
			return idnaPValid
		}
		return idnaDisallowed
	}
	switch r { // (F) Exceptions, RFC 5892 §2.6
	case 0x00DF, 0x03C2, 0x06FD, 0x06FE, 0x0F0B, 0x3007:
		return idnaPValid
	case 0x00B7, 0x0375, 0x05F3, 0x05F4, 0x30FB:
		return idnaContextO
	case 0x0640, 0x07FA, 0x302E, 0x302F, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303B:
		return idnaDisallowed
	case 0x200C, 0x200D: // (H) JoinControl
		return idnaContextJ
	}
	if 0x0660 <= r && r <= 0x0669 || 0x06F0 <= r && r <= 0x06F9 {
		return idnaContextO // (F) as well: the two sets of Arabic digits
	}
	isLD := false
	for _, t := range letterDigits {
		if unicode.Is(t, r) {
			isLD = true
			break
		}
	}
	// Not (A) covers (J) Unassigned too: nothing unassigned has a category.
	if !isLD || idnaUnstable(r, enc) {
		return idnaDisallowed
	}
	// (C) IgnorableProperties: of Default_Ignorable_Code_Point,
	// White_Space and Noncharacter_Code_Point only these two parts of the
	// first reach into (A).
	if unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || unicode.Is(unicode.Variation_Selector, r) {
		return idnaDisallowed
	}
	// (D) IgnorableBlocks: Combining Diacritical Marks for Symbols, Musical
	// Symbols, Ancient Greek Musical Notation.
	if 0x20D0 <= r && r <= 0x20FF || 0x1D100 <= r && r <= 0x1D24F {
		return idnaDisallowed
	}
	// (I) OldHangulJamo: Hangul_Syllable_Type L, V or T.
	if 0x1100 <= r && r <= 0x11FF || 0xA960 <= r && r <= 0xA97C || 0xD7B0 <= r && r <= 0xD7C6 || 0xD7CB <= r && r <= 0xD7FB {
		return idnaDisallowed
	}
	return idnaPValid
}

// idnaUnstable is category (B) of RFC 5892 §2.2, NFKC(CaseFold(NFKC(r)))
// != r, for a letter or digit r outside ASCII and the exceptions; enc is r
// in UTF-8.
func idnaUnstable(r rune, enc []byte) bool {
	// Only a code point with a decomposition can change under NFKC;
	// Properties is a plain table look-up, IsNormal the full check.
	if norm.NFKC.Properties(enc).Decomposition() != nil && !norm.NFKC.IsNormal(enc) {
		return true
	}
	// r is NFKC-stable, so it is unstable exactly when case folding moves
	// it. Folding is lower-casing except for Cherokee: since Unicode 8.0
	// the small letters fold to the capitals, which are therefore stable.
	if unicode.ToLower(r) != r {
		return r < 0x13A0 || r > 0x13F5
	}
	// The letters that fold although they have no lower-case mapping: the
	// Cherokee small letters, U+0345 (folds to iota), the Cyrillic
	// variants U+1C80..U+1C88, and the Greek letters with iota subscript
	// (full folding spells the subscript as a separate iota, which NFKC
	// does not recompose). This list is CaseFolding.txt of Unicode 15.0,
	// the version of Go's and x/text's tables; it was checked against a
	// full NFKC_Casefold for every code point and needs the same check when
	// those tables move to a new Unicode version.
	switch {
	case r == 0x0345, 0x13F8 <= r && r <= 0x13FD, 0x1C80 <= r && r <= 0x1C88, 0xAB70 <= r && r <= 0xABBF:
		return true
	case 0x1F80 <= r && r <= 0x1FFF:
		switch r {
		case 0x1F80, 0x1F81, 0x1F82, 0x1F83, 0x1F84, 0x1F85, 0x1F86, 0x1F87,
			0x1F90, 0x1F91, 0x1F92, 0x1F93, 0x1F94, 0x1F95, 0x1F96, 0x1F97,
			0x1FA0, 0x1FA1, 0x1FA2, 0x1FA3, 0x1FA4, 0x1FA5, 0x1FA6, 0x1FA7,
			0x1FB2, 0x1FB3, 0x1FB4, 0x1FB7, 0x1FC2, 0x1FC3, 0x1FC4, 0x1FC7,
			0x1FF2, 0x1FF3, 0x1FF4, 0x1FF7:
			return true
		}
	}
	return false
}

// contextJOK applies the CONTEXTJ rules of RFC 5892 Appendix A.1 and A.2 to
// the joiner u[i].
func contextJOK(u []rune, i int) bool {
	// Both joiners are allowed after a virama (Canonical_Combining_Class 9).
	if i > 0 {
		var b [utf8.UTFMax]byte
		if norm.NFC.Properties(b[:utf8.EncodeRune(b[:], u[i-1])]).CCC() == 9 {
			return true
		}
	}
	if u[i] != 0x200C {
		return false
	}
	// ZERO WIDTH NON-JOINER may also sit where it breaks a cursive join:
	// (Joining_Type:{L,D})(Joining_Type:T)*\u200C(Joining_Type:T)*(Joining_Type:{R,D}).
	j := i - 1
	for j >= 0 && joiningType(u[j]) == joinT {
		j--
	}
	if j < 0 || joiningType(u[j]) != joinL && joiningType(u[j]) != joinD {
		return false
	}
	j = i + 1
	for j < len(u) && joiningType(u[j]) == joinT {
		j++
	}
	return j < len(u) && (joiningType(u[j]) == joinR || joiningType(u[j]) == joinD)
}

// contextOOK applies the CONTEXTO rules of RFC 5892 Appendix A.3 to A.9 to
// u[i].
func contextOOK(u []rune, i int) bool {
	r := u[i]
	switch {
	case r == 0x00B7: // MIDDLE DOT, Catalan "l·l": between two l's.
		return i > 0 && i+1 < len(u) && u[i-1] == 'l' && u[i+1] == 'l'
	case r == 0x0375: // GREEK LOWER NUMERAL SIGN: followed by Greek.
		return i+1 < len(u) && unicode.Is(unicode.Greek, u[i+1])
	case r == 0x05F3 || r == 0x05F4: // HEBREW GERESH, GERSHAYIM: after Hebrew.
		return i > 0 && unicode.Is(unicode.Hebrew, u[i-1])
	case r == 0x30FB: // KATAKANA MIDDLE DOT: with Hiragana, Katakana or Han.
		for _, c := range u {
			if c != 0x30FB && (unicode.Is(unicode.Hiragana, c) || unicode.Is(unicode.Katakana, c) || unicode.Is(unicode.Han, c)) {
				return true
			}
		}
		return false
	case 0x0660 <= r && r <= 0x0669: // ARABIC-INDIC DIGITS: not mixed with
		for _, c := range u { // the extended ones.
			if 0x06F0 <= c && c <= 0x06F9 {
				return false
			}
		}
		return true
	case 0x06F0 <= r && r <= 0x06F9: // EXTENDED ARABIC-INDIC DIGITS: nor
		for _, c := range u { // the other way round.
			if 0x0660 <= c && c <= 0x0669 {
				return false
			}
		}
		return true
	}
	return false
}

// isRTLLabel reports whether u is an RTL label (RFC 5893 §1.4): one with a
// character of Bidi class R, AL or AN.
func isRTLLabel(u []rune) bool {
	for _, r := range u {
		switch bidiClass(r) {
		case bidi.R, bidi.AL, bidi.AN:
			return true
		}
	}
	return false
}

func bidiClass(r rune) bidi.Class {
	p, _ := bidi.LookupRune(r)
	return p.Class()
}

// bidiRuleOK applies the six conditions of the Bidi rule, RFC 5893 §2.
func bidiRuleOK(u []rune) bool {
	// 1. The first character must be L (a left-to-right label) or R or AL
	// (a right-to-left one).
	var rtl bool
	switch bidiClass(u[0]) {
	case bidi.L:
	case bidi.R, bidi.AL:
		rtl = true
	default:
		return false
	}
	hasEN, hasAN := false, false
	end := bidi.NSM // class of the last character that is not NSM
	for _, r := range u {
		c := bidiClass(r)
		switch c {
		case bidi.EN, bidi.ES, bidi.CS, bidi.ET, bidi.ON, bidi.BN:
			// 2 and 5: allowed in either direction.
		case bidi.NSM:
			continue
		case bidi.R, bidi.AL, bidi.AN:
			if !rtl { // 5: not in a left-to-right label
				return false
			}
		case bidi.L:
			if rtl { // 2: not in a right-to-left label
				return false
			}
		default:
			return false
		}
		hasEN = hasEN || c == bidi.EN
		hasAN = hasAN || c == bidi.AN
		end = c
	}
	if rtl {
		// 3: end with R, AL, EN or AN (then NSMs); 4: EN and AN not both.
		return (end == bidi.R || end == bidi.AL || end == bidi.EN || end == bidi.AN) && !(hasEN && hasAN)
	}
	// 6: end with L or EN (then NSMs).
	return end == bidi.L || end == bidi.EN
}

// Joining types (Unicode ArabicShaping.txt) for the ZWNJ rule.
const (
	joinU uint8 = iota // non-joining, and every code point not listed
	joinT              // transparent
	joinD              // dual-joining
	joinL              // left-joining
	joinR              // right-joining
)

// joiningType returns r's Joining_Type for the code points that can reach
// it: PVALID ones. ArabicShaping.txt makes the unlisted Mn, Me and Cf
// transparent; among PVALID code points that leaves Mn, plus ADLAM
// NASALIZATION MARK (an Lm listed as T).
func joiningType(r rune) uint8 {
	lo, hi := 0, len(joiningRanges)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch e := &joiningRanges[m]; {
		case r < e.lo:
			hi = m
		case r > e.hi:
			lo = m + 1
		default:
			return e.t
		}
	}
	if r == 0x1E94B || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) {
		return joinT
	}
	return joinU
}

// joiningRanges lists the dual-, left- and right-joining code points of
// ArabicShaping.txt (identical in Unicode 14.0 and 15.0), sorted.
var joiningRanges = [...]struct {
	lo, hi rune
	t      uint8
}{
	{0x0620, 0x0620, joinD}, {0x0622, 0x0625, joinR}, {0x0626, 0x0626, joinD}, {0x0627, 0x0627, joinR},
	{0x0628, 0x0628, joinD}, {0x0629, 0x0629, joinR}, {0x062A, 0x062E, joinD}, {0x062F, 0x0632, joinR},
	{0x0633, 0x063F, joinD}, {0x0641, 0x0647, joinD}, {0x0648, 0x0648, joinR}, {0x0649, 0x064A, joinD},
	{0x066E, 0x066F, joinD}, {0x0671, 0x0673, joinR}, {0x0675, 0x0677, joinR}, {0x0678, 0x0687, joinD},
	{0x0688, 0x0699, joinR}, {0x069A, 0x06BF, joinD}, {0x06C0, 0x06C0, joinR}, {0x06C1, 0x06C2, joinD},
	{0x06C3, 0x06CB, joinR}, {0x06CC, 0x06CC, joinD}, {0x06CD, 0x06CD, joinR}, {0x06CE, 0x06CE, joinD},
	{0x06CF, 0x06CF, joinR}, {0x06D0, 0x06D1, joinD}, {0x06D2, 0x06D3, joinR}, {0x06D5, 0x06D5, joinR},
	{0x06EE, 0x06EF, joinR}, {0x06FA, 0x06FC, joinD}, {0x06FF, 0x06FF, joinD}, {0x0710, 0x0710, joinR},
	{0x0712, 0x0714, joinD}, {0x0715, 0x0719, joinR}, {0x071A, 0x071D, joinD}, {0x071E, 0x071E, joinR},
	{0x071F, 0x0727, joinD}, {0x0728, 0x0728, joinR}, {0x0729, 0x0729, joinD}, {0x072A, 0x072A, joinR},
	{0x072B, 0x072B, joinD}, {0x072C, 0x072C, joinR}, {0x072D, 0x072E, joinD}, {0x072F, 0x072F, joinR},
	{0x074D, 0x074D, joinR}, {0x074E, 0x0758, joinD}, {0x0759, 0x075B, joinR}, {0x075C, 0x076A, joinD},
	{0x076B, 0x076C, joinR}, {0x076D, 0x0770, joinD}, {0x0771, 0x0771, joinR}, {0x0772, 0x0772, joinD},
	{0x0773, 0x0774, joinR}, {0x0775, 0x0777, joinD}, {0x0778, 0x0779, joinR}, {0x077A, 0x077F, joinD},
	{0x07CA, 0x07EA, joinD}, {0x0840, 0x0840, joinR}, {0x0841, 0x0845, joinD}, {0x0846, 0x0847, joinR},
	{0x0848, 0x0848, joinD}, {0x0849, 0x0849, joinR}, {0x084A, 0x0853, joinD}, {0x0854, 0x0854, joinR},
	{0x0855, 0x0855, joinD}, {0x0856, 0x0858, joinR}, {0x0860, 0x0860, joinD}, {0x0862, 0x0865, joinD},
	{0x0867, 0x0867, joinR}, {0x0868, 0x0868, joinD}, {0x0869, 0x086A, joinR}, {0x0870, 0x0882, joinR},
	{0x0886, 0x0886, joinD}, {0x0889, 0x088D, joinD}, {0x088E, 0x088E, joinR}, {0x08A0, 0x08A9, joinD},
	{0x08AA, 0x08AC, joinR}, {0x08AE, 0x08AE, joinR}, {0x08AF, 0x08B0, joinD}, {0x08B1, 0x08B2, joinR},
	{0x08B3, 0x08B8, joinD}, {0x08B9, 0x08B9, joinR}, {0x08BA, 0x08C8, joinD}, {0x1807, 0x1807, joinD},
	{0x1820, 0x1878, joinD}, {0x1887, 0x18A8, joinD}, {0x18AA, 0x18AA, joinD}, {0xA840, 0xA871, joinD},
	{0xA872, 0xA872, joinL}, {0x10AC0, 0x10AC4, joinD}, {0x10AC5, 0x10AC5, joinR},
	{0x10AC7, 0x10AC7, joinR}, {0x10AC9, 0x10ACA, joinR}, {0x10ACD, 0x10ACD, joinL},
	{0x10ACE, 0x10AD2, joinR}, {0x10AD3, 0x10AD6, joinD}, {0x10AD7, 0x10AD7, joinL},
	{0x10AD8, 0x10ADC, joinD}, {0x10ADD, 0x10ADD, joinR}, {0x10ADE, 0x10AE0, joinD},
	{0x10AE1, 0x10AE1, joinR}, {0x10AE4, 0x10AE4, joinR}, {0x10AEB, 0x10AEE, joinD},
	{0x10AEF, 0x10AEF, joinR}, {0x10B80, 0x10B80, joinD}, {0x10B81, 0x10B81, joinR},
	{0x10B82, 0x10B82, joinD}, {0x10B83, 0x10B85, joinR}, {0x10B86, 0x10B88, joinD},
	{0x10B89, 0x10B89, joinR}, {0x10B8A, 0x10B8B, joinD}, {0x10B8C, 0x10B8C, joinR},
	{0x10B8D, 0x10B8D, joinD}, {0x10B8E, 0x10B8F, joinR}, {0x10B90, 0x10B90, joinD},
	{0x10B91, 0x10B91, joinR}, {0x10BA9, 0x10BAC, joinR}, {0x10BAD, 0x10BAE, joinD},
	{0x10D00, 0x10D00, joinL}, {0x10D01, 0x10D21, joinD}, {0x10D22, 0x10D22, joinR},
	{0x10D23, 0x10D23, joinD}, {0x10F30, 0x10F32, joinD}, {0x10F33, 0x10F33, joinR},
	{0x10F34, 0x10F44, joinD}, {0x10F51, 0x10F53, joinD}, {0x10F54, 0x10F54, joinR},
	{0x10F70, 0x10F73, joinD}, {0x10F74, 0x10F75, joinR}, {0x10F76, 0x10F81, joinD},
	{0x10FB0, 0x10FB0, joinD}, {0x10FB2, 0x10FB3, joinD}, {0x10FB4, 0x10FB6, joinR},
	{0x10FB8, 0x10FB8, joinD}, {0x10FB9, 0x10FBA, joinR}, {0x10FBB, 0x10FBC, joinD},
	{0x10FBD, 0x10FBD, joinR}, {0x10FBE, 0x10FBF, joinD}, {0x10FC1, 0x10FC1, joinD},
	{0x10FC2, 0x10FC3, joinR}, {0x10FC4, 0x10FC4, joinD}, {0x10FC9, 0x10FC9, joinR},
	{0x10FCA, 0x10FCA, joinD}, {0x10FCB, 0x10FCB, joinL}, {0x1E900, 0x1E943, joinD},
}

// IsEmail reports whether s is an RFC 5321 §4.1.2 Mailbox: a Local-part, "@"
// and a domain. The Local-part is a Dot-string (atoms of atext joined by
// single dots) or a Quoted-string (printable ASCII, with '"' and '\'
// escaped by '\'), at most 64 octets (§4.5.3.1.1). The domain is a host name
// as IsHostname checks it or an address literal: "[" IPv4 "]" or
// "[IPv6:" IPv6 "]" (§4.1.3; no other tag is registered). The whole address
// is at most 254 octets, the 256 of a Path less its angle brackets
// (§4.5.3.1.3).
func IsEmail(s string) bool {
	at := strings.LastIndexByte(s, '@') // the domain never holds an "@"
	if at < 0 || len(s) > 254 || !isLocalPart(s[:at]) {
		return false
	}
	domain := s[at+1:]
	if len(domain) >= 2 && domain[0] == '[' && domain[len(domain)-1] == ']' {
		lit := domain[1 : len(domain)-1]
		// ABNF literals such as "IPv6:" match any case (RFC 5234 §2.3).
		if len(lit) >= 5 && strings.EqualFold(lit[:5], "IPv6:") {
			return IsIPv6(lit[5:])
		}
		return IsIPv4(lit)
	}
	return IsHostname(domain)
}

// isAtext reports whether c is atext (RFC 5322 §3.2.3), the characters of
// an atom.
func isAtext(c byte) bool {
	if isASCIIAlpha(c) || isDecDigit(c) {
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// isLocalPart checks RFC 5321's Local-part = Dot-string / Quoted-string.
func isLocalPart(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	if s[0] == '"' {
		// Quoted-string = DQUOTE *QcontentSMTP DQUOTE, QcontentSMTP being
		// qtextSMTP (%d32-33 / %d35-91 / %d93-126) or a backslash and any
		// of %d32-126.
		if len(s) < 2 || s[len(s)-1] != '"' {
			return false
		}
		q := s[1 : len(s)-1]
		for i := 0; i < len(q); i++ {
			c := q[i]
			if c == '\\' {
				i++
				if i == len(q) {
					return false // would escape the closing quote
				}
				c = q[i]
			} else if c == '"' {
				return false
			}
			if c < 32 || c > 126 {
				return false
			}
		}
		return true
	}
	// Dot-string = Atom *("." Atom): no leading, trailing or double dot.
	if s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			if s[i-1] == '.' {
				return false
			}
		} else if !isAtext(s[i]) {
			return false
		}
	}
	return true
}

// IsURI reports whether s is a URI as RFC 3986 §3 defines it, not a
// relative reference: scheme ":" hier-part ["?" query] ["#" fragment]. The scheme is
// a letter and then letters, digits, "+", "-" and "."; an authority
// ("//" [userinfo "@"] host [":" port]) has a reg-name, an IPv4 address or
// a bracketed IPv6 address or IPvFuture as host and a decimal port; paths,
// query and fragment hold only their permitted characters. A "%" must start
// a percent-encoding of two hex digits. Anything else, such as a space, a
// non-ASCII character or "\", makes s invalid.
func IsURI(s string) bool {
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || !isASCIIAlpha(s[0]) {
		return false
	}
	for i := 1; i < colon; i++ {
		if c := s[i]; !isASCIIAlpha(c) && !isDecDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	rest := s[colon+1:]
	// The first "#" starts the fragment and the first "?" before it the
	// query; both are *( pchar / "/" / "?" ).
	if hash := strings.IndexByte(rest, '#'); hash >= 0 {
		if !isURIChars(rest[hash+1:], uriQueryExtra) {
			return false
		}
		rest = rest[:hash]
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		if !isURIChars(rest[q+1:], uriQueryExtra) {
			return false
		}
		rest = rest[:q]
	}
	// hier-part = "//" authority path-abempty / path-absolute /
	// path-rootless / path-empty. Without an authority, the three path
	// forms together are any run of pchar and "/" not starting with "//".
	if !strings.HasPrefix(rest, "//") {
		return isURIChars(rest, uriPathExtra)
	}
	authority, path := rest[2:], ""
	if slash := strings.IndexByte(authority, '/'); slash >= 0 {
		authority, path = authority[:slash], authority[slash:]
	}
	return isAuthority(authority) && isURIChars(path, uriPathExtra)
}

// isUnreservedOrSubDelim reports whether c is unreserved or a sub-delim (RFC
// 3986 §2.2, §2.3).
func isUnreservedOrSubDelim(c byte) bool {
	if isASCIIAlpha(c) || isDecDigit(c) {
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=", c) >= 0
}

// isURIChars reports whether s is made of unreserved characters,
// sub-delims, percent-encodings and the characters in extra.
func isURIChars(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isUnreservedOrSubDelim(c):
		case c == '%':
			if i+2 >= len(s) || !isHexDigit(s[i+1]) || !isHexDigit(s[i+2]) {
				return false
			}
			i += 2
		case strings.IndexByte(extra, c) < 0:
			return false
		}
	}
	return true
}

// Beyond unreserved, sub-delims and percent-encodings, the parts of a URI
// allow: a path, pchar's ":" and "@" and the "/" between segments (§3.3); a
// query or fragment also "?" (§3.4, §3.5); userinfo ":" (§3.2.1); a
// reg-name nothing more (§3.2.2).
const (
	uriPathExtra     = ":@/"
	uriQueryExtra    = ":@/?"
	uriUserinfoExtra = ":"
)

// isAuthority checks authority = [userinfo "@"] host [":" port] (§3.2).
func isAuthority(a string) bool {
	if at := strings.LastIndexByte(a, '@'); at >= 0 {
		if !isURIChars(a[:at], uriUserinfoExtra) {
			return false
		}
		a = a[at+1:]
	}
	host, port := a, ""
	if strings.HasPrefix(a, "[") {
		// IP-literal = "[" ( IPv6address / IPvFuture ) "]" (§3.2.2).
		end := strings.IndexByte(a, ']')
		if end < 0 || !isIPLiteral(a[1:end]) {
			return false
		}
		host, port = "", a[end+1:]
		if port != "" {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
		}
	} else if c := strings.LastIndexByte(a, ':'); c >= 0 {
		host, port = a[:c], a[c+1:]
	}
	// port = *DIGIT (§3.2.3)
	for i := 0; i < len(port); i++ {
		if !isDecDigit(port[i]) {
			return false
		}
	}
	// reg-name = *( unreserved / pct-encoded / sub-delims ), which also
	// covers IPv4address (§3.2.2).
	return isURIChars(host, "")
}

// isIPLiteral checks the inside of an IP-literal: an IPv6address, or
// IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ).
func isIPLiteral(s string) bool {
	if s == "" || s[0] != 'v' && s[0] != 'V' {
		return IsIPv6(s)
	}
	i := 1
	for i < len(s) && isHexDigit(s[i]) {
		i++
	}
	if i == 1 || i == len(s) || s[i] != '.' || i+1 == len(s) {
		return false
	}
	for _, c := range []byte(s[i+1:]) {
		if !isUnreservedOrSubDelim(c) && c != ':' {
			return false
		}
	}
	return true
}
