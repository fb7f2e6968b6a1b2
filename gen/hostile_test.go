package gen_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/mcpgen/mcpgen/gen"
)

// The hostile golden case puts Go code, comment terminators, quotes,
// backticks, newlines, NUL, line separators, bidi controls and go:generate
// directives into every piece of text a definition file can carry:
// descriptions, titles, $comment, defaults, examples, enum values, const,
// patterns, property names, allowlist names and values. These tests prove
// none of it changes what the generated code means.

// TestHostileTextOnlyInCommentsAndStrings generates the hostile case and a
// twin whose descriptions, titles and comments are replaced by plain words.
// Without comments, and with every string literal reduced to a placeholder,
// the two outputs must be the same token for token: that text reaches
// nothing but comments and string literals. Defaults and examples stay as
// they are: they must be valid against schemas whose enum values and
// patterns are hostile too, and the golden case's TestHostileDefaultsAreExactData
// shows that the handler gets them as exact data.
func TestHostileTextOnlyInCommentsAndStrings(t *testing.T) {
	cfg := goldenConfig(t, "hostile")
	hostile := generateConfig(t, cfg)
	twinCfg := cfg
	twinCfg.Sources = nil
	for _, src := range cfg.Sources {
		twinCfg.Sources = append(twinCfg.Sources, gen.Source{Name: src.Name, Data: neutralize(t, src.Data)})
	}
	twin := generateConfig(t, twinCfg)
	if !slices.Equal(fileNames(hostile), fileNames(twin)) {
		t.Fatalf("hostile text changed the generated files: %v, twin %v", fileNames(hostile), fileNames(twin))
	}
	for _, name := range fileNames(hostile) {
		got, want := codeTokens(t, name, hostile.Files[name]), codeTokens(t, name, twin.Files[name])
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: code outside comments and string literals differs from the twin's:\n%s", name,
				gen.UnifiedDiff("twin", "hostile", strings.Join(want, "\n")+"\n", strings.Join(got, "\n")+"\n"))
		}
	}
	if bytes.Equal(hostile.Files["register_mcpgen.go"], twin.Files["register_mcpgen.go"]) {
		t.Error("the twin generated the same bytes; the test would not notice hostile text")
	}
}

// wantHostileDecls are the only top-level declarations the hostile case may
// produce: names derived from tool, property, enum and allowlist names are
// identifiers, never code.
var wantHostileDecls = []string{
	"const EvilToolName1InputConstConstValueGoGenerateRmRf",
	"const EvilToolName1InputModeAB",
	"const EvilToolName1InputModeEvil",
	"const EvilToolName1InputModeFuncInitOsExit1",
	"const EvilToolName1InputModeGoGenerateRmRf",
	"const EvilToolName1InputModeLineBreak",
	"const EvilToolName1InputModeNulByte",
	"const EvilToolName1InputModePackageMain",
	"const EvilToolName1InputModeQuoted",
	"const EvilToolName1InputModeSV",
	"const EvilToolName1InputModeSepArator",
	"const EvilToolName1InputModeTick",
	"func (*EvilToolName1Input) AppendJSON",
	"func (*EvilToolName1Input) UnmarshalJSON",
	"func (*EvilToolName1Input) Validate",
	"func (*EvilToolName1Input) decode",
	"func (*EvilToolName1Input) validate",
	"func (*EvilToolName1InputConst) decode",
	"func (*EvilToolName1InputConst) validate",
	"func (*EvilToolName1InputMode) decode",
	"func (*EvilToolName1InputMode) validate",
	"func (*EvilToolName1Output) AppendJSON",
	"func (*EvilToolName1Output) Validate",
	"func (*EvilToolName1Output) validate",
	"func (EvilToolName1Input) MarshalJSON",
	"func (EvilToolName1Output) MarshalJSON",
	"func (UnimplementedHandlers) EvilToolName1",
	"func DecodeEvilToolName1Input",
	"func Register",
	"func Tools",
	"func checkEvilToolName1InputMeta",
	"func checkEvilToolName1InputMetaX",
	"func checkEvilToolName1InputMetaX_2",
	"func toolEvilToolName1",
	"import context",
	"import encoding/json",
	"import github.com/mcpgen/mcpgen/runtime/mcperr",
	"import github.com/mcpgen/mcpgen/runtime/server",
	"import github.com/mcpgen/mcpgen/runtime/server",
	"import github.com/mcpgen/mcpgen/runtime/typed",
	"import github.com/mcpgen/mcpgen/runtime/typed",
	"import regexp",
	"type EvilToolName1Input",
	"type EvilToolName1InputConst",
	"type EvilToolName1InputMode",
	"type EvilToolName1Output",
	"type Handlers",
	"type UnimplementedHandlers",
	"var AllowlistNamesFuncInitOsExit1",
	"var evilToolName1Pattern1",
	"var evilToolName1Pattern2",
	"var evilToolName1Pattern3",
	"var tools",
}

