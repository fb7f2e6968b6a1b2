package gen_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPackagesStayOffTheNetworkStack keeps the generator, the package that
// generated code imports and the error model free of the MCP SDK and
// net/http: generated types must be usable (and the generator buildable)
// without linking a server.
func TestPackagesStayOffTheNetworkStack(t *testing.T) {
	for _, pkg := range []string{
		"github.com/mcpgen/mcpgen/gen",
		"github.com/mcpgen/mcpgen/runtime/typed",
		"github.com/mcpgen/mcpgen/runtime/mcperr",
	} {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep == "net/http" || strings.HasPrefix(dep, "github.com/modelcontextprotocol/") {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}
