package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
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
	"github.com/mcpgen/mcpgen/runtime/server"
	"github.com/mcpgen/mcpgen/runtime/typed"
)

// The keys of the rotation tests: the old one, the new one.
var (
	rlOld = auth.Key{ID: "desk-2025", Client: "desk", Secret: "reload-old-secret-0123456789abcdef0123"}
	rlNew = auth.Key{ID: "desk-2026", Client: "desk", Secret: "reload-new-secret-0123456789abcdef0123"}
)

// rlSymbols is an allowlist as generated code declares one, for the
// hand-written tool quote.symbol.
var rlSymbols = typed.NewAllowlist("reload-test-symbols", "EURUSD", "GBPUSD", "IWM")

func rlKeys(keys ...auth.Key) string {
	b, _ := json.MarshalIndent(map[string]any{"keys": keys}, "", "  ")
	return string(b) + "\n"
}

// rlWrite replaces path's content the way a deployment should: written
// beside it, then renamed into place.
func rlWrite(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".new"
	require.NoError(t, os.WriteFile(tmp, []byte(content), 0o600))
	require.NoError(t, os.Rename(tmp, path))
}

// rlTools are the tools of the reload tests: a symbol check against the
// allowlist (MCP-015 as a generated decoder refuses), a call that blocks
// until released (for calls in flight during a reload), and two
// data-access tools.
func rlTools(release <-chan struct{}, entered chan<- struct{}) []server.Tool {
	return []server.Tool{
		{
			Name:        "quote.symbol",
			InputSchema: json.RawMessage(`{"type":"object","properties":{"symbol":{"type":"string"}}}`),
			Call: func(_ context.Context, args []byte) (server.Result, error) {
				var in struct{ Symbol string }
				json.Unmarshal(args, &in)
				if msg := rlSymbols.Violation(in.Symbol); msg != "" {
					return server.Result{}, &mcperr.Error{Code: mcperr.CodeInvalidSymbol, Message: msg}
				}
				return server.Result{Content: []mcp.Content{&mcp.TextContent{Text: in.Symbol}}}, nil
			},
		},
		{
			Name:        "slow.op",
			InputSchema: json.RawMessage(`{"type":"object"}`),
			Call: func(ctx context.Context, _ []byte) (server.Result, error) {
				entered <- struct{}{}
				select {
				case <-release:
				case <-ctx.Done():
					return server.Result{}, ctx.Err()
				}
				return server.Result{Content: []mcp.Content{&mcp.TextContent{Text: "done"}}}, nil
			},
		},
		{
			Name:        "state.get",
			InputSchema: json.RawMessage(`{"type":"object","properties":{"key":{"type":"string"},"pin":{"type":"string"}}}`),
			Policy: server.Policy{AuditClass: "data_access", Sensitive: []string{"/pin"}, RateLimitPerMinute: 3,
				DataAccess: &server.DataAccess{Action: "read", Resource: "/key", Store: "shared_state"}},
			Call: func(context.Context, []byte) (server.Result, error) {
				return server.Result{Content: []mcp.Content{&mcp.TextContent{Text: "1"}}}, nil
			},
		},
		{
			Name:        "state.peek",
			InputSchema: json.RawMessage(`{"type":"object","properties":{"pin":{"type":"string"}}}`),
			Policy: server.Policy{AuditClass: "data_access", Sensitive: []string{"/pin"},
				DataAccess: &server.DataAccess{Action: "read", Resource: "/pin"}},
			Call: func(context.Context, []byte) (server.Result, error) { return server.Result{}, nil },
		},
		{
			Name:        "state.scan",
			InputSchema: json.RawMessage(`{"type":"object"}`),
			Annotations: json.RawMessage(`{"readOnlyHint":true}`),
			Policy:      server.Policy{AuditClass: "data_access"},
			Call:        func(context.Context, []byte) (server.Result, error) { return server.Result{}, nil },
		},
	}
}

