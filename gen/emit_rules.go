package gen

import (
	"fmt"
	"math"
	"strconv"

	"github.com/dave/jennifer/jen"
)

// Both emitters render a schema's rules, each through one switch on the
// rule's kind: typedRules for the Go value of a typed kind, dynamicRules
// for a typed.Value. A kind a switch does not handle fails generation
// (unhandled), so a new rule is never dropped without a word.

// unhandled records that where has no rendering of rule r. Generation
// fails with the first such error.
func (e *emitter) unhandled(r Rule, s *Schema, where string) {
	if e.err == nil {
		e.err = fmt.Errorf("gen: rule %q (kind %d) of %s#%s has no %s rendering", r.Keyword, r.Kind, s.Node.File.Path, s.Node.Pointer, where)
	}
}

// typedOn lists the JSON types whose rules apply to a value of a typed
// kind: a rule for another type can never apply to it (minLength on an
// integer), as JSON Schema says.
func typedOn(k TypeKind) map[string]bool {
	switch k {
	case TString, TEnum, TTime:
		return map[string]bool{"string": true}
	case TInt, TFloat, TDecimal:
		return map[string]bool{"number": true}
	case TDecimalString: // a string holding a number: the number's rules apply to it
		return map[string]bool{"string": true, "number": true}
	case TSlice:
		return map[string]bool{"array": true}
	case TStruct:
		return map[string]bool{"object": true}
	}
	return map[string]bool{}
}

// allowlistAfter returns the rule after rules[i] when it is an allowlist
// that applies (on), to be checked with the pattern rules[i].
func allowlistAfter(rules []Rule, i int, on map[string]bool) (Rule, bool) {
	if i+1 >= len(rules) {
		return Rule{}, false
	}
	next := rules[i+1]
	return next, next.Kind == RuleAllowlist && (next.On == "" || on[next.On])
}

var kindWords = map[TypeKind]string{TString: "string", TInt: "int64", TFloat: "float64", TDecimal: "decimal",
	TDecimalString: "decimal string", TBool: "bool", TTime: "time.Time", TEnum: "enum", TStruct: "struct", TSlice: "slice"}

