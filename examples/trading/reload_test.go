package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpgen/mcpgen/runtime/mcperr"
	"github.com/mcpgen/mcpgen/runtime/security/auth"
)

// The desk's keys: the one in use, the one it is rotated to.
var (
	deskKey2025 = auth.Key{ID: "desk-2025", Client: "desk", Secret: "trading-reload-2025-0123456789abcdef01"}
	deskKey2026 = auth.Key{ID: "desk-2026", Client: "desk", Secret: "trading-reload-2026-0123456789abcdef01"}
)

// replaceFile writes content beside path and renames it into place, as a
// deployment should (a reader never sees half a file).
func replaceFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path+".new", []byte(content), 0o600))
	require.NoError(t, os.Rename(path+".new", path))
}

func keysFileOf(keys ...auth.Key) string {
	b, _ := json.MarshalIndent(map[string]any{"keys": keys}, "", "  ")
	return string(b) + "\n"
}

// lockedLog collects a process's standard error.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) add(line string) { l.mu.Lock(); l.b.WriteString(line + "\n"); l.mu.Unlock() }
func (l *lockedLog) String() string  { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// startTrading runs the built server with env on a loopback port of the
// kernel's choosing, and returns its MCP endpoint.
func startTrading(t *testing.T, bin string, env ...string) (*exec.Cmd, string, *lockedLog) {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(env, "PATH="+os.Getenv("PATH"), "MCP_SERVER_MODE=http", "MCP_HTTP_ADDR=127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	logs := &lockedLog{}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.add(sc.Text())
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "serving MCP over HTTP" {
				addrc <- rec.Addr
			}
		}
	}()
	select {
	case addr := <-addrc:
		return cmd, "http://" + addr + "/mcp", logs
	case <-time.After(60 * time.Second):
		t.Fatalf("the server did not start:\n%s", logs.String())
	}
	return nil, "", nil
}

// toolCode calls tool and returns the error code of its result, "" when
// it succeeded, or the transport's error.
func toolCode(t *testing.T, cs *mcp.ClientSession, tool, args string) (string, error) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: json.RawMessage(args)})
	if err != nil {
		return "", err
	}
	if !res.IsError {
		return "", nil
	}
	var body mcperr.Body
	require.NoError(t, json.Unmarshal([]byte(res.Content[0].(*mcp.TextContent).Text), &body))
	return string(body.Code), nil
}

