package typed

// Opt is an optional property: Set tells whether the caller sent it, so
// "absent" and "zero" stay different.
type Opt[T any] struct {
	Value T
	Set   bool
}

// Some returns a set Opt holding v.
func Some[T any](v T) Opt[T] { return Opt[T]{Value: v, Set: true} }

// Get returns the value and whether it was set.
func (o Opt[T]) Get() (T, bool) { return o.Value, o.Set }

// Or returns the value when set, and def otherwise.
func (o Opt[T]) Or(def T) T {
	if o.Set {
		return o.Value
	}
	return def
}

// Nullable is a value whose schema also allows null ("type": ["T", "null"]).
type Nullable[T any] struct {
	Value T
	Null  bool
}
