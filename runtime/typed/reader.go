package typed

import (
	"errors"
	"io"
	"strconv"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/go-faster/jx"
)

// Limits on what one argument document may contain. They bound the work a
// hostile caller can cause before any validation runs.
const (
	MaxDepth        = 64  // nesting of arrays and objects
	MaxNumberLength = 100 // characters of one number literal
	// MaxValueNodes bounds the JSON values one document may hold where the
	// schema gives them no Go type (typed.Value): a megabyte of "[0,0,…"
	// would otherwise become tens of megabytes of Values.
	MaxValueNodes = 100_000
)

// Reader is the strict JSON reader generated decoders use. It wraps a
// jx.Decoder and adds what encoding/json does not do: duplicate keys are
// rejected, strings must be valid UTF-8, number literals are capped in length
// before they are parsed, and nesting is bounded. Type mismatches are
// recorded as violations and reading goes on, so one call reports every
// problem; malformed JSON stops reading.
type Reader struct {
	d          jx.Decoder
	root       Path
	depth      int
	nodes      int    // Values read so far, against MaxValueNodes
	failed     bool   // malformed JSON or a limit hit: nothing more is read
	scratch    []byte // Upper and Lower's copies, valid until the next read
	Violations Violations
}

var readers = sync.Pool{New: func() any { return new(Reader) }}

// GetReader returns a pooled Reader reset to read data; PutReader returns it.
func GetReader(data []byte) *Reader {
	r := readers.Get().(*Reader)
	r.Reset(data)
	return r
}

// PutReader returns r to the pool. Nothing read from r may be used after.
func PutReader(r *Reader) {
	r.Violations.list = r.Violations.list[:0]
	readers.Put(r)
}

// Reset prepares r to read data.
func (r *Reader) Reset(data []byte) {
	r.d.ResetBytes(data)
	r.depth = 0
	r.nodes = 0
	r.failed = false
	r.Violations.reset()
}

// Root returns the path of the document root, owned by r so that
// generated decoders need not allocate one.
func (r *Reader) Root() *Path {
	r.root = Path{}
	return &r.root
}

// Failed reports whether reading stopped on malformed JSON or a limit.
func (r *Reader) Failed() bool { return r.failed }

// fail records a problem that stops reading.
func (r *Reader) fail(p *Path, keyword, msg string) {
	if !r.failed {
		r.Violations.Add(p, keyword, msg)
	}
	r.failed = true
}

func (r *Reader) syntax(p *Path, err error) {
	r.fail(p, "json", "malformed JSON: "+err.Error())
}

// End checks that nothing but whitespace follows the document.
func (r *Reader) End() {
	if r.failed {
		return
	}
	// Only white space may follow the document. Next names the type of a
	// value that starts there, complete or cut short ("{", a lone quote,
	// "tru"); at the true end it finds none, and Skip then reports an EOF,
	// while garbage that starts no value makes Skip fail otherwise.
	if r.d.Next() != jx.Invalid {
		var root Path
		r.fail(&root, "json", "unexpected data after the JSON value")
		return
	}
	if err := r.d.Skip(); err != io.ErrUnexpectedEOF && err != io.EOF && // jx returns them unwrapped
		!errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		var root Path
		r.fail(&root, "json", "unexpected data after the JSON value")
	}
}

// Validation returns the reader's violations for the validation phase, or
// nil when the document was malformed and there is nothing to validate.
// Violations found while decoding mark their places, so validation does not
// report the same place twice.
func (r *Reader) Validation() *Violations {
	if r.failed {
		return nil
	}
	r.Violations.decoded = len(r.Violations.list)
	return &r.Violations
}

// next returns the type of the next value, recording malformed input.
func (r *Reader) next(p *Path) jx.Type {
	t := r.d.Next()
	if t == jx.Invalid {
		r.syntax(p, errInvalidValue)
	}
	return t
}

type readerError string

func (e readerError) Error() string { return string(e) }

const errInvalidValue = readerError("expected a JSON value")

// mismatch records a type violation and skips the value.
func (r *Reader) mismatch(p *Path, want string, got jx.Type) {
	r.Violations.Add(p, "type", "must be "+want+", got "+typeName(got))
	r.Skip(p)
}

func typeName(t jx.Type) string {
	switch t {
	case jx.String:
		return "string"
	case jx.Number:
		return "number"
	case jx.Null:
		return "null"
	case jx.Bool:
		return "boolean"
	case jx.Array:
		return "array"
	case jx.Object:
		return "object"
	}
	return "invalid JSON"
}

// Null consumes a null and reports true when the next value is null.
func (r *Reader) Null(p *Path) bool {
	if r.failed || r.d.Next() != jx.Null {
		return false
	}
	if err := r.d.Null(); err != nil {
		r.syntax(p, err)
	}
	return true
}

// String reads a string value.
func (r *Reader) String(p *Path) (string, bool) {
	b, ok := r.StringBytes(p)
	if !ok {
		return "", false
	}
	return string(b), true
}

// StringBytes reads a string value; the bytes are only valid until the next
// read. Generated code uses it to match enums and allowlists without copying.
func (r *Reader) StringBytes(p *Path) ([]byte, bool) {
	if r.failed {
		return nil, false
	}
	if t := r.next(p); t != jx.String {
		if t != jx.Invalid {
			r.mismatch(p, "string", t)
		}
		return nil, false
	}
	b, err := r.d.StrBytes()
	if err != nil {
		r.syntax(p, err)
		return nil, false
	}
	if !validUTF8(b) {
		r.Violations.Add(p, "type", "must be a string of valid UTF-8")
		return nil, false
	}
	return b, true
}

