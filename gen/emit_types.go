package gen

import (
	"strconv"
	"strings"
	"time"

	"github.com/mcpgen/mcpgen/runtime/typed"

	"github.com/dave/jennifer/jen"
)

// goType returns the Go type expression of t.
func goType(t *Type) *jen.Statement {
	switch t.Kind {
	case TString, TInt, TFloat, TBool:
		if t.Name != "" {
			return jen.Id(t.Name)
		}
	}
	return baseType(t)
}

// baseType returns the Go type expression of t, a named scalar's
// underlying type for one.
func baseType(t *Type) *jen.Statement {
	switch t.Kind {
	case TString:
		return jen.String()
	case TInt:
		return jen.Int64()
	case TFloat:
		return jen.Float64()
	case TDecimal, TDecimalString:
		return jen.Qual(decimalPkg, "Decimal")
	case TBool:
		return jen.Bool()
	case TTime:
		return jen.Qual("time", "Time")
	case TEnum, TStruct:
		return jen.Id(t.Name)
	case TSlice:
		return jen.Index().Add(goType(t.Elem))
	}
	return rt("Value")
}

func fieldType(f *Field) *jen.Statement {
	t := goType(f.Type)
	if f.Nullable {
		t = rt("Nullable").Types(t)
	}
	if f.Opt() {
		t = rt("Opt").Types(t)
	}
	return t
}

// fieldValue returns the expression of f's plain value inside x, past the
// Opt and Nullable wrappers.
func fieldValue(x *jen.Statement, f *Field) *jen.Statement {
	v := cp(x).Dot(f.GoName)
	if f.Opt() {
		v = v.Dot("Value")
	}
	if f.Nullable {
		v = v.Dot("Value")
	}
	return v
}

// genEnum writes an enum type, its constants and its decode/validate methods.
func (e *emitter) genEnum(f *jen.File, t *Type) {
	for _, c := range docLines(t.Name+" is one of the values "+schemaDoc(t.Schema)+" allows.", t.Schema.Description) {
		f.Add(c)
	}
	f.Type().Id(t.Name).String()
	var consts, cases []jen.Code
	for _, v := range t.Values {
		consts = append(consts, jen.Id(v.GoName).Id(t.Name).Op("=").Lit(v.Value))
		cases = append(cases, jen.Id(v.GoName))
	}
	f.Const().Defs(consts...)
	// The enum's rule is the membership test of decode and validate.
	var keyword, msg string
	for _, r := range t.Schema.Rules {
		switch r.Kind {
		case RuleEnum, RuleConst:
			keyword, msg = r.Keyword, r.Message
		case RuleType: // read by the decoder
		default:
			e.unhandled(r, t.Schema, "typed (enum)")
		}
	}

	if t.Decoded {
		e.genEnumDecode(f, t, keyword, msg)
	}
	// Pointer receivers here and on named scalars: a value receiver costs a
	// compiled pointer wrapper per type.
	f.Func().Params(jen.Id("v").Op("*").Id(t.Name)).Id("validate").Params(validateParams()...).Block(
		jen.Switch(jen.Op("*").Id("v")).Block(jen.Case(cases...).Block(jen.Return())),
		jen.Id("vs").Dot("Add").Call(jen.Id("p"), jen.Lit(keyword), jen.Lit(msg)),
	)
}

// genEnumDecode writes the decode method of an enum type an input uses.
func (e *emitter) genEnumDecode(f *jen.File, t *Type, keyword, msg string) {
	f.Func().Params(jen.Id("v").Op("*").Id(t.Name)).Id("decode").Params(readerParams()...).BlockFunc(func(g *jen.Group) {
		g.List(jen.Id("b"), jen.Id("ok")).Op(":=").Id("r").Dot("StringBytes").Call(jen.Id("p"))
		g.If(jen.Op("!").Id("ok")).Block(jen.Return())
		normalize(g, t.Schema)
		g.Switch(jen.String().Parens(jen.Id("b"))).BlockFunc(func(sw *jen.Group) {
			for _, v := range t.Values {
				sw.Case(jen.Lit(v.Value)).Block(jen.Op("*").Id("v").Op("=").Id(v.GoName))
			}
			sw.Default().Block(jen.Id("r").Dot("Violations").Dot("Add").Call(jen.Id("p"), jen.Lit(keyword), jen.Lit(msg)))
		})
	})
}

