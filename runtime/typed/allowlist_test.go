package typed_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mcpgen/mcpgen/runtime/typed"
)

func symbols(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("S%02d", n-i) // reverse order, so sorting shows
	}
	return out
}

func TestAllowlistViolationMessage(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"short list, sorted", []string{"EURUSD", "BTC/USD", "AUDUSD", "SPY"},
			"must be one of the allowed symbols: AUDUSD, BTC/USD, EURUSD, SPY"},
		{"duplicates count once", []string{"B", "A", "B"},
			"must be one of the allowed symbols: A, B"},
		{"one value", []string{"EURUSD"},
			"must be one of the allowed symbols: EURUSD"},
		{"32 values are listed", symbols(32),
			"must be one of the allowed symbols: " + strings.Join(reversed(symbols(32)), ", ")},
		{"33 values are counted", symbols(33),
			"must be one of the 33 allowed symbols (too many to list)"},
		{"empty list", nil,
			"must be one of the allowed symbols, but the list is empty"},
		{"values that would misread are quoted", []string{"a, b", "", " pad", `say "hi"`, "tab\there", "rtl\u202eoverride", "plain one", "ünïcode"},
			`must be one of the allowed symbols: "", " pad", "a, b", plain one, "rtl\u202eoverride", "say \"hi\"", "tab\there", ünïcode`},
		{"a few long values are counted", []string{strings.Repeat("a", 1500), strings.Repeat("b", 1500)},
			"must be one of the 2 allowed symbols (too long to list)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := typed.NewAllowlist("symbols", tt.values...)
			assert.Equal(t, tt.want, a.Violation("NOPE"))
			for _, v := range tt.values {
				assert.Empty(t, a.Violation(v), "allowed value %q", v)
			}
		})
	}
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func TestAllowlistNameIsQuotedWhenItWouldMisread(t *testing.T) {
	a := typed.NewAllowlist("fx, pairs", "EURUSD")
	assert.Equal(t, `must be one of the allowed "fx, pairs": EURUSD`, a.Violation("x"))
}

func TestAllowlistReplaceChangesTheMessage(t *testing.T) {
	a := typed.NewAllowlist("symbols", "EURUSD", "GBPUSD")
	assert.Equal(t, "must be one of the allowed symbols: EURUSD, GBPUSD", a.Violation("USDJPY"))
	a.Replace([]string{"USDJPY", "AUDUSD"})
	assert.Empty(t, a.Violation("USDJPY"))
	assert.Equal(t, "must be one of the allowed symbols: AUDUSD, USDJPY", a.Violation("EURUSD"))
	a.Replace(symbols(40))
	assert.Equal(t, "must be one of the 40 allowed symbols (too many to list)", a.Violation("EURUSD"))
	assert.False(t, a.Contains("EURUSD"))
	s, ok := a.Lookup([]byte("S07"))
	assert.True(t, ok)
	assert.Equal(t, "S07", s)
}

// TestAllowlistViolationCostsNothing: the message is made by Replace, so
// checking a value, allowed or not, allocates nothing.
func TestAllowlistViolationCostsNothing(t *testing.T) {
	a := typed.NewAllowlist("symbols", symbols(10)...)
	for _, v := range []string{"S03", "NOPE"} {
		if n := testing.AllocsPerRun(100, func() { _ = a.Violation(v) }); n != 0 {
			t.Errorf("Violation(%q) allocates %v times", v, n)
		}
	}
}

// TestAllowlistViolationMatchesTheListChecked: under concurrent Replace the
// message always describes the list the value was checked against.
func TestAllowlistViolationMatchesTheListChecked(t *testing.T) {
	a := typed.NewAllowlist("symbols", "A")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				a.Replace([]string{"B"})
			} else {
				a.Replace([]string{"A"})
			}
		}
	}()
	for i := 0; i < 10000; i++ {
		if msg := a.Violation("A"); msg != "" && msg != "must be one of the allowed symbols: B" {
			t.Fatalf("value A refused with %q", msg)
		}
	}
	close(stop)
	wg.Wait()
}
