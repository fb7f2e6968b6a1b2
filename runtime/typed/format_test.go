package typed

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// formatSuite holds the JSON Schema Test Suite's optional format tests,
// copied from json-schema-org/JSON-Schema-Test-Suite with their relative
// paths (see ../testdata/json-schema-test-suite/SOURCE.md).
const formatSuite = "../../testdata/json-schema-test-suite/tests/draft2020-12/optional/format"

// formatNames are the formats CheckFormat asserts, each with a suite file.
var formatNames = []string{"date-time", "date", "email", "uri", "uuid", "ipv4", "ipv6", "hostname"}

// TestFormatSuite runs every test of the suite's files for the asserted
// formats. A format applies to strings only: the suite's non-string
// instances are valid whatever the format, so they are skipped and never
// reach a checker.
func TestFormatSuite(t *testing.T) {
	for _, name := range formatNames {
		data, err := os.ReadFile(filepath.Join(formatSuite, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var groups []struct {
			Description string
			Tests       []struct {
				Description string
				Data        any
				Valid       bool
			}
		}
		if err := json.Unmarshal(data, &groups); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		passed, total, skipped := 0, 0, 0
		for _, g := range groups {
			for _, tc := range g.Tests {
				s, ok := tc.Data.(string)
				if !ok {
					if !tc.Valid {
						t.Errorf("%s: non-string case %q expected invalid", name, tc.Description)
					}
					skipped++
					continue
				}
				total++
				if got := CheckFormat(name, s); got != tc.Valid {
					t.Errorf("%s %q (%s / %s): got valid=%v, want %v", name, s, g.Description, tc.Description, got, tc.Valid)
					continue
				}
				passed++
			}
		}
		if total == 0 {
			t.Errorf("%s: no string cases found", name)
		}
		t.Logf("format %-9s %3d/%3d string cases pass (%d non-string cases skipped)", name, passed, total, skipped)
	}
}

func TestKnownFormat(t *testing.T) {
	for _, name := range formatNames {
		if !KnownFormat(name) {
			t.Errorf("KnownFormat(%q) = false", name)
		}
	}
	for _, name := range []string{"", "time", "duration", "uri-reference", "idn-hostname", "Date-Time", "regex"} {
		if KnownFormat(name) {
			t.Errorf("KnownFormat(%q) = true", name)
		}
		// An unknown format is an annotation: nothing fails it.
		if !CheckFormat(name, "not anything in particular") {
			t.Errorf("CheckFormat(%q, ...) = false for an unknown format", name)
		}
	}
}

// TestFormatEdges pins down behaviour the suite leaves open or that takes
// reading the RFCs closely.
func TestFormatEdges(t *testing.T) {
	tests := []struct {
		format, in string
		want       bool
	}{
		// RFC 3339
		{"date", "0000-02-29", true}, // year 0 is divisible by 400
		{"date", "2024-02-29", true},
		{"date", "1900-02-29", false},
		{"date-time", "2026-02-29T00:00:00Z", false},
		{"date-time", "2026-01-01T00:00:00.Z", false},
		{"date-time", "2026-01-01T00:00:00", false},
		{"date-time", "2026-01-01T00:00:00+0100", false},
		{"date-time", "2026-01-01T00:00:00+01:00:00", false},
		{"date-time", "2026-01-01 00:00:00Z", false},
		{"date-time", "2026-01-01T00:00:00-00:00", true},
		{"date-time", "2026-01-01T00:00:00+23:59", true},
		{"date-time", "2026-01-01T00:00:00+24:00", false},
		{"date-time", "1999-01-01T00:59:60+01:00", true}, // 23:59:60 UTC the day before
		{"date-time", "1998-12-31T23:59:60+01:00", false},
		{"date-time", "1998-12-31T23:59:60.5z", true},
		// RFC 4122
		{"uuid", "123e4567-e89b-12d3-a456-42661417400g", false},
		{"uuid", "{123e4567-e89b-12d3-a456-426614174000}", false},
		// dotted quad
		{"ipv4", "1.2.3.4", true},
		{"ipv4", "01.2.3.4", false},
		{"ipv4", "1.2.3.0", true},
		{"ipv4", "1.2.3.00", false},
		{"ipv4", "1.2.3.1000", false},
		// RFC 4291
		{"ipv6", "::ffff:1.2.3.4", true},
		{"ipv6", "1:2:3:4:5:6:7::", true}, // "::" for one group
		{"ipv6", "::2:3:4:5:6:7:8", true},
		{"ipv6", "1:2:3:4:5:6:7::8", false}, // "::" for no group
		{"ipv6", "1:2:3:4:5:6::1.2.3.4", false},
		{"ipv6", "1:2:3:4:5::1.2.3.4", true},
		{"ipv6", "1:2:3:4:5:6:1.2.3.4", true},
		{"ipv6", "::1.2.3.4", true},
		{"ipv6", "1.2.3.4::", false},
		{"ipv6", "::1.2.3.4:5", false},
		{"ipv6", ":", false},
		{"ipv6", ":::", false},
		{"ipv6", "", false},
		{"ipv6", "FFFF::abcd", true},
		{"ipv6", "0000:0000:0000:0000:0000:0000:0000:0001", true},
		// RFC 3986
		{"uri", "https://example.com:8443/a?b=c#d", true},
		{"uri", "https://user:pw@example.com/", true},
		{"uri", "https://exa mple.com/", false},
		{"uri", "file:///etc/hosts", true},
		{"uri", "http://[v1.fe80::a+en1]/", true},
		{"uri", "http://[v.x]/", false},
		{"uri", "http://[fe80::1%25eth0]/", false}, // zone IDs are RFC 6874, not RFC 3986
		{"uri", "http://a@b@c/", false},
		{"uri", "http://example.com:/", true}, // port = *DIGIT
		{"uri", "http://[::1]:80/", true},
		{"uri", "http://[::1]80/", false},
		{"uri", "urn:a#b#c", false},
		{"uri", "a:?#", true},
		{"uri", "a+b-c.d:x", true},
		// RFC 5321
		{"email", "a@b", true},
		{"email", "a@[IPv6:::1]", true},
		{"email", "a@[ipv6:::1]", true},
		{"email", "a@[IPv6:1.2.3.4]", false},
		{"email", "a@[x:y]", false},
		{"email", `"a\"b"@example.com`, true},
		{"email", `"a\"@example.com`, false},
		{"email", `"a"b"@example.com`, false},
		{"email", "\"a\tb\"@example.com", false},
		{"email", "a@xn--9n2bp8q.xn--9t4b11yi5a", true},
		{"email", "a@b.", false},
		{"email", "a@-b.com", false},
		// RFC 1123, RFC 5890-5893
		{"hostname", "xn--", false},
		{"hostname", "xn--a", false},
		{"hostname", "ab--cd", false},                         // reserved R-LDH label
		{"hostname", "XN--9N2BP8Q.XN--9T4B11YI5A", true},      // host names ignore ASCII case
		{"hostname", "xn--abc-", false},                       // ends with a hyphen
		{"hostname", "xn--abc-x", false},                      // truncated Punycode
		{"hostname", "xn--bcher-kva", true},                   // bücher
		{"hostname", "xn--Bcher-kva", true},                   // BÜcher... lowered: bücher
		{"hostname", "xn--bcher-kv", false},                   // truncated
		{"hostname", "xn--" + strings.Repeat("9", 50), false}, // overflows
		{"hostname", "xn--e-xbb", false},                      // e + U+0301: not NFC
		{"hostname", "xn--ab-9tb", true},                      // b + U+0301 has no composed form
		{"hostname", "xn--x-usa", false},                      // title-case U+01C5 is Unstable
		{"hostname", "xn--zca", true},                         // ß is PVALID (exception)
		{"hostname", "xn--oce", false},                        // Cherokee small letter: folds to a capital
		{"hostname", "xn--58d", true},                         // Cherokee capital: stable
		{"hostname", "xn--mgb0j6q", false},                    // both kinds of Arabic digits
		{"hostname", "xn--ab-j1t", false},                     // ZWNJ outside a cursive join
		{"hostname", "xn--mgbn2ecje63gr19l", true},            // Persian with ZWNJ
		{"hostname", "xn--9dbne9b", true},                     // Hebrew
		{"hostname", "xn--1-9hcuf1d", true},                   // Hebrew ending in a digit (EN)
		{"hostname", "xn--a-9hcuf1d", false},                  // Hebrew with a Latin letter
		{"hostname", "xn--9dbne9b.example.com", true},         // Bidi domain with LTR labels
		{"hostname", "1host.xn--9dbne9b", false},              // Bidi rule 1 fails for "1host"
		{"hostname", "1host.xn--bcher-kva", true},             // no RTL label: no Bidi rule
		{"hostname", "a.b.c", true},
		{"hostname", "a..b", false},
		{"hostname", "0.0.0.0", true},
	}
	for _, tt := range tests {
		if got := CheckFormat(tt.format, tt.in); got != tt.want {
			t.Errorf("%s %q: got %v, want %v", tt.format, tt.in, got, tt.want)
		}
	}
}

// TestFormatIDNAProperty spot-checks the RFC 5892 derivation, one code point for
// each rule and the cases that are easy to get wrong. (During development
// idnaProperty was compared with a published IDNA2008 table for every code
// point: it differs only where that table predates Unicode 14's compatibility
// letters, such as U+10781, which are Unstable and so DISALLOWED.)
func TestFormatIDNAProperty(t *testing.T) {
	const (
		P = idnaPValid
		D = idnaDisallowed
		J = idnaContextJ
		O = idnaContextO
	)
	tests := []struct {
		r    rune
		want idnaClass
	}{
		{'a', P}, {'0', P}, {'-', P}, {'A', D}, {'.', D}, {'_', D},
		{0x00DF, P}, {0x03C2, P}, {0x06FD, P}, {0x0F0B, P}, {0x3007, P}, // exceptions
		{0x0640, D}, {0x07FA, D}, {0x302E, D}, {0x303B, D},
		{0x00B7, O}, {0x0375, O}, {0x05F3, O}, {0x30FB, O}, {0x0660, O}, {0x06F5, O},
		{0x200C, J}, {0x200D, J},
		{0x00E9, P}, {0x00C9, D}, {0x01C5, D}, {0x0131, P}, {0x0130, D}, {0x1E9E, D},
		{0x13A0, P}, {0x13F8, D}, {0xAB70, D}, // Cherokee folds to the capitals
		{0x1F00, P}, {0x1FB6, P}, {0x1F80, D}, {0x1FB3, D}, {0x0345, D}, {0x1C80, D},
		{0x10D0, P}, {0x1C90, D}, // Georgian Mkhedruli and its capitals
		{0x02B0, D}, {0x02B9, P}, {0x10781, D}, {0xF900, D}, {0x0958, D}, // NFKC
		{0x0301, P}, {0x094D, P}, {0x4E00, P}, {0xAC00, P},
		{0x1100, D}, {0x115F, D}, {0x3164, D}, {0xD7B0, D}, // old Hangul jamo, fillers
		{0xFE00, D}, {0x034F, D}, {0x17B4, D}, {0x20D0, D}, {0x1D165, D}, // ignorables
		{0x0378, D}, {0xE000, D}, {0x1F600, D}, {0xFFFF, D}, // unassigned, private, symbol
	}
	for _, tt := range tests {
		var b [utf8.UTFMax]byte
		if got := idnaProperty(tt.r, b[:utf8.EncodeRune(b[:], tt.r)]); got != tt.want {
			t.Errorf("U+%04X: class %d, want %d", tt.r, got, tt.want)
		}
	}
}

// validFormatInputs are valid values for every asserted format; the
// checkers must not allocate on them.
var validFormatInputs = []struct{ name, format, in string }{
	{"date-time", "date-time", "2026-11-25T21:00:00.123+01:00"},
	{"date", "date", "2026-11-25"},
	{"email", "email", "desk@example.com"},
	{"email-quoted-literal", "email", `"joe bloggs"@[IPv6:2001:db8::1]`},
	{"uri", "uri", "https://user@example.com:8443/a/b?c=d&e=%20#frag"},
	{"uri-ipv6", "uri", "ldap://[2001:db8::7]/c=GB?objectClass?one"},
	{"uuid", "uuid", "123e4567-e89b-12d3-a456-426614174000"},
	{"ipv4", "ipv4", "192.168.10.20"},
	{"ipv6", "ipv6", "2001:db8::ffff:192.168.0.1"},
	{"hostname", "hostname", "api.example.com"},
	{"hostname-hangul", "hostname", "xn--9n2bp8q.xn--9t4b11yi5a"},
	{"hostname-persian-zwnj", "hostname", "xn--mgbn2ecje63gr19l.example"}, // a Bidi domain name
	{"hostname-devanagari-zwj", "hostname", "xn--11b2ezcw70k"},            // ZWJ after a virama
	{"hostname-katakana-dot", "hostname", "xn--vek778f"},                  // with Han
}

func TestFormatsDoNotAllocate(t *testing.T) {
	for _, v := range validFormatInputs {
		if !CheckFormat(v.format, v.in) {
			t.Errorf("%s %q: not valid", v.format, v.in)
			continue
		}
		if n := testing.AllocsPerRun(100, func() { CheckFormat(v.format, v.in) }); n != 0 {
			t.Errorf("%s %q: %v allocations per check", v.format, v.in, n)
		}
	}
}

// BenchmarkFormats measures the checkers on valid input, where they must not
// allocate:
//
//	go test ./runtime -run '^$' -bench Formats -benchmem
func BenchmarkFormats(b *testing.B) {
	for _, v := range validFormatInputs {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !CheckFormat(v.format, v.in) {
					b.Fatal("invalid")
				}
			}
		})
	}
}