// schemaDoc names where s is for a doc comment: "the schema at /$defs/side",
// or "the schema of file common.json" for a file's root.
func schemaDoc(s *Schema) string {
	if s.Node.Pointer == "" {
		return "the schema of file " + sanitizeLine(s.Node.File.Path)
	}
	return "the schema at " + s.Node.Pointer
}

func readerParams() []jen.Code {
	return []jen.Code{jen.Id("r").Op("*").Add(rt("Reader")), jen.Id("p").Op("*").Add(rt("Path"))}
}

func validateParams() []jen.Code {
	return []jen.Code{jen.Id("p").Op("*").Add(rt("Path")), jen.Id("vs").Op("*").Add(rt("Violations"))}
}

// normalize applies x-normalize steps to the byte slice b, which
// r.StringBytes returned, in order. Case mapping goes through the Reader,
// into a buffer it keeps (valid until its next read, as b is).
func normalize(g *jen.Group, s *Schema) {
	for _, step := range s.Normalize {
		switch step {
		case "trim":
			g.Id("b").Op("=").Add(rt("TrimSpace")).Call(jen.Id("b"))
		case "upper":
			g.Id("b").Op("=").Id("r").Dot("Upper").Call(jen.Id("b"))
		case "lower":
			g.Id("b").Op("=").Id("r").Dot("Lower").Call(jen.Id("b"))
		}
	}
}

// genStruct writes a struct type with its decode, validate and encode methods.
func (e *emitter) genStruct(f *jen.File, t *Type, doc string) {
	for _, c := range docLines(doc, t.Schema.Description) {
		f.Add(c)
	}
	f.Type().Id(t.Name).StructFunc(func(g *jen.Group) {
		for i, fl := range t.Fields {
			if i > 0 {
				g.Line()
			}
			d := fl.Schema.Description
			if d == "" {
				d = resolved(fl.Schema).Description
			}
			head := fl.GoName + " is property " + strconv.Quote(fl.JSONName)
			switch {
			case fl.Required:
				head += " (required)"
			case fl.Default != nil:
				head += " (default " + jsonText(fl.Default) + ")"
			}
			head += "."
			for _, c := range docLines(head, d) {
				g.Add(c)
			}
			g.Id(fl.GoName).Add(fieldType(fl))
		}
	})
	if t.Decoded {
		e.genStructDecode(f, t)
		e.genUnmarshal(f, t)
	}
	e.genStructValidate(f, t)
	e.genStructEncode(f, t)
}

// genScalar writes the named type of a shared scalar definition with its
// decode (when an input reaches it) and validate methods.
func (e *emitter) genScalar(f *jen.File, t *Type) {
	for _, c := range docLines(e.typeDoc(t), t.Schema.Description) {
		f.Add(c)
	}
	f.Type().Id(t.Name).Add(baseType(t))
	base := &Type{Kind: t.Kind, Schema: t.Schema}
	if t.Decoded {
		f.Line()
		f.Comment("// decode reads a " + t.Name + " from r, recording every problem.")
		f.Func().Params(jen.Id("v").Op("*").Id(t.Name)).Id("decode").Params(readerParams()...).BlockFunc(func(g *jen.Group) {
			g.Var().Id("x").Add(baseType(t))
			e.decodeValue(g, jen.Id("x"), base, jen.Id("p"), 0)
			g.Op("*").Id("v").Op("=").Id(t.Name).Parens(jen.Id("x"))
		})
	}
	if checks := e.scalarChecks(t); len(checks) > 0 {
		f.Line()
		f.Comment("// validate checks v against its schema, recording every violation.")
		f.Func().Params(jen.Id("v").Op("*").Id(t.Name)).Id("validate").Params(validateParams()...).Block(checks...)
	}
	f.Line()
}

