package server

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/go-faster/jx"

	"github.com/mcpgen/mcpgen/runtime/typed"
)

// message is what checkMessage reads of one message: the members JSON-RPC
// defines, and the first member it does not.
type message struct {
	jsonrpc, id, method, params, result, err member
	unknown                                  string // the first other member's name
	hasUnknown                               bool
	idJSON                                   []byte // the id as JSON, when idOK
	idOK                                     bool   // the id is a string, an integer of at most 2^53-1 or null
}

// member is one member of a message, as far as its checks read it.
type member struct {
	has  bool
	kind typed.ValueKind
	text string // of jsonrpc and method, the string's value
	// problem says what is wrong inside an object member: for params, two
	// names that differ only in case (caseTwin); for error, its shape
	// (errorShape). "" when nothing is.
	problem string
}

// part returns the member of m named name, nil for a name JSON-RPC does not
// define.
func (m *message) part(name string) *member {
	switch name {
	case "jsonrpc":
		return &m.jsonrpc
	case "id":
		return &m.id
	case "method":
		return &m.method
	case "params":
		return &m.params
	case "result":
		return &m.result
	case "error":
		return &m.err
	}
	return nil
}

// setID records the id's value, a string's value or a number's literal.
func (m *message) setID(kind typed.ValueKind, text string) {
	switch kind {
	case typed.Null:
		m.idJSON, m.idOK = nil, true
	case typed.String:
		m.idJSON, m.idOK = typed.AppendString(nil, text), true
	case typed.Number:
		if plainInteger(text, maxIDMagnitude) {
			m.idJSON, m.idOK = []byte(text), true
		}
	}
}

// messageOf is the message read into v, a JSON object whose keys are unique
// (a batch element, a message the server observes).
func messageOf(v *typed.Value) message {
	var m message
	for i := range v.Members {
		key, mv := v.Members[i].Key, &v.Members[i].Value
		p := m.part(key)
		if p == nil {
			if !m.hasUnknown {
				m.unknown, m.hasUnknown = key, true
			}
			continue
		}
		p.has, p.kind, p.text = true, mv.Kind, mv.Text
		switch key {
		case "id":
			m.setID(mv.Kind, mv.Text)
		case "params":
			if mv.Kind == typed.Object {
				p.problem = caseTwin(len(mv.Members), func(i int) string { return mv.Members[i].Key })
			}
		case "error":
			s := errorShapeOf(mv)
			p.problem = s.problem()
		}
	}
	return m
}

// errorShape is what the checks read of the error member of a response:
// the SDK decodes code as an integer, message as a string, data as anything.
type errorShape struct {
	object     bool
	unknown    string // the first member other than code, message and data
	hasUnknown bool
	code       bool // code is there and an integer
	message    bool // message is there and a string
}

func (s *errorShape) add(name string, kind typed.ValueKind, text string) {
	switch name {
	case "code":
		s.code = kind == typed.Number && plainInteger(text, 1<<63-1)
	case "message":
		s.message = kind == typed.String
	case "data":
	default:
		if !s.hasUnknown {
			s.unknown, s.hasUnknown = strings.Clone(name), true
		}
	}
}

func errorShapeOf(e *typed.Value) errorShape {
	s := errorShape{object: e.Kind == typed.Object}
	for i := range e.Members {
		s.add(e.Members[i].Key, e.Members[i].Value.Kind, e.Members[i].Value.Text)
	}
	return s
}

// problem says what is wrong with the error member, "" if nothing is.
func (s *errorShape) problem() string {
	switch {
	case !s.object:
		return "error must be an object"
	case s.hasUnknown:
		return "unknown member " + quote(s.unknown) + " in error"
	case !s.code:
		return "error.code must be an integer"
	case !s.message:
		return "error.message must be a string"
	}
	return ""
}

