package runtime

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// formatSuite is where the JSON Schema Test Suite's format tests live.
const formatSuite = "../testdata/json-schema-test-suite/tests/draft2020-12/optional/format"

var formatCheckers = map[string]func(string) bool{
	"date-time": IsDateTime, "date": IsDate, "email": IsEmail, "uri": IsURI,
	"uuid": IsUUID, "ipv4": IsIPv4, "ipv6": IsIPv6, "hostname": IsHostname,
}

// TestFormatsAgainstSuite checks every string test of the suite's optional
// format files for the formats mcpgen asserts. Non-string instances are
// valid for any format and never reach a checker.
func TestFormatsAgainstSuite(t *testing.T) {
	for name, check := range formatCheckers {
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
			t.Fatal(err)
		}
		passed, total := 0, 0
		for _, g := range groups {
			for _, tc := range g.Tests {
				s, ok := tc.Data.(string)
				if !ok {
					continue
				}
				total++
				if got := check(s); got != tc.Valid {
					t.Errorf("%s %q (%s): got valid=%v, want %v", name, s, tc.Description, got, tc.Valid)
					continue
				}
				passed++
			}
		}
		t.Logf("format %s: %d/%d suite tests pass", name, passed, total)
	}
}

func TestFormatSpecifics(t *testing.T) {
	tests := []struct {
		format string
		in     string
		want   bool
	}{
		{"date-time", "2026-02-29T00:00:00Z", false},
		{"date-time", "2024-02-29T00:00:00Z", true},
		{"date-time", "2026-01-01T00:00:00.Z", false},
		{"date-time", "2026-01-01T00:00:00+0100", false},
		{"ipv4", "01.2.3.4", false},
		{"ipv6", "::ffff:1.2.3.4", true},
		{"uri", "https://example.com:8443/a?b=c#d", true},
		{"uri", "https://user:pw@example.com/", true},
		{"uri", "https://exa mple.com/", false},
		{"email", "a@b", true},
		{"hostname", "xn--", false},
		{"uuid", "123e4567-e89b-12d3-a456-42661417400g", false},
	}
	for _, tt := range tests {
		if got := formatCheckers[tt.format](tt.in); got != tt.want {
			t.Errorf("%s %q: got %v, want %v", tt.format, tt.in, got, tt.want)
		}
	}
}

// BenchmarkFormats shows the checkers do not allocate on valid input.
//
//	go test ./runtime -run '^$' -bench Formats -benchmem
func BenchmarkFormats(b *testing.B) {
	inputs := map[string]string{
		"date-time": "2026-11-25T21:00:00.123Z", "date": "2026-11-25", "email": "desk@example.com",
		"uri": "https://example.com/a?b=c", "uuid": "123e4567-e89b-12d3-a456-426614174000",
		"ipv4": "192.168.10.20", "ipv6": "2001:db8::1", "hostname": "api.example.com",
	}
	for name, in := range inputs {
		check := formatCheckers[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !check(in) {
					b.Fatal(in)
				}
			}
		})
	}
}
