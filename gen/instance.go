package gen

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/mcpgen/mcpgen/runtime/typed"
)

// The values a definition holds for a schema, its "default" and its
// "examples", are checked against that schema at generate time, as the
// generated validator would check them at run time: a default is what a
// handler is given when the caller leaves the property out, and an
// example is what a client shows a model, so neither may be invalid.

// instanceViolation is one way a value from a definition file fails its
// schema: where in the value, the keyword, the message.
type instanceViolation struct {
	at, keyword, message string
}

// instanceChecker evaluates values from definition files against compiled
// schemas with the same rules the generated validators apply. Two rules
// depend on the moment or the network stack, and are left to run time,
// where an applied default is validated like any input: x-datetime windows
// (they move with the clock) and x-outbound-url.
type instanceChecker struct {
	lists    map[string]*typed.Allowlist
	patterns map[string]*regexp.Regexp
	scope    []*resource // the dynamic scope: resources entered, outermost first
}

func newInstanceChecker(lists []*AllowlistDecl) *instanceChecker {
	ic := &instanceChecker{lists: map[string]*typed.Allowlist{}, patterns: map[string]*regexp.Regexp{}}
	for _, a := range lists {
		ic.lists[a.Name] = typed.NewAllowlist(a.Name, a.Values...)
	}
	return ic
}

// evaluated records the members and items of a value that a schema
// evaluated, for unevaluatedProperties and unevaluatedItems.
type evaluated struct {
	props map[string]bool
	items map[int]bool
}

func (e *evaluated) prop(key string) {
	if e.props == nil {
		e.props = map[string]bool{}
	}
	e.props[key] = true
}

func (e *evaluated) item(i int) {
	if e.items == nil {
		e.items = map[int]bool{}
	}
	e.items[i] = true
}

func (e *evaluated) merge(o evaluated) {
	for k := range o.props {
		e.prop(k)
	}
	for i := range o.items {
		e.item(i)
	}
}

// valid reports whether v passes s, and what s evaluated of it.
func (ic *instanceChecker) valid(s *Schema, v *Node, at string) (bool, evaluated) {
	var scratch []instanceViolation
	ev := ic.validate(s, v, at, &scratch)
	return len(scratch) == 0, ev
}

// validate appends every violation of s by v, found at pointer at of the
// value, to out, and returns what s evaluated of v.
func (ic *instanceChecker) validate(s *Schema, v *Node, at string, out *[]instanceViolation) evaluated {
	var ev evaluated
	add := func(keyword, msg string) { *out = append(*out, instanceViolation{at, keyword, msg}) }
	if s.res != nil && (len(ic.scope) == 0 || ic.scope[len(ic.scope)-1] != s.res) {
		ic.scope = append(ic.scope, s.res)
		defer func() { ic.scope = ic.scope[:len(ic.scope)-1] }()
	}
	if s.Always != nil {
		if !*s.Always {
			add("false", "no value is allowed here")
		}
		return ev
	}
	if s.Ref != nil {
		ev.merge(ic.validate(s.Ref, v, at, out))
	}
	if s.DynamicRef != nil {
		ev.merge(ic.validate(ic.dynamicTarget(s), v, at, out))
	}
	// x-normalize applies before any check, as in the decoder.
	text := v.Str
	if v.Kind == KindString {
		text = normalized(s.Normalize, v.Str)
	}
	num, numOK := decimal.Decimal{}, false
	switch {
	case v.Kind == KindNumber:
		if num, numOK = typed.ParseDecimal([]byte(v.Str)); !numOK {
			add("type", "number out of range (exponent beyond ±400)")
			return ev
		}
	case v.Kind == KindString && s.DecimalScale != nil:
		num, numOK = typed.ParseDecimalText(text)
	}
	for _, r := range s.Rules {
		if r.On == "number" && !numOK || r.On != "" && r.On != "number" && r.On != v.Kind.String() {
			continue
		}
		if !ic.rule(r, v, text, num, at, out) && r.Kind == RuleType {
			return ev
		}
	}
	for _, sub := range s.AllOf {
		ev.merge(ic.validate(sub, v, at, out))
	}
	if len(s.AnyOf) > 0 {
		matched := false
		for _, sub := range s.AnyOf {
			if ok, sev := ic.valid(sub, v, at); ok {
				matched = true
				ev.merge(sev)
			}
		}
		if !matched {
			add("anyOf", "must match at least one schema of anyOf")
		}
	}
	if len(s.OneOf) > 0 {
		n := 0
		for _, sub := range s.OneOf {
			if ok, sev := ic.valid(sub, v, at); ok {
				n++
				ev.merge(sev)
			}
		}
		if n != 1 {
			add("oneOf", "must match exactly one schema of oneOf, matches "+strconv.Itoa(n))
		}
	}
	if s.Not != nil {
		if ok, _ := ic.valid(s.Not, v, at); ok {
			add("not", "must not match the schema of not")
		}
	}
	if s.If != nil {
		if ok, sev := ic.valid(s.If, v, at); ok {
			ev.merge(sev)
			if s.Then != nil {
				ev.merge(ic.validate(s.Then, v, at, out))
			}
		} else if s.Else != nil {
			ev.merge(ic.validate(s.Else, v, at, out))
		}
	}
	switch v.Kind {
	case KindObject:
		ic.object(s, v, at, out, &ev)
	case KindArray:
		ic.array(s, v, at, out, &ev)
	}
	return ev
}