// genSharedCheck writes the function that checks a decimal or date-time
// value of a shared definition, when its schema checks anything.
func (e *emitter) genSharedCheck(f *jen.File, t *Type) {
	checks := e.typedRules(jen.Id("v"), &Type{Kind: t.Kind, Schema: t.Schema}, jen.Id("p"))
	if len(checks) == 0 {
		return
	}
	for _, c := range docLines(t.SharedCheck()+" checks a value of "+schemaDoc(t.Schema)+", recording every violation.", t.Schema.Description) {
		f.Add(c)
	}
	f.Func().Id(t.SharedCheck()).Params(append([]jen.Code{jen.Id("v").Add(goType(t))}, validateParams()...)...).Block(checks...)
	f.Line()
}

// scalarChecks returns the checks of named scalar t's value.
func (e *emitter) scalarChecks(t *Type) []jen.Code {
	return e.checks(baseType(t).Parens(jen.Op("*").Id("v")), &Type{Kind: t.Kind, Schema: t.Schema}, jen.Id("p"), 0)
}

// genUnmarshal writes UnmarshalJSON through the strict decoder and the
// validator, so json.Unmarshal into a generated type checks what a tool
// call checks.
func (e *emitter) genUnmarshal(f *jen.File, t *Type) {
	f.Comment("// UnmarshalJSON implements json.Unmarshaler with the strict decoder, then")
	f.Comment("// validates; errors are *mcperr.Error values listing every violation.")
	f.Func().Params(jen.Id("x").Op("*").Id(t.Name)).Id("UnmarshalJSON").Params(jen.Id("data").Index().Byte()).Error().BlockFunc(func(g *jen.Group) {
		g.Id("r").Op(":=").Add(rt("GetReader")).Call(jen.Id("data"))
		g.Id("root").Op(":=").Id("r").Dot("Root").Call()
		g.Var().Id("v").Id(t.Name)
		g.Id("v").Dot("decode").Call(jen.Id("r"), jen.Id("root"))
		g.Id("r").Dot("End").Call()
		g.If(jen.Id("vs").Op(":=").Id("r").Dot("Validation").Call(), jen.Id("vs").Op("!=").Nil()).Block(
			jen.Id("v").Dot("validate").Call(jen.Id("root"), jen.Id("vs")))
		g.Id("err").Op(":=").Id("r").Dot("Violations").Dot("Err").Call(jen.Lit("invalid " + t.Name))
		g.Add(rt("PutReader")).Call(jen.Id("r"))
		g.If(jen.Id("err").Op("!=").Nil()).Block(jen.Return(jen.Id("err")))
		g.Op("*").Id("x").Op("=").Id("v")
		g.Return(jen.Nil())
	})
	f.Line()
}

