package gen

import (
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mcpgen/mcpgen/runtime/typed"
)

// Schema is one compiled JSON Schema object of a definition file: every
// keyword mcpgen supports, already checked, with the node it came from so
// later problems still point at file:line:col.
type Schema struct {
	Node *Node
	Root *Node // the document root "#" refers to: a tool's inputSchema or outputSchema, or a schema file
	ID   int   // order of compilation; names dynamic validators deterministically

	Always *bool // set for the boolean schemas true and false

	Types    []string // "type", in the author's order
	Nullable bool     // "null" is one of Types

	Properties           []*Property
	Required             []string
	AdditionalProperties *Schema // nil when absent
	PatternProperties    []*PatternProperty
	PropertyNames        *Schema
	MinProperties        *int
	MaxProperties        *int
	DependentRequired    []Dependent
	DependentSchemas     []*DependentSchema
	// UnevaluatedProperties applies to the members no in-place keyword
	// evaluated (properties, patternProperties, additionalProperties, and
	// those of the subschemas that matched).
	UnevaluatedProperties *Schema

	Items       *Schema
	PrefixItems []*Schema
	MinItems    *int
	MaxItems    *int
	UniqueItems bool
	Contains    *Schema
	MinContains *int
	MaxContains *int
	// UnevaluatedItems applies to the items no in-place keyword evaluated.
	UnevaluatedItems *Schema

	Enum  []*Node
	Const *Node

	Minimum          *big.Rat
	Maximum          *big.Rat
	ExclusiveMinimum *big.Rat
	ExclusiveMaximum *big.Rat
	MultipleOf       *big.Rat

	MinLength *int
	MaxLength *int
	Pattern   string
	Format    string

	AllOf []*Schema
	AnyOf []*Schema
	OneOf []*Schema
	Not   *Schema
	If    *Schema
	Then  *Schema
	Else  *Schema
	Ref   *Schema // the resolved "$ref" target
	// DynamicRef is the schema "$dynamicRef" resolves to before the dynamic
	// scope is looked at; DynamicName is its anchor when that schema has a
	// "$dynamicAnchor" of that name, so the outermost resource of the
	// dynamic scope with one decides ("" makes it a plain "$ref").
	DynamicRef  *Schema
	DynamicName string
	// DynamicCandidates are the schemas the dynamic scope can pick for
	// DynamicName: every "$dynamicAnchor" of that name, in place order.
	DynamicCandidates []*Schema
	// RefOnly is set for a draft-07 schema with "$ref", whose other
	// keywords are ignored.
	RefOnly bool

	Title       string
	Description string
	Default     *Node   // "default", checked against the schema
	Examples    []*Node // "examples", each checked against the schema
	Deprecated  bool

	// Extension keywords (DESIGN.md §5).
	DecimalScale *int           // x-decimal.scale
	Allowlist    string         // x-allowlist, or its name
	PublishList  bool           // x-allowlist.publish: the list's declared values are published as an enum
	NotBefore    *time.Duration // x-datetime.notBefore
	NotAfter     *time.Duration // x-datetime.notAfter
	Normalize    []string       // x-normalize, in order
	OutboundURL  bool           // x-outbound-url
	Sensitive    bool           // x-sensitive

	// Rules are the checks of the value itself, decided from the keywords
	// above once every schema is compiled.
	Rules []Rule
	// CheckName is the name of its dynamic validator, decided by Load for
	// the schemas checked as typed.Values (a schema a dynamic ref is
	// reached from adds its scope's words per validator).
	CheckName string

	res       *resource // the schema resource it is in
	dynNames  []string  // the $dynamicRef anchors reachable from it, sorted
	dynAnchor string    // its "$dynamicAnchor"
	toolRoot  bool      // a tool's inputSchema or outputSchema
}

// Property is one entry of "properties".
type Property struct {
	Name   string
	Schema *Schema
}

// PatternProperty is one entry of "patternProperties".
type PatternProperty struct {
	Pattern string
	Schema  *Schema
}

// DependentSchema is one entry of "dependentSchemas" (or of draft-07
// "dependencies" with a schema).
type DependentSchema struct {
	Property string
	Schema   *Schema
}

// Dependent is one entry of "dependentRequired".
type Dependent struct {
	Property string
	Requires []string
}

// HasType reports whether the schema's "type" allows t ("integer" is allowed
// by "number" too).
func (s *Schema) HasType(t string) bool {
	if len(s.Types) == 0 {
		return true
	}
	for _, x := range s.Types {
		if x == t || t == "integer" && x == "number" {
			return true
		}
	}
	return false
}