// dynamicTarget resolves the "$dynamicRef" of s in the dynamic scope: the
// outermost resource entered with a "$dynamicAnchor" of its name decides.
func (ic *instanceChecker) dynamicTarget(s *Schema) *Schema {
	if s.DynamicName != "" {
		for _, r := range ic.scope {
			if n := r.dynamic[s.DynamicName]; n != nil {
				for _, c := range s.DynamicCandidates {
					if c.Node == n {
						return c
					}
				}
			}
		}
	}
	return s.DynamicRef
}

// rule appends the violations of one rule by v (text is a string's
// normalized value, num a number's exact value), and reports whether
// there were none.
func (ic *instanceChecker) rule(r Rule, v *Node, text string, num decimal.Decimal, at string, out *[]instanceViolation) bool {
	before := len(*out)
	add := func(at, msg string) { *out = append(*out, instanceViolation{at, r.Keyword, msg}) }
	switch r.Kind {
	case RuleType:
		for _, t := range r.Names {
			if t == v.Kind.String() || t == "integer" && v.Kind == KindNumber && num.IsInteger() {
				return true
			}
		}
		add(at, r.Message+", got "+v.Kind.String())
	case RuleConst, RuleEnum:
		for _, want := range r.Values {
			if sameJSON(want, v, text) {
				return true
			}
		}
		add(at, r.Message)
	case RuleDecimalText:
		if _, ok := typed.ParseDecimalText(text); !ok {
			add(at, r.Message)
		}
	case RuleWindow, RuleOutboundURL:
		// Checked at run time (see instanceChecker).
	case RuleLength:
		if !compares(cmpInt(typed.RuneCount(text), r.Count), r.Op) {
			add(at, r.Message)
		}
	case RulePattern:
		re, ok := ic.patterns[r.Text]
		if !ok {
			re = regexp.MustCompile(r.Text) // compiled by the compiler already
			ic.patterns[r.Text] = re
		}
		if !re.MatchString(text) {
			add(at, r.Message)
		}
	case RuleFormat:
		if !typed.CheckFormat(r.Text, text) {
			add(at, r.Message)
		}
	case RuleAllowlist:
		if list := ic.lists[r.Text]; list != nil {
			if msg := list.Violation(text); msg != "" {
				add(at, msg)
			}
		}
	case RuleBound:
		bound, _ := typed.ParseDecimal([]byte(r.Lit))
		if !compares(typed.CompareDecimal(num, bound), r.Op) {
			add(at, r.Message)
		}
	case RuleMultipleOf:
		m, _ := typed.ParseDecimal([]byte(r.Lit))
		if !typed.MultipleOf(num, m) {
			add(at, r.Message)
		}
	case RuleScale:
		if typed.DecimalPlaces(num) > r.Count {
			add(at, r.Message)
		}
	case RuleRequired:
		for _, name := range r.Names {
			if v.Get(name) == nil {
				add(at+"/"+escapePointer(name), r.Message)
			}
		}
	case RuleProperties:
		if !compares(cmpInt(len(v.Members), r.Count), r.Op) {
			add(at, r.Message)
		}
	case RuleDependentRequired:
		if v.Get(r.Text) != nil {
			for _, name := range r.Names {
				if v.Get(name) == nil {
					add(at, "property "+strconv.Quote(name)+" "+r.Message)
				}
			}
		}
	case RuleItems:
		if !compares(cmpInt(len(v.Items), r.Count), r.Op) {
			add(at, r.Message)
		}
	case RuleUniqueItems:
		seen := map[string]int{}
		for j, it := range v.Items {
			key := canonicalJSON(it)
			if i, ok := seen[key]; ok {
				add(at, r.Message+"; item "+strconv.Itoa(j)+" repeats item "+strconv.Itoa(i))
				break
			}
			seen[key] = j
		}
	default:
		// A rule kind without its case here: fail generation, as the
		// emitters do, rather than pass the value unchecked.
		add(at, "mcpgen cannot check rule "+strconv.Quote(r.Keyword)+" (kind "+strconv.Itoa(int(r.Kind))+") of this value at generate time")
	}
	return len(*out) == before
}

