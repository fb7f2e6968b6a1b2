package typed

import (
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// Limits of the values an allowlist violation names.
const (
	// MaxListedValues is the most values a violation lists; a longer list
	// is described by its size.
	MaxListedValues = 32
	// maxListedBytes bounds the listed text, for lists of a few long values.
	maxListedBytes = 2048
)

// Allowlist is a named set of allowed strings (symbols, say) that an operator
// can replace at run time without regenerating code. Lookups are lock-free.
type Allowlist struct {
	name     string
	defaults []string // the values it was made with
	current  atomic.Pointer[allowSet]
}

// allowSet is one version of an allowlist: its values and the violation
// message that describes them, made together so they always agree.
type allowSet struct {
	values  map[string]string
	message string
	// memos says, for each pattern Check met, which values match it;
	// copy-on-write, so that reading needs no lock.
	memos atomic.Pointer[[]patternMemo]
}

// patternMemo records which values of a list match one pattern.
type patternMemo struct {
	re   *regexp.Regexp
	fits map[string]bool // every value of the list, with whether it matches re
}

// maxMemos bounds the patterns one version of a list remembers: a generated
// package checks a list against one or two.
const maxMemos = 8

// NewAllowlist returns an allowlist holding values, and registers it under
// its name, so that a server can find it by that name (Allowlists) and
// replace its values from a file at run time. Generated code makes one
// per list of x-allowlists, as a package variable.
func NewAllowlist(name string, values ...string) *Allowlist {
	a := &Allowlist{name: name, defaults: slices.Clone(values)}
	a.Replace(values)
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.byName == nil {
		registry.byName = make(map[string][]*Allowlist)
	}
	registry.byName[name] = append(registry.byName[name], a)
	return a
}

// registry holds every allowlist NewAllowlist made, by name.
var registry struct {
	mu     sync.Mutex
	byName map[string][]*Allowlist
}

// Allowlists returns the allowlists NewAllowlist made with name, in the
// order they were made: usually one, the generated package variable; more
// when several packages of the program declare a list of that name, which
// a server then replaces together. nil when there is none.
func Allowlists(name string) []*Allowlist {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return slices.Clone(registry.byName[name])
}

// AllowlistNames returns the names of the allowlists NewAllowlist made,
// sorted.
func AllowlistNames() []string {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	names := make([]string, 0, len(registry.byName))
	for name := range registry.byName {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Name returns the list's name as declared in x-allowlists.
func (a *Allowlist) Name() string { return a.name }

// Values returns the values the list holds now, sorted.
func (a *Allowlist) Values() []string {
	set := a.current.Load()
	out := make([]string, 0, len(set.values))
	for v := range set.values {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// Defaults returns the values the list was made with (the definitions'
// values, for a generated list), whatever Replace did since.
func (a *Allowlist) Defaults() []string { return slices.Clone(a.defaults) }

// Replace swaps the whole list atomically; calls in flight see the old or
// the new list, never a mix. The message a violation reports is made here,
// so checking a value costs one map lookup whatever the list holds.
func (a *Allowlist) Replace(values []string) {
	m := make(map[string]string, len(values))
	for _, v := range values {
		m[v] = v
	}
	a.current.Store(&allowSet{values: m, message: allowMessage(a.name, m)})
}

// Lookup returns the list's own copy of b when b is allowed, so a decoder can
// keep the value without allocating.
func (a *Allowlist) Lookup(b []byte) (string, bool) {
	s, ok := a.current.Load().values[string(b)]
	return s, ok
}

// Contains reports whether s is allowed.
func (a *Allowlist) Contains(s string) bool {
	_, ok := a.current.Load().values[s]
	return ok
}

// Check returns whether s matches re, and the message of Violation(s), in
// one lookup when s is allowed: which of the list's values match re is
// worked out once per version of the list, so a value the list holds is not
// run through the pattern on every call. It is for a schema with both a
// pattern and an x-allowlist; the answer is the same as re.MatchString(s).
func (a *Allowlist) Check(s string, re *regexp.Regexp) (matches bool, violation string) {
	set := a.current.Load()
	if m := set.memo(re); m != nil {
		if fits, ok := m.fits[s]; ok {
			return fits, ""
		}
		return re.MatchString(s), set.message
	}
	violation = set.message
	if _, ok := set.values[s]; ok {
		violation = ""
	}
	return re.MatchString(s), violation
}

// memo returns the memo of re, making it on first use; nil once the set
// remembers maxMemos other patterns.
func (set *allowSet) memo(re *regexp.Regexp) *patternMemo {
	for {
		old := set.memos.Load()
		var memos []patternMemo
		if old != nil {
			memos = *old
		}
		for i := range memos {
			if memos[i].re == re {
				return &memos[i]
			}
		}
		if len(memos) >= maxMemos {
			return nil
		}
		fits := make(map[string]bool, len(set.values))
		for v := range set.values {
			fits[v] = re.MatchString(v)
		}
		grown := append(slices.Clip(memos), patternMemo{re: re, fits: fits})
		if set.memos.CompareAndSwap(old, &grown) {
			return &grown[len(grown)-1]
		}
	}
}

// Violation returns "" when s is allowed and otherwise the message of the
// violation, which names the allowed values when there are at most
// MaxListedValues of them (sorted), and otherwise says how many there are:
//
//	must be one of the allowed symbols: AUDUSD, BTC/USD, EURUSD
//	must be one of the 40 allowed symbols (too many to list)
//
// The message describes the list s was checked against, even when Replace
// runs at the same time.
func (a *Allowlist) Violation(s string) string {
	set := a.current.Load()
	if _, ok := set.values[s]; ok {
		return ""
	}
	return set.message
}

// allowMessage describes the values of list name for a violation. Values
// (and a name) that could be misread inside the list, such as one holding a
// comma, a quote, a control character or nothing at all, are quoted as Go
// and JSON quote them.
func allowMessage(name string, values map[string]string) string {
	what := "allowed " + listText(name)
	switch n := len(values); {
	case n == 0:
		return "must be one of the " + what + ", but the list is empty"
	case n > MaxListedValues:
		return "must be one of the " + strconv.Itoa(n) + " " + what + " (too many to list)"
	}
	sorted := make([]string, 0, len(values))
	for v := range values {
		sorted = append(sorted, v)
	}
	sort.Strings(sorted)
	size := 0
	for i, v := range sorted {
		sorted[i] = listText(v)
		size += len(sorted[i]) + 2
	}
	if size > maxListedBytes {
		return "must be one of the " + strconv.Itoa(len(values)) + " " + what + " (too long to list)"
	}
	return "must be one of the " + what + ": " + strings.Join(sorted, ", ")
}

// listText returns s as it reads in a list: as it is when that is
// unambiguous, and otherwise quoted.
func listText(s string) string {
	if plain(s) {
		return s
	}
	return strconv.Quote(s)
}

func plain(s string) bool {
	if s == "" || !utf8.ValidString(s) || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for _, r := range s {
		if r == ',' || r == '"' || r == '\\' || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
