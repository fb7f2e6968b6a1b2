package typed

import (
	"strconv"
	"strings"
	"unicode/utf8"

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
}

// Add records a violation at path. During validation, a violation at or
// below a place where decoding already failed is left out: a value that
// was missing or of the wrong type is reported once, not again for every
// constraint its zero value breaks.
func (vs *Violations) Add(path *Path, keyword, message string) {
	if len(vs.list) >= MaxViolations {
		vs.dropped++
		return
	}
	ptr := path.String()
	for _, v := range vs.list[:vs.decoded] {
		if within(ptr, v.Pointer) {
			return
		}
	}
	vs.list = append(vs.list, mcperr.Violation{Pointer: ptr, Keyword: keyword, Message: message})
}

// within reports whether pointer p is at or below pointer q.
func within(p, q string) bool {
	return p == q || len(p) > len(q) && p[:len(q)] == q && p[len(q)] == '/'
}

// Len returns how many violations were found, kept or not.
func (vs *Violations) Len() int { return len(vs.list) + vs.dropped }

// List returns the kept violations.
func (vs *Violations) List() []mcperr.Violation { return vs.list }

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
	msg := what + ": " + strconv.Itoa(vs.Len()) + " violation"
	if vs.Len() != 1 {
		msg += "s"
	}
	e := &mcperr.Error{Code: code, Message: msg, Violations: append([]mcperr.Violation(nil), vs.list...)}
	if vs.dropped > 0 {
		e.Details = map[string]any{"violations_dropped": vs.dropped}
	}
	return e
}

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
	if p == nil || p.up == nil {
		return ""
	}
	var segments [MaxDepth + 1]*Path // paths are never deeper than the reader allows
	n := 0
	size := 0
	for q := p; q.up != nil && n < len(segments); q = q.up {
		segments[n] = q
		n++
		if q.index >= 0 {
			size += 1 + 20
		} else {
			size += 1 + 2*len(cut(q.name))
		}
	}
	var b strings.Builder
	b.Grow(size)
	var digits [20]byte
	for i := n - 1; i >= 0; i-- {
		b.WriteByte('/')
		if q := segments[i]; q.index >= 0 {
			b.Write(strconv.AppendInt(digits[:0], int64(q.index), 10))
		} else {
			writeEscaped(&b, cut(q.name))
		}
	}
	return b.String()
}

// writeEscaped writes s with "~" and "/" escaped as RFC 6901 says.
func writeEscaped(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '~':
			b.WriteString("~0")
		case '/':
			b.WriteString("~1")
		default:
			b.WriteByte(s[i])
		}
	}
}

// maxSegment bounds one pointer segment in a violation: member names come
// from the caller, and a megabyte-long name must not make a megabyte-long
// error body.
const maxSegment = 64

// cut shortens s to maxSegment bytes at a character boundary, marking the cut.
func cut(s string) string {
	if len(s) <= maxSegment {
		return s
	}
	i := maxSegment
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
