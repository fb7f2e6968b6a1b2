package typed_test

import (
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mcpgen/mcpgen/runtime/typed"
)

func TestAllowlistCheckAnswersAsThePatternAndTheList(t *testing.T) {
	list := typed.NewAllowlist("check-symbols", "EURUSD", "BTC/USD", "eurusd", "X")
	symbol := regexp.MustCompile(`^[A-Z]{3,6}(/[A-Z]{3,6})?$`)
	short := regexp.MustCompile(`^.{1,3}$`)
	values := []string{"EURUSD", "BTC/USD", "eurusd", "X", "XAUUSD", "btc-usd", "", "GBPUSD"}
	check := func(t *testing.T) {
		t.Helper()
		for range 2 { // the second round answers from the memos
			for _, re := range []*regexp.Regexp{symbol, short} {
				for _, v := range values {
					matches, violation := list.Check(v, re)
					assert.Equal(t, re.MatchString(v), matches, "%s against %s", v, re)
					assert.Equal(t, list.Violation(v), violation, v)
				}
			}
		}
	}
	check(t)
	list.Replace([]string{"XAUUSD", "btc-usd"})
	check(t)
}

func TestAllowlistCheckWithManyPatterns(t *testing.T) {
	list := typed.NewAllowlist("check-many", "A1", "B22", "C333")
	for n := range 20 { // more patterns than the list remembers
		re := regexp.MustCompile(`^.{` + strconv.Itoa(n%4) + `}$`)
		for _, v := range []string{"A1", "B22", "C333", "D"} {
			matches, violation := list.Check(v, re)
			assert.Equal(t, re.MatchString(v), matches)
			assert.Equal(t, list.Violation(v), violation)
		}
	}
}

func TestAllowlistCheckConcurrentWithReplace(t *testing.T) {
	list := typed.NewAllowlist("check-race", "EURUSD", "GBPUSD")
	re := regexp.MustCompile(`^[A-Z]{6}$`)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				if g == 0 && i%50 == 0 {
					list.Replace([]string{"EURUSD", "usdjpy"})
				}
				matches, _ := list.Check("EURUSD", re)
				assert.True(t, matches)
				matches, _ = list.Check("usdjpy", re)
				assert.False(t, matches)
			}
		}()
	}
	wg.Wait()
}

func BenchmarkAllowlistCheck(b *testing.B) {
	list := typed.NewAllowlist("check-bench", "EURUSD", "GBPUSD", "BTC/USD")
	re := regexp.MustCompile(`^[A-Z]{3,6}(/[A-Z]{3,6})?$`)
	b.Run("Check", func(b *testing.B) {
		for b.Loop() {
			_, _ = list.Check("BTC/USD", re)
		}
	})
	b.Run("MatchString+Violation", func(b *testing.B) {
		for b.Loop() {
			_ = re.MatchString("BTC/USD")
			_ = list.Violation("BTC/USD")
		}
	})
}
