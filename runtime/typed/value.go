package typed

import (
	"sort"

	"github.com/go-faster/jx"
	"github.com/shopspring/decimal"
)

// Value is a JSON value whose schema gives it no single Go type (no "type",
// several types, or composition keywords such as anyOf). Generated code
// validates it against the full schema; handlers read it by Kind.
type Value struct {
	Kind    ValueKind
	Bool    bool
	Text    string        // a string's value, or a number's literal exactly as sent
	Items   []Value       // array elements
	Members []ValueMember // object members in document order; keys are unique
}

// ValueMember is one member of an object Value.
type ValueMember struct {
	Key   string
	Value Value
}

// ValueKind is the JSON type of a Value.
type ValueKind uint8

// The kinds of Value. The zero Value is JSON null.
const (
	Null ValueKind = iota
	Bool
	Number
	String
	Array
	Object
)

func (k ValueKind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// Get returns the member named key of an object Value.
func (v *Value) Get(key string) (*Value, bool) {
	for i := range v.Members {
		if v.Members[i].Key == key {
			return &v.Members[i].Value, true
		}
	}
	return nil, false
}

// Decimal returns a number Value exactly.
func (v *Value) Decimal() (decimal.Decimal, bool) {
	if v.Kind != Number {
		return decimal.Decimal{}, false
	}
	return ParseDecimal([]byte(v.Text))
}

// IsInteger reports whether v is a number with no fractional part.
func (v *Value) IsInteger() bool {
	return v.Kind == Number && isIntegral([]byte(v.Text))
}

// Equal reports whether a and b are the same JSON value: numbers compare by
// value (1 equals 1.0), objects regardless of member order.
func (a *Value) Equal(b *Value) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case Null:
		return true
	case Bool:
		return a.Bool == b.Bool
	case String:
		return a.Text == b.Text
	case Number:
		x, ok1 := a.Decimal()
		y, ok2 := b.Decimal()
		if !ok1 || !ok2 {
			return a.Text == b.Text
		}
		return x.Equal(y)
	case Array:
		if len(a.Items) != len(b.Items) {
			return false
		}
		for i := range a.Items {
			if !a.Items[i].Equal(&b.Items[i]) {
				return false
			}
		}
		return true
	case Object:
		if len(a.Members) != len(b.Members) {
			return false
		}
		if len(a.Members) > 16 {
			// Member lookups are linear; compare canonical forms instead so
			// large objects cost n log n, not n².
			return string(a.appendCanonical(nil)) == string(b.appendCanonical(nil))
		}
		for i := range a.Members {
			w, ok := b.Get(a.Members[i].Key)
			if !ok || !a.Members[i].Value.Equal(w) {
				return false
			}
		}
		return true
	}
	return false
}

// Value reads any JSON value into a Value, within the reader's limits.
func (r *Reader) Value(p *Path) (Value, bool) {
	if r.failed {
		return Value{}, false
	}
	switch t := r.next(p); t {
	case jx.Invalid:
		return Value{}, false
	default:
		return r.value(p, t)
	}
}

// AppendJSON appends the JSON encoding of v. Object members keep their order.
func (v *Value) AppendJSON(b []byte) []byte {
	switch v.Kind {
	case Null:
		return append(b, "null"...)
	case Bool:
		if v.Bool {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case Number:
		return append(b, v.Text...)
	case String:
		return AppendString(b, v.Text)
	case Array:
		b = append(b, '[')
		for i := range v.Items {
			if i > 0 {
				b = append(b, ',')
			}
			b = v.Items[i].AppendJSON(b)
		}
		return append(b, ']')
	case Object:
		b = append(b, '{')
		for i := range v.Members {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, v.Members[i].Key)
			b = append(b, ':')
			b = v.Members[i].Value.AppendJSON(b)
		}
		return append(b, '}')
	}
	return b
}

// MarshalJSON implements json.Marshaler.
func (v Value) MarshalJSON() ([]byte, error) { return v.AppendJSON(nil), nil }

// UniqueItems reports the indexes of the first pair of equal items, or -1s.
// Items are compared through a canonical encoding (numbers by value, object
// members in key order), so a large array costs linear time, not quadratic.
func UniqueItems(items []Value) (int, int) {
	if len(items) < 8 {
		for i := range items {
			for j := i + 1; j < len(items); j++ {
				if items[i].Equal(&items[j]) {
					return i, j
				}
			}
		}
		return -1, -1
	}
	first := make(map[string]int, len(items))
	var buf []byte
	for j := range items {
		buf = items[j].appendCanonical(buf[:0])
		if i, ok := first[string(buf)]; ok {
			return i, j
		}
		first[string(buf)] = j
	}
	return -1, -1
}

// appendCanonical appends an encoding of v that is equal for two values
// exactly when Equal says they are.
func (v *Value) appendCanonical(b []byte) []byte {
	switch v.Kind {
	case Number:
		if d, ok := v.Decimal(); ok {
			return append(append(b, 'n'), d.String()...)
		}
		return append(append(b, 'N'), v.Text...)
	case String:
		return AppendString(append(b, 's'), v.Text)
	case Array:
		b = append(b, '[')
		for i := range v.Items {
			b = v.Items[i].appendCanonical(b)
			b = append(b, ',')
		}
		return append(b, ']')
	case Object:
		order := make([]int, len(v.Members))
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(i, j int) bool { return v.Members[order[i]].Key < v.Members[order[j]].Key })
		b = append(b, '{')
		for _, i := range order {
			b = AppendString(b, v.Members[i].Key)
			b = append(b, ':')
			b = v.Members[i].Value.appendCanonical(b)
			b = append(b, ',')
		}
		return append(b, '}')
	}
	return v.AppendJSON(b)
}

// ParseValue reads one JSON document into a Value with the same strict rules
// and limits as tool arguments.
func ParseValue(data []byte) (Value, error) {
	r := GetReader(data)
	defer PutReader(r)
	v, _ := r.Value(r.Root())
	r.End()
	if err := r.Violations.Err("invalid JSON value"); err != nil {
		return Value{}, err
	}
	return v, nil
}