// TestReloadDemo is docs/security.md's "Rotation without restart" on the
// trading server as a user runs it: its symbols allowlist bound to a file,
// a tool limit from a settings file, HMAC keys from a keys file; then one
// SIGHUP rotates the key, replaces the symbols and lifts the limit, and the
// audit log has a config_change record for each change and a data_access
// record for each shared-state call.
func TestReloadDemo(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGHUP")
	}
	bin := buildTrading(t)
	dir := t.TempDir()
	keys, symbols := filepath.Join(dir, "keys.json"), filepath.Join(dir, "symbols.txt")
	settings, auditLog := filepath.Join(dir, "settings.env"), filepath.Join(dir, "audit.jsonl")
	shipped, err := os.ReadFile("symbols.txt")
	require.NoError(t, err)
	replaceFile(t, keys, keysFileOf(deskKey2025))
	replaceFile(t, symbols, strings.Replace(string(shipped), "SPY\n", "", 1)) // SPY not tradable yet
	replaceFile(t, settings, "# reloaded on SIGHUP\nMCP_ALLOWLIST_FILES=symbols=symbols.txt\nMCP_TOOL_RATE_LIMITS=risk.position_limits_check=3/1m\n")
	cmd, url, logs := startTrading(t, bin, "AUTH_MODE=hmac", "MCP_HMAC_KEYS_FILE="+keys, "MCP_SETTINGS_FILE="+settings, "MCP_AUDIT_LOG="+auditLog)

	old := sdkClient(t, url, &auth.Signer{Key: deskKey2025})
	risk := func(cs *mcp.ClientSession, symbol string) string {
		t.Helper()
		code, err := toolCode(t, cs, "risk.position_limits_check", `{"symbol":"`+symbol+`","side":"buy","quantity":1}`)
		require.NoError(t, err)
		return code
	}
	stateCalls := 0
	state := func(cs *mcp.ClientSession, tool, args string) {
		t.Helper()
		code, err := toolCode(t, cs, tool, args)
		require.NoError(t, err)
		require.Empty(t, code)
		stateCalls++
	}
	assert.Equal(t, "MCP-015", risk(old, "SPY"), "SPY is not in the symbols file")
	assert.Empty(t, risk(old, "IWM"))
	assert.Empty(t, risk(old, "EURUSD"))
	assert.Equal(t, "MCP-006", risk(old, "EURUSD"), "the settings file's 3 a minute, not x-rate-limit's 500, from the start")
	state(old, "storage.shared_state.set", `{"key":"desk.positions","value":{"SPY":0}}`)
	state(old, "storage.shared_state.get", `{"key":"desk.positions"}`)

	// The rotation: the new key only, SPY in and IWM out, the limit lifted.
	replaceFile(t, keys, keysFileOf(deskKey2026))
	replaceFile(t, symbols, strings.Replace(string(shipped), "IWM\n", "", 1))
	replaceFile(t, settings, "MCP_ALLOWLIST_FILES=symbols=symbols.txt\n")
	hup := func(changes, rejected int) {
		t.Helper()
		require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
		require.Eventually(t, func() bool {
			events := readAudit(t, auditLog)
			return count(events, "config_change") == changes && count(events, "config_rejected") == rejected
		}, 10*time.Second, 20*time.Millisecond, "after SIGHUP:\n%s", logs.String())
	}
	hup(4, 0)

	_, err = toolCode(t, old, "risk.position_limits_check", `{"symbol":"EURUSD","side":"buy","quantity":1}`)
	require.Error(t, err, "the removed key is refused")
	assert.Contains(t, err.Error(), "Unauthorized")
	cs := sdkClient(t, url, &auth.Signer{Key: deskKey2026})
	assert.Empty(t, risk(cs, "SPY"), "a symbol added is accepted")
	assert.Equal(t, "MCP-015", risk(cs, "IWM"), "a symbol removed is refused")
	for range 3 {
		assert.Empty(t, risk(cs, "EURUSD"), "the override is gone: x-rate-limit's 500 a minute again")
	}
	state(cs, "storage.shared_state.get", `{"key":"desk.positions"}`)

	// A keys file that does not parse is refused; the key in use keeps working.
	replaceFile(t, keys, "{\"keys\": [\n  {\"id\": \"desk-2027\", \"secret\": \"too-short\"}\n]}\n")
	hup(4, 1)
	state(cs, "storage.shared_state.set", `{"key":"desk.positions","value":{"SPY":100}}`)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())

	events := readAudit(t, auditLog)
	settingsChanged := map[string]int{}
	for _, e := range events {
		switch e["event_type"] {
		case "config_change":
			settingsChanged[e["setting"].(string)]++
			assert.Equal(t, "signal", e["changed_by"])
			assert.Equal(t, "config_changes", e["class"])
			assert.EqualValues(t, 2555, e["retention_days"])
		case "config_rejected":
			assert.Contains(t, e["reason"], "MCP_HMAC_KEYS_FILE "+keys+":2: keys[0] secret must be at least 32 bytes")
		}
	}
	assert.Equal(t, map[string]int{"auth.hmac": 2, "allowlist/symbols": 1, "MCP_TOOL_RATE_LIMITS/risk.position_limits_check": 1}, settingsChanged)
	var access []map[string]any
	for _, e := range events {
		if e["event_type"] == "data_access" {
			access = append(access, e)
		}
	}
	require.Len(t, access, stateCalls, "one data_access record per shared-state call")
	for i, want := range []string{"write", "read", "read", "write"} {
		assert.Equal(t, want, access[i]["action"])
		assert.Equal(t, "shared_state/desk.positions", access[i]["resource"])
		assert.Equal(t, "desk", access[i]["client_id"])
		assert.NotEmpty(t, access[i]["corr_id"])
		assert.Equal(t, "data_access", access[i]["class"])
		assert.EqualValues(t, 365, access[i]["retention_days"])
	}
	raw, err := os.ReadFile(auditLog)
	require.NoError(t, err)
	for _, secret := range []string{deskKey2025.Secret, deskKey2026.Secret, "too-short"} {
		assert.NotContains(t, string(raw), secret)
		assert.NotContains(t, logs.String(), secret)
	}
}

func count(events []map[string]any, typ string) int {
	n := 0
	for _, e := range events {
		if e["event_type"] == typ {
			n++
		}
	}
	return n
}
