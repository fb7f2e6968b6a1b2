package gen

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Node is one JSON value of a definition file, with its position, so every
// problem can be reported as file:line:col. Object members keep the order
// the author wrote them in; generated structs follow that order.
type Node struct {
	Kind    NodeKind
	Str     string   // string value, or the literal text of a number
	Bool    bool     // boolean value
	Members []Member // object members, in source order
	Items   []*Node  // array elements
	Offset  int      // byte offset of the value in File.Data
	File    *File
	Pointer string // JSON pointer of the value within its file
}

// Member is one "key": value pair of an object node.
type Member struct {
	Key       string
	KeyOffset int
	Value     *Node
}

// NodeKind is the JSON type of a Node.
type NodeKind int

// The JSON kinds.
const (
	KindNull NodeKind = iota
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

func (k NodeKind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// Get returns the value of member key, or nil.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != KindObject {
		return nil
	}
	for _, m := range n.Members {
		if m.Key == key {
			return m.Value
		}
	}
	return nil
}

// Pos returns "file:line:col" of the value.
func (n *Node) Pos() string { return n.File.pos(n.Offset) }

// Interface converts n to the plain Go values jsonschema/v5 validates
// (map[string]any, []any, json.Number via string form, and so on).
func (n *Node) Interface() any {
	switch n.Kind {
	case KindBool:
		return n.Bool
	case KindNumber:
		return jsonNumber(n.Str)
	case KindString:
		return n.Str
	case KindArray:
		out := make([]any, len(n.Items))
		for i, it := range n.Items {
			out[i] = it.Interface()
		}
		return out
	case KindObject:
		out := make(map[string]any, len(n.Members))
		for _, m := range n.Members {
			out[m.Key] = m.Value.Interface()
		}
		return out
	}
	return nil
}

// File is one definition file as read from disk.
type File struct {
	Path  string // as given on the command line, for messages
	Data  []byte
	Root  *Node
	lines []int // offsets of line starts
}