func (e *emitter) genStructDecode(f *jen.File, t *Type) {
	words := (len(t.Fields) + len(t.Present) + 63) / 64
	if words == 0 {
		words = 1
	}
	var required []jen.Code
	anyRequired := len(t.Present) > 0
	for _, fl := range t.Fields {
		if fl.Required {
			required = append(required, jen.Lit(fl.JSONName))
			anyRequired = true
		} else {
			required = append(required, jen.Lit(""))
		}
	}
	for _, name := range t.Present {
		required = append(required, jen.Lit(name))
	}
	f.Comment("// decode reads a " + t.Name + " from r, recording every problem.")
	f.Func().Params(jen.Id("x").Op("*").Id(t.Name)).Id("decode").Params(readerParams()...).BlockFunc(func(g *jen.Group) {
		if len(t.Fields)+len(t.Present) == 0 {
			// No properties: every member is unknown.
			other := jen.Id("r").Dot("SkipExtra").Call(jen.Id("p"), jen.Id("key"), jen.Op("&").Id("extra"))
			if t.Closed {
				other = jen.Id("r").Dot("Unknown").Call(jen.Id("p"), jen.Id("key"))
			} else {
				g.Var().Id("extra").Add(rt("Extra"))
			}
			g.Id("r").Dot("Object").Call(jen.Id("p"), jen.Func().Params(jen.Id("key").Index().Byte()).Block(other))
			return
		}
		g.Var().Id("seen").Index(jen.Lit(words)).Uint64()
		if !t.Closed {
			g.Var().Id("extra").Add(rt("Extra"))
		}
		obj := jen.Id("r").Dot("Object").Call(jen.Id("p"), jen.Func().Params(jen.Id("key").Index().Byte()).Block(
			jen.Switch(jen.String().Parens(jen.Id("key"))).BlockFunc(func(sw *jen.Group) {
				for i, fl := range t.Fields {
					sw.Case(jen.Lit(fl.JSONName)).BlockFunc(func(c *jen.Group) {
						c.Id("q").Op(":=").Id("p").Dot("Field").Call(jen.Lit(fl.JSONName))
						c.If(jen.Id("r").Dot("Duplicate").Call(jen.Id("seen").Index(jen.Empty(), jen.Empty()), jen.Lit(i), jen.Op("&").Id("q"))).Block(jen.Return())
						v := jen.Id("x").Dot(fl.GoName)
						if fl.Opt() {
							c.Add(cp(v).Dot("Set").Op("=").True())
							v = v.Dot("Value")
						}
						if fl.Nullable {
							c.If(jen.Id("r").Dot("Null").Call(jen.Op("&").Id("q"))).Block(
								cp(v).Dot("Null").Op("=").True(),
								jen.Return(),
							)
							v = v.Dot("Value")
						}
						e.decodeValue(c, v, fl.Type, jen.Op("&").Id("q"), 0)
					})
				}
				for i, name := range t.Present {
					// Required but not declared: only its presence matters.
					sw.Case(jen.Lit(name)).Block(
						jen.Id("q").Op(":=").Id("p").Dot("Field").Call(jen.Lit(name)),
						jen.If(jen.Op("!").Id("r").Dot("Duplicate").Call(jen.Id("seen").Index(jen.Empty(), jen.Empty()), jen.Lit(len(t.Fields)+i), jen.Op("&").Id("q"))).Block(
							jen.Id("r").Dot("SkipMember").Call(jen.Op("&").Id("q"))),
					)
				}
				if t.Closed {
					sw.Default().Block(jen.Id("r").Dot("Unknown").Call(jen.Id("p"), jen.Id("key")))
				} else {
					sw.Default().Block(jen.Id("r").Dot("SkipExtra").Call(jen.Id("p"), jen.Id("key"), jen.Op("&").Id("extra")))
				}
			}),
		))
		if anyRequired {
			g.If(jen.Op("!").Add(obj)).Block(jen.Return())
			g.Id("r").Dot("Required").Call(append([]jen.Code{jen.Id("p"), jen.Id("seen").Index(jen.Empty(), jen.Empty())}, required...)...)
		} else {
			g.Add(obj)
		}
		for i, fl := range t.Fields {
			if fl.Default != nil {
				g.If(rt("Absent").Call(jen.Id("seen").Index(jen.Empty(), jen.Empty()), jen.Lit(i))).Block(
					jen.Id("x").Dot(fl.GoName).Op("=").Add(e.fieldLiteral(fl, fl.Default)))
			}
		}
	})
}

// fieldLiteral writes JSON value n as a value of field f's Go type.
func (e *emitter) fieldLiteral(f *Field, n *Node) jen.Code {
	v := e.literal(f.Type, n)
	if f.Nullable {
		if n.Kind == KindNull {
			v = rt("Nullable").Types(goType(f.Type)).Values(jen.Dict{jen.Id("Null"): jen.True()})
		} else {
			v = rt("Nullable").Types(goType(f.Type)).Values(jen.Dict{jen.Id("Value"): v})
		}
	}
	if f.Opt() {
		inner := goType(f.Type)
		if f.Nullable {
			inner = rt("Nullable").Types(inner)
		}
		v = rt("Some").Types(inner).Call(v)
	}
	return v
}

