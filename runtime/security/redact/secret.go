package redact

import (
	"fmt"
	"log/slog"
)

// Secret is a string that never prints: logging it, formatting it with any
// fmt verb, or marshalling it to JSON or text gives "[REDACTED]". Use
// string(s) where the value itself is needed.
type Secret string

// LogValue returns the placeholder, so slog never sees the secret.
func (Secret) LogValue() slog.Value { return slog.StringValue(Placeholder) }

// String returns the placeholder.
func (Secret) String() string { return Placeholder }

// GoString returns the placeholder, for %#v.
func (Secret) GoString() string { return Placeholder }

// Format writes the placeholder whatever the verb; without it, verbs a
// Stringer does not cover (%d, %t) would print the string inside an error
// note.
func (Secret) Format(f fmt.State, _ rune) { f.Write([]byte(Placeholder)) }

// MarshalJSON returns the placeholder as a JSON string.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Placeholder + `"`), nil }

// MarshalText returns the placeholder.
func (Secret) MarshalText() ([]byte, error) { return []byte(Placeholder), nil }