// messageReader reads a message object for checkMessage in one pass. It
// makes the checks typed.Reader.Value makes (no duplicate member, number
// literals of at most typed.MaxNumberLength characters within ±400 of
// exponent, strings of valid UTF-8, at most typed.MaxValueNodes values),
// recording the same violations at the same pointers, but it keeps only
// what the checks read: a call's arguments, of any size, are read without
// a value, a string or a member name being kept.
type messageReader struct {
	d      jx.Decoder
	vs     *typed.Violations
	nodes  int
	failed bool // a value past the limit, or input the syntax pass let through and this one did not
	// names holds the member names of the objects being read, end to end;
	// ends[i] is where the i-th ends.
	names []byte
	ends  []int
	// paths[d] is the path of the value being read at depth d, kept here
	// rather than on the stack, where the recursion would move each to
	// the heap.
	paths [typed.MaxDepth + 2]typed.Path
}

var messageReaders = sync.Pool{New: func() any { return new(messageReader) }}

// readMessage reads the message object data into a message, recording
// violations in vs. It reports false when the message holds more than
// typed.MaxValueNodes values, and otherwise whether the message is the
// last value in data (as typed.Reader.Skip would find: no value starts
// after it).
func readMessage(data []byte, vs *typed.Violations) (m message, ok, last bool) {
	mr := messageReaders.Get().(*messageReader)
	defer messageReaders.Put(mr)
	mr.d.ResetBytes(data)
	mr.vs, mr.nodes, mr.failed = vs, 0, false
	mr.names, mr.ends = mr.names[:0], mr.ends[:0]
	root := &mr.paths[0]
	*root = typed.Path{}
	m = mr.message(root)
	ok = !mr.failed
	last = ok && mr.d.Next() == jx.Invalid
	mr.vs = nil
	if cap(mr.names) > 64<<10 {
		mr.names = nil // not kept for the next message: it was a large one
	}
	return m, ok, last
}

func (mr *messageReader) message(p *typed.Path) message {
	var m message
	if mr.d.Next() != jx.Object || !mr.count() {
		mr.failed = true
		return m
	}
	mr.pop(mr.object(p, 0, &m, nil))
	return m
}

// messageMember reads the member name of the message into m.
func (mr *messageReader) messageMember(q *typed.Path, name []byte, m *message) {
	part := m.part(bytesString(name))
	if part == nil {
		if !m.hasUnknown {
			m.unknown, m.hasUnknown = string(name), true
		}
		mr.value(q, 1)
		return
	}
	part.has = true
	switch string(name) {
	case "params":
		part.kind, part.problem = mr.params(q)
	case "error":
		part.kind, part.problem = mr.errorMember(q)
	default:
		kind, text := mr.value(q, 1)
		part.kind = kind
		switch string(name) {
		case "jsonrpc":
			part.text = internString(text, "2.0")
		case "method":
			part.text = methodName(text)
		case "id":
			m.setID(kind, bytesString(text))
		}
	}
}

// params reads the params member, and says which of its member names
// differs from another only in case.
func (mr *messageReader) params(p *typed.Path) (typed.ValueKind, string) {
	if mr.d.Next() != jx.Object {
		kind, _ := mr.value(p, 1)
		return kind, ""
	}
	if !mr.count() {
		return typed.Object, ""
	}
	first := mr.object(p, 1, nil, nil)
	twin := caseTwin(len(mr.ends)-first, func(i int) string { return bytesString(mr.name(first + i)) })
	mr.pop(first)
	return typed.Object, twin
}

// errorMember reads the error member of a response, and says what is wrong
// with its shape.
func (mr *messageReader) errorMember(p *typed.Path) (typed.ValueKind, string) {
	if mr.d.Next() != jx.Object {
		kind, _ := mr.value(p, 1)
		return kind, "error must be an object"
	}
	if !mr.count() {
		return typed.Object, ""
	}
	s := errorShape{object: true}
	mr.pop(mr.object(p, 1, nil, &s))
	return typed.Object, s.problem()
}

// count counts one more value against typed.MaxValueNodes.
func (mr *messageReader) count() bool {
	if mr.failed {
		return false
	}
	if mr.nodes++; mr.nodes > typed.MaxValueNodes {
		mr.failed = true
		return false
	}
	return true
}

