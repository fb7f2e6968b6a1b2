package gen_test

import (
	"errors"
	"go/format"
	"os"
	"path/filepath"
	"testing"

	"github.com/mcpgen/mcpgen/gen"
)

// FuzzGenerate feeds arbitrary definition files to the generator, seeded
// with the golden and negative corpora. Whatever the input, Generate must
// not panic or hang: it returns problems with positions, or Go source that
// parses and is gofmt-clean.
func FuzzGenerate(f *testing.F) {
	for _, pattern := range []string{"testdata/negative/*.json", "testdata/negative/*/*.json", "testdata/golden/*/defs/*.json"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := gen.Generate(gen.Config{
			Package:  "fuzz",
			Sources:  []gen.Source{{Name: "tool.json", Data: data}},
			ReadFile: func(string) ([]byte, error) { return nil, os.ErrNotExist },
		})
		if err != nil {
			var defErr *gen.Error
			if errors.As(err, &defErr) && len(defErr.Problems) == 0 {
				t.Fatal("an *Error without problems")
			}
			return
		}
		for name, src := range out.Files {
			formatted, err := format.Source(src)
			if err != nil {
				t.Fatalf("%s does not parse: %v\n%s", name, err, src)
			}
			if string(formatted) != string(src) {
				t.Fatalf("%s is not gofmt-clean", name)
			}
		}
	})
}
