package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	jsonschema6 "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

// The fuzz targets run the generated decoder and validator of each trading
// tool differentially against santhosh-tekuri/jsonschema/v6, which compiles
// the schema the server publishes (tools/list: the author's schema without
// its x- keys) with format assertion on. On every input the two must agree
// except where a deliberate difference explains it
// (docs/json-schema-suite.md "Deliberate differences", docs/definitions.md
// "Extension keywords"):
//
//   - x-normalize: mcpgen trims and re-cases a value before any check, so v6
//     is given the document with the same normalization applied (the
//     schema's x-normalize lists, read from ../schemas): only ASCII letters
//     change case. Trimming is checked both ways: mcpgen may trim ASCII
//     white space only or all Unicode white space (bytes.TrimSpace), but
//     must accept nothing v6 refuses after the wider trim;
//   - extension keywords v6 does not know: x-allowlist, x-decimal scale,
//     x-datetime windows, x-outbound-url (violations whose keyword is x-...);
//   - typed int64 and float64 bounds, the number-literal length cap (100
//     characters) and the exponent cap (±400): "out of range", "number
//     literal longer than";
//   - duplicate keys (refused; encoding/json, under v6, keeps the last),
//     nesting over 64 levels, invalid UTF-8 (encoding/json substitutes
//     U+FFFD), leap seconds in a typed date-time;
//   - a date-time outside RFC 3339's grammar that v6 accepts because it
//     reads the fields with strconv.Atoi ("T+0:00:00Z"): every field is
//     fixed-width digits (rfc3339).
//
// Anything mcpgen accepts must be valid for v6 (after normalization), and
// so must its re-encoding, which must decode again to the same bytes.
//
//	go test ./examples/trading/tools -run '^$' -fuzz '^FuzzDecodeRiskPositionLimitsCheck$' -fuzztime 30s
//
// scripts/fuzz.sh runs every target of the repository for a bounded time.

// fuzzTool is what the differential needs of one tool: decode (the
// generated decoder and validator) and, on success, the re-encoded value.
type fuzzTool struct {
	name   string
	decode func([]byte) ([]byte, error)
}

func decodeEncode[T any, PT interface {
	*T
	AppendJSON([]byte) []byte
}](decode func([]byte) (T, error)) func([]byte) ([]byte, error) {
	return func(data []byte) ([]byte, error) {
		v, err := decode(data)
		if err != nil {
			return nil, err
		}
		return PT(&v).AppendJSON(nil), nil
	}
}

var (
	fuzzRisk   = fuzzTool{"risk.position_limits_check", decodeEncode(DecodeRiskPositionLimitsCheckInput)}
	fuzzWindow = fuzzTool{"features.ohlcv_window", decodeEncode(DecodeFeaturesOHLCVWindowInput)}
	fuzzQuote  = fuzzTool{"execution.sim_quote", decodeEncode(DecodeExecutionSimQuoteInput)}
	fuzzGet    = fuzzTool{"storage.shared_state.get", decodeEncode(DecodeStorageSharedStateGetInput)}
	fuzzSet    = fuzzTool{"storage.shared_state.set", decodeEncode(DecodeStorageSharedStateSetInput)}
)

func FuzzDecodeRiskPositionLimitsCheck(f *testing.F) { fuzzDifferential(f, fuzzRisk) }
func FuzzDecodeFeaturesOHLCVWindow(f *testing.F)     { fuzzDifferential(f, fuzzWindow) }
func FuzzDecodeExecutionSimQuote(f *testing.F)       { fuzzDifferential(f, fuzzQuote) }
func FuzzDecodeStorageSharedStateGet(f *testing.F)   { fuzzDifferential(f, fuzzGet) }
func FuzzDecodeStorageSharedStateSet(f *testing.F)   { fuzzDifferential(f, fuzzSet) }

// fuzzNow is the clock of the x-datetime windows during fuzzing.
const fuzzNow = "2026-11-01T00:00:00Z"

func fuzzDifferential(f *testing.F, tool fuzzTool) {
	restore := setClock(fuzzNow)
	f.Cleanup(restore)
	// The seeds that matter are in testdata/fuzz/<target>; these few keep
	// the target meaningful without them.
	for _, s := range fuzzSeeds[tool.name] {
		f.Add([]byte(s))
	}
	v6 := v6Validator(f, tool.name)
	norm := normalizations(f)[tool.name]
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDifferential(t, tool, v6, norm, data)
	})
}