// literal writes JSON value n, valid against t's schema, as a Go value of
// type t: a default the decoder applies. Strings are normalized as the
// decoder would, and the defaults of properties n leaves out apply too.
func (e *emitter) literal(t *Type, n *Node) jen.Code {
	switch t.Kind {
	case TString:
		return jen.Lit(normalized(t.Schema.Normalize, n.Str))
	case TEnum:
		text := normalized(t.Schema.Normalize, n.Str)
		for _, v := range t.Values {
			if v.Value == text {
				return jen.Id(v.GoName)
			}
		}
	case TInt:
		v, _ := typed.ParseInt([]byte(n.Str))
		return intLit(v)
	case TFloat:
		v, _ := strconv.ParseFloat(n.Str, 64)
		return jen.Lit(v)
	case TDecimal, TDecimalString:
		r, _ := parseRat(n.Str)
		return e.decimalVar(r, n.Str)
	case TBool:
		return jen.Lit(n.Bool)
	case TTime:
		v, _ := typed.ParseDateTime(n.Str)
		return timeLiteral(v)
	case TSlice:
		items := make([]jen.Code, len(n.Items))
		for i, it := range n.Items {
			items[i] = e.literal(t.Elem, it)
		}
		return goType(t).Values(items...)
	case TStruct:
		var fields []jen.Code // in field order (a jen.Dict sorts its keys)
		for _, f := range t.Fields {
			v := n.Get(f.JSONName)
			if v == nil {
				v = f.Default
			}
			if v != nil {
				fields = append(fields, jen.Line().Id(f.GoName).Op(":").Add(e.fieldLiteral(f, v)))
			}
		}
		if len(fields) > 0 {
			fields = append(fields, jen.Line())
		}
		return jen.Id(t.Name).Values(fields...)
	case TValue:
		return valueLiteral(n)
	}
	panic("gen: no Go literal of " + valueText(n) + " for a type of kind " + strconv.Itoa(int(t.Kind)))
}

// timeLiteral writes t as a time.Date call, in UTC or at its fixed offset.
func timeLiteral(t time.Time) jen.Code {
	loc := jen.Qual("time", "UTC")
	if _, off := t.Zone(); off != 0 {
		loc = jen.Qual("time", "FixedZone").Call(jen.Lit(""), jen.Lit(off))
	}
	return jen.Qual("time", "Date").Call(jen.Lit(t.Year()), jen.Qual("time", t.Month().String()), jen.Lit(t.Day()),
		jen.Lit(t.Hour()), jen.Lit(t.Minute()), jen.Lit(t.Second()), jen.Lit(t.Nanosecond()), loc)
}

// decodeValue writes statements reading one value of type t into target.
func (e *emitter) decodeValue(g *jen.Group, target *jen.Statement, t *Type, p jen.Code, depth int) {
	read := func(method string, args ...jen.Code) {
		g.List(cp(target), jen.Id("_")).Op("=").Id("r").Dot(method).Call(append([]jen.Code{p}, args...)...)
	}
	if t.NamedScalar() {
		g.Add(cp(target).Dot("decode").Call(jen.Id("r"), p))
		return
	}
	switch t.Kind {
	case TString:
		s := t.Schema
		if len(s.Normalize) == 0 && s.Allowlist == "" {
			read("String")
			return
		}
		g.If(jen.List(jen.Id("b"), jen.Id("ok")).Op(":=").Id("r").Dot("StringBytes").Call(p), jen.Id("ok")).BlockFunc(func(b *jen.Group) {
			normalize(b, s)
			if s.Allowlist == "" {
				b.Add(cp(target).Op("=").String().Parens(jen.Id("b")))
				return
			}
			// An allowed value is the list's own string (no allocation); the
			// validator reports any other. No return here: inside an array
			// the item is appended after this.
			b.If(jen.List(jen.Id("s"), jen.Id("ok")).Op(":=").Id(allowlistVar(s.Allowlist)).Dot("Lookup").Call(jen.Id("b")), jen.Id("ok")).Block(
				cp(target).Op("=").Id("s"),
			).Else().Block(
				cp(target).Op("=").String().Parens(jen.Id("b")),
			)
		})
	case TInt:
		read("Int")
	case TFloat:
		read("Float")
	case TBool:
		read("Bool")
	case TTime:
		read("DateTime")
	case TDecimal:
		read("Decimal", jen.False())
	case TDecimalString:
		read("Decimal", jen.True())
	case TValue:
		read("Value")
	case TEnum, TStruct:
		g.Add(cp(target).Dot("decode").Call(jen.Id("r"), p))
	case TSlice:
		i, q, item := "i"+strconv.Itoa(depth), "q"+strconv.Itoa(depth), "item"+strconv.Itoa(depth)
		g.Id("r").Dot("Array").Call(p, jen.Func().Params(jen.Id(i).Int()).BlockFunc(func(b *jen.Group) {
			b.Id(q).Op(":=").Add(pathExpr(p)).Dot("Index").Call(jen.Id(i))
			b.Var().Id(item).Add(goType(t.Elem))
			e.decodeValue(b, jen.Id(item), t.Elem, jen.Op("&").Id(q), depth+1)
			b.Add(cp(target).Op("=").Append(cp(target), jen.Id(item)))
		}))
	}
}

