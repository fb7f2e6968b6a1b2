package gen

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dave/jennifer/jen"
)

// genTool writes what the tool's file holds besides its types: its
// decoder, its server.Tool value and the check of an output that is not a
// struct.
func (e *emitter) genTool(f *jen.File, t *Tool) {
	e.genDecodeFunc(f, t)
	f.Line()
	e.genToolValue(f, t)
	e.genOutputCheck(f, t)
}

// genType writes a named type where it is declared.
func (e *emitter) genType(f *jen.File, ty *Type) {
	switch {
	case ty.NamedScalar():
		e.genScalar(f, ty)
		return
	case ty.SharedCheck() != "":
		e.genSharedCheck(f, ty)
		return
	case ty.Kind == TEnum:
		e.genEnum(f, ty)
	case ty.Kind == TStruct:
		e.genStruct(f, ty, e.typeDoc(ty))
	}
	f.Line()
}

func (e *emitter) typeDoc(ty *Type) string {
	for _, t := range e.pkg.Tools {
		switch ty {
		case t.Input:
			return ty.Name + " is the input of tool " + strconv.Quote(t.Name) + "."
		case t.Output:
			return ty.Name + " is the output of tool " + strconv.Quote(t.Name) + "."
		}
	}
	return ty.Name + " is " + schemaDoc(ty.Schema) + "."
}

// inputType returns the Go type of a tool's input.
func inputType(t *Tool) *jen.Statement { return goType(t.Input) }

// outputType returns what a tool's handler returns: its output type, or
// content blocks for a tool without an outputSchema.
func outputType(t *Tool) *jen.Statement {
	if t.Output == nil {
		return jen.Index().Qual(mcpPkg, "Content")
	}
	return goType(t.Output)
}

func decodeName(t *Tool) string { return "Decode" + t.GoName + "Input" }

// genDecodeFunc writes DecodeXxxInput: strict decode, then validation of a
// document whose shape was right.
func (e *emitter) genDecodeFunc(f *jen.File, t *Tool) {
	f.Comment("// " + decodeName(t) + " decodes the arguments of tool " + strconv.Quote(t.Name) + " and validates")
	f.Comment("// them, returning every violation as a *mcperr.Error.")
	f.Func().Id(decodeName(t)).Params(jen.Id("data").Index().Byte()).Params(inputType(t), jen.Error()).BlockFunc(func(g *jen.Group) {
		g.Id("r").Op(":=").Add(rt("GetReader")).Call(jen.Id("data"))
		g.Var().Id("x").Add(inputType(t))
		g.Id("root").Op(":=").Id("r").Dot("Root").Call()
		e.decodeValue(g, jen.Id("x"), t.Input, jen.Id("root"), 0)
		g.Id("r").Dot("End").Call()
		if checks := e.checks(jen.Id("x"), t.Input, jen.Id("root"), 0); len(checks) > 0 {
			g.If(jen.Id("vs").Op(":=").Id("r").Dot("Validation").Call(), jen.Id("vs").Op("!=").Nil()).Block(checks...)
		}
		// No defer: each would be one more function to compile per tool.
		g.Id("err").Op(":=").Id("r").Dot("Violations").Dot("Err").Call(jen.Lit("invalid arguments for tool " + strconv.Quote(t.Name)))
		g.Add(rt("PutReader")).Call(jen.Id("r"))
		g.Return(jen.Id("x"), jen.Id("err"))
	})
}

