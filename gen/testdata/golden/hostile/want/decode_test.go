package hostile

// Hand-written: the hostile text of ../defs reaches the generated code as
// data, byte for byte, and as nothing else. Regeneration never touches this
// file.

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
)

func TestEnumValuesAreExactData(t *testing.T) {
	modes := []EvilToolName1InputMode{
		EvilToolName1InputModeEvil, EvilToolName1InputModeQuoted, EvilToolName1InputModeTick,
		EvilToolName1InputModeLineBreak, EvilToolName1InputModeNulByte, EvilToolName1InputModeGoGenerateRmRf,
		EvilToolName1InputModePackageMain, EvilToolName1InputModeFuncInitOsExit1, EvilToolName1InputModeSepArator,
		EvilToolName1InputModeAB, EvilToolName1InputModeSV,
	}
	want := []string{"*/ evil", `"quoted"`, "`tick`", "line\nbreak", "nul\x00byte", "//go:generate rm -rf /",
		"package main", "func init() { os.Exit(1) }", "sep\u2028arator", "a\u202eb", "%s%v%!"}
	for i, m := range modes {
		if string(m) != want[i] {
			t.Errorf("constant %d = %q; want %q", i, m, want[i])
		}
		value, _ := json.Marshal(want[i])
		in, err := DecodeEvilToolName1Input([]byte(`{"mode":` + string(value) + `}`))
		if err != nil {
			t.Errorf("mode %q rejected: %v", want[i], err)
			continue
		}
		if in.Mode != m {
			t.Errorf("mode %q decoded as %q", want[i], in.Mode)
		}
		var back struct{ Mode string }
		if err := json.Unmarshal(in.AppendJSON(nil), &back); err != nil || back.Mode != want[i] {
			t.Errorf("AppendJSON of mode %q reads back as %q (%v)", want[i], back.Mode, err)
		}
	}
}

func TestHostileNamesAreKeys(t *testing.T) {
	in, err := DecodeEvilToolName1Input([]byte(`{"mode":"package main","*/ func init() { os.Exit(1) } /*":"x","\"quoted\" ` + "`name`" + `\n//go:generate rm -rf /":7,"label":"nul\u0000byte","const":"*/ \"const\" ` + "`value`" + `\n//go:generate rm -rf /"}`))
	if err != nil {
		t.Fatalf("valid input rejected: %v", err)
	}
	if in.FuncInitOsExit1.Value != "x" || in.QuotedNameGoGenerateRmRf != 7 || in.Label.Value != "nul\x00byte" || in.Const.Value != EvilToolName1InputConstConstValueGoGenerateRmRf {
		t.Errorf("decoded %+v", in)
	}
}

func TestHostileViolations(t *testing.T) {
	_, err := DecodeEvilToolName1Input([]byte(`{"mode":"*/ EVIL","query":"package main!","label":"other","tags":["a*/b"]}`))
	e := mcperr.AsError(err)
	want := []mcperr.Violation{
		{Pointer: "/mode", Keyword: "enum", Message: "must be one of \"*/ evil\", \"\\\"quoted\\\"\", \"`tick`\", \"line\\nbreak\", \"nul\\u0000byte\", \"//go:generate rm -rf /\", \"package main\", \"func init() { os.Exit(1) }\", \"sep\\u2028arator\", \"a\\u202eb\", \"%s%v%!\""},
		{Pointer: "/query", Keyword: "pattern", Message: "must match the pattern ^(?:\\*/|`|\"|package main|//go:generate rm -rf /|\\n|\\x00|\u2028)*[a-z%]*$"},
		{Pointer: "/label", Keyword: "x-allowlist", Message: "must be one of the allowed names */ func init() { os.Exit(1) } /*: " +
			`"\"; os.Exit(1); \"", */ package main, ` + "`rm -rf /`" + `, "line\n//go:generate rm -rf /", "nul\x00byte", "sep\u2028//go:generate rm -rf /"`},
		{Pointer: "/tags/0", Keyword: "pattern", Message: "must match the pattern ^[^\\x00*/]+$"},
	}
	if e.Code != mcperr.CodeInvalidSymbol || !reflect.DeepEqual(e.Violations, want) {
		t.Errorf("code %s, violations:\n got %+v\nwant %+v", e.Code, e.Violations, want)
	}
}

func TestToolTextIsExactData(t *testing.T) {
	tools := Tools(UnimplementedHandlers{})
	if len(tools) != 1 {
		t.Fatalf("%d tools; want 1", len(tools))
	}
	tool := tools[0]
	wantDesc := "First line */ /* \"quoted\" `backtick` \\ backslash\n//go:generate rm -rf /\npackage main\n\nimport \"os\"\n\nfunc init() { os.Exit(1) }\r//line evil.go:1\r\nnul:\x00 bom:\ufeff ls:\u2028//go:generate rm -rf /\u2029ps bidi:\u202e}{\u202c tab:\there %s %v %!d(MISSING)"
	if tool.Name != "evil.tool-name_1" || tool.Description != wantDesc {
		t.Errorf("name %q, description %q", tool.Name, tool.Description)
	}
	var schema map[string]any
	if err := json.Unmarshal(tool.InputSchema, &schema); err != nil {
		t.Fatalf("published input schema is not JSON: %v", err)
	}
	props := schema["properties"].(map[string]any)
	if _, ok := props["*/ func init() { os.Exit(1) } /*"]; !ok {
		t.Errorf("published schema lost a property: %s", tool.InputSchema)
	}
	if def := props["mode"].(map[string]any)["default"]; def != "//go:generate rm -rf /" {
		t.Errorf("published default %q", def)
	}
}

// Defaults reach the handler as the exact data of the definitions, never
// as code.
func TestHostileDefaultsAreExactData(t *testing.T) {
	in, err := DecodeEvilToolName1Input([]byte(`{"mode":"package main"}`))
	if err != nil {
		t.Fatalf("valid input rejected: %v", err)
	}
	if in.Query != "`\"*/\n//go:generate rm -rf /" {
		t.Errorf("Query = %q", in.Query)
	}
	if want := []string{"`rm -rf ~`", "\"; os.Exit(1); \"", "\u202e}{\u202c"}; !reflect.DeepEqual(in.Tags, want) {
		t.Errorf("Tags = %q; want %q", in.Tags, want)
	}
	if m, ok := in.Meta.Get("`"); !ok || m.Text != "``" {
		t.Errorf("Meta = %+v", in.Meta)
	}
}