func (ic *instanceChecker) object(s *Schema, v *Node, at string, out *[]instanceViolation, ev *evaluated) {
	for _, m := range v.Members {
		q := at + "/" + escapePointer(m.Key)
		declared := false
		if p := s.property(m.Key); p != nil {
			ic.validate(p.Schema, m.Value, q, out)
			declared = true
		}
		for _, pp := range s.PatternProperties {
			if ic.pattern(pp.Pattern).MatchString(m.Key) {
				ic.validate(pp.Schema, m.Value, q, out)
				declared = true
			}
		}
		if ap := s.AdditionalProperties; ap != nil && !declared {
			ic.apply(ap, m.Value, q, "additionalProperties", "unknown property; not allowed by the schema", out)
			declared = true
		}
		if declared {
			ev.prop(m.Key)
		}
		if s.PropertyNames != nil {
			ic.validate(s.PropertyNames, &Node{Kind: KindString, Str: m.Key}, q, out)
		}
	}
	for _, d := range s.DependentSchemas {
		if v.Get(d.Property) != nil {
			ev.merge(ic.validate(d.Schema, v, at, out))
		}
	}
	if u := s.UnevaluatedProperties; u != nil {
		for _, m := range v.Members {
			if !ev.props[m.Key] {
				ic.apply(u, m.Value, at+"/"+escapePointer(m.Key), "unevaluatedProperties", "unevaluated property; not allowed by the schema", out)
			}
			ev.prop(m.Key)
		}
	}
}

func (ic *instanceChecker) array(s *Schema, v *Node, at string, out *[]instanceViolation, ev *evaluated) {
	for i, it := range v.Items {
		q := at + "/" + strconv.Itoa(i)
		switch {
		case i < len(s.PrefixItems):
			ic.validate(s.PrefixItems[i], it, q, out)
			ev.item(i)
		case s.Items != nil:
			ic.validate(s.Items, it, q, out)
			ev.item(i)
		}
	}
	if s.Contains != nil {
		n := 0
		for i, it := range v.Items {
			if ok, _ := ic.valid(s.Contains, it, at+"/"+strconv.Itoa(i)); ok {
				n++
				ev.item(i)
			}
		}
		min, keyword := 1, "contains"
		if s.MinContains != nil {
			min, keyword = *s.MinContains, "minContains"
		}
		if n < min {
			*out = append(*out, instanceViolation{at, keyword, "must contain at least " + plural(min, "item") + " matching the schema of contains"})
		}
		if s.MaxContains != nil && n > *s.MaxContains {
			*out = append(*out, instanceViolation{at, "maxContains", "must contain at most " + plural(*s.MaxContains, "item") + " matching the schema of contains"})
		}
	}
	if u := s.UnevaluatedItems; u != nil {
		for i, it := range v.Items {
			if !ev.items[i] {
				ic.apply(u, it, at+"/"+strconv.Itoa(i), "unevaluatedItems", "unevaluated item; not allowed by the schema", out)
			}
			ev.item(i)
		}
	}
}

// apply checks v against sub: the false schema is a violation with
// keyword and msg, as the generated validators report it.
func (ic *instanceChecker) apply(sub *Schema, v *Node, at, keyword, msg string, out *[]instanceViolation) {
	if sub.Always != nil && !*sub.Always {
		*out = append(*out, instanceViolation{at, keyword, msg})
		return
	}
	ic.validate(sub, v, at, out)
}

func (ic *instanceChecker) pattern(p string) *regexp.Regexp {
	re, ok := ic.patterns[p]
	if !ok {
		re = regexp.MustCompile(p)
		ic.patterns[p] = re
	}
	return re
}

// sameJSON reports whether v, whose string value normalizes to text,
// equals want.
func sameJSON(want, v *Node, text string) bool {
	if v.Kind == KindString {
		return want.Kind == KindString && want.Str == text
	}
	return canonicalJSON(want) == canonicalJSON(v)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// normalized applies x-normalize steps to s, in order.
func normalized(steps []string, s string) string {
	if len(steps) == 0 {
		return s
	}
	b := []byte(s)
	for _, op := range steps {
		switch op {
		case "trim":
			b = typed.TrimSpace(b)
		case "upper":
			b = typed.Upper(b)
		case "lower":
			b = typed.Lower(b)
		}
	}
	return string(b)
}

// checkInstances reports every default and example that fails its schema,
// at the value, with what is wrong with it.
func (c *compiler) checkInstances(lists []*AllowlistDecl) {
	ic := newInstanceChecker(lists)
	for _, s := range c.order {
		if s.Default != nil {
			c.checkInstance(ic, s, s.Default, "default")
		}
		for _, ex := range s.Examples {
			c.checkInstance(ic, s, ex, "example")
		}
	}
}

func (c *compiler) checkInstance(ic *instanceChecker, s *Schema, v *Node, what string) {
	var vs []instanceViolation
	ic.validate(s, v, "", &vs)
	if len(vs) == 0 {
		return
	}
	parts := make([]string, len(vs))
	for i, x := range vs {
		parts[i] = x.message + " (" + x.keyword + ")"
		if x.at != "" {
			parts[i] = "at " + x.at + ", " + parts[i]
		}
	}
	c.errorf(v, "%s %s is not valid against its schema: %s", what, valueText(v), escapeUnsafe(strings.Join(parts, "; ")))
}

// escapeUnsafe writes the characters a terminal line must not carry
// (controls, bidirectional and other format characters) as \u escapes,
// as they are in JSON; messages quote enum values and patterns from the
// definitions.
func escapeUnsafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unsafeInSource(r) {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