// pathExpr turns a *Path expression into one whose methods can be called.
func pathExpr(p jen.Code) *jen.Statement { return jen.Parens(p) }

func allowlistVar(name string) string { return "Allowlist" + GoName(name) }

// allowlistCheck reports v at path p when allowlist name does not hold it.
// The message comes from the list as it is when checked (it names the
// allowed values, or counts them), so a list replaced at run time reports
// its new values.
func allowlistCheck(name string, v *jen.Statement, p jen.Code) jen.Code {
	return jen.If(jen.Id("msg").Op(":=").Id(allowlistVar(name)).Dot("Violation").Call(v), jen.Id("msg").Op("!=").Lit("")).Block(
		jen.Id("vs").Dot("Add").Call(p, jen.Lit("x-allowlist"), jen.Id("msg")))
}

func (e *emitter) genStructValidate(f *jen.File, t *Type) {
	f.Comment("// Validate checks x against its schema and returns every violation as a")
	f.Comment("// *mcperr.Error (MCP-001, or MCP-015/MCP-016 for allowlists and outbound URLs).")
	f.Func().Params(jen.Id("x").Op("*").Id(t.Name)).Id("Validate").Params().Error().Block(
		jen.Var().Id("vs").Add(rt("Violations")),
		jen.Var().Id("root").Add(rt("Path")),
		jen.Id("x").Dot("validate").Call(jen.Op("&").Id("root"), jen.Op("&").Id("vs")),
		jen.Return(jen.Id("vs").Dot("Err").Call(jen.Lit("invalid "+t.Name))),
	)
	f.Line()
	// A tool's root is typed even when dynamic refs are reached from it: it
	// is where every dynamic scope starts.
	e.sc = e.enter(t.Schema)
	defer func() { e.sc = nil }()
	for _, r := range t.Schema.Rules {
		switch r.Kind {
		case RuleType, RuleRequired: // checked by the decoder
		default:
			e.unhandled(r, t.Schema, "typed (struct)")
		}
	}
	f.Func().Params(jen.Id("x").Op("*").Id(t.Name)).Id("validate").Params(validateParams()...).BlockFunc(func(g *jen.Group) {
		for _, fl := range t.Fields {
			var body []jen.Code
			inner := &jen.Group{}
			_ = inner
			stmts := e.checks(fieldValue(jen.Id("x"), fl), fl.Type, jen.Op("&").Id("q"), 0)
			if len(stmts) == 0 {
				continue
			}
			body = append(body, jen.Id("q").Op(":=").Id("p").Dot("Field").Call(jen.Lit(fl.JSONName)))
			body = append(body, stmts...)
			var cond jen.Code
			switch {
			case fl.Opt() && fl.Nullable:
				cond = jen.Id("x").Dot(fl.GoName).Dot("Set").Op("&&").Op("!").Id("x").Dot(fl.GoName).Dot("Value").Dot("Null")
			case fl.Opt():
				cond = jen.Id("x").Dot(fl.GoName).Dot("Set")
			case fl.Nullable:
				cond = jen.Op("!").Id("x").Dot(fl.GoName).Dot("Null")
			}
			if cond != nil {
				g.If(cond).Block(body...)
			} else {
				g.Block(body...)
			}
		}
	})
}

