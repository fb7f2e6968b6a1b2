package gen

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/mcpgen/mcpgen/templates"
)

// Scaffold renders the handler stub file for pkg: a Service type with one
// method per tool, each answering MCP-008 until it is written.
func Scaffold(pkg *Package) ([]byte, error) {
	type toolView struct{ Name, GoName, InputType, OutputType string }
	data := struct {
		Package string
		Imports []string
		Tools   []toolView
	}{Package: pkg.Name}
	used := map[string]bool{}
	for _, t := range pkg.Tools {
		v := toolView{
			Name: t.Name, GoName: t.GoName,
			InputType:  typeText(inputType(t)),
			OutputType: typeText(outputType(t)),
		}
		for name, path := range stubImports {
			if strings.Contains(v.InputType+" "+v.OutputType, name+".") {
				used[path] = true
			}
		}
		data.Tools = append(data.Tools, v)
	}
	for path := range used {
		data.Imports = append(data.Imports, path)
	}
	sort.Strings(data.Imports)
	var buf bytes.Buffer
	if err := templates.Handlers.Execute(&buf, data); err != nil {
		return nil, err
	}
	out, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting handler stubs: %w", err)
	}
	return out, nil
}

// stubImports are the packages a handler's types may come from, by the
// name typeText qualifies them with.
var stubImports = map[string]string{
	"typed": typedPkg, "mcp": mcpPkg, "decimal": decimalPkg, "time": "time",
}

// typeText renders a type expression with the runtime package as "runtime".
func typeText(t *jen.Statement) string {
	return fmt.Sprintf("%#v", t)
}

// WriteOnce writes data to path unless the file exists; it reports whether
// it wrote.
func WriteOnce(path string, data []byte) (bool, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if os.IsExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return false, err
	}
	return true, f.Close()
}