// genPackageFile writes the package-wide file: the Handlers interface, the
// tool list for the runtime and the allowlists.
func (e *emitter) genPackageFile(f *jen.File) {
	f.Comment("// Handlers implements the tools of this package, one method per tool. Embed")
	f.Comment("// UnimplementedHandlers so that adding a tool does not break the build.")
	f.Type().Id("Handlers").InterfaceFunc(func(g *jen.Group) {
		for i, t := range e.pkg.Tools {
			if i > 0 {
				g.Line()
			}
			for _, c := range docLines(t.GoName+" handles tool "+strconv.Quote(t.Name)+".", t.Description) {
				g.Add(c)
			}
			g.Id(t.GoName).Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("in").Add(inputType(t))).Params(outputType(t), jen.Error())
		}
	})
	f.Line()
	f.Comment("// UnimplementedHandlers answers every tool with MCP-008 (NO_HANDLER).")
	f.Type().Id("UnimplementedHandlers").Struct()
	for _, t := range e.pkg.Tools {
		f.Comment("// " + t.GoName + " returns MCP-008.")
		f.Func().Params(jen.Id("UnimplementedHandlers")).Id(t.GoName).Params(jen.Qual("context", "Context"), inputType(t)).Params(outputType(t), jen.Error()).Block(
			jen.Var().Id("out").Add(outputType(t)),
			jen.Return(jen.Id("out"), rt("Errorf").Call(rt("CodeNoHandler"), jen.Lit("tool %q has no handler"), jen.Lit(t.Name))),
		)
	}
	f.Line()
	// A table, not a call per tool in Tools: the compiler would inline every
	// tool's value into Tools, one function as large as the package, which
	// makes a package of a thousand tools compile several times slower.
	f.Comment("// tools are the functions that bind each tool of this package to its handler.")
	f.Var().Id("tools").Op("=").Index(jen.Op("...")).Func().Params(jen.Id("Handlers")).Add(srv("Tool")).ValuesFunc(func(g *jen.Group) {
		for _, t := range e.pkg.Tools {
			g.Line().Id(toolFuncName(t))
		}
		g.Line()
	})
	f.Line()
	f.Comment("// Tools returns the tools of this package bound to h, with their published")
	f.Comment("// schemas and policies, for server.Server.AddTools.")
	f.Func().Id("Tools").Params(jen.Id("h").Id("Handlers")).Index().Add(srv("Tool")).Block(
		jen.Id("out").Op(":=").Make(jen.Index().Add(srv("Tool")), jen.Len(jen.Id("tools"))),
		jen.For(jen.List(jen.Id("i"), jen.Id("tool")).Op(":=").Range().Id("tools")).Block(
			jen.Id("out").Index(jen.Id("i")).Op("=").Id("tool").Call(jen.Id("h")),
		),
		jen.Return(jen.Id("out")),
	)
	f.Line()
	f.Comment("// Register adds the tools of this package, bound to h, to s.")
	f.Func().Id("Register").Params(jen.Id("s").Op("*").Add(srv("Server")), jen.Id("h").Id("Handlers")).Error().Block(
		jen.Return(jen.Id("s").Dot("AddTools").Call(jen.Id("Tools").Call(jen.Id("h")).Op("..."))),
	)
	for _, a := range e.pkg.Allowlists {
		f.Line()
		f.Comment("// " + allowlistVar(a.Name) + " is allowlist " + strconv.Quote(a.Name) + ". Replace its values at run time")
		f.Comment("// with " + allowlistVar(a.Name) + ".Replace; calls in flight see the old or the new list.")
		var args []jen.Code
		args = append(args, jen.Lit(a.Name))
		for _, v := range a.Values {
			args = append(args, jen.Lit(v))
		}
		f.Var().Id(allowlistVar(a.Name)).Op("=").Add(rt("NewAllowlist")).Call(args...)
	}
}

func toolFuncName(t *Tool) string { return "tool" + t.GoName }

// genToolValue writes the function that returns tool t bound to h.
func (e *emitter) genToolValue(f *jen.File, t *Tool) {
	f.Comment("// " + toolFuncName(t) + " returns tool " + strconv.Quote(t.Name) + " bound to h, with its published schemas and policies.")
	f.Func().Id(toolFuncName(t)).Params(jen.Id("h").Id("Handlers")).Add(srv("Tool")).Block(
		jen.Return(srv("Tool").Add(e.toolValue(t))))
}

// toolValue writes the server.Tool literal of t, with the Call function
// that runs the whole tool path.
func (e *emitter) toolValue(t *Tool) jen.Code {
	d := jen.Dict{
		jen.Id("Name"):        jen.Lit(t.Name),
		jen.Id("InputSchema"): jen.Qual("encoding/json", "RawMessage").Call(jsonLit(prettyJSON(t.PublishedInput))),
	}
	if t.Title != "" {
		d[jen.Id("Title")] = jen.Lit(t.Title)
	}
	if t.Description != "" {
		d[jen.Id("Description")] = jen.Lit(t.Description)
	}
	if t.PublishedOutput != "" {
		d[jen.Id("OutputSchema")] = jen.Qual("encoding/json", "RawMessage").Call(jsonLit(prettyJSON(t.PublishedOutput)))
	}
	for _, m := range []struct{ field, json string }{
		{"Annotations", t.Annotations}, {"Icons", t.Icons}, {"Meta", t.Meta}, {"Execution", t.Execution},
	} {
		if m.json != "" {
			d[jen.Id(m.field)] = jen.Qual("encoding/json", "RawMessage").Call(jsonLit(m.json))
		}
	}
	policy := jen.Dict{}
	if t.RateLimitPerMinute > 0 {
		policy[jen.Id("RateLimitPerMinute")] = jen.Lit(t.RateLimitPerMinute)
	}
	if t.MaxArgsBytes > 0 {
		policy[jen.Id("MaxArgsBytes")] = jen.Lit(t.MaxArgsBytes)
	}
	if t.Timeout > 0 {
		policy[jen.Id("Timeout")] = durationExpr(t.Timeout)
	}
	if t.AuditClass != "" {
		policy[jen.Id("AuditClass")] = jen.Lit(t.AuditClass)
	}
	if len(t.Sensitive) > 0 {
		var ptrs []jen.Code
		for _, p := range t.Sensitive {
			ptrs = append(ptrs, jen.Lit(p))
		}
		policy[jen.Id("Sensitive")] = jen.Index().String().Values(ptrs...)
	}
	if len(t.Scopes) > 0 {
		var scopes []jen.Code
		for _, sc := range t.Scopes {
			scopes = append(scopes, jen.Lit(sc))
		}
		policy[jen.Id("Scopes")] = jen.Index().String().Values(scopes...)
	}
	if da := t.DataAccess; da != nil {
		access := jen.Dict{jen.Id("Action"): jen.Lit(da.Action)}
		if da.Resource != "" {
			access[jen.Id("Resource")] = jen.Lit(da.Resource)
		}
		if da.Store != "" {
			access[jen.Id("Store")] = jen.Lit(da.Store)
		}
		policy[jen.Id("DataAccess")] = jen.Op("&").Add(srv("DataAccess")).Values(access)
	}
	if len(policy) > 0 {
		d[jen.Id("Policy")] = srv("Policy").Values(policy)
	}
	d[jen.Id("Call")] = e.bindCall(t)
	return jen.Values(d)
}