// value reads one value as typed.Reader.Value does and returns its kind
// and, for a string or a number, its text, valid until the next read. A
// value with a violation has the kind Value would give it.
func (mr *messageReader) value(p *typed.Path, depth int) (typed.ValueKind, []byte) {
	if !mr.count() {
		return typed.Null, nil
	}
	d := &mr.d
	switch d.Next() {
	case jx.Null:
		mr.check(d.Null())
		return typed.Null, nil
	case jx.Bool:
		_, err := d.Bool()
		mr.check(err)
		return typed.Bool, nil
	case jx.Number:
		n, err := d.Num()
		if !mr.check(err) {
			return typed.Number, nil
		}
		if len(n) > typed.MaxNumberLength {
			mr.vs.Add(p, "type", "number literal longer than "+strconv.Itoa(typed.MaxNumberLength)+" characters")
			return typed.Number, nil
		}
		if !inDecimalRange(n) {
			mr.vs.Add(p, "type", "number out of range (exponent beyond ±400)")
			return typed.Null, nil
		}
		return typed.Number, n
	case jx.String:
		b, err := d.StrBytes()
		if !mr.check(err) {
			return typed.String, nil
		}
		if !utf8.Valid(b) {
			mr.vs.Add(p, "type", "must be a string of valid UTF-8")
			return typed.String, nil
		}
		return typed.String, b
	case jx.Array:
		iter, err := d.ArrIter()
		for i := 0; mr.check(err) && iter.Next(); i++ {
			q := mr.child(depth)
			if q == nil {
				return typed.Array, nil
			}
			*q = p.Index(i)
			mr.value(q, depth+1)
			if mr.failed {
				return typed.Array, nil
			}
		}
		mr.check(iter.Err())
		return typed.Array, nil
	case jx.Object:
		mr.pop(mr.object(p, depth, nil, nil))
		return typed.Object, nil
	}
	mr.failed = true
	return typed.Null, nil
}

// object reads the members of an object; a duplicate is a violation, and
// skipped. Of the message itself (m not nil) and of its error member (es
// not nil) it keeps what the checks read. It returns the index of the
// object's first name in names, which stay there until pop. (The calls
// are direct, not through a function value, so that the paths of the
// members stay on the stack.)
func (mr *messageReader) object(p *typed.Path, depth int, m *message, es *errorShape) int {
	first := len(mr.ends)
	var seen map[string]struct{} // built once the object grows past a linear scan's worth
	iter, err := mr.d.ObjIter()
	for mr.check(err) && iter.Next() {
		key := iter.Key()
		if !utf8.Valid(key) {
			mr.failed = true
			return first
		}
		start := len(mr.names)
		mr.names = append(mr.names, key...)
		name := mr.names[start:]
		q := mr.child(depth)
		if q == nil {
			return first
		}
		*q = p.Field(bytesString(name))
		if mr.duplicate(first, name, &seen) {
			mr.vs.Add(q, "json", "duplicate key")
			err = mr.d.Skip()
			mr.names = mr.names[:start]
			continue
		}
		mr.ends = append(mr.ends, len(mr.names))
		switch {
		case m != nil:
			mr.messageMember(q, name, m)
		case es != nil:
			kind, text := mr.value(q, depth+1)
			es.add(bytesString(name), kind, bytesString(text))
		default:
			mr.value(q, depth+1)
		}
		if mr.failed {
			return first
		}
	}
	mr.check(iter.Err())
	return first
}

// duplicate reports whether name is already the name of one of the
// object's members, from index first on, keeping the check linear-time
// overall so that a large object cannot cost quadratic work.
func (mr *messageReader) duplicate(first int, name []byte, seen *map[string]struct{}) bool {
	const scanLimit = 16
	n := len(mr.ends) - first
	if *seen == nil && n < scanLimit {
		for i := first; i < len(mr.ends); i++ {
			if bytes.Equal(mr.name(i), name) {
				return true
			}
		}
		return false
	}
	if *seen == nil {
		// The names stay where they are while the object is read: later
		// names are appended after them, and a reallocation leaves the old
		// array as it was.
		*seen = make(map[string]struct{}, 2*n)
		for i := first; i < len(mr.ends); i++ {
			(*seen)[bytesString(mr.name(i))] = struct{}{}
		}
	}
	if _, dup := (*seen)[bytesString(name)]; dup {
		return true
	}
	(*seen)[bytesString(name)] = struct{}{}
	return false
}

