package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGetStartedWithGoTool is how a new module starts using mcpgen, run
// for real: go get -tool adds mcpgen to the module's tools, a
// //go:generate line runs it with go tool, and the generated package, its
// handler stubs and a main build. go tool mcpgen check then tells stale
// output from fresh. The module replaces mcpgen with this checkout and
// starts from its go.sum, and the go command runs with GOPROXY=off: it
// needs no network.
func TestGetStartedWithGoTool(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command in a new module")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	goLine := regexp.MustCompile(`(?m)^go [0-9.]+$`).Find(gomod)
	require.NotNil(t, goLine, "go.mod has no go line")

	mod := t.TempDir()
	write(t, filepath.Join(mod, "go.mod"), "module example.com/desk\n\n"+string(goLine)+"\n\nreplace github.com/mcpgen/mcpgen => "+root+"\n")
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	write(t, filepath.Join(mod, "go.sum"), string(sum))
	schemas := filepath.Join(mod, "schemas")
	require.NoError(t, os.Mkdir(schemas, 0o755))
	defs, err := filepath.Glob(filepath.Join(root, "examples", "trading", "schemas", "*.json"))
	require.NoError(t, err)
	for _, f := range defs {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		write(t, filepath.Join(schemas, filepath.Base(f)), string(data))
	}
	require.NoError(t, os.Mkdir(filepath.Join(mod, "tools"), 0o755))
	write(t, filepath.Join(mod, "tools", "generate.go"), `// Package tools holds the desk's tools, generated from ../schemas.
package tools

//go:generate go tool mcpgen generate -out . -pkg tools -stubs handlers.go ../schemas
`)

	goCmd := func(dir string, args ...string) (string, error) {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	run := func(dir string, args ...string) string {
		t.Helper()
		out, err := goCmd(dir, args...)
		require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
		return out
	}

	run(mod, "get", "-tool", "github.com/mcpgen/mcpgen/cmd/mcpgen")
	gomod, err = os.ReadFile(filepath.Join(mod, "go.mod"))
	require.NoError(t, err)
	assert.Contains(t, string(gomod), "\ntool github.com/mcpgen/mcpgen/cmd/mcpgen\n", "go get -tool records mcpgen as a tool of the module")

	out := run(mod, "generate", "./...")
	assert.Contains(t, out, "wrote handler stubs to handlers.go")
	for _, f := range []string{"register_mcpgen.go", "defs_common_mcpgen.go", "tool_features_ohlcv_window_mcpgen.go", "handlers.go"} {
		assert.FileExists(t, filepath.Join(mod, "tools", f))
	}
	// The server's main, as the README has it, then the requirements the
	// generated code and main import directly.
	write(t, filepath.Join(mod, "main.go"), `package main

import (
	"log"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgen/mcpgen/runtime/server"

	"example.com/desk/tools"
)

func main() {
	srv := server.New(&mcp.Implementation{Name: "desk", Version: "1.0.0"})
	if err := tools.Register(srv, &tools.Service{}); err != nil {
		log.Fatal(err)
	}
	srv.Main()
}
`)
	run(mod, "mod", "tidy")
	run(mod, "build", "./...")
	run(mod, "vet", "./...")

	check := []string{"tool", "mcpgen", "check", "-out", ".", "-pkg", "tools", "../schemas"}
	run(filepath.Join(mod, "tools"), check...)

	// A changed definition makes the committed code stale, until go
	// generate runs again; the stubs already written stay as they are.
	stubs, err := os.ReadFile(filepath.Join(mod, "tools", "handlers.go"))
	require.NoError(t, err)
	window := filepath.Join(schemas, "features_ohlcv_window.json")
	data, err := os.ReadFile(window)
	require.NoError(t, err)
	write(t, window, strings.Replace(string(data), `"maximum": 1000,`, `"maximum": 500,`, 1))
	out, err = goCmd(filepath.Join(mod, "tools"), check...)
	assert.Error(t, err, "check passes on stale code")
	assert.Contains(t, out, `"maximum": 500`)
	run(mod, "generate", "./...")
	run(filepath.Join(mod, "tools"), check...)
	again, err := os.ReadFile(filepath.Join(mod, "tools", "handlers.go"))
	require.NoError(t, err)
	assert.Equal(t, string(stubs), string(again), "regenerating leaves the stubs as they are")
	run(mod, "build", "./...")
}
