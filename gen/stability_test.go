package gen_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/gen"
)

// TestEditChangesOnlyThatToolsFiles is the promise that makes "mcpgen
// check" diffs readable: generated names come from places, not from
// counters over the package, so adding properties (a dynamic one, one with
// a pattern and one with a decimal bound) to one tool changes that tool's
// file and nothing else.
func TestEditChangesOnlyThatToolsFiles(t *testing.T) {
	for _, tc := range []struct{ golden, file, tool string }{
		{"refs", "../defs/shipments_create.json", "tool_shipments_create_mcpgen.go"},
		{"refs", "../defs/shipments_track.json", "tool_shipments_track_mcpgen.go"},
		{"toolslist", "../defs/github.json", "tool_create_issue_mcpgen.go"},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			cfg := goldenConfig(t, tc.golden)
			before, err := gen.Generate(cfg)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(cfg.Sources, func(s gen.Source) bool { return s.Name == tc.file })
			if i < 0 {
				t.Fatalf("no source %s", tc.file)
			}
			src := string(cfg.Sources[i].Data)
			tool := strings.TrimSuffix(strings.TrimPrefix(tc.tool, "tool_"), "_mcpgen.go")
			at := strings.Index(src, `"properties": {`)
			if tool == "create_issue" {
				at = strings.Index(src, `"name": "create_issue"`)
				at += strings.Index(src[at:], `"properties": {`)
			}
			if at < 0 {
				t.Fatal("no properties to add to")
			}
			at += len(`"properties": {`)
			added := `"zzNote": {"anyOf": [{"type": "string", "pattern": "^[a-z]+$"}, {"type": "number", "maximum": 2.5}]}, "zzCount": {"type": "number", "minimum": 0.25, "x-decimal": {"scale": 2}}, `
			cfg.Sources = slices.Clone(cfg.Sources)
			cfg.Sources[i] = gen.Source{Name: tc.file, Data: []byte(src[:at] + added + src[at:])}
			after, err := gen.Generate(cfg)
			if err != nil {
				t.Fatal(gen.Report(err))
			}
			var changed []string
			for name, data := range after.Files {
				if !bytes.Equal(before.Files[name], data) {
					changed = append(changed, name)
				}
			}
			for name := range before.Files {
				if _, ok := after.Files[name]; !ok {
					changed = append(changed, name)
				}
			}
			slices.Sort(changed)
			if !slices.Equal(changed, []string{tc.tool}) {
				t.Errorf("adding properties to %s changed %v; want only %s", tool, changed, tc.tool)
			}
		})
	}
}
