package gen

import (
	"fmt"
	"math"
	"math/big"
	"path"
	"strconv"
	"strings"

	"github.com/mcpgen/mcpgen/runtime/typed"
)

// TypeKind is the Go shape of a generated type.
type TypeKind int

// The Go shapes a schema can take.
const (
	TString        TypeKind = iota // string
	TInt                           // int64
	TFloat                         // float64
	TDecimal                       // decimal.Decimal from a JSON number
	TDecimalString                 // decimal.Decimal from a JSON string
	TBool                          // bool
	TTime                          // time.Time from a date-time string
	TEnum                          // named string type with constants
	TStruct                        // named struct
	TSlice                         // []Elem
	TValue                         // typed.Value, checked by a dynamic validator
)

// Type is one Go type the emitter writes or refers to.
type Type struct {
	Kind   TypeKind
	Name   string   // Go name of TEnum and TStruct types, and of the scalars of shared definitions (see NamedScalar, SharedCheck)
	Schema *Schema  // the schema the type checks
	Fields []*Field // TStruct, in the author's order
	Closed bool     // TStruct: additionalProperties is false
	// Present lists, for TStruct, the required properties the schema does
	// not declare: the decoder checks they are there and skips their values.
	Present []string
	Elem    *Type // TSlice
	Values  []EnumValue
	// Decoded is set for the named types an input reaches: only they are
	// ever decoded (outputs are made by handlers), so only they get decode
	// methods, and only their properties take defaults.
	Decoded bool
}

// Field is one property of a struct type.
type Field struct {
	JSONName string
	GoName   string
	Type     *Type
	Required bool
	Nullable bool // the schema also allows null: typed.Nullable[T]
	Schema   *Schema
	// Default is the "default" of an optional property of a decoded type.
	// Such a property is a plain field, not a typed.Opt: the decoder puts
	// the default there when the caller leaves the property out, so the
	// handler always has a value.
	Default *Node
}

// Opt reports whether the field is a typed.Opt: optional, and without a
// default to stand in for an absent value.
func (f *Field) Opt() bool { return !f.Required && f.Default == nil }

// EnumValue is one constant of an enum type.
type EnumValue struct {
	GoName string
	Value  string
}

// typer assigns Go types to compiled schemas.
type typer struct {
	problems *Problems
	named    map[*Schema]*Type
	names    map[string]*Schema // Go type names taken, by the schema that took them
	building map[*Schema]bool   // schemas on the current path, to spot recursion
	types    []*Type            // named types, in the order they are created
	dynamic  []*Schema          // schemas that need a dynamic validator
	dynSeen  map[*Schema]bool
}

func newTyper(problems *Problems) *typer {
	return &typer{problems: problems, named: map[*Schema]*Type{}, names: map[string]*Schema{},
		building: map[*Schema]bool{}, dynSeen: map[*Schema]bool{}}
}

// claim reserves a Go type name for s, reporting a collision with another
// schema as a problem.
func (ty *typer) claim(name string, s *Schema) bool {
	if other, ok := ty.names[name]; ok && other != s {
		ty.problems.Add(s.Node, fmt.Sprintf("Go type name %s is also derived for %s; rename one of them", name, other.Node.Pos()))
		return false
	}
	ty.names[name] = s
	return true
}

// isAnnotationOnly reports whether a schema holding a $ref adds nothing but
// annotations to it, so it can share the target's Go type.
func isAnnotationOnly(s *Schema) bool {
	if s.RefOnly {
		return true
	}
	for _, m := range s.Node.Members {
		switch m.Key {
		case "$ref", "title", "description", "default", "examples", "deprecated", "$comment", "readOnly", "writeOnly", "x-sensitive":
		default:
			return false
		}
	}
	return true
}