// TestHostileDeclarations parses the hostile case's generated package and
// lists what it declares: exactly the expected names, in package hostile,
// with no init or main, and every comment a plain // comment that no Go
// tool reads as a directive.
func TestHostileDeclarations(t *testing.T) {
	out := generateGolden(t, "hostile")
	fset := token.NewFileSet()
	var decls []string
	for _, name := range fileNames(out) {
		f, err := parser.ParseFile(fset, name, out.Files[name], parser.ParseComments|parser.AllErrors)
		if err != nil {
			t.Fatalf("%s does not parse: %v", name, err)
		}
		if f.Name.Name != "hostile" {
			t.Errorf("%s: package %s; want hostile", name, f.Name.Name)
		}
		decls = append(decls, declarations(f)...)
		for _, group := range f.Comments {
			for _, c := range group.List {
				checkComment(t, fset.Position(c.Slash), c.Text)
			}
		}
	}
	sort.Strings(decls)
	if !slices.Equal(decls, wantHostileDecls) {
		t.Errorf("declarations differ:\n%s", gen.UnifiedDiff("want", "got", strings.Join(wantHostileDecls, "\n")+"\n", strings.Join(decls, "\n")+"\n"))
	}
	for _, d := range decls {
		if d == "func init" || d == "func main" {
			t.Errorf("generated code declares %s", d)
		}
	}
}

// directives are the comment prefixes Go tools act on.
var directives = []string{"//go:", "//line ", "//export ", "//extern ", "//sys", "// +build", "//nolint", "//lint:", "//cgo"}

func checkComment(t *testing.T, pos token.Position, text string) {
	t.Helper()
	if !strings.HasPrefix(text, "//") {
		t.Errorf("%s: block comment %q; generated code uses // comments only", pos, text)
		return
	}
	if pos.Line == 1 {
		if text != strings.TrimSuffix(marker, "\n") {
			t.Errorf("%s: first line %q; want the marker", pos, text)
		}
		return
	}
	for _, d := range directives {
		if strings.HasPrefix(text, d) {
			t.Errorf("%s: comment %q is a directive", pos, text)
		}
	}
	for _, r := range text {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\uFEFF' {
			t.Errorf("%s: comment %q holds %U", pos, text, r)
		}
	}
}

// TestHostileCommentsHaveNoBidiControls guards against "Trojan Source"
// (CVE-2021-42574): bidirectional controls in a comment change nothing the
// compiler sees, but can make a reviewer read the code around them wrongly.
func TestHostileCommentsHaveNoBidiControls(t *testing.T) {
	out := generateGolden(t, "hostile")
	fset := token.NewFileSet()
	for _, name := range fileNames(out) {
		f, err := parser.ParseFile(fset, name, out.Files[name], parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, group := range f.Comments {
			for _, c := range group.List {
				if i := strings.IndexFunc(c.Text, isBidiControl); i >= 0 {
					t.Errorf("%s: comment holds bidi control %U: %q", fset.Position(c.Slash), []rune(c.Text[i:])[0], c.Text)
				}
			}
		}
	}
}

func isBidiControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' || r == '\u200E' || r == '\u200F' || r == '\u061C'
}

