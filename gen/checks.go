package gen

import (
	"math/big"
	"strconv"
	"strings"
	"time"
)

// A Rule is one check a schema makes of a value, decided once from the
// compiled schema: the keyword it comes from, what it tests, its bound and
// the message a failing value gets. The typed and the dynamic emitter
// render the same rules, and the generator evaluates them on the defaults
// and examples of the definitions; each does so through a switch on Kind
// whose default fails generation, so a rule nobody renders cannot vanish.
//
// Rules are the checks of one value. What a schema says about the
// values inside it (properties, items, contains) and how it combines
// subschemas (allOf, anyOf, $ref…) is structure, read from Schema.
type Rule struct {
	Keyword string   // the keyword it comes from, as violations name it
	Kind    RuleKind // what it tests
	On      string   // the JSON type it applies to: "string", "number", "array", "object"; "" for any value

	// Op is the comparison a valid value passes, for RuleBound and the
	// count checks: ">=", "<=", ">" or "<".
	Op    string
	Bound *big.Rat // RuleBound, RuleMultipleOf: the number, exactly
	Lit   string   // RuleBound, RuleMultipleOf: the number as the schema writes it
	Count int      // count checks: the bound; RuleScale: the decimal places allowed

	Text   string   // RulePattern: the pattern; RuleFormat: the format; RuleAllowlist: the list's name; RuleDependentRequired: the property present
	Names  []string // RuleType: the types; RuleRequired, RuleDependentRequired: the properties required
	Values []*Node  // RuleEnum: the values; RuleConst: the one value

	NotBefore, NotAfter *time.Duration // RuleWindow: offsets from now, nil when unbounded

	// Message is the violation's message. For RuleType the renderer adds
	// ", got <type>"; allowlists, outbound URLs and date-time windows make
	// theirs at run time (their message here is what is known beforehand).
	Message string
}

// RuleKind is what a Rule tests.
type RuleKind int

// The kinds of rule, in the order rulesOf lists a schema's rules.
const (
	RuleType              RuleKind = iota // the value's JSON type is one of Names
	RuleConst                             // the value equals Values[0]
	RuleEnum                              // the value equals one of Values
	RuleDecimalText                       // a string holds a decimal number literal (x-decimal on a string)
	RuleWindow                            // a date-time lies within NotBefore..NotAfter of now (x-datetime)
	RuleLength                            // the number of code points compares to Count by Op
	RulePattern                           // the string matches Text (RE2, unanchored)
	RuleFormat                            // the string is a valid Text format
	RuleAllowlist                         // the string is in allowlist Text (x-allowlist)
	RuleOutboundURL                       // the URL passes the outbound policy (x-outbound-url)
	RuleScale                             // the number has at most Count decimal places (x-decimal)
	RuleBound                             // the number compares to Bound by Op
	RuleMultipleOf                        // the number is a multiple of Bound
	RuleRequired                          // the object has every member of Names
	RuleProperties                        // the number of members compares to Count by Op
	RuleDependentRequired                 // when member Text is present, so is every member of Names
	RuleItems                             // the number of items compares to Count by Op
	RuleUniqueItems                       // no two items are equal
)

// Format is one value of "format" that mcpgen asserts.
type Format struct {
	Name    string // as in the schema
	Func    string // the runtime/typed function that checks it
	Message string // the violation's message
}

// formats is the one list of the formats mcpgen asserts: the compiler
// accepts these, the emitters call Func, and the generator checks defaults
// with typed.RuleFormat (TestFormatsMatchRuntime keeps the two in step).
var formats = []Format{
	{"date-time", "IsDateTime", "must be an RFC 3339 date-time such as \"2026-01-02T15:04:05Z\""},
	{"date", "IsDate", "must be an RFC 3339 full-date such as \"2026-01-02\""},
	{"email", "IsEmail", "must be an email address"},
	{"uri", "IsURI", "must be an absolute URI"},
	{"uuid", "IsUUID", "must be a UUID such as \"123e4567-e89b-12d3-a456-426614174000\""},
	{"ipv4", "IsIPv4", "must be an IPv4 address in dotted-quad form"},
	{"ipv6", "IsIPv6", "must be an IPv6 address"},
	{"hostname", "IsHostname", "must be a host name"},
}

// formatNamed returns the format called name, or nil.
func formatNamed(name string) *Format {
	for i := range formats {
		if formats[i].Name == name {
			return &formats[i]
		}
	}
	return nil
}

func formatNames() []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.Name
	}
	return names
}

// bounds are the numeric bound keywords: the comparison a valid value
// passes, and the words of the message.
var bounds = []struct{ keyword, op, text string }{
	{"minimum", ">=", "must be >= "},
	{"maximum", "<=", "must be <= "},
	{"exclusiveMinimum", ">", "must be > "},
	{"exclusiveMaximum", "<", "must be < "},
}