var fuzzSeeds = map[string][]string{
	"risk.position_limits_check": {`{"symbol":"EURUSD","side":"buy","quantity":1}`, `{"symbol":" eurusd ","side":"SELL","quantity":0.5,"price":1.08,"currentPosition":-3}`},
	"features.ohlcv_window":      {`{"symbol":"SPY","interval":"1d","end":"2026-10-30T00:00:00Z","window":20}`},
	"execution.sim_quote":        {`{"symbol":"ETH/USD","side":"sell","quantity":3,"orderType":"limit","limitPrice":2500.5}`},
	"storage.shared_state.get":   {`{"key":"k1"}`},
	"storage.shared_state.set":   {`{"key":"k1","value":[1,"a",{"b":null}],"ttlSeconds":60,"ifVersion":0}`},
}

// checkDifferential is one fuzz input for one tool; it fails t on a
// disagreement no deliberate difference explains.
func checkDifferential(t *testing.T, tool fuzzTool, v6 *jsonschema6.Schema, norm map[string][]string, data []byte) {
	enc, ours := tool.decode(data)
	if ours != nil {
		checkRefusal(t, ours)
	}
	shape, err := inspect(data)
	switch {
	case err != nil: // encoding/json refuses the syntax
		if ours == nil {
			t.Fatalf("mcpgen accepts %q, which is not JSON (%v)", data, err)
		}
		return
	case shape.reason != "":
		// A document the deliberate differences say mcpgen refuses
		// whatever the schema, and v6 need not (or cannot safely) see.
		if ours == nil {
			t.Fatalf("mcpgen accepts %q, which it must refuse: %s", data, shape.reason)
		}
		return
	}
	doc, err := jsonschema6.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		if ours == nil {
			t.Fatalf("mcpgen accepts %q, which jsonschema/v6 cannot read: %v", data, err)
		}
		return
	}
	wide := v6.Validate(normalize(doc, norm, trimUnicode))
	if ours == nil {
		if wide != nil {
			t.Fatalf("mcpgen accepts %q, which jsonschema/v6 refuses (after x-normalize): %v", data, wide)
		}
		checkReencoded(t, tool, v6, data, enc)
		return
	}
	narrow := v6.Validate(normalize(doc, norm, trimASCII))
	if narrow == nil && !explained(ours, doc) {
		t.Fatalf("mcpgen refuses %q, which jsonschema/v6 accepts, for a reason no deliberate difference explains: %v", data, ours)
	}
}

// checkRefusal checks the shape of a decoder's error: an *mcperr.Error with
// an input code and at least one violation, each with a pointer and a
// keyword.
func checkRefusal(t *testing.T, err error) {
	var e *mcperr.Error
	if !errors.As(err, &e) {
		t.Fatalf("the decoder's error is %T, not *mcperr.Error: %v", err, err)
	}
	switch e.Code {
	case mcperr.CodeInvalidArgs, mcperr.CodeInvalidSymbol, mcperr.CodeSSRFBlocked:
	default:
		t.Fatalf("the decoder's error has code %s: %v", e.Code, err)
	}
	if len(e.Violations) == 0 {
		t.Fatalf("the decoder's error lists no violation: %v", err)
	}
	for _, v := range e.Violations {
		if v.Keyword == "" || v.Message == "" || (v.Pointer != "" && v.Pointer[0] != '/') {
			t.Fatalf("malformed violation %+v in %v", v, err)
		}
	}
}

// checkReencoded checks what the handler gets for an accepted document: its
// encoding is valid for v6, and decodes again to itself.
func checkReencoded(t *testing.T, tool fuzzTool, v6 *jsonschema6.Schema, data, enc []byte) {
	doc, err := jsonschema6.UnmarshalJSON(bytes.NewReader(enc))
	if err != nil {
		t.Fatalf("%q decodes, but its encoding %q is not JSON: %v", data, enc, err)
	}
	if err := v6.Validate(doc); err != nil {
		t.Fatalf("%q decodes, but its encoding %q is refused by jsonschema/v6: %v", data, enc, err)
	}
	again, err := tool.decode(enc)
	if err != nil {
		t.Fatalf("%q decodes, but its encoding %q does not: %v", data, enc, err)
	}
	if !bytes.Equal(again, enc) {
		t.Fatalf("%q decodes and encodes as %q, which encodes as %q", data, enc, again)
	}
}

// explained reports whether every violation of err, a refusal of doc, is a
// deliberate difference.
func explained(err error, doc any) bool {
	var e *mcperr.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, v := range e.Violations {
		if !deliberate(v) && !outsideRFC3339(v, doc) {
			return false
		}
	}
	return true
}

