package gen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	goparser "go/parser"
	"go/token"
	"os"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"
	"golang.org/x/tools/go/ast/astutil"

	"github.com/mcpgen/mcpgen/templates"
)

// stubView is one tool's method in the stub template.
type stubView struct{ Name, GoName, Recv, InputType, OutputType string }

// stubViews returns the methods of pkg's tools on receiver recv, and the
// import paths their types need.
func stubViews(pkg *Package, recv string) ([]stubView, []string) {
	var views []stubView
	used := map[string]bool{}
	for _, t := range pkg.Tools {
		v := stubView{
			Name: t.Name, GoName: t.GoName, Recv: recv,
			InputType:  typeText(inputType(t)),
			OutputType: typeText(outputType(t)),
		}
		for name, path := range stubImports {
			if strings.Contains(v.InputType+" "+v.OutputType, name+".") {
				used[path] = true
			}
		}
		views = append(views, v)
	}
	imports := make([]string, 0, len(used))
	for path := range used {
		imports = append(imports, path)
	}
	sort.Strings(imports)
	return views, imports
}

// Scaffold renders the handler stub file for pkg: a Service type with one
// method per tool, each answering MCP-008 until it is written.
func Scaffold(pkg *Package) ([]byte, error) {
	views, imports := stubViews(pkg, "s *Service")
	data := struct {
		Package string
		Imports []string
		Tools   []stubView
	}{pkg.Name, imports, views}
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

// GrowStubs appends to the stub file at path the methods of the tools it
// has no method for, on the receiver its other tool methods use (Service
// by default), and the imports they need. What the file already holds is
// left as it is. It returns the names of the tools it added.
func GrowStubs(path string, pkg *Package) ([]string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out, added, err := growStubs(path, src, pkg)
	if err != nil || len(added) == 0 {
		return nil, err
	}
	return added, os.WriteFile(path, out, 0o644)
}

func growStubs(path string, src []byte, pkg *Package) ([]byte, []string, error) {
	fset := token.NewFileSet()
	file, err := goparser.ParseFile(fset, path, src, goparser.ParseComments)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the handler stubs to add new tools: %w", err)
	}
	have := map[string]bool{}
	recv := ""
	for _, d := range file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv == nil || len(fd.Recv.List) != 1 {
			continue
		}
		have[fd.Name.Name] = true
		if recv == "" {
			recv = receiverText(fset, fd.Recv.List[0])
		}
	}
	if recv == "" {
		recv = "s *Service"
	}
	views, imports := stubViews(pkg, recv)
	var methods bytes.Buffer
	var added []string
	for _, v := range views {
		if have[v.GoName] {
			continue
		}
		if err := templates.Handlers.ExecuteTemplate(&methods, "method", v); err != nil {
			return nil, nil, err
		}
		added = append(added, v.Name)
	}
	if len(added) == 0 {
		return src, nil, nil
	}
	for _, imp := range append(imports, "context", "github.com/mcpgen/mcpgen/runtime/mcperr") {
		astutil.AddImport(fset, file, imp)
	}
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, file); err != nil {
		return nil, nil, err
	}
	buf.WriteString(methods.String())
	out, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, nil, fmt.Errorf("formatting handler stubs: %w", err)
	}
	return out, added, nil
}

// receiverText renders a method receiver such as "s *Service".
func receiverText(fset *token.FileSet, f *ast.Field) string {
	var b bytes.Buffer
	format.Node(&b, fset, f.Type)
	if len(f.Names) == 0 {
		return "_ " + b.String()
	}
	return f.Names[0].Name + " " + b.String()
}

// stubImports are the packages a handler's types may come from, by the
// name typeText qualifies them with.
var stubImports = map[string]string{
	"typed": typedPkg, "mcp": mcpPkg, "decimal": decimalPkg, "time": "time",
}

// typeText renders a type expression as a stub file writes it.
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