// checks returns the statements that check value v of type t at path p.
func (e *emitter) checks(v *jen.Statement, t *Type, p jen.Code, depth int) []jen.Code {
	s := t.Schema
	var out []jen.Code
	if t.NamedScalar() {
		if e.checksAnything(func() []jen.Code { return e.scalarChecks(t) }) {
			out = append(out, cp(v).Dot("validate").Call(p, jen.Id("vs")))
		}
		return out
	}
	if fn := t.SharedCheck(); fn != "" {
		if e.checksAnything(func() []jen.Code { return e.typedRules(v, &Type{Kind: t.Kind, Schema: s}, p) }) {
			out = append(out, jen.Id(fn).Call(v, p, jen.Id("vs")))
		}
		return out
	}
	switch t.Kind {
	case TEnum, TStruct:
		out = append(out, cp(v).Dot("validate").Call(p, jen.Id("vs")))
	case TValue:
		if s != nil { // nil for the items of an array without "items": anything goes
			out = append(out, jen.Id(e.dynamicName(s)).Call(jen.Op("&").Add(v), p, jen.Id("vs")))
		}
	case TFloat:
		// A float64 can hold what JSON cannot; a handler's output may.
		out = append(out, jen.If(jen.Qual("math", "IsNaN").Call(v).Op("||").Qual("math", "IsInf").Call(v, jen.Lit(0))).Block(
			jen.Id("vs").Dot("Add").Call(p, jen.Lit("type"), jen.Lit("must be a finite number"))))
		out = append(out, e.typedRules(v, t, p)...)
	case TSlice:
		out = append(out, e.typedRules(v, t, p)...)
		i, q := "i"+strconv.Itoa(depth), "q"+strconv.Itoa(depth)
		inner := e.checks(cp(v).Index(jen.Id(i)), t.Elem, jen.Op("&").Id(q), depth+1)
		if len(inner) > 0 {
			body := append([]jen.Code{jen.Id(q).Op(":=").Add(pathExpr(p)).Dot("Index").Call(jen.Id(i))}, inner...)
			out = append(out, jen.For(jen.Id(i).Op(":=").Range().Add(v)).Block(body...))
		}
	default:
		out = append(out, e.typedRules(v, t, p)...)
	}
	return out
}