// rlServer is a server over real HTTP on loopback with env's
// configuration, its keys file holding rlOld, as Main runs it.
type rlServer struct {
	srv              *server.Server
	url              string
	auditLog         string
	keysFile         string
	symbolsFile      string
	release, entered chan struct{}
}

func startReloadServer(t *testing.T, env map[string]string) *rlServer {
	t.Helper()
	dir := t.TempDir()
	s := &rlServer{auditLog: filepath.Join(dir, "audit.jsonl"), keysFile: filepath.Join(dir, "keys.json"),
		symbolsFile: filepath.Join(dir, "symbols.txt"), release: make(chan struct{}), entered: make(chan struct{}, 1)}
	rlWrite(t, s.keysFile, rlKeys(rlOld))
	rlWrite(t, s.symbolsFile, "EURUSD\nGBPUSD\nIWM\n")
	env["MCP_SERVER_MODE"] = "http"
	env["MCP_HTTP_STATELESS"] = "true"
	env["MCP_AUDIT_LOG"] = s.auditLog
	env["AUTH_MODE"] = "hmac"
	env["MCP_HMAC_KEYS_FILE"] = s.keysFile
	env["MCP_ALLOWLIST_FILES"] = "reload-test-symbols=" + s.symbolsFile
	cfg, err := server.LoadConfig(envOf(env))
	require.NoError(t, err)
	s.srv = server.New(&mcp.Implementation{Name: "desk", Version: "1.0.0"}, server.WithLogger(testLogger(t)))
	require.NoError(t, s.srv.AddTools(rlTools(s.release, s.entered)...))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.srv.ServeListener(ctx, ln, cfg) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		s.srv.Close()
	})
	s.url = "http://" + ln.Addr().String() + "/mcp"
	return s
}

// rlCall posts a tools/call of tool with args, signed with key, and
// returns the HTTP status and, for a JSON-RPC answer, the tool's error
// code ("" for a result that is no error).
func rlCall(t *testing.T, url string, key auth.Key, tool, args string) (int, string) {
	t.Helper()
	body := []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":%q,"arguments":%s}}`, tool, args))
	h, _, err := auth.SignRequestHeaders(key, auth.SignParams{Method: http.MethodPost, URL: url, ContentType: "application/json", Body: body, Time: time.Now()})
	require.NoError(t, err)
	status, out := send(t, url, h, body)
	result, ok := out["result"].(map[string]any)
	if !ok {
		return status, ""
	}
	if result["isError"] != true {
		return status, ""
	}
	var e mcperr.Body
	text := result["content"].([]any)[0].(map[string]any)["text"].(string)
	require.NoError(t, json.Unmarshal([]byte(text), &e))
	return status, string(e.Code)
}

// rlEvents reads the audit log.
func rlEvents(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), "%s", sc.Bytes())
		out = append(out, e)
	}
	return out
}

