package typed

import (
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

// MaxViolations caps how many violations one validation collects; the rest are
// counted but not kept, so hostile input cannot make the error body large.
const MaxViolations = 32

// Violations collects the violations of one validation, up to MaxViolations.
// The zero value is ready to use.
type Violations struct {
	list    []mcperr.Violation
	dropped int
	decoded int // violations found while decoding, before validation began
	// countOnly makes Add count violations without keeping them, for
	// checks that only ask whether a value passes (Matches).
	countOnly bool
	// text holds the pointers of the violations and the message of Err.
	text arena[byte]
	// reused is set once vs serves a second document (a pooled Reader's):
	// Err then carves errors and their violations from errs and kept too,
	// rather than allocating each error.
	reused bool
	errs   arena[mcperr.Error]
	kept   arena[mcperr.Violation]
	// last is the message of the last Err, which the next one repeats when
	// it describes the same thing with as many violations.
	last struct {
		what, message string
		n             int
	}
}

// Add records a violation at path. During validation, a violation at or
// below a place where decoding already failed is left out: a value that
// was missing or of the wrong type is reported once, not again for every
// constraint its zero value breaks.
func (vs *Violations) Add(path *Path, keyword, message string) {
	if len(vs.list) >= MaxViolations || vs.countOnly {
		vs.dropped++
		return
	}
	if vs.list == nil {
		vs.list = make([]mcperr.Violation, 0, 8)
	}
	ptr := vs.pointer(path)
	for _, v := range vs.list[:vs.decoded] {
		if within(ptr, v.Pointer) {
			vs.text.unread(len(ptr)) // ptr was never handed out
			return
		}
	}
	vs.list = append(vs.list, mcperr.Violation{Pointer: ptr, Keyword: keyword, Message: message})
}

// pointer renders p as a JSON pointer in the text arena.
func (vs *Violations) pointer(p *Path) string {
	n := p.size()
	if n == 0 {
		return ""
	}
	b := vs.text.take(n, maxText)
	p.fill(b)
	return unsafe.String(&b[0], n)
}

// within reports whether pointer p is at or below pointer q.
func within(p, q string) bool {
	return p == q || len(p) > len(q) && p[:len(q)] == q && p[len(q)] == '/'
}

// Len returns how many violations were found, kept or not.
func (vs *Violations) Len() int { return len(vs.list) + vs.dropped }

// List returns the kept violations.
func (vs *Violations) List() []mcperr.Violation { return vs.list }

// reset empties vs for another document. The arenas are kept: what they
// handed out stays valid, and new pieces are taken after it.
func (vs *Violations) reset() {
	vs.list = vs.list[:0]
	vs.dropped, vs.decoded = 0, 0
	vs.countOnly, vs.reused = false, true
}

// Err returns nil when nothing was found, and otherwise an *Error whose code
// follows the most security-relevant violation: MCP-016 for an outbound URL
// the SSRF policy blocks, MCP-015 for a value outside an allowlist, MCP-001
// for everything else.
func (vs *Violations) Err(what string) error {
	if len(vs.list) == 0 {
		return nil
	}
	code := mcperr.CodeInvalidArgs
	for _, v := range vs.list {
		switch {
		case v.Keyword == KeywordOutboundURL:
			code = mcperr.CodeSSRFBlocked
		case v.Keyword == KeywordAllowlist && code != mcperr.CodeSSRFBlocked:
			code = mcperr.CodeInvalidSymbol
		}
	}
	var e *mcperr.Error
	if vs.reused {
		e = &vs.errs.take(1, maxErrors)[0]
		e.Violations = vs.kept.take(len(vs.list), maxKept)
	} else {
		e = newError(len(vs.list))
	}
	e.Code = code
	e.Message = vs.message(what, vs.Len())
	copy(e.Violations, vs.list) // vs.list is reused for the next document
	if vs.dropped > 0 {
		e.Details = map[string]any{"violations_dropped": vs.dropped}
	}
	return e
}

// message returns what + ": N violation(s)", in the text arena.
func (vs *Violations) message(what string, n int) string {
	if vs.last.message != "" && vs.last.n == n && vs.last.what == what {
		return vs.last.message
	}
	m := vs.newMessage(what, n)
	vs.last.what, vs.last.message, vs.last.n = what, m, n
	return m
}

func (vs *Violations) newMessage(what string, n int) string {
	const noun = " violation"
	size := len(what) + len(": ") + digits(n) + len(noun)
	if n != 1 {
		size++
	}
	b := vs.text.take(size, maxText)
	w := append(b[:0], what...)
	w = append(w, ": "...)
	w = strconv.AppendInt(w, int64(n), 10)
	w = append(w, noun...)
	if n != 1 {
		w = append(w, 's')
	}
	return unsafe.String(&b[0], len(w))
}

// newError returns an *Error with room for n violations. Up to eight it
// allocates the error and its violations together, since an invalid call
// usually has a few.
func newError(n int) *mcperr.Error {
	switch {
	case n <= 1:
		x := new(struct {
			e mcperr.Error
			v [1]mcperr.Violation
		})
		x.e.Violations = x.v[:n:n]
		return &x.e
	case n <= 2:
		x := new(struct {
			e mcperr.Error
			v [2]mcperr.Violation
		})
		x.e.Violations = x.v[:n:n]
		return &x.e
	case n <= 4:
		x := new(struct {
			e mcperr.Error
			v [4]mcperr.Violation
		})
		x.e.Violations = x.v[:n:n]
		return &x.e
	case n <= 8:
		x := new(struct {
			e mcperr.Error
			v [8]mcperr.Violation
		})
		x.e.Violations = x.v[:n:n]
		return &x.e
	}
	return &mcperr.Error{Violations: make([]mcperr.Violation, n)}
}

// arena hands out pieces of a slice it only appends to, so that reporting
// violations does not allocate once per string or error. A piece it handed
// out is never handed out again, so it stays valid however the Violations
// is reused; when the chunk is full the arena starts a new one and leaves
// the old one to the pieces that use it. A live error therefore keeps at
// most a chunk of each kind alive: 4 KiB of text, 64 violations, 16 errors.
type arena[T any] struct {
	buf []T
}

// The largest chunks of the arenas. Chunks start small, for a Violations
// used once, and double up to these.
const (
	maxText   = 4096
	maxKept   = 64
	maxErrors = 16
)

// take returns the next n elements, with a capacity of n, so that
// appending to the piece cannot overwrite its neighbour.
func (a *arena[T]) take(n, maxChunk int) []T {
	if cap(a.buf)-len(a.buf) < n {
		size := min(max(2*cap(a.buf), maxChunk/16, 1), maxChunk)
		a.buf = make([]T, 0, max(size, n))
	}
	i := len(a.buf)
	a.buf = a.buf[:i+n]
	return a.buf[i : i+n : i+n]
}

// unread gives back the last n elements taken, which were not handed out
// after all.
func (a *arena[T]) unread(n int) { a.buf = a.buf[:len(a.buf)-n] }

// Keywords of the extension vocabulary that choose an error code.
const (
	KeywordAllowlist   = "x-allowlist"
	KeywordOutboundURL = "x-outbound-url"
)

// Path is a JSON pointer built lazily while a decoder or validator descends:
// each level lives on the caller's stack and the string is only made when a
// violation is reported. The zero Path is the document root.
type Path struct {
	up    *Path
	name  string
	index int // -1 when name is used
}

// Field returns the path of the member name below p.
func (p *Path) Field(name string) Path { return Path{up: p, name: name, index: -1} }

// Index returns the path of array element i below p.
func (p *Path) Index(i int) Path { return Path{up: p, index: i} }

// String renders p as a JSON pointer ("" for the root), in one allocation.
func (p *Path) String() string {
	n := p.size()
	if n == 0 {
		return ""
	}
	b := make([]byte, n)
	p.fill(b)
	return unsafe.String(&b[0], n)
}

// size returns the length of p as a JSON pointer.
func (p *Path) size() int {
	n := 0
	for q := p; q != nil && q.up != nil; q = q.up {
		n += 1 + q.segmentSize()
	}
	return n
}

func (p *Path) segmentSize() int {
	if p.index >= 0 {
		return digits(p.index)
	}
	s, cut := shorten(p.name)
	n := len(s)
	for i := 0; i < len(s); i++ {
		if s[i] == '~' || s[i] == '/' {
			n++
		}
	}
	if cut {
		n += len(ellipsis)
	}
	return n
}

// fill writes p into b, which has p.size() bytes. The segments are written
// from the last to the first, each from its end, since a Path only links
// upwards.
func (p *Path) fill(b []byte) {
	end := len(b)
	for q := p; q.up != nil; q = q.up {
		if q.index >= 0 {
			i := q.index
			for {
				end--
				b[end] = byte('0' + i%10)
				if i /= 10; i == 0 {
					break
				}
			}
		} else {
			s, cut := shorten(q.name)
			if cut {
				end -= len(ellipsis)
				copy(b[end:], ellipsis)
			}
			for i := len(s) - 1; i >= 0; i-- {
				switch c := s[i]; c {
				case '~': // RFC 6901 escapes
					end -= 2
					b[end], b[end+1] = '~', '0'
				case '/':
					end -= 2
					b[end], b[end+1] = '~', '1'
				default:
					end--
					b[end] = c
				}
			}
		}
		end--
		b[end] = '/'
	}
}

// digits returns the number of decimal digits of i >= 0.
func digits(i int) int {
	n := 1
	for ; i >= 10; i /= 10 {
		n++
	}
	return n
}

// maxSegment bounds one pointer segment in a violation: member names come
// from the caller, and a megabyte-long name must not make a megabyte-long
// error body.
const maxSegment = 64

// ellipsis marks a segment shortened to maxSegment bytes.
const ellipsis = "…"

// shorten cuts s to at most maxSegment bytes at a character boundary, and
// reports whether it did; the pointer then marks the cut with ellipsis.
func shorten(s string) (string, bool) {
	if len(s) <= maxSegment {
		return s, false
	}
	i := maxSegment
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], true
}
