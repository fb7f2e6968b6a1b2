package typed

import (
	"strconv"

	"github.com/go-faster/jx"
)

func (r *Reader) value(p *Path, t jx.Type) (Value, bool) {
	if r.nodes++; r.nodes > MaxValueNodes {
		r.fail(p, "json", "more than "+strconv.Itoa(MaxValueNodes)+" JSON values in free-form data")
		return Value{}, false
	}
	switch t {
	case jx.Null:
		r.Null(p)
		return Value{}, !r.failed
	case jx.Bool:
		b, ok := r.Bool(p)
		return Value{Kind: Bool, Bool: b}, ok
	case jx.Number:
		n, ok := r.Number(p)
		if ok && !inDecimalRange(n) {
			// Checked here, not by each keyword: inside "not" or "if" a
			// failed comparison would turn into a pass.
			r.Violations.Add(p, "type", "number out of range (exponent beyond ±400)")
			return Value{}, false
		}
		return Value{Kind: Number, Text: string(n)}, ok
	case jx.String:
		s, ok := r.String(p)
		return Value{Kind: String, Text: s}, ok
	case jx.Array:
		v := Value{Kind: Array}
		ok := true
		r.Array(p, func(i int) {
			q := p.Index(i)
			item, itemOK := r.Value(&q)
			ok = ok && itemOK
			v.Items = append(v.Items, item)
		})
		return v, ok && !r.failed
	case jx.Object:
		v := Value{Kind: Object}
		ok := true
		var seen map[string]struct{} // built once an object grows past a linear scan's worth
		r.Object(p, func(key []byte) {
			q := p.Field(string(key))
			if duplicateMember(&v, &seen, key) {
				r.Violations.Add(&q, "json", "duplicate key")
				r.Skip(&q)
				ok = false
				return
			}
			member, memberOK := r.Value(&q)
			ok = ok && memberOK
			v.Members = append(v.Members, ValueMember{Key: string(key), Value: member})
		})
		return v, ok && !r.failed
	}
	return Value{}, false
}

// duplicateMember reports whether key is already a member of v, keeping the
// check linear-time overall so a large object cannot cost quadratic work.
func duplicateMember(v *Value, seen *map[string]struct{}, key []byte) bool {
	const scanLimit = 16
	if *seen == nil && len(v.Members) < scanLimit {
		for i := range v.Members {
			if v.Members[i].Key == string(key) {
				return true
			}
		}
		return false
	}
	if *seen == nil {
		*seen = make(map[string]struct{}, 2*len(v.Members))
		for i := range v.Members {
			(*seen)[v.Members[i].Key] = struct{}{}
		}
	}
	if _, dup := (*seen)[string(key)]; dup {
		return true
	}
	(*seen)[string(key)] = struct{}{}
	return false
}