func rlOfType(events []map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, e := range events {
		if e["event_type"] == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestReloadRotatesAKeyWithACallInFlight(t *testing.T) {
	s := startReloadServer(t, map[string]string{})
	status, code := rlCall(t, s.url, rlOld, "quote.symbol", `{"symbol":"EURUSD"}`)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, code)

	// A call signed with the old key is running when the key goes.
	var wg sync.WaitGroup
	var inFlight struct {
		status int
		code   string
	}
	wg.Go(func() { inFlight.status, inFlight.code = rlCall(t, s.url, rlOld, "slow.op", `{}`) })
	<-s.entered

	rlWrite(t, s.keysFile, rlKeys(rlOld, rlNew))
	res, err := s.srv.Reload()
	require.NoError(t, err)
	require.Len(t, res.Changes, 1)
	status, code = rlCall(t, s.url, rlNew, "quote.symbol", `{"symbol":"EURUSD"}`)
	assert.Equal(t, http.StatusOK, status, "the new key is accepted")
	assert.Empty(t, code)

	rlWrite(t, s.keysFile, rlKeys(rlNew))
	res, err = s.srv.Reload()
	require.NoError(t, err)
	require.Len(t, res.Changes, 1)
	status, _ = rlCall(t, s.url, rlOld, "quote.symbol", `{"symbol":"EURUSD"}`)
	assert.Equal(t, http.StatusUnauthorized, status, "the old key is refused once removed")
	status, _ = rlCall(t, s.url, rlNew, "quote.symbol", `{"symbol":"EURUSD"}`)
	assert.Equal(t, http.StatusOK, status)

	close(s.release)
	wg.Wait()
	assert.Equal(t, http.StatusOK, inFlight.status, "the call in flight finishes")
	assert.Empty(t, inFlight.code)

	changes := rlOfType(rlEvents(t, s.auditLog), "config_change")
	require.Len(t, changes, 2, "one record per change")
	assert.Equal(t, "", changes[0]["old_value"])
	assert.Equal(t, "desk-2026 (client desk, fingerprint "+auth.Fingerprint(rlNew.Secret)+")", changes[0]["new_value"])
	assert.Equal(t, "desk-2025 (client desk, fingerprint "+auth.Fingerprint(rlOld.Secret)+")", changes[1]["old_value"])
	for _, c := range changes {
		assert.Equal(t, "auth.hmac", c["setting"])
		assert.Equal(t, "api", c["changed_by"])
		assert.Equal(t, "config_changes", c["class"])
		assert.EqualValues(t, 2555, c["retention_days"])
	}
	raw, err := os.ReadFile(s.auditLog)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), rlOld.Secret)
	assert.NotContains(t, string(raw), rlNew.Secret)
}

func TestReloadReplacesAnAllowlistAndRefusesBrokenFiles(t *testing.T) {
	s := startReloadServer(t, map[string]string{})
	symbol := func(sym string) string {
		_, code := rlCall(t, s.url, rlOld, "quote.symbol", `{"symbol":"`+sym+`"}`)
		return code
	}
	require.Empty(t, symbol("IWM"))
	require.Equal(t, "MCP-015", symbol("SOL/USD"))

	rlWrite(t, s.symbolsFile, "EURUSD\nGBPUSD\nSOL/USD\n")
	_, err := s.srv.Reload()
	require.NoError(t, err)
	assert.Empty(t, symbol("SOL/USD"), "a symbol added is accepted")
	assert.Equal(t, "MCP-015", symbol("IWM"), "one removed is refused")

	// A broken keys file (or allowlist) changes nothing, names the line,
	// and is a security event.
	rlWrite(t, s.keysFile, "{\"keys\": [\n  {\"id\": \"desk-2026\", \"secret\": \"short\"}\n]}\n")
	rlWrite(t, s.symbolsFile, "EURUSD\n")
	res, err := s.srv.Reload()
	require.Error(t, err)
	assert.Equal(t, mcperr.CodeMissingConfiguration, mcperr.AsError(err).Code)
	assert.Contains(t, err.Error(), "MCP_HMAC_KEYS_FILE "+s.keysFile+":2: keys[0] secret must be at least 32 bytes")
	require.Len(t, res.Problems, 1)
	assert.Equal(t, 2, res.Problems[0].Line)
	assert.Empty(t, symbol("SOL/USD"), "the allowlist is unchanged too: all or nothing")
	assert.Empty(t, symbol("GBPUSD"))

	events := rlEvents(t, s.auditLog)
	rejected := rlOfType(events, "config_rejected")
	require.Len(t, rejected, 1)
	assert.Equal(t, "security_events", rejected[0]["class"])
	assert.Contains(t, rejected[0]["reason"], s.keysFile+":2:")
	changes := rlOfType(events, "config_change")
	require.Len(t, changes, 1, "the allowlist change only")
	assert.Equal(t, "allowlist/reload-test-symbols", changes[0]["setting"])
	assert.Equal(t, "3 values", changes[0]["old_value"])
	assert.Equal(t, "3 values; added: SOL/USD; removed: IWM", changes[0]["new_value"])
}

