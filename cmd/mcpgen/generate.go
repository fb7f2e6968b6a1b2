package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/mcpgen/mcpgen/gen"
)

// genFlags are the flags generate and check share.
type genFlags struct {
	out          string
	pkg          string
	stubs        string
	strict       bool
	maxFileBytes int
}

func parseGenFlags(name string, args []string, stderr io.Writer, withStubs bool) (*genFlags, []string, error) {
	fs := flag.NewFlagSet("mcpgen "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &genFlags{}
	fs.StringVar(&f.out, "out", ".", "folder of the generated package")
	fs.StringVar(&f.pkg, "pkg", "", "Go package name (default: the -out folder's name)")
	fs.BoolVar(&f.strict, "strict", false, "make warnings (keys outside the MCP Tool object, draft-07 read without $schema, ...) errors")
	fs.IntVar(&f.maxFileBytes, "max-file-bytes", gen.DefaultMaxFileBytes, "largest definition file read, in bytes (a saved tools/list of thousands of tools may need more)")
	if withStubs {
		fs.StringVar(&f.stubs, "stubs", "", "also write handler stubs to this file in -out; later runs add the methods of new tools and leave the others alone")
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if fs.NArg() == 0 {
		return nil, nil, errors.New("no definition files or folders given")
	}
	if f.pkg == "" {
		abs, err := filepath.Abs(f.out)
		if err != nil {
			return nil, nil, err
		}
		f.pkg = filepath.Base(abs)
	}
	return f, fs.Args(), nil
}

// load reads the sources and generates in memory, reporting definition
// problems on stderr. It returns the exit status to use when it fails.
func load(f *genFlags, paths []string, stderr io.Writer) (*gen.Output, int) {
	srcs, err := gen.ReadSources(paths...)
	if err != nil {
		fmt.Fprintf(stderr, "mcpgen: %v\n", err)
		return nil, 2
	}
	out, err := gen.Generate(gen.Config{Package: f.pkg, Sources: srcs, Strict: f.strict, MaxFileBytes: f.maxFileBytes})
	if err != nil {
		fmt.Fprint(stderr, gen.Report(err))
		return nil, 2
	}
	fmt.Fprint(stderr, gen.ReportWarnings(out.Warnings))
	return out, 0
}

func generate(args []string, stdout, stderr io.Writer) int {
	f, paths, err := parseGenFlags("generate", args, stderr, true)
	if err != nil {
		return usageError(err, stderr)
	}
	out, status := load(f, paths, stderr)
	if out == nil {
		return status
	}
	if err := gen.Write(f.out, out); err != nil {
		fmt.Fprintf(stderr, "mcpgen: %v\n", err)
		return 1
	}
	if f.stubs != "" {
		stub, err := gen.Scaffold(out.Package)
		if err != nil {
			fmt.Fprintf(stderr, "mcpgen: %v\n", err)
			return 1
		}
		path := filepath.Join(f.out, f.stubs)
		wrote, err := gen.WriteOnce(path, stub)
		if err != nil {
			fmt.Fprintf(stderr, "mcpgen: %v\n", err)
			return 1
		}
		if wrote {
			fmt.Fprintf(stdout, "mcpgen: wrote handler stubs to %s (yours to edit; never overwritten)\n", path)
			return 0
		}
		added, err := gen.GrowStubs(path, out.Package)
		if err != nil {
			fmt.Fprintf(stderr, "mcpgen: %v\n", err)
			return 1
		}
		if len(added) > 0 {
			fmt.Fprintf(stdout, "mcpgen: added handler stubs for %s to %s (the methods already there are left as they are)\n", strings.Join(added, ", "), path)
		}
	}
	return 0
}

func check(args []string, stdout, stderr io.Writer) int {
	f, paths, err := parseGenFlags("check", args, stderr, false)
	if err != nil {
		return usageError(err, stderr)
	}
	out, status := load(f, paths, stderr)
	if out == nil {
		return status
	}
	diff, err := gen.Check(f.out, out)
	if err != nil {
		fmt.Fprintf(stderr, "mcpgen: %v\n", err)
		return 1
	}
	if diff != "" {
		fmt.Fprint(stdout, diff)
		fmt.Fprintf(stderr, "mcpgen: generated files in %s are stale; run mcpgen generate (or go generate)\n", f.out)
		return 1
	}
	return 0
}

func lint(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mcpgen lint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	strict := fs.Bool("strict", true, "make warnings errors (-strict=false only reports them)")
	if err := fs.Parse(args); err != nil {
		return usageError(err, stderr)
	}
	if fs.NArg() == 0 {
		return usageError(errors.New("no definition files or folders given"), stderr)
	}
	_, status := load(&genFlags{pkg: "lint", strict: *strict}, fs.Args(), stderr)
	return status
}

func usageError(err error, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "mcpgen: %v\n", err)
	return 2
}