// rfc3339 is RFC 3339's date-time grammar (section 5.6), field by field.
var rfc3339 = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$`)

// outsideRFC3339 reports whether v refuses a date-time of doc, at its
// pointer, that RFC 3339's grammar does not admit.
func outsideRFC3339(v mcperr.Violation, doc any) bool {
	if v.Keyword != "format" || !strings.Contains(v.Message, "RFC 3339 date-time") {
		return false
	}
	at := doc
	for _, part := range strings.Split(strings.TrimPrefix(v.Pointer, "/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		switch x := at.(type) {
		case map[string]any:
			at = x[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return false
			}
			at = x[i]
		default:
			return false
		}
	}
	s, ok := at.(string)
	return ok && !rfc3339.MatchString(s)
}

func deliberate(v mcperr.Violation) bool {
	if strings.HasPrefix(v.Keyword, "x-") {
		return true // x-allowlist, x-decimal, x-datetime, x-outbound-url
	}
	for _, m := range []string{
		"out of range",               // int64, float64, exponent beyond ±400
		"number literal longer than", // 100 characters
		"duplicate key",
		"nested deeper than",
		"valid UTF-8",
		"leap seconds are not supported",
	} {
		if strings.Contains(v.Message, m) {
			return true
		}
	}
	return false
}

// shape is what inspect learnt of a document's syntax.
type shape struct {
	// reason says why mcpgen must refuse the document whatever the schema
	// ("" when nothing does).
	reason string
}

// Caps of the strict reader (docs/json-schema-suite.md).
const (
	fuzzMaxDepth  = 64
	fuzzMaxNumber = 100
	// A literal of at most 100 characters with a written exponent beyond
	// this is beyond ±400 whatever its digits.
	fuzzMaxWrittenExponent = 400 + fuzzMaxNumber
)

// inspect walks data with encoding/json, as v6 reads it, and finds what
// the strict reader refuses on sight: invalid UTF-8, duplicate keys, too
// deep nesting, too long number literals and exponents. It returns an
// error when encoding/json refuses the syntax.
func inspect(data []byte) (shape, error) {
	if !utf8.Valid(data) {
		return shape{"invalid UTF-8"}, nil
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	type frame struct {
		object bool
		keys   map[string]bool
		key    bool // the next token of an object is a key
	}
	var stack []*frame
	var s shape
	note := func(reason string) {
		if s.reason == "" {
			s.reason = reason
		}
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return shape{}, err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if k, isKey := tok.(string); isKey && top != nil && top.object && top.key {
			if top.keys[k] {
				note("duplicate key " + strconv.Quote(k))
			}
			top.keys[k] = true
			top.key = false
			continue
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				stack = append(stack, &frame{object: v == '{', keys: map[string]bool{}, key: v == '{'})
				if len(stack) > fuzzMaxDepth {
					note("nested deeper than 64 levels")
				}
				continue // a container's start is not the end of a member
			case '}', ']':
				stack = stack[:len(stack)-1]
			}
		case json.Number:
			if len(v) > fuzzMaxNumber {
				note("number literal longer than 100 characters")
			} else if exponentBeyond(string(v), fuzzMaxWrittenExponent) {
				note("number with an exponent beyond ±400")
			}
		}
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].key = true
		}
	}
	// encoding/json's Token reads one value and stops; v6 refuses what
	// follows it, and so must mcpgen (UnmarshalJSON tells).
	return s, nil
}

// exponentBeyond reports whether a JSON number literal's written exponent
// is beyond ±limit.
func exponentBeyond(lit string, limit int) bool {
	i := strings.IndexAny(lit, "eE")
	if i < 0 {
		return false
	}
	e := strings.TrimLeft(strings.TrimLeft(lit[i+1:], "+-"), "0")
	if len(e) > 6 {
		return true
	}
	n, _ := strconv.Atoi(e)
	return n > limit
}

// Trimming as x-normalize "trim" may do it: ASCII white space only, or all
// of Unicode's (bytes.TrimSpace).
func trimASCII(s string) string   { return strings.Trim(s, " \t\n\v\f\r") }
func trimUnicode(s string) string { return strings.TrimSpace(s) }

// normalize returns doc (as jsonschema.UnmarshalJSON reads it) with the
// x-normalize steps of norm applied to the top-level members they name.
// Case mapping touches ASCII letters only (docs/definitions.md).
func normalize(doc any, norm map[string][]string, trim func(string) string) any {
	obj, ok := doc.(map[string]any)
	if !ok || len(norm) == 0 {
		return doc
	}
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		s, isString := v.(string)
		if steps, ok := norm[k]; ok && isString {
			for _, step := range steps {
				switch step {
				case "trim":
					s = trim(s)
				case "upper":
					s = mapASCII(s, 'a', 'z', 'A'-'a')
				case "lower":
					s = mapASCII(s, 'A', 'Z', 'a'-'A')
				default:
					panic("fuzz: unknown x-normalize step " + step)
				}
			}
			v = s
		}
		out[k] = v
	}
	return out
}

func mapASCII(s string, lo, hi byte, delta int) string {
	b := []byte(s)
	for i, c := range b {
		if lo <= c && c <= hi {
			b[i] = byte(int(c) + delta)
		}
	}
	return string(b)
}

// v6Validator compiles a tool's published input schema with jsonschema/v6,
// draft 2020-12, format assertion on.
func v6Validator(tb testing.TB, tool string) *jsonschema6.Schema {
	tb.Helper()
	for _, t := range Tools(UnimplementedHandlers{}) {
		if t.Name != tool {
			continue
		}
		doc, err := jsonschema6.UnmarshalJSON(bytes.NewReader(t.InputSchema))
		if err != nil {
			tb.Fatal(err)
		}
		c := jsonschema6.NewCompiler()
		c.DefaultDraft(jsonschema6.Draft2020)
		c.AssertFormat()
		url := "mem:///" + tool + ".json"
		if err := c.AddResource(url, doc); err != nil {
			tb.Fatal(err)
		}
		s, err := c.Compile(url)
		if err != nil {
			tb.Fatal(err)
		}
		return s
	}
	tb.Fatalf("no tool %q", tool)
	return nil
}

var (
	normOnce sync.Once
	normAll  map[string]map[string][]string
	normErr  error
)

// normalizations reads the x-normalize steps of every tool's top-level
// input properties from the definitions in ../schemas, following $ref into
// the same document's $defs or another file's: tool → property → steps.
func normalizations(tb testing.TB) map[string]map[string][]string {
	tb.Helper()
	normOnce.Do(func() { normAll, normErr = readNormalizations("../schemas") })
	if normErr != nil {
		tb.Fatal(normErr)
	}
	return normAll
}

func readNormalizations(dir string) (map[string]map[string][]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	docs := map[string]map[string]any{}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("%s: %v", file, err)
		}
		docs[filepath.Base(file)] = doc
	}
	out := map[string]map[string][]string{}
	for _, doc := range docs {
		name, _ := doc["name"].(string)
		in, _ := doc["inputSchema"].(map[string]any)
		if name == "" || in == nil {
			continue
		}
		props, _ := in["properties"].(map[string]any)
		steps := map[string][]string{}
		for prop, s := range props {
			schema, _ := s.(map[string]any)
			for hops := 0; schema != nil && hops < 8; hops++ {
				if n, ok := schema["x-normalize"].([]any); ok {
					for _, step := range n {
						steps[prop] = append(steps[prop], step.(string))
					}
					break
				}
				ref, _ := schema["$ref"].(string)
				if ref == "" {
					break
				}
				file, ptr, _ := strings.Cut(ref, "#")
				target := in
				if file != "" {
					target = docs[file]
				}
				schema = resolvePointer(target, ptr)
			}
		}
		out[name] = steps
	}
	if len(out) != 5 {
		return nil, fmt.Errorf("read %d tool definitions from %s, want 5", len(out), dir)
	}
	return out, nil
}

func resolvePointer(doc map[string]any, ptr string) map[string]any {
	cur := doc
	for tok := range strings.SplitSeq(strings.TrimPrefix(ptr, "/"), "/") {
		if tok == "" || cur == nil {
			continue
		}
		cur, _ = cur[tok].(map[string]any)
	}
	return cur
}

// TestFuzzNormalizations keeps the differential honest about what it
// normalizes: the symbol is trimmed and upper-cased, sides and order types
// trimmed and lower-cased, nothing else.
func TestFuzzNormalizations(t *testing.T) {
	got := normalizations(t)
	want := map[string]map[string][]string{
		"risk.position_limits_check": {"symbol": {"trim", "upper"}, "side": {"trim", "lower"}},
		"features.ohlcv_window":      {"symbol": {"trim", "upper"}},
		"execution.sim_quote":        {"symbol": {"trim", "upper"}, "side": {"trim", "lower"}, "orderType": {"trim", "lower"}},
		"storage.shared_state.get":   {},
		"storage.shared_state.set":   {},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("x-normalize steps read from ../schemas:\n got %v\nwant %v", got, want)
	}
}
