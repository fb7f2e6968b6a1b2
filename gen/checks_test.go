package gen

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/typed"
)

// TestFormatsMatchRuntime keeps the one list of formats in step with the
// runtime that checks them and with the meta-schema editors use.
func TestFormatsMatchRuntime(t *testing.T) {
	for _, f := range formats {
		if !typed.KnownFormat(f.Name) {
			t.Errorf("format %q is in gen's list, but typed.KnownFormat does not know it", f.Name)
		}
	}
	for _, name := range []string{"date-time", "date", "email", "uri", "uuid", "ipv4", "ipv6", "hostname", "idn-hostname", "regex", "time"} {
		if typed.KnownFormat(name) && formatNamed(name) == nil {
			t.Errorf("typed.KnownFormat knows %q, but gen's list of formats does not", name)
		}
	}
	data, err := os.ReadFile("../schemas/tooldef.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Defs struct {
			Schema struct {
				Properties struct {
					Format struct {
						Enum []string `json:"enum"`
					} `json:"format"`
				} `json:"properties"`
			} `json:"schema"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	if got := meta.Defs.Schema.Properties.Format.Enum; !slices.Equal(got, formatNames()) {
		t.Errorf("tooldef.schema.json lists formats %v; gen's list is %v", got, formatNames())
	}
}

// TestUnhandledRuleFailsGeneration: a rule an emitter has no rendering
// for fails generation with an error naming it, instead of vanishing.
func TestUnhandledRuleFailsGeneration(t *testing.T) {
	for _, tt := range []struct {
		name, schema, want string
	}{
		{"typed", `{"type": "integer", "minimum": 1}`, `gen: rule "x-new" (kind 999) of tool.json#/inputSchema/properties/v has no typed (int64) rendering`},
		{"dynamic", `{"anyOf": [{"type": "integer"}], "minimum": 1}`, `gen: rule "x-new" (kind 999) of tool.json#/inputSchema/properties/v has no dynamic rendering`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := `{"name": "t", "inputSchema": {"type": "object", "properties": {"v": ` + tt.schema + `}}}`
			pkg, err := Load(Config{Package: "p", Sources: []Source{{Name: "tool.json", Data: []byte(src)}}})
			if err != nil {
				t.Fatal(err)
			}
			v := pkg.Tools[0].InputSchema.Properties[0].Schema
			v.Rules = append(v.Rules, Rule{Keyword: "x-new", Kind: 999, On: "number"})
			if _, err := emit(pkg); err == nil || err.Error() != tt.want {
				t.Errorf("emit: %v; want %s", err, tt.want)
			}
		})
	}
}
