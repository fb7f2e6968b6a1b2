package gen

import (
	"net/url"
	"path"
	"strings"

	"github.com/mcpgen/mcpgen/runtime/typed"
)

// compactJSON renders n as compact JSON, members in source order.
func compactJSON(n *Node) string {
	return string(appendNode(nil, n, nil))
}

// publisher renders a tool's schema as clients see it in tools/list: the
// author's schema without the private x- policy keys, with schemas from
// sibling files bundled under "$defs" (clients cannot read our files), and
// the allowlists a schema publishes as an "enum" where its x-allowlist was.
type publisher struct {
	c       *compiler
	keep    map[*Node]bool   // nodes a ref reaches, and the objects that hold them
	refd    map[*Node]bool   // nodes a ref reaches
	enums   map[*Node]string // schema node → the JSON array its x-allowlist publishes
	used    []*Node          // schema nodes whose enum was published, in order
	seen    map[*Node]bool
	bundled map[*File]string // file → its key under $defs
	order   []*File
}

// publishSchema returns the published JSON of the schema rooted at root,
// and the schema nodes that published their allowlist as an enum in it.
// The root's "$defs" is rendered last so files bundled on the way can join it.
// A draft-07 schema that did not say so (draft7) is published with its
// "$schema": clients read a schema without one as 2020-12.
// Only the "$defs" entries a "$ref" reaches are published, so a shared
// file of definitions costs a tool only what it uses.
func publishSchema(c *compiler, root *Schema, enums map[*Node]string, draft7 bool) (string, []*Node) {
	p := &publisher{c: c, enums: enums, seen: map[*Node]bool{}, bundled: map[*File]string{}}
	p.keep, p.refd = refTargets(root)
	if root.Node.Kind != KindObject {
		return compactJSON(root.Node), nil
	}
	return p.publish(root.Node, draft7)
}

// refTargets returns the nodes the refs of the schemas reachable from root
// point to (refd), and those with every node that holds one of them (keep).
func refTargets(root *Schema) (keep, refd map[*Node]bool) {
	keep, refd = map[*Node]bool{}, map[*Node]bool{}
	seen := map[*Schema]bool{}
	var visit func(s *Schema)
	visit = func(s *Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		for _, target := range []*Schema{s.Ref, s.DynamicRef} {
			if target == nil {
				continue
			}
			n := target.Node
			keep[n], refd[n] = true, true
			for ptr := n.Pointer; ptr != ""; {
				ptr, _ = splitPointer(ptr)
				if up := nodeAt(n.File.Root, ptr); up != nil {
					keep[up] = true
				}
			}
		}
		for _, sub := range subschemas(s) {
			visit(sub)
		}
	}
	visit(root)
	return keep, refd
}

func (p *publisher) publish(root *Node, draft7 bool) (string, []*Node) {
	b := p.appendMembers(nil, root, root.File, "", func(key string) bool { return key == "$defs" })
	if draft7 {
		head := []byte(`{"$schema":"http://json-schema.org/draft-07/schema#"`)
		if len(b) > 1 {
			head = append(head, ',')
		}
		b = append(head, b[1:]...)
	}
	var defs []byte
	if authored := root.Get("$defs"); authored != nil && authored.Kind == KindObject {
		for _, d := range authored.Members {
			if !p.keep[d.Value] {
				continue
			}
			defs = append(defs, ',')
			defs = typed.AppendString(defs, d.Key)
			defs = append(defs, ':')
			defs = p.appendSchema(defs, d.Value, root.File, "")
		}
	}
	for i := 0; i < len(p.order); i++ { // rendering a bundle may bundle more files
		f := p.order[i]
		defs = append(defs, ',')
		defs = typed.AppendString(defs, p.bundled[f])
		defs = append(defs, ':')
		prefix := "/$defs/" + escapePointer(p.bundled[f])
		id := p.bundleID(f)
		if id != "" {
			// Refs inside a document with an identifier of its own resolve
			// against it, as written.
			prefix = ""
		}
		// A bundle keeps its root's "$id" only when refs read it by that
		// identifier; otherwise they point into it from the published root.
		skip := func(key string) bool { return key == "$id" && id == "" }
		if !p.refd[f.Root] { // only definitions of the file are used: publish just those
			skip = func(key string) bool { return key != "$defs" && key != "definitions" && (key != "$id" || id == "") }
		}
		var doc []byte
		if f.Root.Kind == KindObject {
			doc = append(p.appendMembers(nil, f.Root, f, prefix, skip), '}')
		} else {
			doc = appendNode(nil, f.Root, nil)
		}
		if id != "" && f.Root.Get("$id") == nil && len(doc) > 0 && doc[0] == '{' {
			head := typed.AppendString([]byte(`{"$id":`), id)
			if len(doc) > 2 {
				head = append(head, ',')
			}
			doc = append(head, doc[1:]...)
		}
		defs = append(defs, doc...)
	}
	if len(defs) > 0 {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, `"$defs":{`...)
		b = append(b, defs[1:]...)
		b = append(b, '}')
	}
	return string(append(b, '}')), p.used
}

func (p *publisher) bundle(f *File) string {
	if key, ok := p.bundled[f]; ok {
		return key
	}
	key := path.Base(f.Path)
	for taken := true; taken; {
		taken = false
		for _, k := range p.bundled {
			if k == key {
				key = "_" + key
				taken = true
			}
		}
	}
	p.bundled[f] = key
	p.order = append(p.order, f)
	return key
}