func (f *File) pos(off int) string {
	if f.lines == nil {
		f.lines = []int{0}
		for i, c := range f.Data {
			if c == '\n' {
				f.lines = append(f.lines, i+1)
			}
		}
	}
	lo, hi := 0, len(f.lines)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if f.lines[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	col := utf8.RuneCount(f.Data[f.lines[lo]:off]) + 1
	return fmt.Sprintf("%s:%d:%d", f.Path, lo+1, col)
}

// maxNodeDepth bounds nesting in definition files; real schemas stay far below.
const maxNodeDepth = 256

// parseFile parses f.Data into f.Root, reporting what is wrong to problems.
// It rejects invalid UTF-8 and trailing data, which encoding/json would
// accept silently, and duplicate keys, which it would resolve silently (the
// last one wins, so a second "maximum" could quietly loosen a bound). A
// duplicate key does not stop parsing (the first value is kept), so the
// file's other problems are reported too; a syntax error does, and leaves
// f.Root nil.
func parseFile(f *File, problems *Problems) bool {
	p := &parser{f: f, data: f.Data, problems: problems}
	p.skipSpace()
	root, err := p.value("", 0)
	if err != nil {
		p.report(err)
		return false
	}
	p.skipSpace()
	if p.i != len(p.data) {
		p.report(p.errorf(p.i, "", "unexpected data after the JSON value; a definition file holds one JSON value (an array or {\"tools\": [...]} for several tools)"))
		return false
	}
	f.Root = root
	return true
}

type parser struct {
	f        *File
	data     []byte
	i        int
	problems *Problems
}

// posError is a syntax problem at a byte offset of a file, inside the value
// at pointer.
type posError struct {
	offset  int
	pointer string
	msg     string
}

func (e *posError) Error() string { return ptrOrRoot(e.pointer) + ": " + e.msg }

func (p *parser) errorf(off int, ptr, format string, args ...any) error {
	return &posError{offset: off, pointer: ptr, msg: fmt.Sprintf(format, args...)}
}

func (p *parser) report(err error) {
	pe := err.(*posError)
	p.problems.addAt(p.f, pe.offset, pe.pointer, pe.msg)
}

func (p *parser) skipSpace() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(ptr string, depth int) (*Node, error) {
	if depth > maxNodeDepth {
		return nil, p.errorf(p.i, ptr, "JSON nested deeper than %d levels", maxNodeDepth)
	}
	if p.i >= len(p.data) {
		return nil, p.errorf(p.i, ptr, "unexpected end of the file; a JSON value is missing")
	}
	n := &Node{Offset: p.i, File: p.f, Pointer: ptr}
	switch c := p.data[p.i]; {
	case c == '{':
		n.Kind = KindObject
		p.i++
		p.skipSpace()
		if p.i < len(p.data) && p.data[p.i] == '}' {
			p.i++
			return n, nil
		}
		seen := map[string]bool{}
		for {
			p.skipSpace()
			keyOff := p.i
			if p.i >= len(p.data) || p.data[p.i] != '"' {
				return nil, p.errorf(p.i, ptr, "expected a string key in double quotes")
			}
			key, err := p.str(ptr)
			if err != nil {
				return nil, err
			}
			dup := seen[key]
			if dup {
				p.report(p.errorf(keyOff, ptr+"/"+escapePointer(key), "duplicate key %q; JSON readers disagree on which value wins, so each key may appear once", key))
			}
			seen[key] = true
			p.skipSpace()
			if p.i >= len(p.data) || p.data[p.i] != ':' {
				return nil, p.errorf(p.i, ptr, "expected ':' after key %q", key)
			}
			p.i++
			p.skipSpace()
			v, err := p.value(ptr+"/"+escapePointer(key), depth+1)
			if err != nil {
				return nil, err
			}
			if !dup {
				n.Members = append(n.Members, Member{Key: key, KeyOffset: keyOff, Value: v})
			}
			p.skipSpace()
			if p.i < len(p.data) && p.data[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.data) && p.data[p.i] == '}' {
				p.i++
				return n, nil
			}
			return nil, p.errorf(p.i, ptr, "expected ',' or '}' after the member %q of this object", key)
		}
	case c == '[':
		n.Kind = KindArray
		p.i++
		p.skipSpace()
		if p.i < len(p.data) && p.data[p.i] == ']' {
			p.i++
			return n, nil
		}
		for {
			p.skipSpace()
			v, err := p.value(ptr+"/"+strconv.Itoa(len(n.Items)), depth+1)
			if err != nil {
				return nil, err
			}
			n.Items = append(n.Items, v)
			p.skipSpace()
			if p.i < len(p.data) && p.data[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.data) && p.data[p.i] == ']' {
				p.i++
				return n, nil
			}
			return nil, p.errorf(p.i, ptr, "expected ',' or ']' after item %d of this array", len(n.Items)-1)
		}
	case c == '"':
		n.Kind = KindString
		s, err := p.str(ptr)
		if err != nil {
			return nil, err
		}
		n.Str = s
	case c == '-' || (c >= '0' && c <= '9'):
		n.Kind = KindNumber
		lit, ok := scanNumber(p.data[p.i:])
		if !ok {
			return nil, p.errorf(p.i, ptr, "invalid number")
		}
		n.Str = string(lit)
		p.i += len(lit)
	case bytes.HasPrefix(p.data[p.i:], []byte("true")):
		n.Kind, n.Bool = KindBool, true
		p.i += 4
	case bytes.HasPrefix(p.data[p.i:], []byte("false")):
		n.Kind = KindBool
		p.i += 5
	case bytes.HasPrefix(p.data[p.i:], []byte("null")):
		n.Kind = KindNull
		p.i += 4
	default:
		return nil, p.errorf(p.i, ptr, "invalid character %q where a JSON value should start", c)
	}
	return n, nil
}

// scanNumber returns the longest JSON number literal at the start of b.
func scanNumber(b []byte) ([]byte, bool) {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return nil, false
		}
	}
	return b[:i], true
}

// str reads a string literal that is a key of, or the value at, ptr.
func (p *parser) str(ptr string) (string, error) {
	start := p.i
	p.i++ // opening quote
	var b strings.Builder
	for {
		if p.i >= len(p.data) {
			return "", p.errorf(start, ptr, "unterminated string")
		}
		c := p.data[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c == '\\':
			if p.i+1 >= len(p.data) {
				return "", p.errorf(p.i, ptr, "unterminated string")
			}
			esc := p.data[p.i+1]
			p.i += 2
			switch esc {
			case '"', '\\', '/':
				b.WriteByte(esc)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.errorf(p.i, ptr, "invalid \\u escape; four hex digits must follow")
				}
				if utf16.IsSurrogate(r) {
					if p.i+1 < len(p.data) && p.data[p.i] == '\\' && p.data[p.i+1] == 'u' {
						p.i += 2
						r2, ok := p.hex4()
						if !ok {
							return "", p.errorf(p.i, ptr, "invalid \\u escape; four hex digits must follow")
						}
						r = utf16.DecodeRune(r, r2)
					} else {
						r = utf8.RuneError
					}
				}
				b.WriteRune(r)
			default:
				return "", p.errorf(p.i-2, ptr, "invalid escape \\%c; allowed: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX", esc)
			}
		case c < 0x20:
			return "", p.errorf(p.i, ptr, "control character %U in a string; write it as an escape such as \\n or \\u0000", c)
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			p.i++
		default:
			r, size := utf8.DecodeRune(p.data[p.i:])
			if r == utf8.RuneError && size == 1 {
				return "", p.errorf(p.i, ptr, "invalid UTF-8 in a string; definition files must be UTF-8")
			}
			b.Write(p.data[p.i : p.i+size])
			p.i += size
		}
	}
}

func (p *parser) hex4() (rune, bool) {
	if p.i+4 > len(p.data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.data[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func ptrOrRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