// bindCall writes the Call of t: the tool's decoder bound to its handler
// method by server.Bind, with the output's check and encoder, or by
// server.BindContent for a tool without an outputSchema.
func (e *emitter) bindCall(t *Tool) jen.Code {
	handler := jen.Id("h").Dot(t.GoName)
	if t.Output == nil {
		return srv("BindContent").Call(jen.Id(decodeName(t)), handler)
	}
	if t.Output.Kind == TStruct {
		self := jen.Parens(jen.Op("*").Id(t.Output.Name))
		return srv("Bind").Call(jen.Id(decodeName(t)), handler, self.Clone().Dot("Validate"), self.Clone().Dot("AppendJSON"))
	}
	check := jen.Nil()
	if e.outputChecks(t) != nil {
		check = jen.Id(outputCheckName(t))
	}
	return srv("Bind").Call(jen.Id(decodeName(t)), handler, check, jen.Parens(jen.Op("*").Add(goType(t.Output))).Dot("AppendJSON"))
}

func outputCheckName(t *Tool) string { return "check" + t.GoName + "Output" }

// outputChecks returns the checks of an output that is not a struct (whose
// Validate method holds them), or nil when its schema checks nothing.
func (e *emitter) outputChecks(t *Tool) []jen.Code {
	if t.Output == nil || t.Output.Kind == TStruct {
		return nil
	}
	return e.checks(jen.Id("out"), t.Output, jen.Op("&").Id("root"), 0)
}

// genOutputCheck writes the check function of an output that is not a
// struct, for server.Bind.
func (e *emitter) genOutputCheck(f *jen.File, t *Tool) {
	checks := e.outputChecks(t)
	if checks == nil {
		return
	}
	f.Line()
	f.Comment("// " + outputCheckName(t) + " checks the output of tool " + strconv.Quote(t.Name) + " against its outputSchema.")
	body := []jen.Code{
		jen.Var().Id("root").Add(rt("Path")),
		jen.Id("vs").Op(":=").Op("&").Add(rt("Violations")).Values(),
	}
	body = append(body, checks...)
	body = append(body, jen.Return(jen.Id("vs").Dot("Err").Call(jen.Lit("invalid output"))))
	f.Func().Id(outputCheckName(t)).Params(jen.Id("out").Op("*").Add(goType(t.Output))).Error().Block(body...)
}

// durationExpr writes d as a readable constant expression such as
// 5 * time.Second.
func durationExpr(d time.Duration) jen.Code {
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "Hour"}, {time.Minute, "Minute"}, {time.Second, "Second"}, {time.Millisecond, "Millisecond"}, {time.Microsecond, "Microsecond"}} {
		if d%u.unit == 0 {
			return jen.Id(strconv.FormatInt(int64(d/u.unit), 10)).Op("*").Qual("time", u.name)
		}
	}
	return jen.Id(strconv.FormatInt(int64(d), 10)).Op("*").Qual("time", "Nanosecond")
}

// prettyJSON indents a published schema, one member per line, so that a
// drift diff of the generated file reads line by line.
func prettyJSON(s string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(s), "", "  "); err != nil {
		return s
	}
	return b.String()
}

// jsonLit writes JSON as a raw string literal, which reads like the schema
// it holds. Line breaks in it are only the indentation's (JSON escapes
// control characters in strings), so only a backtick, which would end the
// literal, or a carriage return, which Go drops from raw strings, sends it
// to an ordinary quoted literal instead.
func jsonLit(s string) jen.Code {
	if strings.ContainsAny(s, "`\r") || !utf8.ValidString(s) {
		return jen.Lit(s)
	}
	return jen.Id("`" + s + "`")
}