// appendSchema renders schema node n of file f; prefix is the pointer of f's
// root inside the published document ("" for the tool's own schema root).
func (p *publisher) appendSchema(b []byte, n *Node, f *File, prefix string) []byte {
	if n.Kind != KindObject {
		return appendNode(b, n, nil)
	}
	return append(p.appendMembers(b, n, f, prefix, nil), '}')
}

// appendMembers renders "{" and the members of object n, without the
// closing brace; x- keys and those skip accepts are left out.
func (p *publisher) appendMembers(b []byte, n *Node, f *File, prefix string, skip func(string) bool) []byte {
	b = append(b, '{')
	first := true
	enum, publish := p.enums[n]
	for _, m := range n.Members {
		if publish && m.Key == "x-allowlist" {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, `"enum":`...)
			b = append(b, enum...)
			if !p.seen[n] {
				p.seen[n] = true
				p.used = append(p.used, n)
			}
			continue
		}
		if strings.HasPrefix(m.Key, "x-") || skip != nil && skip(m.Key) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = typed.AppendString(b, m.Key)
		b = append(b, ':')
		switch {
		case (m.Key == "$ref" || m.Key == "$dynamicRef") && m.Value.Kind == KindString:
			b = typed.AppendString(b, p.rewriteRef(m.Value, f, prefix))
		case isSchemaMap(m.Key) && m.Value.Kind == KindObject:
			b = append(b, '{')
			first := true
			for _, d := range m.Value.Members {
				if (m.Key == "$defs" || m.Key == "definitions") && !p.keep[d.Value] {
					continue
				}
				if !first {
					b = append(b, ',')
				}
				first = false
				b = typed.AppendString(b, d.Key)
				b = append(b, ':')
				b = p.appendSchema(b, d.Value, f, prefix)
			}
			b = append(b, '}')
		case isSchemaList(m.Key) && m.Value.Kind == KindArray:
			b = append(b, '[')
			for i, it := range m.Value.Items {
				if i > 0 {
					b = append(b, ',')
				}
				b = p.appendSchema(b, it, f, prefix)
			}
			b = append(b, ']')
		case isSchemaValued(m.Key):
			b = p.appendSchema(b, m.Value, f, prefix)
		default:
			b = appendNode(b, m.Value, nil)
		}
	}
	return b
}

// rewriteRef returns the ref at n, written in file f whose root is at
// prefix in the published document, as clients must read it there: a ref
// into another file points into that file's bundle under "$defs" (by the
// file's own identifier when it has one), a same-document pointer gains
// the prefix, and anything else (anchors, "$id"s inside the document)
// stays as written.
func (p *publisher) rewriteRef(n *Node, f *File, prefix string) string {
	ref := n.Str
	u, err := url.Parse(ref)
	target := p.c.refs[n]
	if err != nil || target == nil {
		return ref
	}
	sameDoc := u.Scheme == "" && u.Host == "" && u.Path == "" && u.RawQuery == ""
	tf := target.Node.File
	if tf == f {
		if sameDoc && (u.Fragment == "" || strings.HasPrefix(u.Fragment, "/")) {
			return "#" + prefix + u.Fragment
		}
		return ref
	}
	key := p.bundle(tf)
	if id := p.bundleID(tf); id != "" {
		if u.Scheme != "" {
			return ref
		}
		return id + "#" + u.Fragment
	}
	if u.Fragment == "" || strings.HasPrefix(u.Fragment, "/") {
		return "#/$defs/" + escapePointer(key) + u.Fragment
	}
	return "#/$defs/" + escapePointer(key) + target.Node.Pointer // an anchor of the file
}

// bundleID returns the absolute URI that identifies bundled file f: its
// root's "$id", or the URI a served document stands for; "" for a
// definition file known by its path only.
func (p *publisher) bundleID(f *File) string {
	r := p.c.resourceOf(f.Root)
	if r == nil || strings.HasPrefix(r.uri, "file:") {
		return ""
	}
	return r.uri
}

func isSchemaMap(key string) bool {
	switch key {
	case "properties", "patternProperties", "$defs", "definitions", "dependentSchemas":
		return true
	}
	return false
}

func isSchemaList(key string) bool {
	switch key {
	case "allOf", "anyOf", "oneOf", "prefixItems", "items":
		return true
	}
	return false
}

func isSchemaValued(key string) bool {
	switch key {
	case "additionalProperties", "propertyNames", "items", "additionalItems", "not", "if", "then", "else", "contains":
		return true
	}
	return false
}

// appendNode renders n as compact JSON; skip drops object keys it accepts.
func appendNode(b []byte, n *Node, skip func(string) bool) []byte {
	switch n.Kind {
	case KindNull:
		return append(b, "null"...)
	case KindBool:
		if n.Bool {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case KindNumber:
		return append(b, n.Str...)
	case KindString:
		return typed.AppendString(b, n.Str)
	case KindArray:
		b = append(b, '[')
		for i, it := range n.Items {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendNode(b, it, skip)
		}
		return append(b, ']')
	}
	b = append(b, '{')
	first := true
	for _, m := range n.Members {
		if skip != nil && skip(m.Key) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = typed.AppendString(b, m.Key)
		b = append(b, ':')
		b = appendNode(b, m.Value, skip)
	}
	return append(b, '}')
}
