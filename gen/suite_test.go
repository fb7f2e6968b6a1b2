package gen_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/gen"
)

// The official JSON Schema Test Suite, run against generated code: every case
// of a supported keyword's file becomes a tool of one generated package, the
// package is compiled once, and every test's instance goes through the tool's
// public decode entry point. docs/json-schema-suite.md explains the choices.

const suiteDir = "../testdata/json-schema-test-suite/tests/draft2020-12"

// suiteDraft is one draft's folder of the suite and what of it is run.
type suiteDraft struct {
	name     string // as in the summary line
	dir      string
	prefix   string // of its file names in the lists below ("" for 2020-12)
	optional []string
	excluded map[string]string
	// schemaURI is given to a case schema without "$schema", so that it is
	// read in this draft ("" for 2020-12, mcpgen's default).
	schemaURI string
}

var suiteDrafts = []suiteDraft{
	{name: "draft2020-12", dir: suiteDir, optional: suiteOptional, excluded: suiteExcluded},
	{name: "draft7", dir: "../testdata/json-schema-test-suite/tests/draft7", prefix: "draft7/",
		optional: suiteOptional7, excluded: suiteExcluded7, schemaURI: "http://json-schema.org/draft-07/schema#"},
}

// suiteOptional7 and suiteExcluded7 are suiteOptional and suiteExcluded
// for draft-07.
var suiteOptional7 = []string{"bignum.json", "cross-draft.json", "float-overflow.json", "id.json", "non-bmp-regex.json"}

var suiteExcluded7 = map[string]string{
	"format.json":                    "format is an assertion in mcpgen; this file expects an annotation only",
	"optional/content.json":          "asserts contentMediaType and contentEncoding, which mcpgen reads as annotations (as 2020-12 does)",
	"optional/ecmascript-regex.json": "pattern is RE2 (DESIGN.md §4), not ECMA-262; see docs/json-schema-suite.md",
	"optional/unknownKeyword.json":   "unknown keywords are errors in mcpgen (DESIGN.md §3)",
}

// ownCases holds mcpgen's own cases in the suite's format, run the same
// way: mostly the typed path (Go structs, int64, float64, enums), which the
// official suite's schemas rarely reach since they seldom say "type", and
// mcpgen's limits on numbers.
const ownCases = "testdata/jsonschema-cases.json"

var keepSuite = flag.Bool("suite.keep", false, "keep the generated JSON Schema Test Suite package under gen/testdata")

// suiteOptional are the files of suiteDir/optional that are run: those
// about keywords mcpgen supports. (optional/format/ is run by the runtime's
// format tests.)
var suiteOptional = []string{
	"anchor.json",
	"bignum.json",
	"cross-draft.json",
	"dependencies-compatibility.json",
	"dynamicRef.json",
	"float-overflow.json",
	"id.json",
	"no-schema.json",
	"non-bmp-regex.json",
}

// suiteExcluded lists the upstream draft2020-12 files that are not run, and
// why. None of them may appear in suiteDir.
var suiteExcluded = map[string]string{
	"format.json":     "format is an assertion in mcpgen; this file expects an annotation only. optional/format/*.json covers each format",
	"vocabulary.json": "$vocabulary and custom meta-schemas are not supported",

	"optional/ecmascript-regex.json":    "pattern is RE2 (DESIGN.md §4), not ECMA-262; see docs/json-schema-suite.md",
	"optional/format-assertion.json":    "needs custom meta-schemas ($vocabulary)",
	"optional/refOfUnknownKeyword.json": "unknown keywords are errors in mcpgen (DESIGN.md §3), so nothing can refer into one",
	"optional/unknownKeyword.json":      "unknown keywords are errors in mcpgen (DESIGN.md §3)",
}

// unsupportedReasons maps the generator's rejection messages to the skip
// reason they stand for. Only rejections of unsupported keywords and ref
// forms may skip a case; any other rejection fails the test.
var unsupportedReasons = []struct {
	re     *regexp.Regexp
	reason string
}{
	{regexp.MustCompile(`^keyword "([^"]+)" is not supported`), "$1"},
	{regexp.MustCompile(`^\$ref .*: no loaded schema is identified as .*, and network refs are never fetched`), "network $$ref"},
	{regexp.MustCompile(`^dependencies: only arrays of property names are supported`), "dependencies with a schema"},
}

