package gen

import (
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"
)

// A generated file is the home of the declarations that come from one
// place: a tool's file holds what its own schemas declare (types, dynamic
// validators, its decoder and server.Tool value), a definitions file what
// one shared schema file declares, wherever it is used. Names derive from
// those places too, never from a counter over the whole package, so an
// edit to one tool changes that tool's files only.

// fileBuilder is one file being emitted.
type fileBuilder struct {
	name     string
	owner    string // lowerCamel prefix of the file's package-level vars
	f        *jen.File
	shared   []jen.Code        // package-level vars, in the order first used
	decimals map[string]string // number text → var
	patterns map[string]string // pattern → var
}

// homes maps every schema document root to its file.
type homes struct {
	byRoot map[*Node]*fileBuilder
	byFile map[*File]*fileBuilder // definitions files, by source file
	tools  map[*Node]*Tool        // tool schema roots → their tool
	order  []*fileBuilder
	names  map[string]bool // file names taken
	pkg    string
}

func (h *homes) add(name, owner string) *fileBuilder {
	b := &fileBuilder{name: name, owner: owner, f: newFile(h.pkg), decimals: map[string]string{}, patterns: map[string]string{}}
	h.order = append(h.order, b)
	h.names[name] = true
	return b
}

// of returns the file that declares what schema s needs.
func (h *homes) of(s *Schema) *fileBuilder {
	if b, ok := h.byRoot[s.Root]; ok {
		return b
	}
	f := s.Node.File
	if b, ok := h.byFile[f]; ok {
		return b
	}
	// A shared schema file's declarations go to defs_<name>_mcpgen.go. Two
	// files of the same name (in two folders, or two documents served for
	// URIs) are told apart by the folders above them.
	segments := strings.Split(strings.TrimSuffix(docPath(f), ".json"), "/")
	var name, owner string
	for n := 1; ; n++ {
		words := segments[max(0, len(segments)-n):]
		name = "defs_" + fileWord(strings.Join(words, "_")) + "_mcpgen.go"
		owner = "defs" + GoName(strings.Join(words, " "))
		if !h.names[name] || n >= len(segments) {
			break
		}
	}
	for i := 2; h.names[name]; i++ { // the same path twice: a file and a URI
		name = strings.TrimSuffix(name, "_mcpgen.go") + strconv.Itoa(i) + "_mcpgen.go"
		owner += strconv.Itoa(i)
	}
	b := h.add(name, owner)
	h.byFile[f] = b
	return b
}

// docPath is the path of a definition file, or of the URI a served
// document stands for.
func docPath(f *File) string {
	if u, err := url.Parse(f.Path); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		return strings.TrimPrefix(u.Host+u.Path+u.Opaque, "/")
	}
	return f.Path
}

func fileWord(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// place orders declarations within a file by where they are written.
func place(s *Schema) (string, int) { return s.Node.File.Path, s.Node.Offset }

func less(a, b *Schema) bool {
	pa, oa := place(a)
	pb, ob := place(b)
	if pa != pb {
		return pa < pb
	}
	return oa < ob
}

// nameValidators names the dynamic validator of every schema in list from
// its place: its tool (or file) and the JSON pointer below the document
// root, such as checkAlertsConfigureInputRuleAnyOf0. Two places that give
// the same name are told apart by a suffix in pointer order; both are in
// the same document, so the suffix changes only with that document. It
// runs in Load: names are decided before anything is emitted.
func nameValidators(list []*Schema, tools []*Tool) {
	owners := map[*Node]string{}
	for _, t := range tools {
		owners[t.InputSchema.Node] = t.GoName + "Input"
		if t.OutputSchema != nil {
			owners[t.OutputSchema.Node] = t.GoName + "Output"
		}
	}
	sorted := append([]*Schema(nil), list...)
	sort.Slice(sorted, func(i, j int) bool { return less(sorted[i], sorted[j]) })
	taken := map[string]bool{}
	for _, s := range sorted {
		base := "check" + docOwner(s, owners) + pointerWords(strings.TrimPrefix(s.Node.Pointer, s.Root.Pointer))
		name := base
		for i := 2; taken[name]; i++ {
			name = base + "_" + strconv.Itoa(i)
		}
		taken[name] = true
		s.CheckName = name
	}
}

// docOwner names the document of s: the tool's Go name with Input or
// Output, or the schema file's.
func docOwner(s *Schema, owners map[*Node]string) string {
	if owner, ok := owners[s.Root]; ok {
		return owner
	}
	owner := GoName(strings.TrimSuffix(path.Base(s.Node.File.Path), ".json"))
	if s.Root != s.Node.File.Root && s.Root.Pointer != "" {
		owner += pointerWords(s.Root.Pointer)
	}
	return owner
}

// pointerWords turns a JSON pointer into name words, leaving out the
// keywords that only hold names ("properties", "$defs").
func pointerWords(ptr string) string {
	var b strings.Builder
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = unescapePointer(tok)
		switch tok {
		case "", "properties", "$defs", "definitions":
			continue
		}
		w := GoName(tok)
		if w == "" {
			w = "X"
		}
		b.WriteString(w)
	}
	return b.String()
}
