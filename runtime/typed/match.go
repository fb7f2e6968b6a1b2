package typed

import "github.com/mcpgen/mcpgen/runtime/mcperr"

// Check is the signature of a generated dynamic validator.
type Check func(v *Value, p *Path, vs *Violations)

// Matches reports whether v passes check, without recording its violations
// (for anyOf, not and if).
func Matches(check Check, v *Value, p *Path) bool {
	scratch := Violations{countOnly: true}
	check(v, p, &scratch)
	return scratch.Len() == 0
}

// CountMatches counts the checks v passes (for oneOf).
func CountMatches(v *Value, p *Path, checks ...Check) int {
	n := 0
	for _, c := range checks {
		if Matches(c, v, p) {
			n++
		}
	}
	return n
}

// Duplicates returns the indexes of the first pair of equal items, or -1s.
func Duplicates[T comparable](items []T) (int, int) {
	if len(items) < 16 {
		for i := range items {
			for j := i + 1; j < len(items); j++ {
				if items[i] == items[j] {
					return i, j
				}
			}
		}
		return -1, -1
	}
	first := make(map[T]int, len(items))
	for j, it := range items {
		if i, ok := first[it]; ok {
			return i, j
		}
		first[it] = j
	}
	return -1, -1
}

// SkipMember skips the value of a member the decoder reads only for its
// presence.
func (r *Reader) SkipMember(p *Path) { r.Skip(p) }

// Extra remembers the undeclared member names of one object, so that a
// duplicate is refused even where the schema lets the member through
// unread: two readers of the same document must never see different values.
// The zero value is ready to use and allocates only when such members appear.
type Extra struct {
	keys []string
	set  map[string]struct{}
}

func (x *Extra) seen(key []byte) bool {
	const scanLimit = 16
	if x.set == nil {
		for _, k := range x.keys {
			if k == string(key) {
				return true
			}
		}
		x.keys = append(x.keys, string(key))
		if len(x.keys) > scanLimit {
			x.set = make(map[string]struct{}, 2*len(x.keys))
			for _, k := range x.keys {
				x.set[k] = struct{}{}
			}
		}
		return false
	}
	if _, dup := x.set[string(key)]; dup {
		return true
	}
	x.set[string(key)] = struct{}{}
	return false
}

// SkipExtra skips the value of a member an open object does not declare,
// refusing a name the object already had.
func (r *Reader) SkipExtra(p *Path, key []byte, extra *Extra) {
	if extra.seen(key) {
		q := p.Field(string(key))
		r.Violations.Add(&q, "json", "duplicate key")
		r.Skip(&q)
		return
	}
	r.Skip(p)
}

// OutputInvalid turns the validation error of a handler's output into
// MCP-009: the handler broke the tool's outputSchema, which is the server's
// fault, not the caller's.
func OutputInvalid(err error) error {
	e := mcperr.AsError(err)
	return &mcperr.Error{Code: mcperr.CodeOutputSchemaViolation, Message: "tool output does not match its outputSchema", Violations: e.Violations}
}
