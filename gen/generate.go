package gen

import (
	"fmt"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/dave/jennifer/jen"

	"github.com/mcpgen/mcpgen/runtime/typed"
)

// Config says what to generate.
type Config struct {
	Package string   // Go package name of the output
	Sources []Source // definition files
	// ReadFile reads files reached only through "$ref"; os.ReadFile when nil.
	ReadFile func(name string) ([]byte, error)
	// ReadURI serves the schema document an absolute URI stands for, to a
	// "$ref" to a URI that no loaded schema identifies with "$id" (the JSON
	// Schema Test Suite's remotes, a local copy of a published schema).
	// mcpgen never fetches anything itself; nil refuses such refs.
	ReadURI func(uri string) ([]byte, error)
	// Strict makes warnings errors (mcpgen lint, and -strict).
	Strict bool
	// MaxFileBytes bounds one definition file (DefaultMaxFileBytes when
	// zero), so a stray data file cannot exhaust memory; raise it for a
	// saved tools/list of thousands of tools (mcpgen -max-file-bytes).
	MaxFileBytes int
}

// Package is everything generated into one Go package.
type Package struct {
	Name       string
	Tools      []*Tool
	Allowlists []*AllowlistDecl
	Dynamic    []*Schema // schemas checked by dynamic validators, in ID order
	Warnings   []Problem // what was read past; errors under Config.Strict
	toolTypes  [][]*Type // named types first created for each tool
}

// AllowlistDecl is one named list from an "x-allowlists" file.
type AllowlistDecl struct {
	Name   string
	Values []string
}

// Output is the result of a generation: file name → contents.
type Output struct {
	Files    map[string][]byte
	Package  *Package
	Warnings []Problem
}

var dialects = map[string]bool{
	"https://json-schema.org/draft/2020-12/schema":  false,
	"https://json-schema.org/draft/2020-12/schema#": false,
	"http://json-schema.org/draft-07/schema#":       true,
	"http://json-schema.org/draft-07/schema":        true,
}

// toolsListKeys are the members of a saved tools/list result.
var toolsListKeys = []string{"tools", "nextCursor", "_meta"}

var goIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Load reads and checks definitions and builds the package IR. Every
// problem found is returned at once as an *Error.
func Load(cfg Config) (*Package, error) {
	if !goIdent.MatchString(cfg.Package) {
		return nil, fmt.Errorf("package name %q is not a Go identifier", cfg.Package)
	}
	read := cfg.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	problems := &Problems{strict: cfg.Strict}
	set := newFileSet(read, cfg.MaxFileBytes)
	var files []*File
	for _, src := range cfg.Sources {
		files = append(files, set.add(src.Name, src.Data, problems))
	}
	c := &compiler{set: set, problems: problems, compiled: map[*Node]*Schema{}, allow: map[string]*Node{}, allowGo: map[string]string{},
		draft7: map[*Node]bool{}, detected: map[*Node]bool{}, ids: newIdentifiers(), readURI: cfg.ReadURI, refs: map[*Node]*Schema{}}
	pkg := &Package{Name: cfg.Package}

	// First pass: allowlists, so schemas can refer to them in any file order.
	var toolNodes []*Node
	var schemaFiles []*File
	for _, f := range files {
		if f.Root == nil {
			continue
		}
		root := f.Root
		switch {
		case root.Kind == KindArray:
			toolNodes = append(toolNodes, root.Items...)
		case root.Kind == KindObject && root.Get("tools") != nil && root.Get("inputSchema") == nil:
			for _, m := range root.Members {
				if !contains(toolsListKeys, m.Key) {
					c.warnAtKey(m, "key %q is not part of a tools/list result (%s); ignored", m.Key, strings.Join(toolsListKeys, ", "))
				}
			}
			if tl := root.Get("tools"); c.want(tl, KindArray, "tools") {
				toolNodes = append(toolNodes, tl.Items...)
			}
		case root.Kind == KindObject && root.Get("x-allowlists") != nil:
			pkg.Allowlists = append(pkg.Allowlists, c.allowlists(root)...)
		case root.Kind == KindObject && (root.Get("inputSchema") != nil || root.Get("name") != nil):
			toolNodes = append(toolNodes, root)
		default:
			schemaFiles = append(schemaFiles, f)
		}
	}
	// Every document is scanned for its identifiers before any "$ref" is
	// resolved, so a ref may name an "$id" of any loaded file.
	type parsed struct {
		t *Tool
		n *Node
	}
	var tools []parsed
	for _, n := range toolNodes {
		if t := c.parseTool(n); t != nil {
			tools = append(tools, parsed{t, n})
			for _, key := range []string{"inputSchema", "outputSchema"} {
				if doc := n.Get(key); doc != nil {
					c.scan(doc, fileURI(n.File.Path), false)
				}
			}
		}
	}
	for _, f := range schemaFiles {
		c.scan(f.Root, fileURI(f.Path), true)
	}
	for _, f := range schemaFiles {
		c.compile(f.Root, f.Root)
	}

	names := map[string]*Node{}
	goNames := map[string]*Node{}
	for _, p := range tools {
		t, n := p.t, p.n
		if t.Name != "" {
			if prev, ok := names[t.Name]; ok {
				c.errorf(n.Get("name"), "tool name %q is already used at %s", t.Name, prev.Pos())
			} else if prev, ok := goNames[t.GoName]; ok {
				c.errorf(n.Get("name"), "tool name %q gives Go name %s, as does the tool at %s; rename one", t.Name, t.GoName, prev.Pos())
			}
			names[t.Name] = n.Get("name")
			goNames[t.GoName] = n.Get("name")
		}
		if in := n.Get("inputSchema"); in != nil {
			t.InputSchema = c.compile(in, in)
			t.InputSchema.toolRoot = true
			c.requireObject(t.InputSchema, "inputSchema")
		}
		if out := n.Get("outputSchema"); out != nil {
			t.OutputSchema = c.compile(out, out)
			t.OutputSchema.toolRoot = true
			c.requireObject(t.OutputSchema, "outputSchema")
		}
		pkg.Tools = append(pkg.Tools, t)
	}
	c.resolveDynamic()
	c.checkLoops()
	for _, s := range c.order {
		s.Rules = rulesOf(s)
	}
	if !problems.hasErrors() {
		c.checkInstances(pkg.Allowlists)
	}
	if len(toolNodes) == 0 && problems.Len() == 0 {
		return nil, fmt.Errorf("no tool definitions found in %s", sourceNames(cfg.Sources))
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	if err := metaValidate(files, toolNodes); err != nil {
		return nil, err
	}

	sort.SliceStable(pkg.Tools, func(i, j int) bool { return pkg.Tools[i].Name < pkg.Tools[j].Name })
	enums := publishedEnums(c.order, pkg.Allowlists)
	refused := map[*Node]bool{}
	ty := newTyper(problems)
	for _, t := range pkg.Tools {
		before := len(ty.types)
		t.Input = ty.typeOf(t.InputSchema, t.GoName+"Input")
		if t.OutputSchema != nil {
			t.Output = ty.typeOf(t.OutputSchema, t.GoName+"Output")
		}
		pkg.toolTypes = append(pkg.toolTypes, ty.types[before:])
		t.PublishedInput, _ = publishSchema(c, t.InputSchema, enums, c.detected[t.InputSchema.Node])
		if t.OutputSchema != nil {
			var used []*Node
			t.PublishedOutput, used = publishSchema(c, t.OutputSchema, enums, c.detected[t.OutputSchema.Node])
			for _, n := range used {
				if !refused[n] {
					refused[n] = true
					c.errorf(n.Get("x-allowlist").Get("publish"), "x-allowlist: \"publish\": true is reached from the outputSchema of tool %q; clients check results against the published schema, and a list replaced at run time would make them refuse valid results; publish allowlists of inputs only", t.Name)
				}
			}
		}
		t.Sensitive = sensitivePointers(t.InputSchema, "", map[*Schema]bool{})
	}
	for _, t := range pkg.Tools {
		ty.markDecoded(t.Input)
	}
	if problems.Len() == 0 {
		c.checkGoNames(pkg)
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	pkg.Warnings = problems.Warnings()
	pkg.Dynamic = ty.dynamic
	sort.Slice(pkg.Dynamic, func(i, j int) bool { return pkg.Dynamic[i].ID < pkg.Dynamic[j].ID })
	nameValidators(pkg.Dynamic, pkg.Tools)
	return pkg, nil
}

// publishedEnums returns, for each schema whose x-allowlist publishes its
// list, the enum published in its place: the values declared in the
// definitions (the generated list's initial values), in their order, and
// null when the schema allows null.
func publishedEnums(schemas []*Schema, lists []*AllowlistDecl) map[*Node]string {
	values := map[string][]string{}
	for _, a := range lists {
		values[a.Name] = a.Values
	}
	enums := map[*Node]string{}
	for _, s := range schemas {
		if !s.PublishList || s.Allowlist == "" {
			continue
		}
		b := []byte{'['}
		for i, v := range values[s.Allowlist] {
			if i > 0 {
				b = append(b, ',')
			}
			b = typed.AppendString(b, v)
		}
		if s.Nullable {
			b = append(b, ",null"...)
		}
		enums[s.Node] = string(append(b, ']'))
	}
	return enums
}

func sourceNames(srcs []Source) string {
	var names []string
	for _, s := range srcs {
		names = append(names, s.Name)
	}
	if len(names) == 0 {
		return "no files"
	}
	return strings.Join(names, ", ")
}

// dialect decides whether the schema document rooted at root is draft-07:
// its "$schema" says so, or it has none and uses a form only draft-07 has
// (an array-form "items", or "additionalItems"), which is then read as
// draft-07 with a warning. Saved tool lists often omit "$schema".
func (c *compiler) dialect(root *Node) bool {
	if d, ok := c.draft7[root]; ok {
		return d
	}
	c.draft7[root] = false
	s := root.Get("$schema")
	if s == nil {
		if at := draft7Form(root, 0); at != nil && !uses2020(root, 0) {
			c.problems.Warn(at, "this schema has no \"$schema\", and "+draft7What(at)+" is draft-07 only (2020-12 has prefixItems); the schema is read, and published, as draft-07")
			c.draft7[root] = true
			c.detected[root] = true
		}
		return c.draft7[root]
	}
	draft7, ok := dialects[s.Str]
	if s.Kind != KindString || !ok {
		c.errorf(s, "$schema %s is not supported; use JSON Schema 2020-12 (the default) or draft-07", describe(s))
		return false
	}
	c.draft7[root] = draft7
	return draft7
}

// draft7Form returns the first node below n that only draft-07 reads: an
// array under "items", or "additionalItems". It does not look inside
// values that are not schemas (enum, const, default, examples).
func draft7Form(n *Node, depth int) *Node {
	if n.Kind != KindObject || depth > maxNodeDepth {
		return nil
	}
	for _, m := range n.Members {
		switch m.Key {
		case "enum", "const", "default", "examples":
			continue
		case "items":
			if m.Value.Kind == KindArray {
				return m.Value
			}
		case "additionalItems":
			return m.Value
		}
		switch m.Value.Kind {
		case KindObject:
			if at := draft7Form(m.Value, depth+1); at != nil {
				return at
			}
		case KindArray:
			for _, it := range m.Value.Items {
				if at := draft7Form(it, depth+1); at != nil {
					return at
				}
			}
		}
	}
	return nil
}

// uses2020 reports whether n uses a keyword only 2020-12 has, so that a
// draft-07 form next to it is a mistake, not a dialect.
func uses2020(n *Node, depth int) bool {
	if depth > maxNodeDepth {
		return false
	}
	switch n.Kind {
	case KindObject:
		for _, m := range n.Members {
			switch m.Key {
			case "enum", "const", "default", "examples":
				continue
			case "prefixItems", "$defs", "dependentRequired", "dependentSchemas", "unevaluatedItems", "unevaluatedProperties", "$anchor", "$dynamicRef", "$dynamicAnchor":
				return true
			}
			if uses2020(m.Value, depth+1) {
				return true
			}
		}
	case KindArray:
		for _, it := range n.Items {
			if uses2020(it, depth+1) {
				return true
			}
		}
	}
	return false
}

func draft7What(n *Node) string {
	if n.Kind == KindArray {
		return "\"items\" as an array"
	}
	return "\"additionalItems\""
}

func (c *compiler) requireObject(s *Schema, key string) {
	if s.Always == nil && len(s.Types) == 1 && s.Types[0] == "object" {
		return
	}
	n := s.Node
	if t := n.Get("type"); t != nil {
		n = t
	}
	c.errorf(n, "%s must have \"type\": \"object\" (MCP tool arguments and results are JSON objects)", key)
}

func (c *compiler) allowlists(root *Node) []*AllowlistDecl {
	for _, m := range root.Members {
		if m.Key != "x-allowlists" && m.Key != "$schema" && m.Key != "$comment" {
			c.errorAtKey(m, "unknown key %q in an allowlist file; allowed: x-allowlists, $schema, $comment", m.Key)
		}
	}
	lists := root.Get("x-allowlists")
	if !c.want(lists, KindObject, "x-allowlists") {
		return nil
	}
	var out []*AllowlistDecl
	for _, m := range lists.Members {
		goName := GoName(m.Key)
		if goName == "" {
			c.errorAtKey(m, "allowlist name %q needs at least one letter or digit", m.Key)
			continue
		}
		if prev := c.allow[m.Key]; prev != nil {
			c.errorAtKey(m, "allowlist %q is already declared at %s", m.Key, prev.Pos())
			continue
		}
		if prev, ok := c.allowGo[goName]; ok {
			c.errorAtKey(m, "allowlist %q gives Go name Allowlist%s, as does allowlist %q at %s; rename one", m.Key, goName, prev, c.allow[prev].Pos())
			continue
		}
		values := c.stringList(m.Value, "x-allowlists."+m.Key, true)
		if len(values) == 0 && m.Value.Kind == KindArray {
			c.errorf(m.Value, "allowlist %q is empty; no value could ever pass", m.Key)
		}
		c.allow[m.Key] = m.Value
		c.allowGo[goName] = m.Key
		out = append(out, &AllowlistDecl{Name: m.Key, Values: values})
	}
	return out
}

// fixedNames are the package-level names every generated package declares.
var fixedNames = []string{"Handlers", "UnimplementedHandlers", "Tools", "Register", "tools"}

// checkGoNames reports two package-level declarations that would get the
// same Go name, such as an enum constant and a type, a "$defs" entry named
// "register" and the Register function, or the decoder of tool "x" and the
// input type of tool "decode.x". Such a package would not compile, so it is
// never written.
func (c *compiler) checkGoNames(pkg *Package) {
	type owner struct {
		what string
		node *Node // nil for the fixed names
	}
	taken := map[string]owner{}
	for _, name := range fixedNames {
		taken[name] = owner{what: "mcpgen's own " + name}
	}
	// claim takes name for a declaration described as self at n, and as
	// other when a later one collides with it.
	claim := func(name, self, other string, n *Node) {
		prev, ok := taken[name]
		if !ok {
			taken[name] = owner{other, n}
			return
		}
		where := ""
		if prev.node != nil {
			where = " (at " + prev.node.Pos() + ")"
		}
		c.errorf(n, "%s would be Go name %s, which %s%s already has; rename one of them", self, name, prev.what, where)
	}
	for _, a := range pkg.Allowlists {
		what := fmt.Sprintf("allowlist %q", a.Name)
		claim(allowlistVar(a.Name), what, what, c.allow[a.Name])
	}
	for i, t := range pkg.Tools {
		what := fmt.Sprintf("the decoder of tool %q", t.Name)
		claim(decodeName(t), what, what, t.Node.Get("name"))
		for _, ty := range pkg.toolTypes[i] {
			if !goIdent.MatchString(ty.Name) {
				c.errorf(ty.Schema.Node, "name %q has no letter or digit to name this schema's Go type after; rename it", defKey(ty.Schema.Node))
				continue
			}
			ptr := ptrOrRoot(ty.Schema.Node.Pointer)
			claim(ty.Name, "the type of this schema", "the type of "+ptr, ty.Schema.Node)
			for _, v := range ty.Values {
				claim(v.GoName, fmt.Sprintf("the constant for enum value %q", v.Value), fmt.Sprintf("the constant for enum value %q of %s", v.Value, ptr), ty.Schema.Node)
			}
		}
	}
}

// sensitivePointers lists the JSON pointers of x-sensitive properties.
func sensitivePointers(s *Schema, at string, seen map[*Schema]bool) []string {
	if s == nil || seen[s] {
		return nil
	}
	seen[s] = true
	defer delete(seen, s)
	var out []string
	for _, p := range s.Properties {
		ptr := at + "/" + escapePointer(p.Name)
		if p.Schema.Sensitive || resolved(p.Schema).Sensitive {
			out = append(out, ptr)
			continue
		}
		out = append(out, sensitivePointers(resolved(p.Schema), ptr, seen)...)
	}
	return out
}

// Generate loads the definitions and renders the package's files.
func Generate(cfg Config) (*Output, error) {
	pkg, err := Load(cfg)
	if err != nil {
		return nil, err
	}
	return emit(pkg)
}

// emit renders the files of a loaded package. Every decision was made by
// Load; emitting only prints it.
func emit(pkg *Package) (*Output, error) {
	e := newEmitter(pkg)
	h := &homes{byRoot: map[*Node]*fileBuilder{}, byFile: map[*File]*fileBuilder{}, tools: map[*Node]*Tool{}, names: map[string]bool{}, pkg: pkg.Name}
	e.homes = h
	reg := h.add(packageFileName, "register")
	for _, t := range pkg.Tools {
		b := h.add(toolFileName(t), lowerFirst(t.GoName))
		h.byRoot[t.InputSchema.Node], h.tools[t.InputSchema.Node] = b, t
		if t.OutputSchema != nil {
			h.byRoot[t.OutputSchema.Node], h.tools[t.OutputSchema.Node] = b, t
		}
	}
	for _, s := range pkg.Dynamic {
		e.taken[s.CheckName] = true
	}

	var types []*Type
	for _, list := range pkg.toolTypes {
		types = append(types, list...)
	}
	sort.SliceStable(types, func(i, j int) bool { return less(types[i].Schema, types[j].Schema) })
	for _, ty := range types {
		e.cur = h.of(ty.Schema)
		e.genType(e.cur.f, ty)
	}
	for _, t := range pkg.Tools {
		e.cur = h.byRoot[t.InputSchema.Node]
		e.genTool(e.cur.f, t)
	}
	dynamic := append([]*Schema(nil), pkg.Dynamic...)
	sort.SliceStable(dynamic, func(i, j int) bool { return less(dynamic[i], dynamic[j]) })
	for _, s := range dynamic {
		if len(s.dynNames) == 0 { // the others are written per scope, when asked for
			e.genDynamic(instance{s: s})
		}
	}
	// A validator or eval function may ask for more of either.
	for i, j := 0, 0; i < len(e.instanceQueue) || j < len(e.evalQueue); {
		if i < len(e.instanceQueue) {
			e.genDynamic(e.instanceQueue[i])
			i++
			continue
		}
		e.genEval(nil, e.evalQueue[j])
		j++
	}
	e.cur = reg
	e.genPackageFile(reg.f)
	if e.err != nil {
		return nil, e.err
	}

	for _, b := range h.order {
		if len(b.shared) > 0 {
			b.f.Line()
			b.f.Var().DefsFunc(func(g *jen.Group) {
				for _, c := range b.shared {
					g.Add(c)
				}
			})
		}
	}
	// Formatting is most of the time and each file's is independent, so
	// files are rendered in parallel; the result does not depend on order.
	datas := make([][]byte, len(h.order))
	errs := make([]error, len(h.order))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				datas[i], errs[i] = render(h.order[i].f)
			}
		}()
	}
	for i := range h.order {
		next <- i
	}
	close(next)
	wg.Wait()
	out := &Output{Files: map[string][]byte{}, Package: pkg, Warnings: pkg.Warnings}
	for i, b := range h.order {
		if errs[i] != nil {
			return nil, fmt.Errorf("%s: %w", b.name, errs[i])
		}
		out.Files[b.name] = datas[i]
	}
	return out, nil
}

// packageFileName holds the Handlers interface, Tools and Register.
const packageFileName = "register_mcpgen.go"

func toolFileName(t *Tool) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return "tool_" + b.String() + "_mcpgen.go"
}