// rulesOf decides the rules of s, in the order they are evaluated: what
// any value must be (type, const, enum), then per JSON type.
func rulesOf(s *Schema) []Rule {
	if s.Always != nil {
		return nil
	}
	var out []Rule
	add := func(c Rule) { out = append(out, c) }
	if len(s.Types) > 0 {
		add(Rule{Keyword: "type", Kind: RuleType, Names: s.Types, Message: "must be " + typesText(s.Types)})
	}
	if s.Const != nil {
		add(Rule{Keyword: "const", Kind: RuleConst, Values: []*Node{s.Const}, Message: "must be " + escapeUnsafe(truncate(compactJSON(s.Const)))})
	}
	if len(s.Enum) > 0 {
		// Values are shown as JSON, with the characters that could make a
		// message read differently (bidirectional controls) escaped.
		texts := make([]string, len(s.Enum))
		for i, it := range s.Enum {
			texts[i] = compactJSON(it)
		}
		add(Rule{Keyword: "enum", Kind: RuleEnum, Values: s.Enum, Message: "must be one of " + escapeUnsafe(truncate(strings.Join(texts, ", ")))})
	}

	// Strings.
	if s.DecimalScale != nil {
		add(Rule{Keyword: "x-decimal", Kind: RuleDecimalText, On: "string", Message: "must be a decimal number written as a JSON number literal, such as \"12.50\""})
	}
	if s.NotBefore != nil || s.NotAfter != nil {
		add(Rule{Keyword: "x-datetime", Kind: RuleWindow, On: "string", NotBefore: s.NotBefore, NotAfter: s.NotAfter, Message: "must be within the date-time window"})
	}
	if s.MinLength != nil {
		add(Rule{Keyword: "minLength", Kind: RuleLength, On: "string", Op: ">=", Count: *s.MinLength, Message: "must be at least " + plural(*s.MinLength, "character") + " long"})
	}
	if s.MaxLength != nil {
		add(Rule{Keyword: "maxLength", Kind: RuleLength, On: "string", Op: "<=", Count: *s.MaxLength, Message: "must be at most " + plural(*s.MaxLength, "character") + " long"})
	}
	if s.Pattern != "" {
		add(Rule{Keyword: "pattern", Kind: RulePattern, On: "string", Text: s.Pattern, Message: "must match the pattern " + s.Pattern})
	}
	if f := formatNamed(s.Format); f != nil {
		add(Rule{Keyword: "format", Kind: RuleFormat, On: "string", Text: f.Name, Message: f.Message})
	}
	if s.Allowlist != "" {
		add(Rule{Keyword: "x-allowlist", Kind: RuleAllowlist, On: "string", Text: s.Allowlist, Message: "must be in allowlist " + strconv.Quote(s.Allowlist)})
	}
	if s.OutboundURL {
		add(Rule{Keyword: "x-outbound-url", Kind: RuleOutboundURL, On: "string", Message: "blocked by the outbound URL policy"})
	}

	// Numbers (and the decimal value of an x-decimal string).
	if s.DecimalScale != nil {
		add(Rule{Keyword: "x-decimal", Kind: RuleScale, On: "number", Count: *s.DecimalScale, Message: "must have at most " + plural(*s.DecimalScale, "decimal place")})
	}
	for i, r := range []*big.Rat{s.Minimum, s.Maximum, s.ExclusiveMinimum, s.ExclusiveMaximum} {
		if r == nil {
			continue
		}
		b := bounds[i]
		lit := s.Node.Get(b.keyword).Str
		add(Rule{Keyword: b.keyword, Kind: RuleBound, On: "number", Op: b.op, Bound: r, Lit: lit, Message: b.text + lit})
	}
	if s.MultipleOf != nil {
		lit := s.Node.Get("multipleOf").Str
		add(Rule{Keyword: "multipleOf", Kind: RuleMultipleOf, On: "number", Bound: s.MultipleOf, Lit: lit, Message: "must be a multiple of " + lit})
	}

	// Objects.
	if len(s.Required) > 0 {
		add(Rule{Keyword: "required", Kind: RuleRequired, On: "object", Names: s.Required, Message: "missing required property"})
	}
	if s.MinProperties != nil {
		add(Rule{Keyword: "minProperties", Kind: RuleProperties, On: "object", Op: ">=", Count: *s.MinProperties, Message: "must have at least " + plural(*s.MinProperties, "property")})
	}
	if s.MaxProperties != nil {
		add(Rule{Keyword: "maxProperties", Kind: RuleProperties, On: "object", Op: "<=", Count: *s.MaxProperties, Message: "must have at most " + plural(*s.MaxProperties, "property")})
	}
	for _, d := range s.DependentRequired {
		if len(d.Requires) == 0 {
			continue
		}
		add(Rule{Keyword: "dependentRequired", Kind: RuleDependentRequired, On: "object", Text: d.Property, Names: d.Requires, Message: "is required when " + strconv.Quote(d.Property) + " is present"})
	}

	// Arrays.
	if s.MinItems != nil {
		add(Rule{Keyword: "minItems", Kind: RuleItems, On: "array", Op: ">=", Count: *s.MinItems, Message: "must have at least " + plural(*s.MinItems, "item")})
	}
	if s.MaxItems != nil {
		add(Rule{Keyword: "maxItems", Kind: RuleItems, On: "array", Op: "<=", Count: *s.MaxItems, Message: "must have at most " + plural(*s.MaxItems, "item")})
	}
	if s.UniqueItems {
		add(Rule{Keyword: "uniqueItems", Kind: RuleUniqueItems, On: "array", Message: "items must be unique"})
	}
	return out
}

// compares reports whether a comparison's result (-1, 0, +1) satisfies op.
func compares(cmp int, op string) bool {
	switch op {
	case ">=":
		return cmp >= 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case "<":
		return cmp < 0
	}
	return false
}

// negated returns the comparison that fails op: a violation is written
// as "if v < 2", not "if !(v >= 2)".
func negated(op string) string {
	return map[string]string{">=": "<", "<=": ">", ">": "<=", "<": ">="}[op]
}