// keywords lists every keyword a schema object may use. Anything else is an
// error, so a typo such as "x-decimals" never passes silently.
var keywords = map[string]bool{
	"$schema": true, "$defs": true, "definitions": true, "$ref": true, "$comment": true,
	"$id": true, "$anchor": true, "$dynamicRef": true, "$dynamicAnchor": true,
	"type": true, "properties": true, "required": true, "additionalProperties": true,
	"patternProperties": true, "propertyNames": true, "minProperties": true, "maxProperties": true,
	"dependentRequired": true, "dependencies": true, "dependentSchemas": true, "unevaluatedProperties": true,
	"items": true, "prefixItems": true, "additionalItems": true, "minItems": true, "maxItems": true,
	"uniqueItems": true, "contains": true, "minContains": true, "maxContains": true, "unevaluatedItems": true,
	"enum": true, "const": true,
	"minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true, "multipleOf": true,
	"minLength": true, "maxLength": true, "pattern": true, "format": true,
	"allOf": true, "anyOf": true, "oneOf": true, "not": true, "if": true, "then": true, "else": true,
	"title": true, "description": true, "default": true, "examples": true, "deprecated": true,
	"readOnly": true, "writeOnly": true, "contentMediaType": true, "contentEncoding": true,
	"x-decimal": true, "x-allowlist": true, "x-datetime": true, "x-normalize": true,
	"x-outbound-url": true, "x-sensitive": true,
}

// unsupported names keywords of JSON Schema that mcpgen knowingly rejects,
// with what to use instead.
var unsupported = map[string]string{
	"id":               "it is draft-04; use \"$id\"",
	"$recursiveRef":    "it is draft 2019-09; use \"$dynamicRef\"",
	"$recursiveAnchor": "it is draft 2019-09; use \"$dynamicAnchor\"",
	"$vocabulary":      "mcpgen supports one fixed vocabulary (docs/definitions.md)",
	"contentSchema":    "decode the content in the handler",
}

var normalizers = []string{"trim", "upper", "lower"}

// compiler turns schema nodes into Schemas, resolving refs across the loaded
// files and collecting every problem it finds.
type compiler struct {
	set      *fileSet
	problems *Problems
	compiled map[*Node]*Schema
	order    []*Schema
	allow    map[string]*Node  // declared allowlists, by name
	allowGo  map[string]string // allowlist names, by their Go name
	draft7   map[*Node]bool    // by schema document root
	detected map[*Node]bool    // draft-07 roots without "$schema"
	ids      *identifiers      // schema resources and anchors, by URI
	readURI  func(uri string) ([]byte, error)
	refs     map[*Node]*Schema // "$ref" and "$dynamicRef" values, to their targets
}

func (c *compiler) errorf(n *Node, format string, args ...any) {
	c.problems.Add(n, fmt.Sprintf(format, args...))
}

// errorAtKey reports a problem with the key of member m (an unknown or
// unsupported key), so the position is the key the author typed.
func (c *compiler) errorAtKey(m Member, format string, args ...any) {
	c.problems.addAt(m.Value.File, m.KeyOffset, m.Value.Pointer, fmt.Sprintf(format, args...))
}

// warnAtKey reports a warning at the key of member m.
func (c *compiler) warnAtKey(m Member, format string, args ...any) {
	c.problems.warnAt(m.Value.File, m.KeyOffset, m.Value.Pointer, fmt.Sprintf(format, args...))
}

// compile returns the Schema for n, compiling it once.
func (c *compiler) compile(n, root *Node) *Schema {
	if s, ok := c.compiled[n]; ok {
		return s
	}
	s := &Schema{Node: n, Root: root, ID: len(c.order)}
	c.compiled[n] = s
	s.res = c.resOf(s)
	if n == root {
		c.dialect(root)
	}
	c.order = append(c.order, s)
	switch n.Kind {
	case KindBool:
		b := n.Bool
		s.Always = &b
		return s
	case KindObject:
	default:
		c.errorf(n, "a schema must be an object or a boolean, got %s", n.Kind)
		return s
	}
	for _, m := range n.Members {
		if instead, ok := unsupported[m.Key]; ok {
			c.errorAtKey(m, "keyword %q is not supported; %s", m.Key, instead)
			continue
		}
		if !keywords[m.Key] {
			c.errorAtKey(m, "unknown keyword %q%s", m.Key, suggest(m.Key))
		}
	}
	c.compileKeywords(s, n)
	c.checkSatisfiable(s)
	return s
}

// resOf returns the schema resource s is in.
func (c *compiler) resOf(s *Schema) *resource {
	if r := c.resourceOf(s.Node); r != nil {
		return r
	}
	return c.resourceOf(s.Root)
}

// compileTarget compiles the node a ref resolved to, in resource in. A
// node no scan reached as a schema (a pointer into a tool file, say)
// belongs to the resource its pointer was read in.
func (c *compiler) compileTarget(target *Node, in *resource) *Schema {
	if c.resourceOf(target) == nil {
		c.scanSchema(target, in, c.dialect(in.doc), 0)
	}
	return c.compile(target, in.doc)
}

