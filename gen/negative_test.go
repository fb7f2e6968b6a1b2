package gen_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/gen"
)

// negativeDir holds broken definition files, each <name>.json next to
// <name>.stderr: exactly what "mcpgen lint testdata/negative/<name>.json"
// prints, run from this folder. A case that needs several files (a tool
// and the allowlists it uses) is a folder <name>/ linted as a whole. Files
// under shared/ are only reached through "$ref".
const negativeDir = "testdata/negative"

// negativeCases returns the case files and folders of negativeDir.
func negativeCases(t *testing.T) []string {
	t.Helper()
	cases, err := filepath.Glob(filepath.Join(negativeDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(negativeDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && e.Name() != "shared" {
			cases = append(cases, filepath.Join(negativeDir, e.Name()))
		}
	}
	return cases
}

// problemLine is the shape of every problem line: file:line:col: /pointer: message.
var problemLine = regexp.MustCompile(`^testdata/negative/[a-z0-9_/]+\.json:[1-9][0-9]*:[1-9][0-9]*: /[^ ]*: [^ ].*$`)

func TestNegative(t *testing.T) {
	cases := negativeCases(t)
	if len(cases) < 30 {
		t.Fatalf("%d negative cases in %s; want at least 30", len(cases), negativeDir)
	}
	for _, file := range cases {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			got := lintReport(t, filepath.ToSlash(file))
			lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
			for _, line := range lines[:len(lines)-1] {
				if !problemLine.MatchString(line) {
					t.Errorf("problem line does not read file:line:col: /pointer: message:\n%s", line)
				}
			}
			compareGolden(t, filepath.Join(negativeDir, name+".stderr"), []byte(got))
		})
	}
}

// TestNegativeStderrHasCase keeps the corpus tidy: every golden .stderr
// belongs to a definition file.
func TestNegativeStderrHasCase(t *testing.T) {
	goldens, err := filepath.Glob(filepath.Join(negativeDir, "*.stderr"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range goldens {
		base := strings.TrimSuffix(g, ".stderr")
		if _, err := os.Stat(base + ".json"); err != nil {
			if info, dirErr := os.Stat(base); dirErr != nil || !info.IsDir() {
				t.Errorf("%s has no definition file or folder: %v", g, err)
			}
		}
	}
}

// lintReport runs what "mcpgen lint FILE" runs (warnings are errors) and
// returns its standard error. The definitions must be rejected as bad definitions (exit 2).
func lintReport(t *testing.T, file string) string {
	t.Helper()
	srcs, err := gen.ReadSources(file)
	if err != nil {
		t.Fatal(err)
	}
	_, err = gen.Generate(gen.Config{Package: "lint", Sources: srcs, Strict: true})
	var defErr *gen.Error
	if !errors.As(err, &defErr) {
		t.Fatalf("Generate returned %v; want problems in the definitions", err)
	}
	return gen.Report(err)
}

// compareGolden compares got with the golden file at path, or rewrites the
// file under -update.
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./gen -run %s -update to create it)", err, t.Name())
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (run go test ./gen -update to accept):\n%s", path, gen.UnifiedDiff(path, "got", string(want), string(got)))
	}
}