// suiteRejected lists the cases mcpgen rejects on purpose although every
// keyword in them is supported, with the message it rejects them with
// (docs/json-schema-suite.md, "Deliberate differences").
var suiteRejected = map[string]string{
	"enum.json: empty enum": "enum must list at least one value",

	// A default is what the handler is given when the property is left
	// out, so it must be valid (docs/definitions.md, "Defaults").
	"default.json: invalid type for default":                                                   invalidDefault,
	"default.json: invalid string value for default":                                           invalidDefault,
	"default.json: the default keyword does not do anything if the property is missing":        invalidDefault,
	"draft7/default.json: invalid type for default":                                            invalidDefault,
	"draft7/default.json: invalid string value for default":                                    invalidDefault,
	"draft7/default.json: the default keyword does not do anything if the property is missing": invalidDefault,
}

const invalidDefault = "is not valid against its schema"

// suiteDifferences lists the tests whose expected result mcpgen does not
// give, on purpose, with the reason (docs/json-schema-suite.md, "Deliberate
// differences"). A listed test that starts to pass fails the suite, so the
// list never outlives a difference.
var suiteDifferences = map[string]string{
	"optional/bignum.json: integer: a bignum is an integer":                                                                                       int64Only,
	"optional/bignum.json: integer: a negative bignum is an integer":                                                                              int64Only,
	"optional/float-overflow.json: all integers are multiples of 0.5, if overflow is handled: valid if optional overflow handling is implemented": int64Only,

	"draft7/optional/bignum.json: integer: a bignum is an integer":                                                                                       int64Only,
	"draft7/optional/bignum.json: integer: a negative bignum is an integer":                                                                              int64Only,
	"draft7/optional/float-overflow.json: all integers are multiples of 0.5, if overflow is handled: valid if optional overflow handling is implemented": int64Only,

	ownCases + ": number beyond float64 precision: just above the maximum":                          float64Only,
	ownCases + ": number with an exclusive minimum: just above the bound, beyond float64 precision": float64Only,
	ownCases + ": number beyond float64 range: 1e400":                                               float64Only,
	ownCases + ": date-time: leap second":                                                           leapSecond,
	ownCases + ": not maximum, with an exponent beyond 400: 1e500":                                  exponentLimit,
}

const (
	int64Only     = "a typed integer is an int64: a larger one is reported as \"integer out of range\", never rounded"
	float64Only   = "a typed number is a float64, and bounds are checked on the value the handler gets"
	leapSecond    = "a typed date-time is a time.Time, which has no leap second; a typed.Value accepts it"
	exponentLimit = "numbers with a decimal exponent beyond ±400 are refused when read, so exact arithmetic cannot be made to allocate without bound"
)

type suiteCase struct {
	File        string
	Description string
	Schema      json.RawMessage
	Tests       []struct {
		Description string
		Data        json.RawMessage
		Valid       bool
	}

	own    bool   // from ownCases, not the official suite
	draft  string // suiteDraft.name, or "own"
	tool   string // tool name; caseN.json and toolN.json are its files
	goName string
	typed  bool // the value is a typed Go field, not a typed.Value
}

// suiteResult is one line the generated program prints.
type suiteResult struct {
	Case, Test int
	Valid      bool
	Violations []struct{ Pointer, Keyword, Message string }
	Error      string
}

func TestJSONSchemaTestSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs a generated package")
	}
	start := time.Now()
	cases := loadSuite(t)

	// Lint each case alone: a case whose schema uses what mcpgen rejects is
	// skipped, counted by reason.
	skipped := map[string]map[string]int{} // by draft, by reason
	skippedTests := map[string]int{}
	for _, d := range suiteDrafts {
		skipped[d.name] = map[string]int{}
	}
	rejected := map[string]bool{}
	files := map[string]*perFile{}
	fileTally := func(name string) *perFile {
		if files[name] == nil {
			files[name] = &perFile{}
		}
		return files[name]
	}
	var accepted []*suiteCase
	for i, c := range cases {
		c.tool = "case" + strconv.Itoa(i+1)
		_, err := gen.Load(suiteConfig(c))
		if err == nil {
			accepted = append(accepted, c)
			continue
		}
		if reason := classify(err); reason != "" {
			skipped[c.draft][reason]++
			skippedTests[c.draft] += len(c.Tests)
			fileTally(c.File).skipped = append(fileTally(c.File).skipped, reason)
			t.Logf("skipped (%s): %s: %s", reason, c.File, c.Description)
			continue
		}
		key := c.File + ": " + c.Description
		if want, ok := suiteRejected[key]; ok && strings.Contains(err.Error(), want) {
			rejected[key] = true
			fileTally(c.File).rejected++
			continue
		}
		t.Errorf("%s: %q: rejected, and not for an unsupported keyword:\n%v", c.File, c.Description, err)
	}
	for key := range suiteRejected {
		if !rejected[key] {
			t.Errorf("%s: listed in suiteRejected but not rejected", key)
		}
	}
	if t.Failed() {
		return
	}
	groups := generateGroups(t, accepted)
	byName := map[string]*suiteCase{}
	for _, c := range accepted {
		byName[c.tool] = c
	}
	for _, g := range groups {
		for _, tool := range g.out.Package.Tools {
			c := byName[tool.Name]
			c.goName = tool.GoName
			c.typed = tool.Input.Fields[0].Type.Kind != gen.TValue
		}
	}
	results := runSuitePackage(t, groups, accepted)

	tallies := map[string]*tally{}
	for _, d := range append(suiteDrafts, suiteDraft{name: "own"}) {
		tallies[d.name] = &tally{}
	}
	for ci, c := range accepted {
		tl := tallies[c.draft]
		tl.cases++
		ft := fileTally(c.File)
		ft.cases++
		if c.typed {
			tl.typed++
			ft.typed++
		}
		for ti, test := range c.Tests {
			tl.tests++
			ft.tests++
			r, ok := results[[2]int{ci, ti}]
			key := c.File + ": " + c.Description + ": " + test.Description
			_, listed := suiteDifferences[key]
			switch {
			case !ok:
				t.Errorf("%s: %q: %q: no result", c.File, c.Description, test.Description)
			case r.Error != "":
				t.Errorf("%s: %q: %q: %s", c.File, c.Description, test.Description, r.Error)
			case listed && r.Valid != test.Valid:
				tl.differ++
			case listed:
				t.Errorf("%s: listed in suiteDifferences but passes (%s path); remove it", key, pathKind(c))
			case r.Valid != test.Valid:
				t.Errorf("%s: %q: %q\n  schema: %s\n  data:   %s\n  want valid=%v, got valid=%v (%s path)%s",
					c.File, c.Description, test.Description, compact(c.Schema), compact(test.Data), test.Valid, r.Valid, pathKind(c), violationText(r))
			default:
				tl.passed++
			}
		}
	}
	// One row per file, as docs/json-schema-suite.md lists them.
	for _, name := range sortedKeys(files) {
		ft := files[name]
		sort.Strings(ft.skipped)
		t.Logf("file | `%s` | %d | %d | %d | %s |", name, ft.cases, ft.typed, ft.tests, ft.notRun())
	}
	for _, d := range suiteDrafts {
		t.Logf("json-schema-test-suite %s: %s; %d skipped, in %s; %d rejected on purpose", d.name, tallies[d.name], skippedTests[d.name], skipText(skipped[d.name]), rejectedIn(rejected, d.prefix))
	}
	t.Logf("%s: %s", ownCases, tallies["own"])
	t.Logf("%d generated packages (cases whose \"$id\"s or Go names collide go to the next), compiled together; %s in all", len(groups), time.Since(start).Round(100*time.Millisecond))
}

// rejectedIn counts the cases rejected on purpose among the files named
// with prefix.
func rejectedIn(rejected map[string]bool, prefix string) int {
	n := 0
	for key := range rejected {
		if strings.HasPrefix(key, prefix) && (prefix != "" || !strings.HasPrefix(key, "draft7/")) {
			n++
		}
	}
	return n
}