// typedRules returns the statements that check v, a Go value of typed kind
// t.Kind, at path p, against the rules of t's schema. The decoder has
// already checked the rules the Go type itself enforces (type, required,
// a date-time's format, a decimal string's syntax).
func (e *emitter) typedRules(v *jen.Statement, t *Type, p jen.Code) []jen.Code {
	s := t.Schema
	add := func(r Rule) jen.Code { return jen.Id("vs").Dot("Add").Call(p, jen.Lit(r.Keyword), jen.Lit(r.Message)) }
	on := typedOn(t.Kind)
	var out, length []jen.Code
	lengthAt := -1
	for i := 0; i < len(s.Rules); i++ {
		r := s.Rules[i]
		if r.On != "" && !on[r.On] {
			continue
		}
		if next, ok := allowlistAfter(s.Rules, i, on); r.Kind == RulePattern && ok {
			// A pattern and an allowlist side by side: one lookup answers
			// both for an allowed value (Allowlist.Check), reported in the
			// same order as the two checks one after another.
			out = append(out, jen.List(jen.Id("matches"), jen.Id("msg")).Op(":=").Id(allowlistVar(next.Text)).Dot("Check").Call(v, e.patternVar(r.Text)),
				jen.If(jen.Op("!").Id("matches")).Block(add(r)),
				jen.If(jen.Id("msg").Op("!=").Lit("")).Block(jen.Id("vs").Dot("Add").Call(p, jen.Lit("x-allowlist"), jen.Id("msg"))))
			i++
			continue
		}
		switch r.Kind {
		case RuleType, RuleRequired, RuleDecimalText:
			// Checked by the decoder: it reads only the Go type's JSON
			// type, reports missing required properties, and reads a
			// decimal string as a number.
		case RuleFormat:
			if t.Kind == TTime && r.Text == "date-time" {
				continue // read by Reader.DateTime
			}
			out = append(out, jen.If(jen.Op("!").Add(rt(formatFunc(r.Text))).Call(v)).Block(add(r)))
		case RuleLength:
			if lengthAt < 0 {
				lengthAt = len(out)
				out = append(out, nil) // the block goes here
			}
			length = append(length, jen.If(jen.Id("n").Op(negated(r.Op)).Lit(r.Count)).Block(add(r)))
		case RulePattern:
			out = append(out, jen.If(jen.Op("!").Add(e.patternVar(r.Text)).Dot("MatchString").Call(v)).Block(add(r)))
		case RuleAllowlist:
			out = append(out, allowlistCheck(r.Text, v, p))
		case RuleOutboundURL:
			out = append(out, outboundCheck(v, p))
		case RuleWindow:
			out = append(out, jen.If(jen.Id("msg").Op(":=").Add(rt("WindowViolation")).Call(v, windowBounds(r)), jen.Id("msg").Op("!=").Lit("")).Block(
				jen.Id("vs").Dot("Add").Call(p, jen.Lit(r.Keyword), jen.Id("msg"))))
		case RuleBound:
			if c := e.typedBound(v, t.Kind, r, add(r)); c != nil {
				out = append(out, c)
			}
		case RuleMultipleOf:
			out = append(out, e.typedMultipleOf(v, t.Kind, r, add(r)))
		case RuleScale:
			out = append(out, jen.If(rt("DecimalPlaces").Call(v).Op(">").Lit(r.Count)).Block(add(r)))
		case RuleItems:
			out = append(out, jen.If(jen.Len(v).Op(negated(r.Op)).Lit(r.Count)).Block(add(r)))
		case RuleUniqueItems:
			out = append(out, jen.If(jen.List(jen.Id("i"), jen.Id("j")).Op(":=").Add(rt("Duplicates")).Call(v), jen.Id("i").Op(">=").Lit(0)).Block(
				uniqueViolation(r, p)))
		default:
			e.unhandled(r, s, "typed ("+kindWords[t.Kind]+")")
		}
	}
	if lengthAt >= 0 {
		out[lengthAt] = jen.Block(append([]jen.Code{jen.Id("n").Op(":=").Add(rt("RuneCount")).Call(v)}, length...)...)
	}
	return out
}

// typedBound writes a bound of a number of kind k: an int64 compares to
// the nearest integer bound (a bound beyond int64 holds always, or never),
// a float64 to the bound as a float (±Inf beyond its range), a decimal
// exactly.
func (e *emitter) typedBound(v *jen.Statement, k TypeKind, r Rule, violation jen.Code) jen.Code {
	op := negated(r.Op)
	switch k {
	case TInt:
		lower := r.Op == ">=" || r.Op == ">"
		b, ok := intBound(r.Bound, r.Op == ">=" || r.Op == "<")
		switch {
		case ok:
			return jen.If(cp(v).Op(op).Add(intLit(b))).Block(violation)
		case lower == (r.Bound.Sign() > 0): // no int64 is beyond it
			return violation
		}
		return nil
	case TFloat:
		return jen.If(cp(v).Op(op).Add(floatLit(r.Lit))).Block(violation)
	}
	return jen.If(rt("CompareDecimal").Call(v, e.decimalVar(r.Bound, r.Lit)).Op(op).Lit(0)).Block(violation)
}

// typedMultipleOf writes multipleOf for a number of kind k.
func (e *emitter) typedMultipleOf(v *jen.Statement, k TypeKind, r Rule, violation jen.Code) jen.Code {
	m := r.Bound
	switch {
	case k == TInt && m.IsInt() && m.Num().IsInt64():
		return jen.If(cp(v).Op("%").Add(intLit(m.Num().Int64())).Op("!=").Lit(0)).Block(violation)
	case k == TInt:
		return jen.If(jen.Op("!").Add(rt("MultipleOf")).Call(jen.Qual(decimalPkg, "NewFromInt").Call(v), jen.Qual(decimalPkg, "RequireFromString").Call(jen.Lit(ratText(m))))).Block(violation)
	case k == TFloat:
		return jen.If(jen.Op("!").Add(rt("FloatMultipleOf")).Call(v, e.decimalVar(m, r.Lit))).Block(violation)
	}
	return jen.If(jen.Op("!").Add(rt("MultipleOf")).Call(v, e.decimalVar(m, r.Lit))).Block(violation)
}