func generateConfig(t *testing.T, cfg gen.Config) *gen.Output {
	t.Helper()
	out, err := gen.Generate(cfg)
	if err != nil {
		t.Fatalf("generate:\n%s", gen.Report(err))
	}
	return out
}

// declarations lists a file's top-level declarations as "kind name", with
// the receiver's type for methods.
func declarations(f *ast.File) []string {
	var out []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				out = append(out, "func "+d.Name.Name)
				continue
			}
			recv := d.Recv.List[0].Type
			star := ""
			if s, ok := recv.(*ast.StarExpr); ok {
				recv, star = s.X, "*"
			}
			out = append(out, fmt.Sprintf("func (%s%s) %s", star, recv.(*ast.Ident).Name, d.Name.Name))
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.ImportSpec:
					path, _ := strconv.Unquote(s.Path.Value)
					out = append(out, "import "+path)
				case *ast.TypeSpec:
					out = append(out, "type "+s.Name.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						out = append(out, d.Tok.String()+" "+n.Name)
					}
				}
			}
		}
	}
	return out
}

// codeTokens returns a Go file's tokens without comments, each string and
// character literal replaced by a placeholder.
func codeTokens(t *testing.T, name string, src []byte) []string {
	t.Helper()
	fset := token.NewFileSet()
	file := fset.AddFile(name, -1, len(src))
	var s scanner.Scanner
	var errs scanner.ErrorList
	s.Init(file, src, func(pos token.Position, msg string) { errs.Add(pos, msg) }, 0)
	var out []string
	for {
		_, tok, lit := s.Scan()
		switch {
		case tok == token.EOF:
			if errs.Len() > 0 {
				t.Errorf("%s: %v", name, errs.Err())
			}
			return out
		case tok == token.STRING || tok == token.CHAR:
			out = append(out, "<literal>")
		case tok == token.IDENT || tok == token.INT || tok == token.FLOAT:
			out = append(out, lit)
		default:
			out = append(out, tok.String())
		}
	}
}

// neutralize rewrites a definition file, keeping its structure and member
// order, with every description, title, $comment, default and examples
// value replaced by plain words. Names, enum values, const, patterns and
// allowlists are kept: they are what the code is made of.
func neutralize(t *testing.T, data []byte) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var b bytes.Buffer
	// value copies one JSON value; names says the keys of an object value
	// are names (of properties, $defs or allowlists), not keywords.
	var value func(names bool)
	value = func(names bool) {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		switch tok {
		case json.Delim('{'):
			b.WriteByte('{')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				k, err := dec.Token()
				if err != nil {
					t.Fatal(err)
				}
				key := k.(string)
				writeJSON(t, &b, key)
				b.WriteByte(':')
				switch {
				case !names && (key == "description" || key == "title" || key == "$comment"):
					skipValue(t, dec)
					b.WriteString(`"Plain words."`)
				default:
					value(!names && (key == "properties" || key == "patternProperties" || key == "$defs" || key == "definitions" || key == "x-allowlists"))
				}
			}
			dec.Token() // '}'
			b.WriteByte('}')
		case json.Delim('['):
			b.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				value(false)
			}
			dec.Token() // ']'
			b.WriteByte(']')
		default:
			writeJSON(t, &b, tok)
		}
	}
	value(false)
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("neutralize: data after the value: %v", err)
	}
	return b.Bytes()
}

func skipValue(t *testing.T, dec *json.Decoder) {
	t.Helper()
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
}

func writeJSON(t *testing.T, b *bytes.Buffer, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	b.Write(data)
}