// typeOf returns the Go type for s; name is the Go name a named type for s
// takes when s has none of its own (from a $defs key).
func (ty *typer) typeOf(s *Schema, name string) *Type {
	if t, ok := ty.named[s]; ok {
		return t
	}
	if s.Ref != nil && isAnnotationOnly(s) {
		target := s.Ref
		if defName := defKey(target.Node); defName != "" {
			name = GoName(defName)
		}
		if ty.building[target] {
			return ty.value(s)
		}
		if shared := sharedName(target); shared != "" {
			return ty.shared(target, shared)
		}
		return ty.typeOf(target, name)
	}
	if !typeable(s) {
		return ty.value(s)
	}
	ty.building[s] = true
	defer delete(ty.building, s)
	switch nonNull(s.Types) {
	case "string":
		switch {
		case s.DecimalScale != nil:
			return &Type{Kind: TDecimalString, Schema: s}
		case s.Format == "date-time":
			return &Type{Kind: TTime, Schema: s}
		case len(s.Enum) > 0 || s.Const != nil:
			return ty.enum(s, name)
		}
		return &Type{Kind: TString, Schema: s}
	case "integer":
		return &Type{Kind: TInt, Schema: s}
	case "number":
		if s.DecimalScale != nil {
			return &Type{Kind: TDecimal, Schema: s}
		}
		return &Type{Kind: TFloat, Schema: s}
	case "boolean":
		return &Type{Kind: TBool, Schema: s}
	case "array":
		elem := &Type{Kind: TValue, Schema: nil}
		switch {
		case s.Items != nil && allowsNull(resolved(s.Items)):
			// A null item needs a typed.Value; only fields have Nullable.
			elem = ty.value(s.Items)
		case s.Items != nil:
			elem = ty.typeOf(s.Items, name+"Item")
		}
		if elem.Kind == TValue && s.Items != nil {
			ty.needDynamic(s.Items)
		}
		if s.UniqueItems && !comparable(elem) {
			return ty.value(s)
		}
		return &Type{Kind: TSlice, Schema: s, Elem: elem}
	case "object":
		return ty.structType(s, name)
	}
	return ty.value(s)
}

// sharedName returns the Go name of a definition of a shared schema file
// (not a tool's own schema): its "$defs" key, or for the file's root the
// file's name. It returns "" for any other schema.
func sharedName(s *Schema) string {
	root := s.Node.File.Root
	if s.Root != root || root.Get("inputSchema") != nil || root.Get("name") != nil {
		return ""
	}
	if s.Node == root {
		return GoName(strings.TrimSuffix(path.Base(docPath(s.Node.File)), ".json"))
	}
	if key := defKey(s.Node); key != "" {
		return GoName(key)
	}
	return ""
}

// shared returns the type of definition s of a shared schema file. A
// scalar becomes a named type of its own (type Symbol string), declared
// once in the file of its definitions with its decode and validate
// methods, and used at every reference, as enums and structs already are.
func (ty *typer) shared(s *Schema, name string) *Type {
	if t, ok := ty.named[s]; ok {
		return t
	}
	t := ty.typeOf(s, name)
	switch {
	case t.Name != "": // named already: a definition that refers to another
		return t
	case t.Kind == TString, t.Kind == TInt, t.Kind == TFloat, t.Kind == TBool:
	case t.Kind == TDecimal, t.Kind == TDecimalString, t.Kind == TTime:
		// A named type over decimal.Decimal or time.Time would lose their
		// methods; the value keeps its type and the definition's checks
		// become one function, validateQuantity, called at every reference.
	default:
		return t
	}
	if !ty.claim(name, s) {
		return t
	}
	t.Name = name
	ty.named[s] = t
	ty.types = append(ty.types, t)
	return t
}

// SharedCheck returns the name of the function that checks a decimal or
// date-time value of a shared definition, "" for any other type.
func (t *Type) SharedCheck() string {
	switch t.Kind {
	case TDecimal, TDecimalString, TTime:
		if t.Name != "" {
			return "validate" + t.Name
		}
	}
	return ""
}

