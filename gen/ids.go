package gen

import (
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Schemas are identified as JSON Schema identifies them: every document has
// a base URI (a definition file's own file: URI, or the URI a document
// given by Config.ReadURI stands for), "$id" makes a subschema a resource
// of its own with a new base URI, "$anchor" and "$dynamicAnchor" name a
// schema inside its resource, and "$ref" is resolved against the base URI
// in effect where it is written. Identifiers only identify: nothing is ever
// fetched, and a URI no loaded document identifies is an error unless
// Config.ReadURI serves it.

// resource is one schema resource: a document's root, or a subschema with
// "$id".
type resource struct {
	node    *Node
	uri     string           // absolute, without fragment
	doc     *Node            // the root of the document holding it
	parent  *resource        // the resource around it, nil for a document root
	anchors map[string]*Node // "$anchor" and "$dynamicAnchor" names (draft-07: "$id": "#name")
	dynamic map[string]*Node // "$dynamicAnchor" names
}

// identifiers indexes the resources of every loaded document.
type identifiers struct {
	byURI map[string]*resource
	of    map[*Node]*resource // each schema node scanned, to its resource
}

func newIdentifiers() *identifiers {
	return &identifiers{byURI: map[string]*resource{}, of: map[*Node]*resource{}}
}

// anchorName is the grammar of "$anchor" and "$dynamicAnchor".
var anchorName = regexp.MustCompile(`^[A-Za-z_][-A-Za-z0-9._]*$`)

// fileURI is the base URI of a definition file: a file: URI of its path.
func fileURI(name string) string {
	abs, err := filepath.Abs(filepath.FromSlash(name))
	if err != nil {
		abs = "/" + name
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

// withoutFragment returns u's text without its fragment.
func withoutFragment(u *url.URL) string {
	v := *u
	v.Fragment, v.RawFragment = "", ""
	return v.String()
}

// scan registers the resources and anchors of the schema document rooted
// at doc, whose base URI is base. register says whether the document's
// own URI identifies it (a schema file, or a document ReadURI served); a
// tool's schemas share their file's URI, so only their "$id"s do.
func (c *compiler) scan(doc *Node, base string, register bool) {
	if _, done := c.ids.of[doc]; done {
		return
	}
	draft7 := c.dialect(doc)
	root := &resource{node: doc, uri: base, doc: doc, anchors: map[string]*Node{}, dynamic: map[string]*Node{}}
	if register {
		if _, taken := c.ids.byURI[base]; !taken {
			c.ids.byURI[base] = root
		}
	}
	c.scanSchema(doc, root, draft7, 0)
}

// scanSchema registers what schema n declares, in resource r, and goes on
// into its subschemas (never into enum, const, default or examples, whose
// "$id"s are data).
func (c *compiler) scanSchema(n *Node, r *resource, draft7 bool, depth int) {
	if n.Kind != KindObject || depth > maxNodeDepth {
		if n.Kind == KindBool {
			c.ids.of[n] = r
		}
		return
	}
	if _, done := c.ids.of[n]; done {
		return
	}
	// In draft-07 "$ref" makes every sibling keyword ignored, "$id" too.
	refOnly := draft7 && n.Get("$ref") != nil
	if id := n.Get("$id"); id != nil && !refOnly && id.Kind == KindString {
		r = c.scanID(n, id, r, draft7)
	}
	c.ids.of[n] = r
	if !draft7 {
		for _, key := range []string{"$anchor", "$dynamicAnchor"} {
			a := n.Get(key)
			if a == nil {
				continue
			}
			if a.Kind != KindString || !anchorName.MatchString(a.Str) {
				c.errorf(a, "%s must be a name of letters, digits, \"-\", \"_\" and \".\", starting with a letter or \"_\"; got %s", key, describe(a))
				continue
			}
			c.addAnchor(r, a, n)
			if key == "$dynamicAnchor" {
				r.dynamic[a.Str] = n
			}
		}
	}
	if refOnly {
		// Only "definitions" (and "$defs") stay reachable, by pointer.
		for _, key := range []string{"definitions", "$defs"} {
			if d := n.Get(key); d != nil && d.Kind == KindObject {
				for _, m := range d.Members {
					c.scanSchema(m.Value, r, draft7, depth+1)
				}
			}
		}
		return
	}
	for _, m := range n.Members {
		v := m.Value
		switch {
		case m.Key == "dependencies" && v.Kind == KindObject:
			for _, d := range v.Members {
				if d.Value.Kind != KindArray {
					c.scanSchema(d.Value, r, draft7, depth+1)
				}
			}
		case isSchemaMap(m.Key) && v.Kind == KindObject:
			for _, d := range v.Members {
				c.scanSchema(d.Value, r, draft7, depth+1)
			}
		case isSchemaList(m.Key) && v.Kind == KindArray:
			for _, it := range v.Items {
				c.scanSchema(it, r, draft7, depth+1)
			}
		case isSchemaValued(m.Key) || m.Key == "unevaluatedProperties" || m.Key == "unevaluatedItems":
			c.scanSchema(v, r, draft7, depth+1)
		}
	}
}

// scanID makes schema n, whose "$id" is id, a resource inside r, and
// returns it. A draft-07 "$id" of a fragment alone is an anchor instead.
func (c *compiler) scanID(n, id *Node, r *resource, draft7 bool) *resource {
	ref, err := url.Parse(id.Str)
	if err != nil {
		c.errorf(id, "$id %s is not a valid URI reference: %v", strconv.Quote(id.Str), err)
		return r
	}
	if draft7 && strings.HasPrefix(id.Str, "#") {
		if ref.Fragment != "" {
			c.addAnchor(r, id, n)
		}
		return r
	}
	if ref.Fragment != "" && !draft7 {
		c.errorf(id, "$id %s has a fragment; name a schema with \"$anchor\" instead", strconv.Quote(id.Str))
		return r
	}
	base, err := url.Parse(r.uri)
	if err != nil {
		return r
	}
	abs := base.ResolveReference(ref)
	uri := withoutFragment(abs)
	if prev, ok := c.ids.byURI[uri]; ok && prev.node != n {
		c.errorf(id, "$id %s identifies %s already, at %s", strconv.Quote(id.Str), uri, prev.node.Pos())
		return r
	}
	if n == r.node {
		// An "$id" at a document's root names the document: both its own
		// URI and the "$id" identify it, and refs in it resolve against the
		// "$id".
		r.uri = uri
		c.ids.byURI[uri] = r
		if draft7 && abs.Fragment != "" {
			c.addAnchor(r, id, n)
		}
		return r
	}
	res := &resource{node: n, uri: uri, doc: r.doc, parent: r, anchors: map[string]*Node{}, dynamic: map[string]*Node{}}
	c.ids.byURI[uri] = res
	if draft7 && abs.Fragment != "" {
		c.addAnchor(res, id, n)
	}
	return res
}

// addAnchor names schema n in resource r with the anchor a holds (the
// fragment of a draft-07 "$id").
func (c *compiler) addAnchor(r *resource, a, n *Node) {
	name := a.Str
	if i := strings.IndexByte(name, '#'); i >= 0 {
		name = name[i+1:]
	}
	if prev, ok := r.anchors[name]; ok && prev != n {
		c.errorf(a, "anchor %q is already declared in this schema resource, at %s", name, prev.Pos())
		return
	}
	r.anchors[name] = n
}

// resourceOf returns the resource schema node n belongs to, or nil for a
// node no document scan reached.
func (c *compiler) resourceOf(n *Node) *resource { return c.ids.of[n] }

// resolveRef finds what the "$ref" (or "$dynamicRef") at node at, written
// in a schema of resource from, points to: its target node, the resource
// the fragment was read in, and the root of the target's document. Nothing
// is fetched: a URI resolves to a loaded document or resource, to a
// definition file in the same folder or below, or to a document
// Config.ReadURI serves.
func (c *compiler) resolveRef(at *Node, from *resource, ref string) (target *Node, in *resource) {
	u, err := url.Parse(ref)
	if err != nil {
		c.errorf(at, "$ref %s is not a valid URI reference: %v", strconv.Quote(ref), err)
		return nil, nil
	}
	in = from
	if u.Scheme != "" || u.Host != "" || u.Path != "" || u.RawQuery != "" {
		base, _ := url.Parse(from.uri)
		abs := base.ResolveReference(u)
		if in = c.lookupURI(at, ref, withoutFragment(abs), from); in == nil {
			return nil, nil
		}
	}
	return c.fragment(at, in, ref, u.Fragment), in
}

// lookupURI returns the resource uri names, loading the definition file or
// served document it stands for when no loaded document identifies it.
func (c *compiler) lookupURI(at *Node, ref, uri string, from *resource) *resource {
	if r, ok := c.ids.byURI[uri]; ok {
		return r
	}
	u, _ := url.Parse(uri)
	if u.Scheme == "file" && strings.HasPrefix(c.fileOf(from).uri, "file:") {
		return c.loadSibling(at, ref, u, from)
	}
	if c.readURI != nil {
		data, err := c.readURI(uri)
		if err == nil {
			f := c.set.add(uri, data, c.problems)
			if f.Root == nil {
				return nil // its parse error is already reported
			}
			c.scan(f.Root, uri, true)
			return c.ids.byURI[uri]
		}
	}
	c.errorf(at, "$ref %s: no loaded schema is identified as %s, and network refs are never fetched; use \"#/$defs/...\", a sibling file, or an \"$id\" of a loaded schema", strconv.Quote(ref), uri)
	return nil
}

// fileOf returns the resource of the definition file r is in: the root
// resource of its document.
func (c *compiler) fileOf(r *resource) *resource {
	for r.parent != nil {
		r = r.parent
	}
	return r
}

// loadSibling reads the definition file u names, which must be in the
// folder of the file the ref is written in, or below it.
func (c *compiler) loadSibling(at *Node, ref string, u *url.URL, from *resource) *resource {
	fromURL, _ := url.Parse(c.fileOf(from).uri)
	dir := path.Dir(fromURL.Path) + "/"
	if !strings.HasPrefix(u.Path, dir) {
		c.errorf(at, "$ref %s: only files in the same folder (or below it) can be referenced", strconv.Quote(ref))
		return nil
	}
	name := path.Join(path.Dir(at.File.Path), strings.TrimPrefix(u.Path, dir))
	f, ok := c.set.files[path.Clean(name)]
	if !ok {
		data, err := c.set.readFile(name)
		if err != nil {
			c.errorf(at, "$ref %s: cannot read %s: %v", strconv.Quote(ref), name, errText(err))
			return nil
		}
		f = c.set.add(name, data, c.problems)
	}
	if f.Root == nil {
		return nil // its parse error is already reported
	}
	uri := withoutFragment(u)
	c.scan(f.Root, uri, true)
	return c.ids.byURI[uri]
}

// fragment finds the node fragment names in resource r: a JSON pointer
// from its root, or an anchor.
func (c *compiler) fragment(at *Node, r *resource, ref, frag string) *Node {
	if frag == "" || strings.HasPrefix(frag, "/") {
		return walkPointer(at, r.node, ref, frag, c.problems)
	}
	if n, ok := r.anchors[frag]; ok {
		return n
	}
	c.errorf(at, "$ref %s: no anchor %q in %s%s", strconv.Quote(ref), frag, resourceText(r), anchorsText(r))
	return nil
}

// resourceText names a resource in a message: its file, and its "$id"
// when it has one.
func resourceText(r *resource) string {
	if r.parent == nil {
		return r.node.File.Path
	}
	return r.uri + " (" + r.node.Pos() + ")"
}

func anchorsText(r *resource) string {
	if len(r.anchors) == 0 {
		return ""
	}
	names := make([]string, 0, len(r.anchors))
	for k := range r.anchors {
		names = append(names, strconv.Quote(k))
	}
	sort.Strings(names)
	return fmt.Sprintf("; it has %s", strings.Join(names, ", "))
}

// resolveDynamic prepares "$dynamicRef": it compiles every schema a
// "$dynamicAnchor" names (the dynamic scope may pick any of them), gives
// each dynamic ref its candidates, and marks every schema with the names
// of the dynamic refs reachable from it, which are what its validator
// depends on.
func (c *compiler) resolveDynamic() {
	anyDynamic := false
	for _, s := range c.order {
		if s.DynamicName != "" {
			anyDynamic = true
			break
		}
	}
	if !anyDynamic {
		return
	}
	byName := map[string][]*Schema{}
	seen := map[*Node]bool{}
	for changed := true; changed; {
		changed = false
		for _, r := range c.resources() {
			for _, name := range sortedKeys(r.dynamic) {
				n := r.dynamic[name]
				if seen[n] {
					continue
				}
				seen[n], changed = true, true
				s := c.compile(n, r.doc)
				s.dynAnchor = name
				byName[name] = append(byName[name], s)
			}
		}
	}
	for _, list := range byName {
		sort.Slice(list, func(i, j int) bool { return less(list[i], list[j]) })
	}
	for _, s := range c.order {
		if s.DynamicName != "" {
			s.DynamicCandidates = byName[s.DynamicName]
		}
	}
	names := map[*Schema]map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, s := range c.order {
			set := names[s]
			add := func(name string) {
				if set == nil {
					set = map[string]bool{}
					names[s] = set
				}
				if !set[name] {
					set[name], changed = true, true
				}
			}
			if s.DynamicName != "" {
				add(s.DynamicName)
			}
			for _, sub := range subschemas(s) {
				for name := range names[sub] {
					add(name)
				}
			}
		}
	}
	for s, set := range names {
		s.dynNames = sortedKeys(set)
	}
}

// resources returns every scanned resource, in place order.
func (c *compiler) resources() []*resource {
	seen := map[*resource]bool{}
	var out []*resource
	for _, r := range c.ids.of {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].node, out[j].node
		if a.File.Path != b.File.Path {
			return a.File.Path < b.File.Path
		}
		return a.Offset < b.Offset
	})
	return out
}