// floatLit writes a bound as a float64. A bound beyond float64 parses to
// ±Inf, which still compares right: no float is at least 1e309, every
// float is at most it.
func floatLit(lit string) jen.Code {
	switch f, _ := strconv.ParseFloat(lit, 64); {
	case math.IsInf(f, 1):
		return jen.Qual("math", "Inf").Call(jen.Lit(1))
	case math.IsInf(f, -1):
		return jen.Qual("math", "Inf").Call(jen.Lit(-1))
	default:
		return jen.Lit(f)
	}
}

// windowBounds writes the notBefore and notAfter offsets of an x-datetime
// rule, unbounded sides as the extreme durations.
func windowBounds(r Rule) jen.Code {
	var lo, hi jen.Code = jen.Qual("math", "MinInt64"), jen.Qual("math", "MaxInt64")
	if r.NotBefore != nil {
		lo = durationExpr(*r.NotBefore)
	}
	if r.NotAfter != nil {
		hi = durationExpr(*r.NotAfter)
	}
	return jen.List(lo, hi)
}

func outboundCheck(v *jen.Statement, p jen.Code) jen.Code {
	return jen.If(jen.Id("err").Op(":=").Qual(outboundPkg, "CheckURL").Call(v), jen.Id("err").Op("!=").Nil()).Block(
		jen.Id("vs").Dot("Add").Call(p, jen.Lit("x-outbound-url"), jen.Lit("blocked by the outbound URL policy: ").Op("+").Id("err").Dot("Error").Call()))
}

func uniqueViolation(r Rule, p jen.Code) jen.Code {
	return jen.Id("vs").Dot("Add").Call(p, jen.Lit(r.Keyword), jen.Lit(r.Message+"; item ").Op("+").Qual("strconv", "Itoa").Call(jen.Id("j")).Op("+").Lit(" repeats item ").Op("+").Qual("strconv", "Itoa").Call(jen.Id("i")))
}

