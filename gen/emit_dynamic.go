package gen

import (
	"path"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"
)

// A "$dynamicRef" means what the dynamic scope makes it mean: the
// outermost schema resource entered on the way to it that has a
// "$dynamicAnchor" of its name. Every path to a schema is known when
// generating, so a schema from which such a ref is reached gets one
// validator per scope it is reached in (an instance), and each resolves
// its dynamic refs statically. A schema no dynamic ref is reached from has
// one validator, named after its place.

// scope is the part of the dynamic scope a validator depends on: for each
// dynamic anchor name reachable from its schema, the outermost resource
// entered with a "$dynamicAnchor" of that name.
type scope map[string]*resource

// instance is one validator to write: a schema in a scope.
type instance struct {
	s  *Schema
	sc scope
}

// key tells scopes apart: the resource of each name.
func (sc scope) key() string {
	var b strings.Builder
	for _, name := range sortedKeys(sc) {
		b.WriteString(name + "=" + sc[name].node.Pos() + ";")
	}
	return b.String()
}

// words names a scope in a validator's name: Via, then each name and the
// place of the resource that gives it.
func (sc scope) words() string {
	var b strings.Builder
	for _, name := range sortedKeys(sc) {
		r := sc[name]
		b.WriteString("Via" + GoName(name) + GoName(strings.TrimSuffix(path.Base(r.node.File.Path), ".json")) + pointerWords(r.node.Pointer))
	}
	return b.String()
}

// enter returns the scope a validator of sub runs in when the one being
// written (in scope e.sc) applies sub: the scope kept for the names sub
// depends on, and sub's own resource for those no outer resource gave.
func (e *emitter) enter(sub *Schema) scope {
	if len(sub.dynNames) == 0 {
		return nil
	}
	next := scope{}
	for _, name := range sub.dynNames {
		if r, ok := e.sc[name]; ok {
			next[name] = r
		} else if sub.res != nil && sub.res.dynamic[name] != nil {
			next[name] = sub.res
		}
	}
	return next
}

// dynamicName names the validator of sub as the validator being written
// applies it, asking for it when it is an instance of its own.
func (e *emitter) dynamicName(sub *Schema) string { return e.instanceName(sub, e.enter(sub)) }