// suggest names the nearest supported keyword for a likely typo.
func suggest(key string) string {
	best, bestDist := "", 3
	for k := range keywords {
		if d := editDistance(key, k); d < bestDist || d == bestDist && best != "" && k < best {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return "; see docs/keywords.md for the supported set"
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func (c *compiler) compileKeywords(s *Schema, n *Node) {
	draft7 := c.draft7[s.Root]
	// In draft-07 a "$ref" replaces its schema: sibling keywords are
	// ignored (definitions stay reachable by pointer; mcpgen's x- keys
	// still apply).
	s.RefOnly = draft7 && n.Get("$ref") != nil
	for _, m := range n.Members {
		v := m.Value
		if s.RefOnly && !refSiblings[m.Key] && !strings.HasPrefix(m.Key, "x-") {
			continue
		}
		switch m.Key {
		case "$schema":
			// Checked when the file is loaded.
		case "type":
			s.Types = c.types(v)
			for _, t := range s.Types {
				if t == "null" {
					s.Nullable = true
				}
			}
		case "properties":
			if c.want(v, KindObject, "properties") {
				for _, p := range v.Members {
					s.Properties = append(s.Properties, &Property{Name: p.Key, Schema: c.compile(p.Value, s.Root)})
				}
			}
		case "required":
			s.Required = c.stringList(v, "required", true)
		case "additionalProperties":
			s.AdditionalProperties = c.compile(v, s.Root)
		case "patternProperties":
			if c.want(v, KindObject, "patternProperties") {
				for _, p := range v.Members {
					c.checkPattern(p.Value, p.Key)
					s.PatternProperties = append(s.PatternProperties, &PatternProperty{Pattern: p.Key, Schema: c.compile(p.Value, s.Root)})
				}
			}
		case "propertyNames":
			s.PropertyNames = c.compile(v, s.Root)
		case "minProperties":
			s.MinProperties = c.count(v, m.Key)
		case "maxProperties":
			s.MaxProperties = c.count(v, m.Key)
		case "dependentRequired", "dependencies":
			if c.want(v, KindObject, m.Key) {
				for _, d := range v.Members {
					if d.Value.Kind != KindArray {
						if m.Key == "dependencies" {
							s.DependentSchemas = append(s.DependentSchemas, &DependentSchema{Property: d.Key, Schema: c.compile(d.Value, s.Root)})
							continue
						}
						c.errorf(d.Value, "%s: each entry must be an array of property names; use dependentSchemas for a schema", m.Key)
						continue
					}
					s.DependentRequired = append(s.DependentRequired, Dependent{Property: d.Key, Requires: c.stringList(d.Value, m.Key, true)})
				}
			}
		case "dependentSchemas":
			if c.want(v, KindObject, m.Key) {
				for _, d := range v.Members {
					s.DependentSchemas = append(s.DependentSchemas, &DependentSchema{Property: d.Key, Schema: c.compile(d.Value, s.Root)})
				}
			}
		case "unevaluatedProperties":
			s.UnevaluatedProperties = c.compile(v, s.Root)
		case "unevaluatedItems":
			s.UnevaluatedItems = c.compile(v, s.Root)
		case "contains":
			s.Contains = c.compile(v, s.Root)
		case "minContains":
			s.MinContains = c.count(v, m.Key)
		case "maxContains":
			s.MaxContains = c.count(v, m.Key)
		case "items":
			if draft7 && v.Kind == KindArray {
				for _, it := range v.Items {
					s.PrefixItems = append(s.PrefixItems, c.compile(it, s.Root))
				}
			} else {
				s.Items = c.compile(v, s.Root)
			}
		case "prefixItems":
			if c.want(v, KindArray, m.Key) {
				for _, it := range v.Items {
					s.PrefixItems = append(s.PrefixItems, c.compile(it, s.Root))
				}
			}
		case "additionalItems":
			if !draft7 {
				c.errorf(v, "additionalItems is draft-07; in 2020-12 use prefixItems with items")
			} else if n.Get("items") != nil && n.Get("items").Kind == KindArray {
				s.Items = c.compile(v, s.Root)
			}
		case "minItems":
			s.MinItems = c.count(v, m.Key)
		case "maxItems":
			s.MaxItems = c.count(v, m.Key)
		case "uniqueItems":
			if c.want(v, KindBool, m.Key) {
				s.UniqueItems = v.Bool
			}
		case "enum":
			if c.want(v, KindArray, m.Key) {
				if len(v.Items) == 0 {
					c.errorf(v, "enum must list at least one value")
				}
				s.Enum = v.Items
			}
		case "const":
			s.Const = v
		case "minimum":
			s.Minimum = c.number(v, m.Key)
		case "maximum":
			s.Maximum = c.number(v, m.Key)
		case "exclusiveMinimum":
			s.ExclusiveMinimum = c.number(v, m.Key)
		case "exclusiveMaximum":
			s.ExclusiveMaximum = c.number(v, m.Key)
		case "multipleOf":
			s.MultipleOf = c.number(v, m.Key)
			if s.MultipleOf != nil && s.MultipleOf.Sign() <= 0 {
				c.errorf(v, "multipleOf must be greater than 0, got %s", v.Str)
				s.MultipleOf = nil
			}
		case "minLength":
			s.MinLength = c.count(v, m.Key)
		case "maxLength":
			s.MaxLength = c.count(v, m.Key)
		case "pattern":
			if c.want(v, KindString, m.Key) {
				c.checkPattern(v, v.Str)
				s.Pattern = v.Str
			}
		case "format":
			if c.want(v, KindString, m.Key) {
				if formatNamed(v.Str) == nil {
					c.errorf(v, "format %q is not supported; supported: %s", v.Str, strings.Join(formatNames(), ", "))
				}
				s.Format = v.Str
			}
		case "allOf", "anyOf", "oneOf":
			if c.want(v, KindArray, m.Key) {
				if len(v.Items) == 0 {
					c.errorf(v, "%s must list at least one schema", m.Key)
				}
				var list []*Schema
				for _, it := range v.Items {
					list = append(list, c.compile(it, s.Root))
				}
				switch m.Key {
				case "allOf":
					s.AllOf = list
				case "anyOf":
					s.AnyOf = list
				default:
					s.OneOf = list
				}
			}
		case "not":
			s.Not = c.compile(v, s.Root)
		case "if":
			s.If = c.compile(v, s.Root)
		case "then":
			s.Then = c.compile(v, s.Root)
		case "else":
			s.Else = c.compile(v, s.Root)
		case "$ref":
			if c.want(v, KindString, m.Key) {
				if target, in := c.resolveRef(v, c.resOf(s), v.Str); target != nil {
					s.Ref = c.compileTarget(target, in)
					c.refs[v] = s.Ref
				}
			}
		case "$dynamicRef":
			if draft7 {
				c.errorAtKey(m, "$dynamicRef is JSON Schema 2020-12; draft-07 has none")
			} else if c.want(v, KindString, m.Key) {
				if target, in := c.resolveRef(v, c.resOf(s), v.Str); target != nil {
					s.DynamicRef = c.compileTarget(target, in)
					c.refs[v] = s.DynamicRef
					if u, _ := url.Parse(v.Str); u.Fragment != "" && !strings.HasPrefix(u.Fragment, "/") {
						if a := target.Get("$dynamicAnchor"); a != nil && a.Str == u.Fragment {
							s.DynamicName = u.Fragment
						}
					}
				}
			}
		case "$id":
			c.want(v, KindString, m.Key) // read by scan
		case "$anchor", "$dynamicAnchor":
			if draft7 {
				c.errorAtKey(m, "%s is JSON Schema 2020-12; in draft-07 name a schema with \"$id\": \"#name\"", m.Key)
			} // read by scan
		case "$defs", "definitions":
			if c.want(v, KindObject, m.Key) {
				for _, d := range v.Members {
					c.compile(d.Value, s.Root)
				}
			}
		case "title":
			if c.want(v, KindString, m.Key) {
				s.Title = v.Str
			}
		case "description":
			if c.want(v, KindString, m.Key) {
				s.Description = v.Str
			}
		case "default":
			s.Default = v
		case "deprecated":
			if c.want(v, KindBool, m.Key) {
				s.Deprecated = v.Bool
			}
		case "readOnly", "writeOnly":
			c.want(v, KindBool, m.Key)
		case "contentMediaType", "contentEncoding", "$comment":
			c.want(v, KindString, m.Key)
		case "examples":
			if c.want(v, KindArray, m.Key) {
				s.Examples = v.Items
			}
		case "x-decimal":
			c.decimalExt(s, v)
		case "x-allowlist":
			c.allowlistExt(s, v)
		case "x-datetime":
			c.dateTimeExt(s, v)
		case "x-normalize":
			s.Normalize = c.stringList(v, m.Key, true)
			for _, op := range v.Items {
				if op.Kind == KindString && !contains(normalizers, op.Str) {
					c.errorf(op, "x-normalize: unknown step %q; allowed: %s", op.Str, strings.Join(normalizers, ", "))
				}
			}
		case "x-outbound-url":
			if c.want(v, KindBool, m.Key) {
				s.OutboundURL = v.Bool
			}
		case "x-sensitive":
			if c.want(v, KindBool, m.Key) {
				s.Sensitive = v.Bool
			}
		}
	}
}

// refSiblings are the keywords a draft-07 "$ref" does not make ignored.
var refSiblings = map[string]bool{"$ref": true, "$schema": true, "$comment": true, "definitions": true, "$defs": true,
	"title": true, "description": true, "default": true, "examples": true}

// allowlistKeys are the members of the object form of x-allowlist.
var allowlistKeys = []string{"name", "publish"}

// allowlistExt compiles x-allowlist: the name of a declared list, or
// {"name": ..., "publish": true} to publish the list's values as an enum.
func (c *compiler) allowlistExt(s *Schema, n *Node) {
	name := n
	switch n.Kind {
	case KindString:
	case KindObject:
		for _, m := range n.Members {
			if !contains(allowlistKeys, m.Key) {
				c.errorAtKey(m, "x-allowlist: unknown key %q%s", m.Key, suggestFrom(m.Key, allowlistKeys))
			}
		}
		if p := n.Get("publish"); p != nil && c.want(p, KindBool, "x-allowlist.publish") {
			s.PublishList = p.Bool
		}
		if name = n.Get("name"); name == nil {
			c.errorf(n, "x-allowlist needs name, the name of a list declared in x-allowlists (declared: %s)", c.allowNames())
			return
		}
		if !c.want(name, KindString, "x-allowlist.name") {
			return
		}
	default:
		c.errorf(n, "x-allowlist must be the name of a list declared in x-allowlists, or an object such as {\"name\": \"symbols\", \"publish\": true}; got %s", n.Kind)
		return
	}
	if c.allow[name.Str] == nil {
		c.errorf(name, "x-allowlist %q is not declared; declare it in a file's x-allowlists (declared: %s)", name.Str, c.allowNames())
	}
	s.Allowlist = name.Str
}

func (c *compiler) allowNames() string {
	var names []string
	for k := range c.allow {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func (c *compiler) want(n *Node, k NodeKind, key string) bool {
	if n.Kind != k {
		c.errorf(n, "%s must be %s %s, got %s", key, article(k), k, n.Kind)
		return false
	}
	return true
}

func article(k NodeKind) string {
	if k == KindArray || k == KindObject {
		return "an"
	}
	return "a"
}

var typeNames = []string{"string", "number", "integer", "boolean", "object", "array", "null"}

func (c *compiler) types(n *Node) []string {
	var list []*Node
	switch n.Kind {
	case KindString:
		list = []*Node{n}
	case KindArray:
		list = n.Items
		if len(list) == 0 {
			c.errorf(n, "type must list at least one type")
		}
	default:
		c.errorf(n, "type must be a string or an array of strings, got %s", n.Kind)
		return nil
	}
	var out []string
	for _, t := range list {
		if t.Kind != KindString || !contains(typeNames, t.Str) {
			c.errorf(t, "type %s is not a JSON Schema type; allowed: %s", describe(t), strings.Join(typeNames, ", "))
			continue
		}
		if contains(out, t.Str) {
			c.errorf(t, "type %q is listed twice", t.Str)
			continue
		}
		out = append(out, t.Str)
	}
	return out
}

func describe(n *Node) string {
	if n.Kind == KindString {
		return strconv.Quote(n.Str)
	}
	if n.Kind == KindNumber {
		return n.Str
	}
	return n.Kind.String()
}

func (c *compiler) stringList(n *Node, key string, unique bool) []string {
	if !c.want(n, KindArray, key) {
		return nil
	}
	var out []string
	for _, it := range n.Items {
		if it.Kind != KindString {
			c.errorf(it, "%s entries must be strings, got %s", key, it.Kind)
			continue
		}
		if unique && contains(out, it.Str) {
			c.errorf(it, "%s lists %q twice", key, it.Str)
			continue
		}
		out = append(out, it.Str)
	}
	return out
}

// maxCount bounds count keywords so generated code never deals with sizes
// beyond int32.
const maxCount = 1 << 31

func (c *compiler) count(n *Node, key string) *int {
	r := c.number(n, key)
	if r == nil {
		return nil
	}
	if !r.IsInt() || r.Sign() < 0 || r.Num().Cmp(big.NewInt(maxCount)) >= 0 {
		c.errorf(n, "%s must be a non-negative integer below 2^31, got %s", key, n.Str)
		return nil
	}
	v := int(r.Num().Int64())
	return &v
}

func (c *compiler) number(n *Node, key string) *big.Rat {
	if n.Kind != KindNumber {
		c.errorf(n, "%s must be a number, got %s", key, n.Kind)
		return nil
	}
	r, ok := parseRat(n.Str)
	if !ok {
		c.errorf(n, "%s: number %s is out of range (exponent beyond ±400)", key, n.Str)
		return nil
	}
	return r
}

// parseRat parses a JSON number literal exactly, refusing huge exponents.
func parseRat(lit string) (*big.Rat, bool) {
	if _, ok := typed.ParseDecimal([]byte(lit)); !ok {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(lit)
	return r, ok
}

func (c *compiler) checkPattern(n *Node, pattern string) {
	_, err := regexp.Compile(pattern)
	if err == nil {
		return
	}
	hint := ""
	var re *syntax.Error
	if errors.As(err, &re) {
		switch {
		case re.Code == syntax.ErrInvalidEscape && strings.HasPrefix(re.Expr, `\u`):
			hint = `; RE2 writes \u00e9 as \x{00e9}`
		case re.Code == syntax.ErrInvalidPerlOp || re.Code == syntax.ErrInvalidEscape && len(re.Expr) == 2 && re.Expr[1] >= '1' && re.Expr[1] <= '9':
			hint = "; RE2 has no lookahead, lookbehind or backreferences"
		}
	}
	c.errorf(n, "pattern %s is not a valid RE2 expression: %v%s", strconv.Quote(pattern), strings.TrimPrefix(err.Error(), "error parsing regexp: "), hint)
}

func (c *compiler) decimalExt(s *Schema, n *Node) {
	if !c.want(n, KindObject, "x-decimal") {
		return
	}
	for _, m := range n.Members {
		if m.Key != "scale" {
			c.errorAtKey(m, "x-decimal: unknown key %q; allowed: scale", m.Key)
		}
	}
	scale := n.Get("scale")
	if scale == nil {
		c.errorf(n, "x-decimal needs scale, an integer 0..18")
		return
	}
	v, err := strconv.Atoi(scale.Str)
	if scale.Kind != KindNumber || err != nil || v < 0 || v > 18 {
		c.errorf(scale, "x-decimal.scale must be an integer 0..18, got %s", describe(scale))
		return
	}
	s.DecimalScale = &v
}

var windowRE = regexp.MustCompile(`^([+-])([0-9]{1,6})([dhms])$`)

func (c *compiler) dateTimeExt(s *Schema, n *Node) {
	if !c.want(n, KindObject, "x-datetime") {
		return
	}
	for _, m := range n.Members {
		if m.Key != "notBefore" && m.Key != "notAfter" {
			c.errorAtKey(m, "x-datetime: unknown key %q; allowed: notBefore, notAfter", m.Key)
			continue
		}
		if m.Value.Kind != KindString || !windowRE.MatchString(m.Value.Str) {
			c.errorf(m.Value, "x-datetime.%s must be an offset from now such as \"-730d\" or \"+1h\" (sign, digits, one of d h m s), got %s", m.Key, describe(m.Value))
			continue
		}
		d := parseOffset(m.Value.Str)
		if m.Key == "notBefore" {
			s.NotBefore = &d
		} else {
			s.NotAfter = &d
		}
	}
	if s.NotBefore != nil && s.NotAfter != nil && *s.NotBefore > *s.NotAfter {
		c.errorf(n, "x-datetime: notBefore is after notAfter; no date-time can satisfy both")
	}
}

func parseOffset(s string) time.Duration {
	m := windowRE.FindStringSubmatch(s)
	v, _ := strconv.Atoi(m[2])
	unit := map[string]time.Duration{"d": 24 * time.Hour, "h": time.Hour, "m": time.Minute, "s": time.Second}[m[3]]
	d := time.Duration(v) * unit
	if m[1] == "-" {
		d = -d
	}
	return d
}

// checkSatisfiable reports keyword combinations no instance can satisfy and
// extension keywords used where they mean nothing.
func (c *compiler) checkSatisfiable(s *Schema) {
	n := s.Node
	c.checkBounds(s)
	if s.MinLength != nil && s.MaxLength != nil && *s.MinLength > *s.MaxLength {
		c.errorf(n.Get("minLength"), "minLength %d is greater than maxLength %d; no value can satisfy both", *s.MinLength, *s.MaxLength)
	}
	if s.MinItems != nil && s.MaxItems != nil && *s.MinItems > *s.MaxItems {
		c.errorf(n.Get("minItems"), "minItems %d is greater than maxItems %d; no value can satisfy both", *s.MinItems, *s.MaxItems)
	}
	if s.MinProperties != nil && s.MaxProperties != nil && *s.MinProperties > *s.MaxProperties {
		c.errorf(n.Get("minProperties"), "minProperties %d is greater than maxProperties %d; no value can satisfy both", *s.MinProperties, *s.MaxProperties)
	}
	closed := s.AdditionalProperties != nil && s.AdditionalProperties.Always != nil && !*s.AdditionalProperties.Always && len(s.PatternProperties) == 0
	if req := n.Get("required"); closed && req != nil && req.Kind == KindArray {
		for _, r := range req.Items {
			if r.Kind == KindString && s.property(r.Str) == nil {
				c.errorf(r, "required property %q is not in properties, and additionalProperties is false, so no value could pass; declare it under properties or drop it", r.Str)
			}
		}
	}
	if s.DecimalScale != nil && !(s.HasType("number") && len(s.Types) > 0 || s.isOnly("string")) {
		c.errorf(n.Get("x-decimal"), "x-decimal applies to type number or string, not %s", typesText(s.Types))
	}
	if s.Allowlist != "" && !s.isOnly("string") {
		c.errorf(n.Get("x-allowlist"), "x-allowlist applies to type string, not %s", typesText(s.Types))
	}
	if s.PublishList && len(s.Enum) > 0 {
		c.errorf(n.Get("x-allowlist").Get("publish"), "x-allowlist: \"publish\": true publishes the list as an enum, and this schema has an enum of its own; drop one of them")
	}
	if len(s.Normalize) > 0 && !s.isOnly("string") {
		c.errorf(n.Get("x-normalize"), "x-normalize applies to type string, not %s", typesText(s.Types))
	}
	if (s.NotBefore != nil || s.NotAfter != nil) && s.Format != "date-time" {
		c.errorf(n.Get("x-datetime"), "x-datetime needs \"format\": \"date-time\"")
	}
	if s.OutboundURL && s.Format != "uri" {
		c.errorf(n.Get("x-outbound-url"), "x-outbound-url needs \"format\": \"uri\"")
	}
	if contains(s.Normalize, "upper") && contains(s.Normalize, "lower") {
		c.errorf(n.Get("x-normalize"), "x-normalize lists both upper and lower; only the last would matter")
	}
	if len(s.Enum) > 0 && len(s.Types) > 0 {
		for _, e := range s.Enum {
			if !s.HasType(jsonType(e)) {
				c.errorf(e, "enum value %s is not of type %s; it could never match", describe(e), typesText(s.Types))
			}
		}
	}
	if s.Const != nil && len(s.Types) > 0 && !s.HasType(jsonType(s.Const)) {
		c.errorf(s.Const, "const value %s is not of type %s; it could never match", describe(s.Const), typesText(s.Types))
	}
	seen := map[string]*Node{}
	for _, e := range s.Enum {
		key := canonicalJSON(e)
		if prev, ok := seen[key]; ok {
			c.errorf(e, "enum lists %s twice (first at %s); each value may appear once", valueText(e), ptrOrRoot(prev.Pointer))
			continue
		}
		seen[key] = e
	}
	c.checkNormalizedValues(s)
}

// checkNormalizedValues reports enum and const strings that x-normalize
// would change: the decoder normalizes before it compares, so such a value
// could never match.
func (c *compiler) checkNormalizedValues(s *Schema) {
	if len(s.Normalize) == 0 {
		return
	}
	values := s.Enum
	if s.Const != nil {
		values = append(values[:len(values):len(values)], s.Const)
	}
	for _, v := range values {
		if v.Kind != KindString {
			continue
		}
		b := []byte(v.Str)
		for _, op := range s.Normalize {
			switch op {
			case "trim":
				b = typed.TrimSpace(b)
			case "upper":
				b = typed.Upper(b)
			case "lower":
				b = typed.Lower(b)
			}
		}
		if string(b) != v.Str {
			c.errorf(v, "value %q could never match: x-normalize (%s) turns every input into its normal form first, and this value is not in it; write %q", v.Str, strings.Join(s.Normalize, ", "), string(b))
		}
	}
}

// valueText shows a JSON value in a message: scalars as describe does,
// arrays and objects as compact JSON, cut short.
func valueText(n *Node) string {
	if n.Kind != KindArray && n.Kind != KindObject {
		return describe(n)
	}
	return jsonText(n)
}

// jsonText shows a JSON value as compact JSON, cut short.
func jsonText(n *Node) string {
	text := compactJSON(n)
	if len(text) > 60 {
		text = strings.ToValidUTF8(text[:60], "") + "…"
	}
	return text
}

// canonicalJSON renders n so that equal JSON values, and only they, render
// the same: numbers by exact value (1, 1.0 and 10e-1 alike), object
// members in key order.
func canonicalJSON(n *Node) string {
	switch n.Kind {
	case KindNull:
		return "null"
	case KindBool:
		return strconv.FormatBool(n.Bool)
	case KindString:
		return strconv.Quote(n.Str)
	case KindNumber:
		if r, ok := parseRat(n.Str); ok {
			return r.RatString()
		}
		return n.Str
	case KindArray:
		items := make([]string, len(n.Items))
		for i, it := range n.Items {
			items[i] = canonicalJSON(it)
		}
		return "[" + strings.Join(items, ",") + "]"
	}
	members := make([]string, len(n.Members))
	for i, m := range n.Members {
		members[i] = strconv.Quote(m.Key) + ":" + canonicalJSON(m.Value)
	}
	sort.Strings(members)
	return "{" + strings.Join(members, ",") + "}"
}

// checkBounds reports numeric bounds that no value can satisfy together,
// and for integers, bounds with no integer between them.
func (c *compiler) checkBounds(s *Schema) {
	n := s.Node
	type bound struct {
		key       string
		value     *big.Rat
		exclusive bool
	}
	var lows, highs []bound
	if s.Minimum != nil {
		lows = append(lows, bound{"minimum", s.Minimum, false})
	}
	if s.ExclusiveMinimum != nil {
		lows = append(lows, bound{"exclusiveMinimum", s.ExclusiveMinimum, true})
	}
	if s.Maximum != nil {
		highs = append(highs, bound{"maximum", s.Maximum, false})
	}
	if s.ExclusiveMaximum != nil {
		highs = append(highs, bound{"exclusiveMaximum", s.ExclusiveMaximum, true})
	}
	for _, lo := range lows {
		for _, hi := range highs {
			cmp := lo.value.Cmp(hi.value)
			switch {
			case cmp > 0 && !lo.exclusive && !hi.exclusive:
				c.errorf(n.Get(lo.key), "%s %s is greater than %s %s; no value can satisfy both", lo.key, n.Get(lo.key).Str, hi.key, n.Get(hi.key).Str)
			case cmp > 0 || cmp == 0 && (lo.exclusive || hi.exclusive):
				c.errorf(n.Get(lo.key), "%s %s is not below %s %s; no value can satisfy both", lo.key, n.Get(lo.key).Str, hi.key, n.Get(hi.key).Str)
			case s.isOnly("integer") && intAbove(lo.value, lo.exclusive).Cmp(intBelow(hi.value, hi.exclusive)) > 0:
				c.errorf(n.Get(lo.key), "no integer lies between %s %s and %s %s", lo.key, n.Get(lo.key).Str, hi.key, n.Get(hi.key).Str)
			}
		}
	}
}

// intAbove returns the least integer at or above r (strictly above when
// exclusive); intBelow the greatest at or below it (strictly below).
func intAbove(r *big.Rat, exclusive bool) *big.Int {
	q, m := new(big.Int).DivMod(r.Num(), r.Denom(), new(big.Int)) // floor division
	if m.Sign() != 0 || exclusive {
		q.Add(q, big.NewInt(1))
	}
	return q
}

func intBelow(r *big.Rat, exclusive bool) *big.Int {
	q, m := new(big.Int).DivMod(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() == 0 && exclusive {
		q.Sub(q, big.NewInt(1))
	}
	return q
}

// isOnly reports whether the schema's type is exactly t (null allowed too).
func (s *Schema) isOnly(t string) bool {
	for _, x := range s.Types {
		if x != t && x != "null" {
			return false
		}
	}
	return contains(s.Types, t)
}

func (s *Schema) property(name string) *Property {
	for _, p := range s.Properties {
		if p.Name == name {
			return p
		}
	}
	return nil
}

func jsonType(n *Node) string {
	switch n.Kind {
	case KindNumber:
		if r, ok := parseRat(n.Str); ok && r.IsInt() {
			return "integer"
		}
		return "number"
	case KindBool:
		return "boolean"
	}
	return n.Kind.String()
}

func typesText(ts []string) string {
	if len(ts) == 0 {
		return "an untyped schema"
	}
	return strings.Join(ts, " or ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// inPlace lists the subschemas s applies to the very value it checks, each
// with the node that names it: "$ref" and the applicators. A loop of these
// edges never reaches a smaller value, so checking it would never end.
func inPlace(s *Schema) []*Schema {
	var out []*Schema
	if s.Ref != nil {
		out = append(out, s.Ref)
	}
	if s.DynamicRef != nil {
		out = append(out, s.DynamicRef)
	}
	out = append(out, s.DynamicCandidates...)
	out = append(out, s.AllOf...)
	out = append(out, s.AnyOf...)
	out = append(out, s.OneOf...)
	for _, x := range []*Schema{s.Not, s.If, s.Then, s.Else} {
		if x != nil {
			out = append(out, x)
		}
	}
	for _, d := range s.DependentSchemas {
		out = append(out, d.Schema)
	}
	return out
}

// checkLoops reports schemas that reach themselves through "$ref" and the
// applicators alone, without going into a property or an item: validating
// against them would recurse forever (the JSON Schema specification leaves
// such schemas undefined). Recursion through properties and items is fine.
func (c *compiler) checkLoops() {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[*Schema]int{}
	var path []*Schema
	var visit func(s *Schema)
	visit = func(s *Schema) {
		state[s] = onPath
		path = append(path, s)
		for _, next := range inPlace(s) {
			switch state[next] {
			case unseen:
				visit(next)
			case onPath:
				c.reportLoop(s, next, path)
			}
		}
		path = path[:len(path)-1]
		state[s] = done
	}
	for _, s := range c.order {
		if state[s] == unseen {
			visit(s)
		}
	}
}

// reportLoop reports the loop closed by the edge from s back to start, at
// the keyword of s that closes it.
func (c *compiler) reportLoop(s, start *Schema, path []*Schema) {
	i := len(path) - 1
	for path[i] != start {
		i--
	}
	var steps []string
	for _, x := range append(path[i:], start) {
		steps = append(steps, schemaPlace(x, s.Node.File))
	}
	at := start.Node
	if s.Ref == start {
		at = s.Node.Get("$ref")
	}
	c.errorf(at, "this schema loops back to itself (%s) without going into a property or an item, so checking a value against it would never end", strings.Join(steps, " → "))
}

// schemaPlace names a schema by its pointer, with its file when it is not
// in file from.
func schemaPlace(s *Schema, from *File) string {
	p := ptrOrRoot(s.Node.Pointer)
	if s.Node.File != from {
		return s.Node.File.Path + "#" + p
	}
	return p
}