func TestDataAccessRecords(t *testing.T) {
	s := startReloadServer(t, map[string]string{})
	for _, key := range []string{"portfolio", "limits"} {
		_, code := rlCall(t, s.url, rlOld, "state.get", `{"key":"`+key+`","pin":"4321-secret-pin"}`)
		require.Empty(t, code)
	}
	_, code := rlCall(t, s.url, rlOld, "state.peek", `{"pin":"4321-secret-pin"}`)
	require.Empty(t, code)
	_, code = rlCall(t, s.url, rlOld, "state.scan", `{}`)
	require.Empty(t, code)
	_, code = rlCall(t, s.url, rlOld, "state.get", `{"key":"portfolio"}`)
	require.Empty(t, code)
	_, code = rlCall(t, s.url, rlOld, "state.get", `{"key":"portfolio"}`)
	require.Equal(t, "MCP-006", code, "refused by x-rate-limit: nothing accessed")
	_, code = rlCall(t, s.url, rlOld, "quote.symbol", `{"symbol":"EURUSD"}`)
	require.Empty(t, code)

	events := rlEvents(t, s.auditLog)
	records := rlOfType(events, "data_access")
	require.Len(t, records, 5, "one per call that accessed data: %v", records)
	execs := map[string]map[string]any{}
	for _, e := range rlOfType(events, "tool_execution") {
		execs[e["corr_id"].(string)] = e
	}
	want := []struct{ resource, action string }{
		{"shared_state/portfolio", "read"}, {"shared_state/limits", "read"},
		{"state.peek/[REDACTED]", "read"}, {"state.scan", "read"}, {"shared_state/portfolio", "read"},
	}
	for i, r := range records {
		assert.Equal(t, "data_access", r["class"])
		assert.EqualValues(t, 365, r["retention_days"])
		assert.Equal(t, want[i].resource, r["resource"])
		assert.Equal(t, want[i].action, r["action"])
		assert.Equal(t, "desk", r["client_id"])
		exec := execs[r["corr_id"].(string)]
		require.NotNil(t, exec, "the record's correlation ID is its call's")
		assert.Equal(t, "data_access", exec["class"])
	}
	raw, err := os.ReadFile(s.auditLog)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "4321-secret-pin", "no x-sensitive value in the audit log")
}

func TestReloadBeforeTheServerStarts(t *testing.T) {
	srv := server.New(&mcp.Implementation{Name: "desk", Version: "1.0.0"}, server.WithLogger(testLogger(t)))
	_, err := srv.Reload()
	require.Error(t, err)
	assert.Equal(t, mcperr.CodeMissingConfiguration, mcperr.AsError(err).Code)
}

