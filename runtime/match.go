package runtime

// Check is the signature of a generated dynamic validator.
type Check func(v *Value, p *Path, vs *Violations)

// Matches reports whether v passes check, without recording its violations
// (for anyOf, not and if).
func Matches(check Check, v *Value, p *Path) bool {
	var scratch Violations
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

// SkipMember skips the value of an object member the schema does not
// declare, in an object that allows other members.
func (r *Reader) SkipMember(p *Path) { r.Skip(p) }

// OutputInvalid turns the validation error of a handler's output into
// MCP-009: the handler broke the tool's outputSchema, which is the server's
// fault, not the caller's.
func OutputInvalid(err error) error {
	e := AsError(err)
	return &Error{Code: CodeOutputSchemaViolation, Message: "tool output does not match its outputSchema", Violations: e.Violations}
}