// instanceName names the validator of s in scope sc. A schema no dynamic
// ref is reached from has one, named after its place and written with the
// package; the others are written when first asked for.
func (e *emitter) instanceName(s *Schema, sc scope) string {
	if len(s.dynNames) == 0 {
		return s.CheckName
	}
	key := strconv.Itoa(s.ID) + ":" + sc.key()
	if name, ok := e.instances[key]; ok {
		return name
	}
	base := s.CheckName + sc.words()
	name := base
	for i := 2; e.taken[name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	e.taken[name] = true
	e.instances[key] = name
	e.instanceQueue = append(e.instanceQueue, instance{s, sc})
	return name
}

// dynamicTarget is what the "$dynamicRef" of s, in the scope being
// written, resolves to.
func (e *emitter) dynamicTarget(s *Schema) *Schema {
	if r := e.sc[s.DynamicName]; s.DynamicName != "" && r != nil {
		for _, c := range s.DynamicCandidates {
			if c.Node == r.dynamic[s.DynamicName] {
				return c
			}
		}
	}
	return s.DynamicRef
}

// genDynamic writes the validator of a schema whose value is a typed.Value:
// every keyword, for any JSON type, in the order JSON Schema evaluates them.
func (e *emitter) genDynamic(in instance) {
	s := in.s
	e.cur = e.homes.of(s)
	f := e.cur.f
	f.Line()
	name := e.instanceName(s, in.sc)
	e.sc = in.sc
	defer func() { e.sc = nil }()
	f.Comment("// " + name + " checks a value against " + sanitizeLine(s.Node.File.Path) + "#" + sanitizeLine(s.Node.Pointer) + ".")
	f.Func().Id(name).Params(jen.Id("v").Op("*").Add(rt("Value")), jen.Id("p").Op("*").Add(rt("Path")), jen.Id("vs").Op("*").Add(rt("Violations"))).BlockFunc(func(g *jen.Group) {
		e.dynamicBody(g, s)
	})
}

func addAt(keyword, msg string) jen.Code {
	return jen.Id("vs").Dot("Add").Call(jen.Id("p"), jen.Lit(keyword), jen.Lit(msg))
}

func (e *emitter) dynamicBody(g *jen.Group, s *Schema) {
	if s.Always != nil {
		if !*s.Always {
			g.Add(addAt("false", "no value is allowed here"))
		}
		return
	}
	if s.Ref != nil {
		g.Id(e.dynamicName(s.Ref)).Call(jen.Id("v"), jen.Id("p"), jen.Id("vs"))
	}
	if s.DynamicRef != nil {
		g.Id(e.dynamicName(e.dynamicTarget(s))).Call(jen.Id("v"), jen.Id("p"), jen.Id("vs"))
	}
	// x-normalize rewrites the value in place before any check, as the
	// decoder does on the typed path; the handler sees the normalized text.
	if len(s.Normalize) > 0 {
		var steps []jen.Code
		for _, step := range s.Normalize {
			fn := map[string]string{"trim": "TrimSpace", "upper": "ToUpper", "lower": "ToLower"}[step]
			steps = append(steps, jen.Id("v").Dot("Text").Op("=").Qual("strings", fn).Call(jen.Id("v").Dot("Text")))
		}
		g.If(jen.Id("v").Dot("Kind").Op("==").Add(rt("String"))).Block(steps...)
	}
	for _, c := range e.dynamicRules(s, "") {
		g.Add(c)
	}
	for _, sub := range s.AllOf {
		g.Id(e.dynamicName(sub)).Call(jen.Id("v"), jen.Id("p"), jen.Id("vs"))
	}
	if len(s.AnyOf) > 0 {
		var cond *jen.Statement
		for _, sub := range s.AnyOf {
			c := rt("Matches").Call(jen.Id(e.dynamicName(sub)), jen.Id("v"), jen.Id("p"))
			if cond == nil {
				cond = c
			} else {
				cond = cond.Op("||").Add(c)
			}
		}
		g.If(jen.Op("!").Parens(cond)).Block(addAt("anyOf", "must match at least one schema of anyOf"))
	}
	if len(s.OneOf) > 0 {
		var fns []jen.Code
		for _, sub := range s.OneOf {
			fns = append(fns, jen.Id(e.dynamicName(sub)))
		}
		g.If(jen.Id("n").Op(":=").Add(rt("CountMatches")).Call(append([]jen.Code{jen.Id("v"), jen.Id("p")}, fns...)...), jen.Id("n").Op("!=").Lit(1)).Block(
			jen.Id("vs").Dot("Add").Call(jen.Id("p"), jen.Lit("oneOf"), jen.Lit("must match exactly one schema of oneOf, matches ").Op("+").Qual("strconv", "Itoa").Call(jen.Id("n"))))
	}
	if s.Not != nil {
		g.If(rt("Matches").Call(jen.Id(e.dynamicName(s.Not)), jen.Id("v"), jen.Id("p"))).Block(addAt("not", "must not match the schema of not"))
	}
	if s.If != nil && (s.Then != nil || s.Else != nil) {
		matches := rt("Matches").Call(jen.Id(e.dynamicName(s.If)), jen.Id("v"), jen.Id("p"))
		call := func(sub *Schema) jen.Code {
			return jen.Id(e.dynamicName(sub)).Call(jen.Id("v"), jen.Id("p"), jen.Id("vs"))
		}
		switch {
		case s.Then == nil:
			g.If(jen.Op("!").Add(matches)).Block(call(s.Else))
		case s.Else == nil:
			g.If(matches).Block(call(s.Then))
		default:
			g.If(matches).Block(call(s.Then)).Else().Block(call(s.Else))
		}
	}
	var cases []jen.Code
	if str := e.dynamicString(s); len(str) > 0 {
		cases = append(cases, jen.Case(rt("String")).Block(str...))
	}
	if num := e.dynamicNumber(s); len(num) > 0 {
		cases = append(cases, jen.Case(rt("Number")).Block(num...))
	}
	if obj := e.dynamicObject(s); len(obj) > 0 {
		cases = append(cases, jen.Case(rt("Object")).Block(obj...))
	}
	if arr := e.dynamicArray(s); len(arr) > 0 {
		cases = append(cases, jen.Case(rt("Array")).Block(arr...))
	}
	if len(cases) > 0 {
		g.Switch(jen.Id("v").Dot("Kind")).Block(cases...)
	}
}

func kindName(t string) string {
	return map[string]string{"string": "String", "number": "Number", "boolean": "Bool", "object": "Object", "array": "Array", "null": "Null"}[t]
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// valueLiteral returns a typed.Value composite literal for a JSON node.
func valueLiteral(n *Node) *jen.Statement {
	switch n.Kind {
	case KindNull:
		return rt("Value").Values()
	case KindBool:
		return rt("Value").Values(jen.Dict{jen.Id("Kind"): rt("Bool"), jen.Id("Bool"): jen.Lit(n.Bool)})
	case KindNumber:
		return rt("Value").Values(jen.Dict{jen.Id("Kind"): rt("Number"), jen.Id("Text"): jen.Lit(n.Str)})
	case KindString:
		return rt("Value").Values(jen.Dict{jen.Id("Kind"): rt("String"), jen.Id("Text"): jen.Lit(n.Str)})
	case KindArray:
		var items []jen.Code
		for _, it := range n.Items {
			items = append(items, valueLiteral(it))
		}
		return rt("Value").Values(jen.Dict{jen.Id("Kind"): rt("Array"), jen.Id("Items"): jen.Index().Add(rt("Value")).Values(items...)})
	}
	var members []jen.Code
	for _, m := range n.Members {
		members = append(members, jen.Values(jen.Dict{jen.Id("Key"): jen.Lit(m.Key), jen.Id("Value"): valueLiteral(m.Value)}))
	}
	return rt("Value").Values(jen.Dict{jen.Id("Kind"): rt("Object"), jen.Id("Members"): jen.Index().Add(rt("ValueMember")).Values(members...)})
}

func (e *emitter) dynamicString(s *Schema) []jen.Code { return e.dynamicRules(s, "string") }

func (e *emitter) dynamicNumber(s *Schema) []jen.Code {
	checks := e.dynamicRules(s, "number")
	if len(checks) == 0 {
		return nil
	}
	return append([]jen.Code{
		jen.List(jen.Id("d"), jen.Id("ok")).Op(":=").Id("v").Dot("Decimal").Call(),
		jen.If(jen.Op("!").Id("ok")).Block(addAt("type", "number out of range (exponent beyond ±400)"), jen.Return()),
	}, checks...)
}

func (e *emitter) dynamicObject(s *Schema) []jen.Code {
	var out []jen.Code
	needLoop := len(s.Properties) > 0 || len(s.PatternProperties) > 0 || s.AdditionalProperties != nil || s.PropertyNames != nil
	if needLoop {
		out = append(out, jen.For(jen.Id("i").Op(":=").Range().Id("v").Dot("Members")).BlockFunc(func(g *jen.Group) {
			g.Id("m").Op(":=").Op("&").Id("v").Dot("Members").Index(jen.Id("i"))
			g.Id("q").Op(":=").Id("p").Dot("Field").Call(jen.Id("m").Dot("Key"))
			tracked := s.AdditionalProperties != nil
			if tracked {
				g.Id("declared").Op(":=").False()
			}
			if len(s.Properties) > 0 {
				g.Switch(jen.Id("m").Dot("Key")).BlockFunc(func(sw *jen.Group) {
					for _, p := range s.Properties {
						body := []jen.Code{jen.Id(e.dynamicName(p.Schema)).Call(jen.Op("&").Id("m").Dot("Value"), jen.Op("&").Id("q"), jen.Id("vs"))}
						if tracked {
							body = append(body, jen.Id("declared").Op("=").True())
						}
						sw.Case(jen.Lit(p.Name)).Block(body...)
					}
				})
			}
			for _, pp := range s.PatternProperties {
				body := []jen.Code{jen.Id(e.dynamicName(pp.Schema)).Call(jen.Op("&").Id("m").Dot("Value"), jen.Op("&").Id("q"), jen.Id("vs"))}
				if tracked {
					body = append(body, jen.Id("declared").Op("=").True())
				}
				g.If(e.patternVar(pp.Pattern).Dot("MatchString").Call(jen.Id("m").Dot("Key"))).Block(body...)
			}
			if tracked {
				ap := s.AdditionalProperties
				var body jen.Code
				if ap.Always != nil && !*ap.Always {
					body = jen.Id("vs").Dot("Add").Call(jen.Op("&").Id("q"), jen.Lit("additionalProperties"), jen.Lit("unknown property; not allowed by the schema"))
				} else {
					body = jen.Id(e.dynamicName(ap)).Call(jen.Op("&").Id("m").Dot("Value"), jen.Op("&").Id("q"), jen.Id("vs"))
				}
				g.If(jen.Op("!").Id("declared")).Block(body)
			}
			if s.PropertyNames != nil {
				g.Id("name").Op(":=").Add(rt("Value")).Values(jen.Dict{jen.Id("Kind"): rt("String"), jen.Id("Text"): jen.Id("m").Dot("Key")})
				g.Id(e.dynamicName(s.PropertyNames)).Call(jen.Op("&").Id("name"), jen.Op("&").Id("q"), jen.Id("vs"))
			}
		}))
	}
	out = append(out, e.dynamicRules(s, "object")...)
	for _, d := range s.DependentSchemas {
		out = append(out, jen.If(jen.List(jen.Id("_"), jen.Id("ok")).Op(":=").Id("v").Dot("Get").Call(jen.Lit(d.Property)), jen.Id("ok")).Block(
			jen.Id(e.dynamicName(d.Schema)).Call(jen.Id("v"), jen.Id("p"), jen.Id("vs"))))
	}
	if u := s.UnevaluatedProperties; u != nil {
		// The members no keyword here, nor a subschema that matched,
		// evaluated.
		body := []jen.Code{jen.Id("seen").Op(":=").Make(jen.Index().Bool(), jen.Len(jen.Id("v").Dot("Members")))}
		body = append(body, e.evalBody("Props", s, false)...)
		body = append(body, jen.For(jen.Id("i").Op(":=").Range().Id("v").Dot("Members")).Block(
			jen.If(jen.Id("seen").Index(jen.Id("i"))).Block(jen.Continue()),
			jen.Id("q").Op(":=").Id("p").Dot("Field").Call(jen.Id("v").Dot("Members").Index(jen.Id("i")).Dot("Key")),
			e.applyTo(u, jen.Op("&").Id("v").Dot("Members").Index(jen.Id("i")).Dot("Value"), "unevaluatedProperties", "unevaluated property; not allowed by the schema"),
		))
		out = append(out, jen.Block(body...))
	}
	return out
}

// applyTo checks value v at path q against sub: a false schema is a
// violation with keyword and msg, any other a call of its validator.
func (e *emitter) applyTo(sub *Schema, v jen.Code, keyword, msg string) jen.Code {
	if sub.Always != nil && !*sub.Always {
		return jen.Id("vs").Dot("Add").Call(jen.Op("&").Id("q"), jen.Lit(keyword), jen.Lit(msg))
	}
	return jen.Id(e.dynamicName(sub)).Call(v, jen.Op("&").Id("q"), jen.Id("vs"))
}

// evalName names the function that marks the members (kind "Props") or
// items ("Items") a schema evaluates, for unevaluatedProperties and
// unevaluatedItems.
func (e *emitter) evalName(kind string, s *Schema, sc scope) string {
	return "eval" + kind + strings.TrimPrefix(e.instanceName(s, sc), "check")
}

// evalBody marks in seen what s evaluates of v: through its own keywords
// and through the in-place subschemas that match v. withUnevaluated says
// whether s's own unevaluated keyword counts (it does when s is a
// subschema of the schema asking: it evaluates everything left).
func (e *emitter) evalBody(kind string, s *Schema, withUnevaluated bool) []jen.Code {
	var out []jen.Code
	all := func() []jen.Code {
		return []jen.Code{jen.For(jen.Id("i").Op(":=").Range().Id("seen")).Block(jen.Id("seen").Index(jen.Id("i")).Op("=").True()), jen.Return()}
	}
	if s.Always != nil {
		return nil // a boolean schema evaluates nothing; only keywords do
	}
	if kind == "Props" {
		if s.AdditionalProperties != nil || withUnevaluated && s.UnevaluatedProperties != nil {
			return all()
		}
		if len(s.Properties) > 0 || len(s.PatternProperties) > 0 {
			out = append(out, jen.For(jen.Id("i").Op(":=").Range().Id("v").Dot("Members")).BlockFunc(func(g *jen.Group) {
				g.Id("key").Op(":=").Id("v").Dot("Members").Index(jen.Id("i")).Dot("Key")
				var cond *jen.Statement
				for _, p := range s.Properties {
					c := jen.Id("key").Op("==").Lit(p.Name)
					if cond == nil {
						cond = c
					} else {
						cond = cond.Op("||").Add(c)
					}
				}
				for _, pp := range s.PatternProperties {
					c := e.patternVar(pp.Pattern).Dot("MatchString").Call(jen.Id("key"))
					if cond == nil {
						cond = c
					} else {
						cond = cond.Op("||").Add(c)
					}
				}
				g.If(cond).Block(jen.Id("seen").Index(jen.Id("i")).Op("=").True())
			}))
		}
	} else {
		if s.Items != nil || withUnevaluated && s.UnevaluatedItems != nil {
			return all()
		}
		if n := len(s.PrefixItems); n > 0 {
			out = append(out, jen.For(jen.Id("i").Op(":=").Lit(0).Op(";").Id("i").Op("<").Lit(n).Op("&&").Id("i").Op("<").Len(jen.Id("seen")).Op(";").Id("i").Op("++")).Block(
				jen.Id("seen").Index(jen.Id("i")).Op("=").True()))
		}
		if s.Contains != nil {
			out = append(out, jen.For(jen.Id("i").Op(":=").Range().Id("v").Dot("Items")).Block(
				jen.Id("q").Op(":=").Id("p").Dot("Index").Call(jen.Id("i")),
				jen.If(rt("Matches").Call(jen.Id(e.dynamicName(s.Contains)), jen.Op("&").Id("v").Dot("Items").Index(jen.Id("i")), jen.Op("&").Id("q"))).Block(
					jen.Id("seen").Index(jen.Id("i")).Op("=").True())))
		}
	}
	call := func(sub *Schema) jen.Code {
		sc := e.enter(sub)
		e.needEval(kind, sub, sc)
		return jen.Id(e.evalName(kind, sub, sc)).Call(jen.Id("v"), jen.Id("p"), jen.Id("seen"))
	}
	matches := func(sub *Schema) *jen.Statement {
		return rt("Matches").Call(jen.Id(e.dynamicName(sub)), jen.Id("v"), jen.Id("p"))
	}
	if s.Ref != nil {
		out = append(out, call(s.Ref))
	}
	if s.DynamicRef != nil {
		out = append(out, call(e.dynamicTarget(s)))
	}
	for _, sub := range s.AllOf {
		out = append(out, call(sub))
	}
	for _, sub := range append(append([]*Schema{}, s.AnyOf...), s.OneOf...) {
		out = append(out, jen.If(matches(sub)).Block(call(sub)))
	}
	if s.If != nil {
		var then, els []jen.Code
		then = append(then, call(s.If))
		if s.Then != nil {
			then = append(then, call(s.Then))
		}
		if s.Else != nil {
			els = append(els, call(s.Else))
		}
		st := jen.If(matches(s.If)).Block(then...)
		if len(els) > 0 {
			st = st.Else().Block(els...)
		}
		out = append(out, st)
	}
	for _, d := range s.DependentSchemas {
		out = append(out, jen.If(jen.List(jen.Id("_"), jen.Id("ok")).Op(":=").Id("v").Dot("Get").Call(jen.Lit(d.Property)), jen.Id("ok")).Block(call(d.Schema)))
	}
	return out
}

// needEval asks for the eval function of sub, emitted with the package.
func (e *emitter) needEval(kind string, sub *Schema, sc scope) {
	key := e.evalName(kind, sub, sc)
	if e.evals[key] {
		return
	}
	e.evals[key] = true
	e.evalQueue = append(e.evalQueue, evalFunc{kind, sub, sc})
}

// evalFunc is one eval function to emit.
type evalFunc struct {
	kind   string
	schema *Schema
	sc     scope
}

// genEval writes the function that marks what s evaluates of a value.
func (e *emitter) genEval(f *jen.File, ef evalFunc) {
	e.cur = e.homes.of(ef.schema)
	f = e.cur.f
	f.Line()
	what := map[string]string{"Props": "members", "Items": "items"}[ef.kind]
	name := e.evalName(ef.kind, ef.schema, ef.sc)
	e.sc = ef.sc
	defer func() { e.sc = nil }()
	f.Comment("// " + name + " marks the " + what + " of v that " + sanitizeLine(ef.schema.Node.File.Path) + "#" + sanitizeLine(ef.schema.Node.Pointer) + " evaluates.")
	body := e.evalBody(ef.kind, ef.schema, true)
	f.Func().Id(name).Params(jen.Id("v").Op("*").Add(rt("Value")), jen.Id("p").Op("*").Add(rt("Path")), jen.Id("seen").Index().Bool()).Block(body...)
}

func (e *emitter) dynamicArray(s *Schema) []jen.Code {
	var out []jen.Code
	if len(s.PrefixItems) > 0 || s.Items != nil {
		out = append(out, jen.For(jen.Id("i").Op(":=").Range().Id("v").Dot("Items")).BlockFunc(func(g *jen.Group) {
			g.Id("q").Op(":=").Id("p").Dot("Index").Call(jen.Id("i"))
			call := func(sub *Schema) jen.Code {
				return jen.Id(e.dynamicName(sub)).Call(jen.Op("&").Id("v").Dot("Items").Index(jen.Id("i")), jen.Op("&").Id("q"), jen.Id("vs"))
			}
			if len(s.PrefixItems) == 0 {
				g.Add(call(s.Items))
				return
			}
			g.Switch(jen.Id("i")).BlockFunc(func(sw *jen.Group) {
				for i, sub := range s.PrefixItems {
					sw.Case(jen.Lit(i)).Block(call(sub))
				}
				if s.Items != nil {
					sw.Default().Block(call(s.Items))
				}
			})
		}))
	}
	out = append(out, e.dynamicRules(s, "array")...)
	if s.Contains != nil {
		min := 1
		if s.MinContains != nil {
			min = *s.MinContains
		}
		var checks []jen.Code
		if min > 0 {
			keyword := "contains"
			if s.MinContains != nil {
				keyword = "minContains"
			}
			checks = append(checks, jen.If(jen.Id("n").Op("<").Lit(min)).Block(addAt(keyword, "must contain at least "+plural(min, "item")+" matching the schema of contains")))
		}
		if s.MaxContains != nil {
			checks = append(checks, jen.If(jen.Id("n").Op(">").Lit(*s.MaxContains)).Block(addAt("maxContains", "must contain at most "+plural(*s.MaxContains, "item")+" matching the schema of contains")))
		}
		if len(checks) > 0 {
			body := []jen.Code{
				jen.Id("n").Op(":=").Lit(0),
				jen.For(jen.Id("i").Op(":=").Range().Id("v").Dot("Items")).Block(
					jen.Id("q").Op(":=").Id("p").Dot("Index").Call(jen.Id("i")),
					jen.If(rt("Matches").Call(jen.Id(e.dynamicName(s.Contains)), jen.Op("&").Id("v").Dot("Items").Index(jen.Id("i")), jen.Op("&").Id("q"))).Block(jen.Id("n").Op("++"))),
			}
			out = append(out, jen.Block(append(body, checks...)...))
		}
	}
	if u := s.UnevaluatedItems; u != nil {
		body := []jen.Code{jen.Id("seen").Op(":=").Make(jen.Index().Bool(), jen.Len(jen.Id("v").Dot("Items")))}
		body = append(body, e.evalBody("Items", s, false)...)
		body = append(body, jen.For(jen.Id("i").Op(":=").Range().Id("v").Dot("Items")).Block(
			jen.If(jen.Id("seen").Index(jen.Id("i"))).Block(jen.Continue()),
			jen.Id("q").Op(":=").Id("p").Dot("Index").Call(jen.Id("i")),
			e.applyTo(u, jen.Op("&").Id("v").Dot("Items").Index(jen.Id("i")), "unevaluatedItems", "unevaluated item; not allowed by the schema"),
		))
		out = append(out, jen.Block(body...))
	}
	return out
}