// NamedScalar reports whether t is a string, integer, number or boolean
// type with a name of its own (a shared definition).
func (t *Type) NamedScalar() bool {
	switch t.Kind {
	case TString, TInt, TFloat, TBool:
		return t.Name != ""
	}
	return false
}

// typeable reports whether s maps onto one Go type. Schemas that mix types
// or use applicators are checked dynamically instead.
func typeable(s *Schema) bool {
	// Below a tool's root, a schema from which a "$dynamicRef" is reached
	// is checked dynamically: what that ref means depends on the path taken
	// to it, and a Go type has one validate method whatever the path.
	if len(s.dynNames) > 0 && !s.toolRoot {
		return false
	}
	if s.Always != nil || s.Ref != nil || s.DynamicRef != nil || len(s.AllOf)+len(s.AnyOf)+len(s.OneOf) > 0 ||
		s.Not != nil || s.If != nil || s.Then != nil || s.Else != nil ||
		s.Contains != nil || len(s.DependentSchemas) > 0 || s.UnevaluatedProperties != nil || s.UnevaluatedItems != nil {
		return false
	}
	t := nonNull(s.Types)
	if t == "" || len(s.Types) > 2 || len(s.Types) == 2 && !s.Nullable {
		return false
	}
	if t == "string" && !stringKindCovers(s) {
		return false
	}
	for _, e := range s.Enum {
		if !(e.Kind == KindString && t == "string" || e.Kind == KindNull && s.Nullable) {
			return false
		}
	}
	if s.Const != nil && (t != "string" || s.Const.Kind != KindString) {
		return false
	}
	switch t {
	case "object":
		ap := s.AdditionalProperties
		closed := ap != nil && ap.Always != nil && !*ap.Always
		if len(s.Properties) == 0 && !closed {
			return false // a free-form object: a struct would drop every member
		}
		if len(s.PatternProperties) > 0 || s.PropertyNames != nil || len(s.DependentRequired) > 0 ||
			s.MinProperties != nil || s.MaxProperties != nil || ap != nil && ap.Always == nil {
			return false
		}
		for _, p := range s.Properties {
			if GoName(p.Name) == "" {
				return false
			}
		}
	case "array":
		if len(s.PrefixItems) > 0 {
			return false
		}
	case "integer":
		if s.DecimalScale != nil {
			return false
		}
	}
	return true
}

func comparable(t *Type) bool {
	switch t.Kind {
	case TString, TInt, TBool, TEnum:
		return true
	}
	return false
}

func nonNull(types []string) string {
	for _, t := range types {
		if t != "null" {
			return t
		}
	}
	return ""
}

// defKey returns the key a schema has under $defs or definitions, or "".
func defKey(n *Node) string {
	parent, key := splitPointer(n.Pointer)
	if _, section := splitPointer(parent); section == "$defs" || section == "definitions" {
		return key
	}
	return ""
}

func splitPointer(p string) (string, string) {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[:i], unescapePointer(p[i+1:])
		}
	}
	return "", ""
}

func unescapePointer(s string) string {
	out := []byte{}
	for i := 0; i < len(s); i++ {
		if s[i] == '~' && i+1 < len(s) {
			if s[i+1] == '1' {
				out = append(out, '/')
			} else {
				out = append(out, '~')
			}
			i++
			continue
		}
		out = append(out, s[i])
	}
	return string(out)
}

func (ty *typer) value(s *Schema) *Type {
	ty.needDynamic(s)
	return &Type{Kind: TValue, Schema: s}
}

// needDynamic marks s, and every schema it can reach, as needing a dynamic
// validator.
func (ty *typer) needDynamic(s *Schema) {
	if s == nil || ty.dynSeen[s] {
		return
	}
	ty.dynSeen[s] = true
	ty.dynamic = append(ty.dynamic, s)
	for _, sub := range subschemas(s) {
		// false where a member or an item may not be is a violation
		// written in place (applyTo); it needs no validator of its own.
		inline := sub == s.AdditionalProperties || sub == s.UnevaluatedProperties || sub == s.UnevaluatedItems
		if inline && sub.Always != nil && !*sub.Always {
			continue
		}
		ty.needDynamic(sub)
	}
}