// dynamicRules returns the statements that check the rules of s for JSON
// type on ("" for the rules of every value) on the typed.Value v at path
// p; a number's rules read its exact value from d.
func (e *emitter) dynamicRules(s *Schema, on string) []jen.Code {
	var out []jen.Code
	lengthDone := false
	text := jen.Id("v").Dot("Text")
	for _, r := range s.Rules {
		if r.On != on {
			continue
		}
		switch r.Kind {
		case RuleType:
			var cond *jen.Statement
			for _, t := range r.Names {
				c := jen.Id("v").Dot("Kind").Op("==").Add(rt(kindName(t)))
				if t == "integer" {
					c = jen.Id("v").Dot("IsInteger").Call()
				}
				if cond == nil {
					cond = c
				} else {
					cond = cond.Op("||").Add(c)
				}
			}
			out = append(out, jen.If(jen.Op("!").Parens(cond)).Block(
				jen.Id("vs").Dot("Add").Call(jen.Id("p"), jen.Lit(r.Keyword), jen.Lit(r.Message+", got ").Op("+").Id("v").Dot("Kind").Dot("String").Call()),
				jen.Return(),
			))
		case RuleConst, RuleEnum:
			var cond *jen.Statement
			for _, it := range r.Values {
				c := jen.Id("v").Dot("Equal").Call(jen.Op("&").Add(valueLiteral(it)))
				if cond == nil {
					cond = c
				} else {
					cond = cond.Op("||").Add(c)
				}
			}
			if r.Kind == RuleEnum {
				cond = jen.Parens(cond)
			}
			out = append(out, jen.If(jen.Op("!").Add(cond)).Block(addAt(r.Keyword, r.Message)))
		case RuleDecimalText:
			// The number's rules apply to the decimal the string holds.
			out = append(out, jen.If(jen.List(jen.Id("d"), jen.Id("ok")).Op(":=").Add(rt("ParseDecimalText")).Call(text), jen.Op("!").Id("ok")).Block(
				addAt(r.Keyword, r.Message),
			).Else().Block(append([]jen.Code{jen.Id("_").Op("=").Id("d")}, e.dynamicRules(s, "number")...)...))
		case RuleWindow:
			out = append(out, jen.If(jen.List(jen.Id("t"), jen.Id("ok")).Op(":=").Add(rt("ParseDateTime")).Call(text), jen.Id("ok")).Block(
				jen.If(jen.Id("msg").Op(":=").Add(rt("WindowViolation")).Call(jen.Id("t"), windowBounds(r)), jen.Id("msg").Op("!=").Lit("")).Block(
					jen.Id("vs").Dot("Add").Call(jen.Id("p"), jen.Lit(r.Keyword), jen.Id("msg")))))
		case RuleLength:
			if !lengthDone {
				lengthDone = true
				out = append(out, jen.Id("n").Op(":=").Add(rt("RuneCount")).Call(text))
			}
			out = append(out, jen.If(jen.Id("n").Op(negated(r.Op)).Lit(r.Count)).Block(addAt(r.Keyword, r.Message)))
		case RulePattern:
			out = append(out, jen.If(jen.Op("!").Add(e.patternVar(r.Text)).Dot("MatchString").Call(text)).Block(addAt(r.Keyword, r.Message)))
		case RuleFormat:
			out = append(out, jen.If(jen.Op("!").Add(rt(formatFunc(r.Text))).Call(text)).Block(addAt(r.Keyword, r.Message)))
		case RuleAllowlist:
			out = append(out, allowlistCheck(r.Text, text, jen.Id("p")))
		case RuleOutboundURL:
			out = append(out, outboundCheck(text, jen.Id("p")))
		case RuleBound:
			out = append(out, jen.If(rt("CompareDecimal").Call(jen.Id("d"), e.decimalVar(r.Bound, r.Lit)).Op(negated(r.Op)).Lit(0)).Block(addAt(r.Keyword, r.Message)))
		case RuleMultipleOf:
			out = append(out, jen.If(jen.Op("!").Add(rt("MultipleOf")).Call(jen.Id("d"), e.decimalVar(r.Bound, r.Lit))).Block(addAt(r.Keyword, r.Message)))
		case RuleScale:
			out = append(out, jen.If(rt("DecimalPlaces").Call(jen.Id("d")).Op(">").Lit(r.Count)).Block(addAt(r.Keyword, r.Message)))
		case RuleRequired:
			// At the object, naming the property, as JSON Schema's output
			// formats do (the typed decoder reports at the property).
			for _, name := range r.Names {
				out = append(out, jen.If(jen.List(jen.Id("_"), jen.Id("ok")).Op(":=").Id("v").Dot("Get").Call(jen.Lit(name)), jen.Op("!").Id("ok")).Block(
					addAt(r.Keyword, r.Message+" "+strconv.Quote(name))))
			}
		case RuleProperties:
			out = append(out, jen.If(jen.Len(jen.Id("v").Dot("Members")).Op(negated(r.Op)).Lit(r.Count)).Block(addAt(r.Keyword, r.Message)))
		case RuleDependentRequired:
			var checks []jen.Code
			for _, name := range r.Names {
				checks = append(checks, jen.If(jen.List(jen.Id("_"), jen.Id("ok")).Op(":=").Id("v").Dot("Get").Call(jen.Lit(name)), jen.Op("!").Id("ok")).Block(
					addAt(r.Keyword, "property "+strconv.Quote(name)+" "+r.Message)))
			}
			out = append(out, jen.If(jen.List(jen.Id("_"), jen.Id("ok")).Op(":=").Id("v").Dot("Get").Call(jen.Lit(r.Text)), jen.Id("ok")).Block(checks...))
		case RuleItems:
			out = append(out, jen.If(jen.Len(jen.Id("v").Dot("Items")).Op(negated(r.Op)).Lit(r.Count)).Block(addAt(r.Keyword, r.Message)))
		case RuleUniqueItems:
			out = append(out, jen.If(jen.List(jen.Id("i"), jen.Id("j")).Op(":=").Add(rt("UniqueItems")).Call(jen.Id("v").Dot("Items")), jen.Id("i").Op(">=").Lit(0)).Block(
				uniqueViolation(r, jen.Id("p"))))
		default:
			e.unhandled(r, s, "dynamic")
		}
	}
	return out
}
