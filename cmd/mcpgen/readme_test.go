package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeMain is the README's path for a new user, run for real: a new
// module with the trading definitions, mcpgen generate with -stubs, the
// README's main compiled as it is written, then started over HTTP and
// asked for its tools, and stopped with SIGTERM.
func TestReadmeMain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)<!-- readme-main:[^>]*-->\n```go\n(.*?)```").FindSubmatch(readme)
	require.NotNil(t, m, "README.md has no readme-main block")

	mod := t.TempDir()
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	// The new module requires mcpgen (this checkout) and, so the build needs
	// no network, the same versions of everything else.
	deps := strings.Replace(string(gomod), "module github.com/mcpgen/mcpgen", "module example.com/desk", 1)
	deps += "\nrequire github.com/mcpgen/mcpgen v0.0.0\n\nreplace github.com/mcpgen/mcpgen => " + root + "\n"
	write(t, filepath.Join(mod, "go.mod"), deps)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	write(t, filepath.Join(mod, "go.sum"), string(sum))
	write(t, filepath.Join(mod, "main.go"), string(m[1]))

	gen := mcpgen("generate", "-out", filepath.Join(mod, "tools"), "-pkg", "tools", "-stubs", "handlers.go",
		filepath.Join(root, "examples", "trading", "schemas"))
	require.Equal(t, 0, gen.code, gen.stderr)

	bin := filepath.Join(t.TempDir(), "desk")
	build := exec.Command("go", "build", "-mod=mod", "-o", bin, ".")
	build.Dir = mod
	out, err := build.CombinedOutput()
	require.NoError(t, err, "the README's main does not build:\n%s", out)

	help, _ := exec.Command(bin, "-h").CombinedOutput()
	assert.Contains(t, string(help), "AUTH_MODE", "-h lists the security settings")

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "MCP_SERVER_MODE=http", "MCP_HTTP_ADDR=127.0.0.1:0", "MCP_HTTP_STATELESS=true")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`"msg":"serving MCP over HTTP","addr":"([^"]+)"`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	var url string
	select {
	case a := <-addr:
		url = "http://" + a + "/mcp"
	case <-time.After(time.Minute):
		t.Fatal("the server never said where it listens")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	for _, tool := range []string{"features.ohlcv_window", "risk.position_limits_check", "execution.sim_quote", "storage.shared_state.get", "storage.shared_state.set"} {
		assert.Contains(t, string(body), `"name":"`+tool+`"`)
	}

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "a SIGTERM is a clean shutdown, exit status 0")
}