// child returns the path of a member or element of a value at depth,
// nil past the nesting limit, which the syntax pass enforces.
func (mr *messageReader) child(depth int) *typed.Path {
	if depth+1 >= len(mr.paths) {
		mr.failed = true
		return nil
	}
	return &mr.paths[depth+1]
}

// name returns the i-th name in names.
func (mr *messageReader) name(i int) []byte {
	start := 0
	if i > 0 {
		start = mr.ends[i-1]
	}
	return mr.names[start:mr.ends[i]]
}

// pop forgets the names from index first on.
func (mr *messageReader) pop(first int) {
	end := 0
	if first > 0 {
		end = mr.ends[first-1]
	}
	mr.names, mr.ends = mr.names[:end], mr.ends[:first]
}

// check notes a decoding error, which the syntax pass rules out.
func (mr *messageReader) check(err error) bool {
	if err != nil {
		mr.failed = true
		return false
	}
	return true
}

// inDecimalRange reports whether typed.ParseDecimal accepts a number
// literal, as typed.Reader.Value requires of every number it reads: zero,
// or at most typed.MaxNumberLength characters whose significant digits
// and decimal exponent put it within 10^±400. It parses nothing and
// allocates nothing.
func inDecimalRange(lit []byte) bool {
	if len(lit) > typed.MaxNumberLength {
		return false
	}
	digits := func(i int) int {
		for i < len(lit) && '0' <= lit[i] && lit[i] <= '9' {
			i++
		}
		return i
	}
	i := 0
	if i < len(lit) && lit[i] == '-' {
		i++
	}
	intStart := i
	i = digits(i)
	intEnd, fracStart, fracEnd := i, i, i
	if i < len(lit) && lit[i] == '.' {
		fracStart = i + 1
		fracEnd = digits(fracStart)
		if fracEnd == fracStart {
			return false
		}
		i = fracEnd
	}
	exp := fracStart - fracEnd
	if i < len(lit) && (lit[i] == 'e' || lit[i] == 'E') {
		e, err := strconv.Atoi(bytesString(lit[i+1:]))
		if err != nil || e > 1_000_000 || e < -1_000_000 {
			return false
		}
		exp += e
		i = len(lit)
	}
	if i != len(lit) {
		return false
	}
	// The significant digits: the integer's and the fraction's, end to
	// end, without leading and trailing zeros.
	nInt := intEnd - intStart
	digit := func(k int) byte {
		if k < nInt {
			return lit[intStart+k]
		}
		return lit[fracStart+k-nInt]
	}
	start, end := 0, nInt+fracEnd-fracStart
	for start < end && digit(start) == '0' {
		start++
	}
	for start < end && digit(end-1) == '0' {
		end--
		exp++
	}
	n := end - start
	return n == 0 || exp+n <= 400 && exp >= -400
}

// caseTwin says which of an object's member names, name(0) to name(n-1),
// differs from an earlier one's only in case ("" if none): a reader that
// matches names without regard to case, as encoding/json does, would take
// one for the other, and see a different call than the SDK runs.
func caseTwin(n int, name func(i int) string) string {
	problem := func(twin, first string) string {
		return "/params/" + escapePointer(twin) + ": member name differs from " + quote(first) + " only in case"
	}
	const scanLimit = 16
	if n <= scanLimit {
		for i := 1; i < n; i++ {
			for j := range i {
				if strings.EqualFold(name(i), name(j)) {
					return problem(name(i), name(j))
				}
			}
		}
		return ""
	}
	seen := make(map[string]string, n)
	for i := range n {
		k := foldCase(name(i))
		if first, ok := seen[k]; ok {
			return problem(name(i), first)
		}
		seen[k] = name(i)
	}
	return ""
}

// methodNames are the names of servedMethods, to give a method read from a
// message without copying it.
var methodNames = func() map[string]string {
	names := make(map[string]string, len(servedMethods))
	for name := range servedMethods {
		names[name] = name
	}
	return names
}()

func methodName(b []byte) string {
	if name, ok := methodNames[string(b)]; ok {
		return name
	}
	return string(b)
}

// internString returns b as a string, without copying it when it is known.
func internString(b []byte, known string) string {
	if string(b) == known {
		return known
	}
	return string(b)
}

// bytesString is b as a string without a copy, for as long as b is not
// changed.
func bytesString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