func subschemas(s *Schema) []*Schema {
	var out []*Schema
	for _, p := range s.Properties {
		out = append(out, p.Schema)
	}
	for _, p := range s.PatternProperties {
		out = append(out, p.Schema)
	}
	out = append(out, s.PrefixItems...)
	out = append(out, s.AllOf...)
	out = append(out, s.AnyOf...)
	out = append(out, s.OneOf...)
	out = append(out, s.DynamicCandidates...)
	for _, x := range []*Schema{s.AdditionalProperties, s.PropertyNames, s.Items, s.Not, s.If, s.Then, s.Else, s.Ref,
		s.DynamicRef, s.Contains, s.UnevaluatedProperties, s.UnevaluatedItems} {
		if x != nil {
			out = append(out, x)
		}
	}
	for _, d := range s.DependentSchemas {
		out = append(out, d.Schema)
	}
	return out
}

func (ty *typer) enum(s *Schema, name string) *Type {
	t := &Type{Kind: TEnum, Name: name, Schema: s}
	if !ty.claim(name, s) {
		return &Type{Kind: TString, Schema: s}
	}
	ty.named[s] = t
	values := s.Enum
	if s.Const != nil {
		values = []*Node{s.Const}
	}
	taken := map[string]bool{}
	for _, v := range values {
		if v.Kind != KindString {
			continue // null, allowed through Nullable
		}
		goName := name + GoName(v.Str)
		if GoName(v.Str) == "" || taken[goName] {
			goName = name + "Value" + strconv.Itoa(len(t.Values)+1)
		}
		taken[goName] = true
		t.Values = append(t.Values, EnumValue{GoName: goName, Value: v.Str})
	}
	ty.types = append(ty.types, t)
	return t
}

// reserved are method names generated types carry; a field may not take them.
var reserved = map[string]bool{"Validate": true, "AppendJSON": true, "MarshalJSON": true, "UnmarshalJSON": true}

func (ty *typer) structType(s *Schema, name string) *Type {
	t := &Type{Kind: TStruct, Name: name, Schema: s}
	if !ty.claim(name, s) {
		return ty.value(s)
	}
	ty.named[s] = t
	ty.types = append(ty.types, t)
	ap := s.AdditionalProperties
	t.Closed = ap != nil && ap.Always != nil && !*ap.Always
	fieldOf := map[string]*Field{}
	for _, p := range s.Properties {
		goName := GoName(p.Name)
		if other, ok := fieldOf[goName]; ok {
			ty.problems.Add(p.Schema.Node, fmt.Sprintf("property %q and property %q both become Go field %s; rename one", p.Name, other.JSONName, goName))
			continue
		}
		if reserved[goName] {
			ty.problems.Add(p.Schema.Node, fmt.Sprintf("property %q becomes Go field %s, which is a method name of generated types; rename it", p.Name, goName))
			continue
		}
		f := &Field{JSONName: p.Name, GoName: goName, Schema: p.Schema, Required: contains(s.Required, p.Name)}
		f.Type = ty.typeOf(p.Schema, name+goName)
		f.Nullable = f.Type.Kind != TValue && allowsNull(resolved(p.Schema))
		fieldOf[goName] = f
		t.Fields = append(t.Fields, f)
	}
	for _, r := range s.Required {
		if s.property(r) == nil {
			t.Present = append(t.Present, r)
		}
	}
	return t
}