// Bool reads a boolean value.
func (r *Reader) Bool(p *Path) (bool, bool) {
	if r.failed {
		return false, false
	}
	if t := r.next(p); t != jx.Bool {
		if t != jx.Invalid {
			r.mismatch(p, "boolean", t)
		}
		return false, false
	}
	v, err := r.d.Bool()
	if err != nil {
		r.syntax(p, err)
		return false, false
	}
	return v, true
}

// Number reads a number literal, capped at MaxNumberLength characters. The
// bytes are only valid until the next read.
func (r *Reader) Number(p *Path) ([]byte, bool) {
	if r.failed {
		return nil, false
	}
	if t := r.next(p); t != jx.Number {
		if t != jx.Invalid {
			r.mismatch(p, "number", t)
		}
		return nil, false
	}
	n, err := r.d.Num()
	if err != nil {
		r.syntax(p, err)
		return nil, false
	}
	if len(n) > MaxNumberLength {
		r.Violations.Add(p, "type", "number literal longer than "+strconv.Itoa(MaxNumberLength)+" characters")
		return nil, false
	}
	return n, true
}

// Int reads an integer. As JSON Schema says, 2.0 and 2e3 are integers; a
// fraction or a value outside int64 is a violation.
func (r *Reader) Int(p *Path) (int64, bool) {
	lit, ok := r.Number(p)
	if !ok {
		return 0, false
	}
	v, ok := ParseInt(lit)
	if !ok {
		if isIntegral(lit) {
			r.Violations.Add(p, "type", "integer out of range (-9223372036854775808..9223372036854775807)")
		} else {
			r.Violations.Add(p, "type", "must be integer, got number")
		}
		return 0, false
	}
	return v, true
}

// Float reads a number as float64 (the nearest float to the literal).
func (r *Reader) Float(p *Path) (float64, bool) {
	lit, ok := r.Number(p)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(bytesString(lit), 64)
	if err != nil {
		r.Violations.Add(p, "type", "number out of float64 range")
		return 0, false
	}
	return v, true
}

// Object reads an object, calling member for each key in document order.
// Keys are compared exactly (case matters), and the key bytes are only valid
// during the call.
func (r *Reader) Object(p *Path, member func(key []byte)) bool {
	if r.failed {
		return false
	}
	if t := r.next(p); t != jx.Object {
		if t != jx.Invalid {
			r.mismatch(p, "object", t)
		}
		return false
	}
	if !r.enter(p) {
		return false
	}
	err := r.d.ObjBytes(func(_ *jx.Decoder, key []byte) error {
		if !validUTF8(key) {
			r.fail(p, "json", "object key is not valid UTF-8")
		}
		if r.failed {
			return errStop
		}
		member(key)
		if r.failed {
			return errStop
		}
		return nil
	})
	r.depth--
	if err != nil && err != errStop {
		r.syntax(p, err)
	}
	return !r.failed
}

// Array reads an array, calling elem for each element with its index.
func (r *Reader) Array(p *Path, elem func(i int)) bool {
	if r.failed {
		return false
	}
	if t := r.next(p); t != jx.Array {
		if t != jx.Invalid {
			r.mismatch(p, "array", t)
		}
		return false
	}
	if !r.enter(p) {
		return false
	}
	i := 0
	err := r.d.Arr(func(*jx.Decoder) error {
		elem(i)
		i++
		if r.failed {
			return errStop
		}
		return nil
	})
	r.depth--
	if err != nil && err != errStop {
		r.syntax(p, err)
	}
	return !r.failed
}

const errStop = readerError("stop")

func (r *Reader) enter(p *Path) bool {
	r.depth++
	if r.depth > MaxDepth {
		r.fail(p, "json", "nested deeper than "+strconv.Itoa(MaxDepth)+" levels")
		return false
	}
	return true
}

// Skip reads and discards one value, within the depth limit.
func (r *Reader) Skip(p *Path) {
	if r.failed {
		return
	}
	switch r.next(p) {
	case jx.Object:
		r.Object(p, func([]byte) { r.Skip(p) })
	case jx.Array:
		r.Array(p, func(int) { r.Skip(p) })
	case jx.Invalid:
	default:
		if err := r.d.Skip(); err != nil {
			r.syntax(p, err)
		}
	}
}

// Duplicate records a duplicate-key violation when bit i of seen is already
// set, and sets it otherwise. Generated decoders keep one bit per property.
func (r *Reader) Duplicate(seen []uint64, i int, p *Path) bool {
	w, b := i/64, uint64(1)<<(i%64)
	if seen[w]&b != 0 {
		r.Violations.Add(p, "json", "duplicate key")
		r.Skip(p)
		return true
	}
	seen[w] |= b
	return false
}

// Unknown handles a key the schema does not declare in an object whose
// additionalProperties is false: a violation, and the value is skipped.
func (r *Reader) Unknown(p *Path, key []byte) {
	q := p.Field(string(key))
	r.Violations.Add(&q, "additionalProperties", "unknown property; not allowed by the schema")
	r.Skip(&q)
}

// Required records a violation for each required property not seen, at the
// pointer the property would have.
func (r *Reader) Required(p *Path, seen []uint64, names ...string) {
	for i, name := range names {
		if name != "" && seen[i/64]&(1<<(i%64)) == 0 {
			q := p.Field(name)
			r.Violations.Add(&q, "required", "missing required property")
		}
	}
}

// Absent reports whether bit i of seen is clear: the decoder read no
// property i, so its default applies.
func Absent(seen []uint64, i int) bool {
	return seen[i/64]&(1<<(i%64)) == 0
}

// validUTF8 is utf8.Valid with the common case, a short ASCII key or
// value, checked inline.
func validUTF8(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return utf8.Valid(b)
		}
	}
	return true
}

// bytesString views b as a string without copying, for parsing functions
// that do not retain their argument on success.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