// perFile counts the cases of one file of the suite.
type perFile struct {
	cases, typed, tests, rejected int
	skipped                       []string // reasons, one per case
}

// notRun says which cases of the file are not run, and why.
func (f *perFile) notRun() string {
	var parts []string
	if len(f.skipped) > 0 {
		counts := map[string]int{}
		for _, r := range f.skipped {
			counts[r]++
		}
		var reasons []string
		for _, r := range sortedKeys(counts) {
			reasons = append(reasons, fmt.Sprintf("%s %d", r, counts[r]))
		}
		parts = append(parts, fmt.Sprintf("%d skipped (%s)", len(f.skipped), strings.Join(reasons, ", ")))
	}
	if f.rejected > 0 {
		parts = append(parts, fmt.Sprintf("%d rejected on purpose", f.rejected))
	}
	return strings.Join(parts, "; ")
}

// tally counts the outcome of a group of cases.
type tally struct{ tests, passed, differ, cases, typed int }

func (tl tally) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d documented differences, of %d tests in %d cases (%d typed, %d dynamic)",
		tl.passed, tl.tests-tl.passed-tl.differ, tl.differ, tl.tests, tl.cases, tl.typed, tl.cases-tl.typed)
}

func loadSuite(t *testing.T) []*suiteCase {
	var cases []*suiteCase
	for _, d := range suiteDrafts {
		cases = append(cases, loadDraft(t, d)...)
	}
	return append(cases, loadOwnCases(t)...)
}