// checksAnything reports whether build, which renders the checks of a
// named type declared elsewhere, writes any. It runs against a scratch
// file: the decimals and patterns those checks name belong to the type's
// own file, and would otherwise be declared, unused, in the caller's too.
func (e *emitter) checksAnything(build func() []jen.Code) bool {
	cur := e.cur
	e.cur = &fileBuilder{owner: cur.owner, f: cur.f, decimals: map[string]string{}, patterns: map[string]string{}}
	defer func() { e.cur = cur }()
	return len(build()) > 0
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		return strconv.Itoa(n) + " " + word[:len(word)-1] + "ies"
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func formatFunc(f string) string { return formatNamed(f).Func }

func (e *emitter) genStructEncode(f *jen.File, t *Type) {
	f.Comment("// AppendJSON appends the JSON encoding of x, properties in schema order.")
	f.Func().Params(jen.Id("x").Op("*").Id(t.Name)).Id("AppendJSON").Params(jen.Id("b").Index().Byte()).Index().Byte().BlockFunc(func(g *jen.Group) {
		g.Id("b").Op("=").Append(jen.Id("b"), jen.LitRune('{'))
		// Whether a comma goes before a member is known while generating
		// until an optional member may or may not have been written; after
		// that, the last byte tells (it is '{' only if nothing was written).
		const empty, nonEmpty, unknown = 0, 1, 2
		state := empty
		for _, fl := range t.Fields {
			key := string(appendKey(fl.JSONName))
			var body []jen.Code
			switch state {
			case empty:
				body = append(body, jen.Id("b").Op("=").Append(jen.Id("b"), jen.Lit(key).Op("...")))
			case nonEmpty:
				body = append(body, jen.Id("b").Op("=").Append(jen.Id("b"), jen.Lit(","+key).Op("...")))
			default:
				body = append(body,
					jen.If(jen.Id("b").Index(jen.Len(jen.Id("b")).Op("-").Lit(1)).Op("!=").LitRune('{')).Block(
						jen.Id("b").Op("=").Append(jen.Id("b"), jen.LitRune(','))),
					jen.Id("b").Op("=").Append(jen.Id("b"), jen.Lit(key).Op("...")))
			}
			val := appendValue(fieldValue(jen.Id("x"), fl), fl.Type, 0)
			if fl.Nullable {
				nv := jen.Id("x").Dot(fl.GoName)
				if fl.Opt() {
					nv = nv.Dot("Value")
				}
				body = append(body, jen.If(nv.Dot("Null")).Block(jen.Id("b").Op("=").Append(jen.Id("b"), jen.Lit("null").Op("..."))).Else().Block(val...))
			} else {
				body = append(body, val...)
			}
			if !fl.Opt() {
				for _, c := range body {
					g.Add(c)
				}
				state = nonEmpty
			} else {
				g.If(jen.Id("x").Dot(fl.GoName).Dot("Set")).Block(body...)
				if state == empty {
					state = unknown
				}
			}
		}
		g.Return(jen.Append(jen.Id("b"), jen.LitRune('}')))
	})
	f.Line()
	f.Comment("// MarshalJSON implements json.Marshaler with AppendJSON.")
	f.Func().Params(jen.Id("x").Id(t.Name)).Id("MarshalJSON").Params().Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Return(jen.Id("x").Dot("AppendJSON").Call(jen.Nil()), jen.Nil()))
}

func appendKey(name string) []byte {
	var b []byte
	b = typed.AppendString(b, name)
	return append(b, ':')
}

// appendValue returns statements appending value v of type t to b.
func appendValue(v *jen.Statement, t *Type, depth int) []jen.Code {
	if t.NamedScalar() {
		v = baseType(t).Parens(v)
	}
	call := func(fn string) []jen.Code {
		return []jen.Code{jen.Id("b").Op("=").Add(rt(fn)).Call(jen.Id("b"), v)}
	}
	switch t.Kind {
	case TString:
		return call("AppendString")
	case TEnum:
		return []jen.Code{jen.Id("b").Op("=").Add(rt("AppendString")).Call(jen.Id("b"), jen.String().Parens(v))}
	case TInt:
		return call("AppendInt")
	case TFloat:
		return call("AppendFloat")
	case TDecimal:
		return call("AppendDecimal")
	case TDecimalString:
		return call("AppendDecimalString")
	case TBool:
		return call("AppendBool")
	case TTime:
		return call("AppendTime")
	case TSlice:
		i := "i" + strconv.Itoa(depth)
		return []jen.Code{
			jen.Id("b").Op("=").Append(jen.Id("b"), jen.LitRune('[')),
			jen.For(jen.Id(i).Op(":=").Range().Add(v)).Block(append([]jen.Code{
				jen.If(jen.Id(i).Op(">").Lit(0)).Block(jen.Id("b").Op("=").Append(jen.Id("b"), jen.LitRune(','))),
			}, appendValue(cp(v).Index(jen.Id(i)), t.Elem, depth+1)...)...),
			jen.Id("b").Op("=").Append(jen.Id("b"), jen.LitRune(']')),
		}
	}
	return []jen.Code{jen.Id("b").Op("=").Add(v).Dot("AppendJSON").Call(jen.Id("b"))}
}

var _ = strings.TrimSpace

// intLit writes an integer constant without a conversion, as a person would.
func intLit(v int64) jen.Code { return jen.Id(strconv.FormatInt(v, 10)) }