// TestReloadServerProcess is the server of TestReloadOnSIGHUP, a process
// of its own running Main's body, when the environment asks for it.
func TestReloadServerProcess(t *testing.T) {
	if os.Getenv("MCPGEN_RELOAD_SERVER") == "" {
		t.Skip("run by TestReloadOnSIGHUP")
	}
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	srv := server.New(&mcp.Implementation{Name: "desk", Version: "1.0.0"})
	require.NoError(t, srv.AddTools(rlTools(release, entered)...))
	go func() {
		// The parent releases slow.op by creating this file.
		for {
			if _, err := os.Stat(os.Getenv("MCPGEN_RELOAD_RELEASE")); err == nil {
				close(release)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	go func() {
		for range entered {
			os.WriteFile(os.Getenv("MCPGEN_RELOAD_RELEASE")+".entered", nil, 0o600)
		}
	}()
	if code := srv.Command(nil, os.Getenv, os.Stderr); code != 0 {
		t.Fatalf("exit status %d", code)
	}
}

func TestReloadOnSIGHUP(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGHUP")
	}
	dir := t.TempDir()
	keysFile, symbolsFile := filepath.Join(dir, "keys.json"), filepath.Join(dir, "symbols.txt")
	auditLog, releaseFile := filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "release")
	rlWrite(t, keysFile, rlKeys(rlOld))
	rlWrite(t, symbolsFile, "EURUSD\nIWM\n")

	cmd := exec.Command(os.Args[0], "-test.run=^TestReloadServerProcess$")
	cmd.Env = append(os.Environ(), "MCPGEN_RELOAD_SERVER=1", "MCPGEN_RELOAD_RELEASE="+releaseFile,
		"MCP_SERVER_MODE=http", "MCP_HTTP_ADDR=127.0.0.1:0", "MCP_HTTP_STATELESS=true", "MCP_AUDIT_LOG="+auditLog,
		"AUTH_MODE=hmac", "MCP_HMAC_KEYS_FILE="+keysFile, "MCP_ALLOWLIST_FILES=reload-test-symbols="+symbolsFile)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	logs := new(syncBuffer)
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.Write(append(sc.Bytes(), '\n'))
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "serving MCP over HTTP" {
				addrc <- rec.Addr
			}
		}
	}()
	var url string
	select {
	case addr := <-addrc:
		url = "http://" + addr + "/mcp"
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not start:\n%s", logs.String())
	}
	hup := func(wantConfigChanges, wantRejected int) {
		t.Helper()
		require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
		require.Eventually(t, func() bool {
			events := rlEvents(t, auditLog)
			return len(rlOfType(events, "config_change")) == wantConfigChanges && len(rlOfType(events, "config_rejected")) == wantRejected
		}, 10*time.Second, 20*time.Millisecond, "after SIGHUP:\n%s", logs.String())
	}
	status, code := rlCall(t, url, rlOld, "quote.symbol", `{"symbol":"IWM"}`)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, code)

	var wg sync.WaitGroup
	var inFlight struct {
		status int
		code   string
	}
	wg.Go(func() { inFlight.status, inFlight.code = rlCall(t, url, rlOld, "slow.op", `{}`) })
	require.Eventually(t, func() bool { _, err := os.Stat(releaseFile + ".entered"); return err == nil }, 10*time.Second, 10*time.Millisecond)

	// Rotate: the new key in, the old one out, one symbol swapped.
	rlWrite(t, keysFile, rlKeys(rlNew))
	rlWrite(t, symbolsFile, "EURUSD\nSOL/USD\n")
	hup(3, 0) // the key added, the key removed, the allowlist's values
	status, _ = rlCall(t, url, rlOld, "quote.symbol", `{"symbol":"EURUSD"}`)
	assert.Equal(t, http.StatusUnauthorized, status, "the old key is refused after SIGHUP")
	status, code = rlCall(t, url, rlNew, "quote.symbol", `{"symbol":"SOL/USD"}`)
	assert.Equal(t, http.StatusOK, status)
	assert.Empty(t, code, "a symbol added is accepted")
	_, code = rlCall(t, url, rlNew, "quote.symbol", `{"symbol":"IWM"}`)
	assert.Equal(t, "MCP-015", code, "a symbol removed is refused")

	require.NoError(t, os.WriteFile(releaseFile, nil, 0o600))
	wg.Wait()
	assert.Equal(t, http.StatusOK, inFlight.status, "the call signed with the old key, in flight during the reload, completes")
	assert.Empty(t, inFlight.code)

	// A broken keys file: refused, the running keys kept.
	rlWrite(t, keysFile, `{"keys": [`)
	hup(3, 1)
	status, code = rlCall(t, url, rlNew, "quote.symbol", `{"symbol":"EURUSD"}`)
	assert.Equal(t, http.StatusOK, status, "the keys in use still work")
	assert.Empty(t, code)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "clean exit:\n%s", logs.String())

	events := rlEvents(t, auditLog)
	settings := map[string]int{}
	for _, c := range rlOfType(events, "config_change") {
		settings[c["setting"].(string)]++
		assert.Equal(t, "signal", c["changed_by"])
	}
	assert.Equal(t, map[string]int{"auth.hmac": 2, "allowlist/reload-test-symbols": 1}, settings)
	raw, err := os.ReadFile(auditLog)
	require.NoError(t, err)
	for _, secret := range []string{rlOld.Secret, rlNew.Secret} {
		assert.NotContains(t, string(raw), secret)
		assert.NotContains(t, logs.String(), secret)
	}
	assert.True(t, strings.Contains(logs.String(), `"signal":"hangup"`), "the reload is logged with its signal")
}
