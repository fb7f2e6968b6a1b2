package typed

import (
	"sync/atomic"
)

// Allowlist is a named set of allowed strings (symbols, say) that an operator
// can replace at run time without regenerating code. Lookups are lock-free.
type Allowlist struct {
	name   string
	values atomic.Pointer[map[string]string]
}

// NewAllowlist returns an allowlist holding values.
func NewAllowlist(name string, values ...string) *Allowlist {
	a := &Allowlist{name: name}
	a.Replace(values)
	return a
}

// Name returns the list's name as declared in x-allowlists.
func (a *Allowlist) Name() string { return a.name }

// Replace swaps the whole list atomically; calls in flight see the old or
// the new list, never a mix.
func (a *Allowlist) Replace(values []string) {
	m := make(map[string]string, len(values))
	for _, v := range values {
		m[v] = v
	}
	a.values.Store(&m)
}

// Lookup returns the list's own copy of b when b is allowed, so a decoder can
// keep the value without allocating.
func (a *Allowlist) Lookup(b []byte) (string, bool) {
	s, ok := (*a.values.Load())[string(b)]
	return s, ok
}

// Contains reports whether s is allowed.
func (a *Allowlist) Contains(s string) bool {
	_, ok := (*a.values.Load())[s]
	return ok
}