// loadDraft reads the cases of one draft's files, each named by its prefix
// and path.
func loadDraft(t *testing.T, d suiteDraft) []*suiteCase {
	files, err := filepath.Glob(filepath.Join(d.dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no suite files in %s (%v)", d.dir, err)
	}
	for _, name := range d.optional {
		files = append(files, filepath.Join(d.dir, "optional", name))
	}
	var cases []*suiteCase
	for _, name := range files {
		rel, _ := filepath.Rel(d.dir, name)
		rel = filepath.ToSlash(rel)
		if why, ok := d.excluded[rel]; ok {
			t.Errorf("%s%s is excluded (%s) but run", d.prefix, rel, why)
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var list []*suiteCase
		if err := json.Unmarshal(data, &list); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, c := range list {
			c.File, c.draft = d.prefix+rel, d.name
			c.Schema = withDialect(c.Schema, d.schemaURI)
		}
		cases = append(cases, list...)
	}
	return cases
}

// withDialect gives an object schema without "$schema" the dialect uri.
func withDialect(schema json.RawMessage, uri string) json.RawMessage {
	var members map[string]json.RawMessage
	if uri == "" || json.Unmarshal(schema, &members) != nil {
		return schema // 2020-12, or a boolean schema
	}
	if _, ok := members["$schema"]; ok {
		return schema
	}
	head := `{"$schema":` + strconv.Quote(uri)
	body := bytes.TrimSpace(schema)[1:]
	if len(bytes.TrimSpace(body)) > 1 {
		head += ","
	}
	return json.RawMessage(head + string(body))
}

func loadOwnCases(t *testing.T) []*suiteCase {
	data, err := os.ReadFile(ownCases)
	if err != nil {
		t.Fatal(err)
	}
	var list []*suiteCase
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatalf("%s: %v", ownCases, err)
	}
	for _, c := range list {
		c.File, c.own, c.draft = ownCases, true, "own"
	}
	return list
}

// suiteConfig returns the generator input for cases: per case, a tool file
// whose only property "v" refers to the case's schema file, so "#" refs in
// the case schema resolve against the case's own document.
func suiteConfig(cases ...*suiteCase) gen.Config {
	files := map[string][]byte{}
	var sources []gen.Source
	for _, c := range cases {
		n := strings.TrimPrefix(c.tool, "case")
		tool, _ := json.Marshal(map[string]any{
			"name":        c.tool,
			"description": c.File + ": " + c.Description,
			"inputSchema": map[string]any{
				"type":       "object",
				"properties": map[string]any{"v": map[string]any{"$ref": "case" + n + ".json"}},
				"required":   []string{"v"},
			},
		})
		sources = append(sources, gen.Source{Name: "tool" + n + ".json", Data: tool})
		files["case"+n+".json"] = c.Schema
	}
	return gen.Config{
		Package: "suite",
		Sources: sources,
		ReadFile: func(name string) ([]byte, error) {
			if b, ok := files[name]; ok {
				return b, nil
			}
			return nil, os.ErrNotExist
		},
		ReadURI: readRemote,
	}
}

// remotesDir holds the documents the suite refers to as http://localhost:1234/.
const remotesDir = "../testdata/json-schema-test-suite/remotes"

// readRemote serves the suite's remotes as local documents, never over the
// network. A draft-07 remote without "$schema" is read as draft-07, as the
// draft-07 tests that use it expect.
func readRemote(uri string) ([]byte, error) {
	rest, ok := strings.CutPrefix(uri, "http://localhost:1234/")
	if !ok || strings.Contains(rest, "..") {
		return nil, os.ErrNotExist
	}
	data, err := os.ReadFile(filepath.Join(remotesDir, filepath.FromSlash(rest)))
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(rest, "draft2020-12/") {
		data = withDialect(data, "http://json-schema.org/draft-07/schema#")
	}
	return data, nil
}

// classify returns why a rejected case is skipped: the first unsupported
// keyword it uses, else the first unsupported form of $ref, else "" when
// nothing it uses is unsupported. Problems that follow from an unsupported
// keyword (a "$ref" that only resolves through "$id") do not matter then.
func classify(err error) string {
	ge, ok := err.(*gen.Error)
	if !ok {
		return ""
	}
	for _, u := range unsupportedReasons {
		for _, p := range ge.Problems {
			if m := u.re.FindStringSubmatchIndex(p.Message); m != nil {
				return string(u.re.ExpandString(nil, u.reason, p.Message, m))
			}
		}
	}
	return ""
}

// suiteGroup is cases generated together into one package.
type suiteGroup struct {
	pkg   string
	cases []*suiteCase
	out   *gen.Output
}

// collision matches the problems of a case that declares what another case
// of the same package declares too: an "$id" (identifiers are global to
// the definitions of a package) or a Go name.
var collision = regexp.MustCompile(`^\$id .* identifies .* already|^Go type name .* is also derived|would be Go name`)

// generateGroups generates the cases into as few packages as it can: all
// in one, but for cases that collide with another case, which go to a
// later package.
func generateGroups(t *testing.T, cases []*suiteCase) []*suiteGroup {
	var groups []*suiteGroup
	for pending := cases; len(pending) > 0; {
		group, later := pending, []*suiteCase(nil)
		pkg := "g" + strconv.Itoa(len(groups)+1)
		for {
			cfg := suiteConfig(group...)
			cfg.Package = pkg
			out, err := gen.Generate(cfg)
			if err == nil {
				groups = append(groups, &suiteGroup{pkg: pkg, cases: group, out: out})
				break
			}
			moved := map[string]bool{}
			if ge, ok := err.(*gen.Error); ok {
				for _, p := range ge.Problems {
					if collision.MatchString(p.Message) {
						moved["case"+strings.TrimSuffix(strings.TrimPrefix(p.File, "case"), ".json")] = true
					}
				}
			}
			if len(moved) == 0 {
				t.Fatalf("generating the accepted cases together: %v", err)
			}
			var kept []*suiteCase
			for _, c := range group {
				if moved[c.tool] {
					later = append(later, c)
				} else {
					kept = append(kept, c)
				}
			}
			if len(kept) == len(group) {
				// The collision is between documents the cases refer to (two
				// remotes' definitions of the same name): move half of the
				// cases on. A case alone always generates (it was linted so).
				kept, later = group[:len(group)/2], append(later, group[len(group)/2:]...)
			}
			group = kept
		}
		pending = later
	}
	return groups
}

// runSuitePackage writes the generated packages and a main that runs every
// test instance through its tool's decoder into a folder inside the module,
// runs it once, and returns the results by case and test index.
func runSuitePackage(t *testing.T, groups []*suiteGroup, cases []*suiteCase) map[[2]int]suiteResult {
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("testdata", "jsonschema-suite-")
	if err != nil {
		t.Fatal(err)
	}
	if *keepSuite {
		t.Logf("generated package kept in gen/%s", dir)
	} else {
		t.Cleanup(func() {
			os.RemoveAll(dir)
			os.Remove("testdata") // only if nothing else lives there
		})
	}
	pkgOf := map[*suiteCase]string{}
	for _, g := range groups {
		if err := os.Mkdir(filepath.Join(dir, g.pkg), 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range g.out.Files {
			if err := os.WriteFile(filepath.Join(dir, g.pkg, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range g.cases {
			pkgOf[c] = g.pkg
		}
	}
	var inputs bytes.Buffer
	for ci, c := range cases {
		for ti, test := range c.Tests {
			line, _ := json.Marshal(map[string]any{"case": ci, "test": ti, "args": json.RawMessage(`{"v":` + string(test.Data) + `}`)})
			inputs.Write(append(line, '\n'))
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), suiteMain(cases, groups, pkgOf, "github.com/mcpgen/mcpgen/gen/"+filepath.ToSlash(dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	// A stuck build (a held build-cache lock, a loaded machine) must fail
	// the test with its output, not hang it until the global timeout.
	deadline, ok := t.Deadline()
	if !ok {
		deadline = time.Now().Add(5 * time.Minute)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(-10*time.Second))
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "./"+filepath.ToSlash(dir))
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdin = &inputs
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go run %s: %v\n%s", dir, err, stderr.String())
	}
	results := map[[2]int]suiteResult{}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r suiteResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("reading result %q: %v", sc.Text(), err)
		}
		results[[2]int{r.Case, r.Test}] = r
	}
	return results
}

// suiteMain returns the main of the generated suite package: it reads one
// {"case", "test", "args"} per line and prints the result of the case's
// DecodeXxxInput as one JSON line.
func suiteMain(cases []*suiteCase, groups []*suiteGroup, pkgOf map[*suiteCase]string, module string) []byte {
	var b bytes.Buffer
	b.WriteString(`package main

import (
	"bufio"
	"encoding/json"
	"os"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
`)
	for _, g := range groups {
		fmt.Fprintf(&b, "\t%q\n", module+"/"+g.pkg)
	}
	b.WriteString(`)

var decoders = []func([]byte) error{
`)
	for _, c := range cases {
		fmt.Fprintf(&b, "\tfunc(b []byte) error { _, err := %s.Decode%sInput(b); return err },\n", pkgOf[c], c.goName)
	}
	b.WriteString(`}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(nil, 1<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var line struct {
			Case, Test int
			Args       json.RawMessage
		}
		if err := json.Unmarshal(in.Bytes(), &line); err != nil {
			panic(err)
		}
		result := map[string]any{"case": line.Case, "test": line.Test}
		err := decoders[line.Case](line.Args)
		result["valid"] = err == nil
		if e, ok := err.(*mcperr.Error); ok {
			result["violations"] = e.Violations
		} else if err != nil {
			result["error"] = "not a *mcperr.Error: " + err.Error()
		}
		if err := out.Encode(result); err != nil {
			panic(err)
		}
	}
}
`)
	return b.Bytes()
}

func compact(raw []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

func pathKind(c *suiteCase) string {
	if c.typed {
		return "typed"
	}
	return "dynamic"
}

func violationText(r suiteResult) string {
	var b strings.Builder
	for _, v := range r.Violations {
		fmt.Fprintf(&b, "\n    %s %s: %s", v.Pointer, v.Keyword, v.Message)
	}
	return b.String()
}

func skipText(skipped map[string]int) string {
	n := 0
	var parts []string
	for _, reason := range sortedKeys(skipped) {
		n += skipped[reason]
		parts = append(parts, reason+" "+strconv.Itoa(skipped[reason]))
	}
	if n == 0 {
		return "no cases skipped"
	}
	return fmt.Sprintf("%d cases skipped: %s", n, strings.Join(parts, ", "))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