// markDecoded marks t, and the types inside it, as decoded (an input
// reaches them), and gives their optional properties their defaults.
func (ty *typer) markDecoded(t *Type) {
	if t == nil || t.Decoded {
		return
	}
	t.Decoded = true
	for _, f := range t.Fields {
		if !f.Required {
			if d := defaultOf(f.Schema); d != nil && ty.representable(f, d) {
				f.Default = d
			}
		}
		ty.markDecoded(f.Type)
	}
	ty.markDecoded(t.Elem)
}

// defaultOf returns the "default" of s, or of the schema an
// annotation-only "$ref" of s names.
func defaultOf(s *Schema) *Node {
	for s != nil {
		if s.Default != nil {
			return s.Default
		}
		if s.Ref == nil || !isAnnotationOnly(s) {
			return nil
		}
		s = s.Ref
	}
	return nil
}

// representable reports whether default d, already valid against the
// field's schema, fits the field's Go type, and reports it otherwise: a
// typed integer is an int64, a number a finite float64, a date-time a
// time.Time, which has no leap second.
func (ty *typer) representable(f *Field, d *Node) bool {
	if d.Kind == KindNull {
		return true
	}
	var problem string
	switch f.Type.Kind {
	case TInt:
		if _, ok := typed.ParseInt([]byte(d.Str)); !ok {
			problem = "is out of range for the property's Go type, int64"
		}
	case TFloat:
		if v, err := strconv.ParseFloat(d.Str, 64); err != nil || math.IsInf(v, 0) {
			problem = "is out of range for the property's Go type, float64"
		}
	case TTime:
		if _, ok := typed.ParseDateTime(d.Str); !ok {
			problem = "is a leap second, which the property's Go type, time.Time, cannot hold"
		}
	}
	if problem == "" {
		return true
	}
	ty.problems.Add(d, "default "+valueText(d)+" "+problem)
	return false
}

// allowsNull reports whether a typeable schema accepts null: "null" is one of
// its types, and its enum or const, if any, lists null too.
func allowsNull(s *Schema) bool {
	if !s.Nullable {
		return false
	}
	if s.Const != nil {
		return s.Const.Kind == KindNull
	}
	for _, e := range s.Enum {
		if e.Kind == KindNull {
			return true
		}
	}
	return len(s.Enum) == 0
}

// resolved follows annotation-only refs to the schema that carries the type.
func resolved(s *Schema) *Schema {
	for s.Ref != nil && isAnnotationOnly(s) {
		s = s.Ref
	}
	return s
}

// intBound converts a bound for an integer field: for minimum-like bounds the
// smallest integer ≥ r (ceil), for maximum-like the largest ≤ r (floor). ok is
// false when the bound lies outside int64, in which case it always holds.
func intBound(r *big.Rat, ceil bool) (v int64, ok bool) {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() != 0 {
		if ceil && r.Sign() > 0 {
			q.Add(q, big.NewInt(1))
		}
		if !ceil && r.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		}
	}
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

// stringKindCovers reports whether the typed Go kind a string schema gets
// checks every keyword it carries. A date-time becomes time.Time, an
// x-decimal string a decimal and an enum a named type; each of those checks
// its own keywords only, so a schema that adds others (a pattern on a
// date-time, a length on an enum, an enum together with const) is checked
// dynamically instead, keyword by keyword.
func stringKindCovers(s *Schema) bool {
	lengthOrPattern := s.Pattern != "" || s.MinLength != nil || s.MaxLength != nil
	values := len(s.Enum) > 0 || s.Const != nil
	switch {
	case s.DecimalScale != nil:
		return !lengthOrPattern && !values && s.Format == "" && s.Allowlist == "" && len(s.Normalize) == 0
	case s.Format == "date-time":
		return !lengthOrPattern && !values && s.Allowlist == "" && !s.OutboundURL && len(s.Normalize) == 0
	case values:
		return !lengthOrPattern && s.Format == "" && s.Allowlist == "" && !s.OutboundURL &&
			!(len(s.Enum) > 0 && s.Const != nil)
	}
	return true
}
