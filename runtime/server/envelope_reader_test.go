package server

import (
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/typed"
)

// TestInDecimalRangeAgreesWithParseDecimal: the envelope reader refuses
// exactly the number literals typed.Reader.Value refuses, those
// typed.ParseDecimal does not take.
func TestInDecimalRangeAgreesWithParseDecimal(t *testing.T) {
	lits := []string{
		"0", "-0", "7", "-7", "12.5", "0.000", "1e400", "1e401", "1e-400", "1e-401", "10e399", "0.1e401",
		"123456789012345678", "1234567890123456789", "-1234567890123456789012345", "1E+5", "1e-5", "2.50e-3",
		"0e999999999", "1e1000000", "1e1000001", "0.0001e-396", "0.0001e-397", "1000e-403", "1000e-404",
		"9" + strings.Repeat("0", 99), strings.Repeat("1", 101), "1." + strings.Repeat("0", 98),
		"0." + strings.Repeat("0", 97) + "1", "1" + strings.Repeat("0", 398) + "e1", "1" + strings.Repeat("0", 50) + "e350",
	}
	for _, lit := range lits {
		_, want := typed.ParseDecimal([]byte(lit))
		if got := inDecimalRange([]byte(lit)); got != want {
			t.Errorf("inDecimalRange(%q) = %v, typed.ParseDecimal accepts it: %v", lit, got, want)
		}
	}
}
